"""The official openai SDK and our hand-written client, driven against the same loopback server,
send the same request and read the same text and usage: the two agree on the wire format (so the
fake server is a faithful stand-in, and our client reads what real servers send)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import pytest
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from app.llm.base import Message
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.llm.conftest import API_KEY, MODEL, MakeProvider

HISTORY: list[Message] = [
    {"role": "system", "content": "You are Kai Moreno, a surf instructor and cook."},
    {"role": "assistant", "content": "Hey, you made it! Grab a seat."},
    {"role": "user", "content": "I wiped out six times today."},
    {"role": "assistant", "content": "Six? Rookie numbers. Everyone wipes out, friend."},
    {"role": "user", "content": "Teach me your fish tacos, and tell me the secret ingredient."},
]
SDK_HISTORY = cast("list[ChatCompletionMessageParam]", HISTORY)  # the same dicts, typed for the SDK
TEXT = "Grilled mahi, lime slaw, a little chipotle. Secret ingredient's patience, amigo."


@pytest.fixture
async def sdk(llm_server: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    client = AsyncOpenAI(base_url=llm_server.base_url, api_key=API_KEY, max_retries=0)
    yield client
    await client.close()


async def test_plain_completion_agrees_with_the_sdk(
    llm_server: FakeOpenAI, make_provider: MakeProvider, sdk: AsyncOpenAI
) -> None:
    # The server derives usage from the request, so equal usage also means equal messages.
    llm_server.push(Reply(TEXT), Reply(TEXT))

    ours = await make_provider().complete(HISTORY, max_tokens=128, temperature=0.7)
    theirs = await sdk.chat.completions.create(
        model=MODEL,
        messages=SDK_HISTORY,
        max_tokens=128,
        temperature=0.7,
        stream=False,
    )

    our_body, sdk_body = llm_server.chat_requests
    assert our_body == sdk_body
    assert theirs.usage is not None
    assert ours.text == theirs.choices[0].message.content == TEXT
    assert ours.usage.prompt_tokens == theirs.usage.prompt_tokens
    assert ours.usage.completion_tokens == theirs.usage.completion_tokens
    assert ours.usage.total_tokens == theirs.usage.total_tokens
    assert ours.finish_reason == theirs.choices[0].finish_reason == "stop"
    assert ours.model == theirs.model == MODEL
    our_headers, sdk_headers = (r["headers"] for r in llm_server.requests)
    assert our_headers["Authorization"] == sdk_headers["Authorization"] == f"Bearer {API_KEY}"


async def test_streaming_with_usage_agrees_with_the_sdk(
    llm_server: FakeOpenAI, make_provider: MakeProvider, sdk: AsyncOpenAI
) -> None:
    llm_server.push(Reply(TEXT), Reply(TEXT))

    our_chunks = [c async for c in make_provider().stream(HISTORY, max_tokens=128, temperature=0.7)]
    stream = await sdk.chat.completions.create(
        model=MODEL,
        messages=SDK_HISTORY,
        max_tokens=128,
        temperature=0.7,
        stream=True,
        stream_options={"include_usage": True},
    )
    sdk_deltas: list[str] = []
    sdk_usage = None
    sdk_finish = None
    async for event in stream:
        if event.choices:
            sdk_deltas.append(event.choices[0].delta.content or "")
            sdk_finish = event.choices[0].finish_reason or sdk_finish
        if event.usage is not None:
            sdk_usage = event.usage

    our_body, sdk_body = llm_server.chat_requests
    assert our_body == sdk_body
    assert "".join(c.text for c in our_chunks) == "".join(sdk_deltas) == TEXT
    # The same deltas in the same order, not just the same total.
    assert [c.text for c in our_chunks if c.text] == [d for d in sdk_deltas if d]
    our_usage = our_chunks[-1].usage
    assert our_usage is not None
    assert sdk_usage is not None
    assert (our_usage.prompt_tokens, our_usage.completion_tokens, our_usage.total_tokens) == (
        sdk_usage.prompt_tokens,
        sdk_usage.completion_tokens,
        sdk_usage.total_tokens,
    )
    assert [c.finish_reason for c in our_chunks if c.finish_reason] == [sdk_finish] == ["stop"]
