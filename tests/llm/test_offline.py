"""The offline provider (the embedded default): in character, deterministic, with usage, within
max_tokens, and its stream is its complete() reply in pieces."""

from __future__ import annotations

from typing import Any

import pytest

from app.characters.seed import SEED_CHARACTERS
from app.characters.service import render_system_message
from app.llm.base import Message
from app.llm.offline import OfflineProvider
from app.llm.tokens import estimate_message_tokens, estimate_tokens
from app.models import CharacterConfig


def character(character_id: str, **changes: Any) -> CharacterConfig:
    seed = next(c for c in SEED_CHARACTERS if c.id == character_id)
    data = seed.model_dump(mode="json") | changes
    return CharacterConfig(**data)


def conversation(c: CharacterConfig, *user_turns: str) -> list[Message]:
    """The prompt as chat/prompt.py builds it: persona card, greeting, then the user's turns."""
    messages: list[Message] = [
        {"role": "system", "content": render_system_message(c)},
        {"role": "assistant", "content": c.greeting},
    ]
    for i, turn in enumerate(user_turns):
        if i:
            messages.append({"role": "assistant", "content": "Go on."})
        messages.append({"role": "user", "content": turn})
    return messages


def own_lines(c: CharacterConfig) -> list[str]:
    first = c.name.split()[0]
    return [
        line.split(":", 1)[1].strip()
        for line in c.example_dialogue.splitlines()
        if line.startswith(f"{first}:")
    ]


async def test_same_conversation_same_reply() -> None:
    luna = character("luna")
    messages = conversation(luna, "My brother Tobias just got engaged in Lisbon!")
    first = await OfflineProvider().complete(messages, max_tokens=200)
    second = await OfflineProvider().complete(messages, max_tokens=200)
    assert first == second
    other = await OfflineProvider().complete(
        conversation(luna, "I adopted a greyhound called Pixel."), max_tokens=200
    )
    assert other.text != first.text


@pytest.mark.parametrize("character_id", ["luna", "kai"])
async def test_speaks_with_the_characters_own_lines_about_what_was_said(
    character_id: str,
) -> None:
    c = character(character_id)
    reply = await OfflineProvider().complete(
        conversation(c, "My brother Tobias just got engaged in Lisbon!"), max_tokens=200
    )
    lines = own_lines(c)
    assert lines, "the seed character has example lines"
    assert any(line in reply.text for line in lines), reply.text
    # Never the user's side of the example dialogue.
    user_lines = [
        ln.split(":", 1)[1].strip()
        for ln in c.example_dialogue.splitlines()
        if ln.startswith("User:")
    ]
    assert not any(line in reply.text for line in user_lines)
    assert "Tobias" in reply.text
    assert reply.finish_reason == "stop"


async def test_a_character_without_example_lines_still_answers_in_character() -> None:
    c = character("luna", example_dialogue="")
    reply = await OfflineProvider().complete(
        conversation(c, "Tell me about Orion."), max_tokens=200
    )
    assert "Luna Vale" in reply.text
    assert "Orion" in reply.text


async def test_usage_counts_the_prompt_and_the_reply() -> None:
    messages = conversation(character("kai"), "What should I cook for Priya tonight?")
    reply = await OfflineProvider().complete(messages, max_tokens=200)
    assert reply.usage.completion_tokens == estimate_tokens(reply.text) > 0
    assert reply.usage.prompt_tokens > sum(estimate_message_tokens(m["content"]) for m in messages)
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


@pytest.mark.parametrize("max_tokens", [1, 3, 8])
@pytest.mark.parametrize(
    "changes",
    [
        {},
        # An operator's character whose lines are not ASCII (accents, CJK): tokens are counted
        # by UTF-8 bytes, so cutting by characters would overshoot the cap.
        {
            "name": "Luna Vale",
            "example_dialogue": "User: Bonjour?\nLuna: Ça va très bien — 星がきれいですね、今夜は。",
        },
    ],
    ids=["ascii", "non-ascii"],
)
async def test_respects_max_tokens(max_tokens: int, changes: dict[str, str]) -> None:
    messages = conversation(character("luna", **changes), "Tell me everything about Betelgeuse.")
    full = await OfflineProvider().complete(messages, max_tokens=500)
    assert estimate_tokens(full.text) > 8  # so each cap below really cuts
    cut = await OfflineProvider().complete(messages, max_tokens=max_tokens)
    assert cut.finish_reason == "length"
    assert cut.usage.completion_tokens <= max_tokens
    assert full.text.startswith(cut.text)
    streamed = [c async for c in OfflineProvider().stream(messages, max_tokens=max_tokens)]
    assert "".join(c.text for c in streamed) == cut.text
    assert streamed[-1].finish_reason == "length"


@pytest.mark.parametrize("character_id", ["luna", "kai", "mira"])
async def test_stream_concatenates_to_the_complete_reply(character_id: str) -> None:
    messages = conversation(
        character(character_id), "I had a rough day at work.", "My manager Dolores yelled again."
    )
    provider = OfflineProvider()
    whole = await provider.complete(messages, max_tokens=300)
    chunks = [c async for c in provider.stream(messages, max_tokens=300)]
    text_chunks = [c for c in chunks if c.text]
    assert len(text_chunks) > 3  # really in pieces
    assert "".join(c.text for c in chunks) == whole.text
    assert [c for c in chunks if c.usage is not None] == [chunks[-1]]
    assert chunks[-1].usage == whole.usage
    assert chunks[-1].finish_reason == whole.finish_reason == "stop"
