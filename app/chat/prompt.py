"""Build the prompt: the character's system message, as much recent history as fits the token
budget, then the user's new message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.characters.service import CharacterPrompt
from app.llm.base import Message
from app.llm.tokens import MESSAGE_OVERHEAD_TOKENS, REPLY_PRIMING_TOKENS, estimate_message_tokens

# (role, content, token_count) as the hot path reads history, newest first.
HistoryRow = tuple[str, str, int]


@dataclass(slots=True)
class PromptPlan:
    messages: list[Message]
    estimated_tokens: int
    history_used: int


def build_prompt(
    character: CharacterPrompt,
    history_newest_first: Sequence[HistoryRow],
    user_text: str,
    *,
    user_tokens: int,
    context_tokens: int,
    max_output_tokens: int,
    extra_system: str | None = None,
) -> PromptPlan:
    """Fit the prompt into `context_tokens - max_output_tokens`.

    The system message and the new message always go in; history is added newest first until
    the budget is spent, then put back in conversation order.
    """
    system = character.system_message
    system_tokens = character.system_tokens
    if extra_system:
        system = f"{system}\n\n{extra_system}"
        system_tokens += estimate_message_tokens(extra_system)
    used = system_tokens + user_tokens + MESSAGE_OVERHEAD_TOKENS + REPLY_PRIMING_TOKENS
    budget = context_tokens - max_output_tokens
    picked: list[Message] = []
    for role, content, tokens in history_newest_first:
        cost = (tokens or 0) + MESSAGE_OVERHEAD_TOKENS
        if used + cost > budget:
            break
        used += cost
        picked.append({"role": role, "content": content})
    picked.reverse()
    messages: list[Message] = [{"role": "system", "content": system}, *picked]
    messages.append({"role": "user", "content": user_text})
    return PromptPlan(messages=messages, estimated_tokens=used, history_used=len(picked))
