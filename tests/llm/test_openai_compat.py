"""OpenAICompatibleProvider over real HTTP against the loopback OpenAI wire-format server:
the exact request, usage, streaming, retries, timeouts and broken upstreams."""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from app.llm.base import Message, StreamChunk
from app.llm.errors import LLMTimeout, LLMUnavailable, LLMUpstreamError
from app.llm.openai_compat import parse_retry_after
from app.llm.tokens import REPLY_PRIMING_TOKENS, estimate_message_tokens, estimate_tokens
from tests.fakes.openai_server import Fail, FakeOpenAI, Hang, Reply
from tests.llm.conftest import API_KEY, MODEL, MakeProvider, free_port

MESSAGES: list[Message] = [
    {"role": "system", "content": "You are Luna Vale, an astrophysicist and bartender."},
    {"role": "assistant", "content": "*Luna slides a glass across the bar.*"},
    {"role": "user", "content": "Tell me about Betelgeuse."},
]


async def collect(stream: AsyncIterator[StreamChunk], texts: list[str]) -> None:
    """Read a stream to its end, keeping each delta's text (what a client had shown)."""
    async for chunk in stream:
        texts.append(chunk.text)


# ---------------------------------------------------------------------------- the request


async def test_complete_sends_the_openai_request_and_reads_the_usage(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    llm_server.push(Reply("A red giant, darling.", prompt_tokens=42, completion_tokens=7))
    provider = make_provider()

    completion = await provider.complete(MESSAGES, max_tokens=64, temperature=0.3)

    assert llm_server.chat_requests == [
        {
            "model": MODEL,
            "messages": MESSAGES,
            "max_tokens": 64,
            "temperature": 0.3,
            "stream": False,
        }
    ]
    headers = llm_server.requests[0]["headers"]
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert headers["Content-Type"] == "application/json"
    assert completion.text == "A red giant, darling."
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (42, 7)
    assert completion.usage.total_tokens == 49
    assert completion.finish_reason == "stop"
    assert completion.model == MODEL


async def test_the_configured_temperature_is_the_default(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    await make_provider(temperature=0.65).complete(MESSAGES, max_tokens=10)
    await make_provider(temperature=None).complete(MESSAGES, max_tokens=10)
    first, second = llm_server.chat_requests
    assert first["temperature"] == 0.65
    assert "temperature" not in second  # the provider's own default applies


async def test_a_reply_cut_by_max_tokens_reports_length(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    llm_server.push(Reply("Once upon a", finish_reason="length"))
    completion = await make_provider().complete(MESSAGES, max_tokens=3)
    assert completion.finish_reason == "length"
    assert completion.text == "Once upon a"


# ---------------------------------------------------------------------------- streaming


async def test_stream_deltas_concatenate_to_the_text_and_end_with_the_usage(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    text = "Betelgeuse is a red supergiant in Orion, and it could go supernova any century."
    llm_server.push(Reply(text, prompt_tokens=30, completion_tokens=14))

    chunks = [c async for c in make_provider().stream(MESSAGES, max_tokens=100)]

    assert "".join(c.text for c in chunks) == text
    assert len([c for c in chunks if c.text]) == len(text.split(" "))  # really streamed
    with_usage = [c for c in chunks if c.usage is not None]
    assert with_usage == [chunks[-1]]
    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (30, 14)
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["stop"]
    (body,) = llm_server.chat_requests
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == MESSAGES
    assert body["max_tokens"] == 100
    assert body["model"] == MODEL


async def test_a_stream_without_usage_ends_without_usage(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    """Some OpenAI-compatible servers ignore include_usage: the consumer must see that no usage
    came (and estimate it) rather than get zeros."""
    llm_server.push(Reply("Short and sweet.", usage=False))
    chunks = [c async for c in make_provider().stream(MESSAGES, max_tokens=100)]
    assert "".join(c.text for c in chunks) == "Short and sweet."
    assert all(c.usage is None for c in chunks)


async def test_a_stream_cut_mid_reply_fails_after_the_deltas_it_got(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    llm_server.push(Reply("one two three four five six", fail_after_chunks=3))
    received: list[str] = []
    with pytest.raises((LLMUnavailable, LLMUpstreamError)) as info:
        await collect(make_provider().stream(MESSAGES, max_tokens=100), received)
    assert "".join(received) == "one two three "
    assert info.value.status_code in (502, 503)


async def test_leaving_a_stream_early_closes_the_upstream_connection(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    """A client that goes away must not keep the model generating (and billing) tokens."""
    llm_server.push(Reply(" ".join(f"w{i}" for i in range(200)), chunk_delay=0.01))
    stream = make_provider().stream(MESSAGES, max_tokens=500)
    async for _chunk in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 3
    while llm_server.streams_cancelled == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert llm_server.streams_cancelled == 1


# ---------------------------------------------------------------------------- retries


def test_parse_retry_after_reads_both_forms() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("0") == 0.0
    in_30s = email.utils.formatdate(time.time() + 30, usegmt=True)
    parsed = parse_retry_after(in_30s)
    assert parsed is not None
    assert 28 <= parsed <= 30
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert parse_retry_after(past) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


async def test_429_is_retried_after_the_seconds_the_server_asked_for(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    llm_server.push(Fail(429, {"Retry-After": "1"}), Reply("Worth the wait."))
    completion = await make_provider().complete(MESSAGES, max_tokens=20)
    assert completion.text == "Worth the wait."
    first, second = llm_server.requests
    assert second["at"] - first["at"] >= 0.95
    assert second["body"] == first["body"]  # the same request, resent


async def test_429_is_retried_at_the_http_date_the_server_named(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    not_before = int(time.time()) + 2  # whole seconds: the date form has no fractions
    when = email.utils.formatdate(not_before, usegmt=True)
    llm_server.push(Fail(429, {"Retry-After": when}), Reply("Right on time."))
    completion = await make_provider(retry_max=5.0).complete(MESSAGES, max_tokens=20)
    assert completion.text == "Right on time."
    _, second = llm_server.requests
    assert second["at"] >= not_before - 0.05


async def test_5xx_is_retried_with_exponential_backoff_then_succeeds(
    llm_server: FakeOpenAI, make_provider: MakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Full jitter picks in [0, base * 2**attempt]; take the top of the range to see the growth.
    monkeypatch.setattr("app.llm.openai_compat.random.uniform", lambda _lo, hi: hi)
    llm_server.push(Fail(500), Fail(503), Reply("Third time lucky."))
    completion = await make_provider(retry_base=0.1, retry_max=1.0).complete(
        MESSAGES, max_tokens=20
    )
    assert completion.text == "Third time lucky."
    times = [r["at"] for r in llm_server.requests]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.1
    assert times[2] - times[1] >= 0.2
    assert times[2] - times[0] < 1.0


async def test_backoff_never_exceeds_the_ceiling(
    llm_server: FakeOpenAI, make_provider: MakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.llm.openai_compat.random.uniform", lambda _lo, hi: hi)
    llm_server.push(Fail(502), Fail(502), Fail(502), Reply("ok"))
    provider = make_provider(max_retries=3, retry_base=0.1, retry_max=0.15)
    assert (await provider.complete(MESSAGES, max_tokens=5)).text == "ok"
    times = [r["at"] for r in llm_server.requests]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(gaps) == 3
    assert all(0.09 <= g < 0.4 for g in gaps), gaps


@pytest.mark.parametrize(
    ("status", "error", "code", "http_status"),
    [
        (500, LLMUpstreamError, "llm_upstream_error", 502),
        (502, LLMUpstreamError, "llm_upstream_error", 502),
        (503, LLMUnavailable, "llm_unavailable", 503),
        (429, LLMUnavailable, "llm_unavailable", 503),
    ],
)
async def test_retries_exhausted_raise_the_mapped_error(
    llm_server: FakeOpenAI,
    make_provider: MakeProvider,
    status: int,
    error: type[Exception],
    code: str,
    http_status: int,
) -> None:
    llm_server.push(Fail(status), Fail(status), Fail(status), Reply("never reached"))
    with pytest.raises(error) as info:
        await make_provider(max_retries=2).complete(MESSAGES, max_tokens=5)
    assert len(llm_server.chat_requests) == 3  # the first try and two retries
    assert info.value.code == code  # type: ignore[attr-defined]
    assert info.value.status_code == http_status  # type: ignore[attr-defined]
    assert info.value.details["upstream_status"] == status  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_client_errors_are_not_retried(
    llm_server: FakeOpenAI, make_provider: MakeProvider, status: int
) -> None:
    """A bad key or a rejected request fails the same way every time: retrying only adds delay."""
    llm_server.push(Fail(status), Reply("never reached"))
    with pytest.raises(LLMUpstreamError) as info:
        await make_provider().complete(MESSAGES, max_tokens=5)
    assert len(llm_server.chat_requests) == 1
    assert info.value.status_code == 502


async def test_a_retry_after_beyond_the_ceiling_fails_at_once_with_retry_after(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    llm_server.push(Fail(429, {"Retry-After": "120"}), Reply("never reached"))
    started = time.monotonic()
    with pytest.raises(LLMUnavailable) as info:
        await make_provider(retry_max=2.0).complete(MESSAGES, max_tokens=5)
    assert time.monotonic() - started < 0.5
    assert len(llm_server.chat_requests) == 1
    assert info.value.retry_after == 120
    assert info.value.headers() == {"Retry-After": "120"}


async def test_a_long_http_date_retry_after_fails_at_once_too(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    when = email.utils.formatdate(time.time() + 600, usegmt=True)
    llm_server.push(Fail(503, {"Retry-After": when}))
    with pytest.raises(LLMUnavailable) as info:
        await make_provider(retry_max=2.0).complete(MESSAGES, max_tokens=5)
    assert len(llm_server.chat_requests) == 1
    assert info.value.retry_after is not None
    assert 595 <= info.value.retry_after <= 600


# ---------------------------------------------------------------------------- timeouts, network


async def test_a_model_that_does_not_answer_in_time_raises_llm_timeout(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    llm_server.push(Hang(1.0))
    started = time.monotonic()
    with pytest.raises(LLMTimeout) as info:
        await make_provider(timeout=0.2, max_retries=0).complete(MESSAGES, max_tokens=5)
    assert time.monotonic() - started < 0.8
    assert info.value.status_code == 504
    assert info.value.code == "llm_timeout"


async def test_a_stream_that_does_not_start_in_time_raises_llm_timeout(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    llm_server.push(Hang(1.0))
    started = time.monotonic()
    with pytest.raises(LLMTimeout):
        await collect(make_provider(timeout=0.2, max_retries=0).stream(MESSAGES, max_tokens=5), [])
    assert time.monotonic() - started < 0.8


async def test_a_timeout_is_final_and_not_retried(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    """A model that used the whole deadline is not asked again: the user would wait twice."""
    llm_server.push(Hang(1.0), Reply("Sorry, I was stargazing."))
    provider = make_provider(timeout=0.2, max_retries=2)
    with pytest.raises(LLMTimeout):
        await provider.complete(MESSAGES, max_tokens=10)
    assert len(llm_server.chat_requests) == 1


async def test_connection_refused_raises_llm_unavailable(make_provider: MakeProvider) -> None:
    provider = make_provider(base_url=f"http://127.0.0.1:{free_port()}/v1", max_retries=1)
    with pytest.raises(LLMUnavailable) as info:
        await provider.complete(MESSAGES, max_tokens=5)
    assert info.value.status_code == 503
    assert info.value.code == "llm_unavailable"
    with pytest.raises(LLMUnavailable):
        await collect(provider.stream(MESSAGES, max_tokens=5), [])


# ---------------------------------------------------------------------------- broken replies


async def test_malformed_json_raises_llm_upstream_error(
    raw_server: object, make_provider: MakeProvider
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=b'{"choices": [{"message": ', content_type="application/json")

    base_url = await raw_server(handler)  # type: ignore[operator]
    with pytest.raises(LLMUpstreamError) as info:
        await make_provider(base_url=base_url).complete(MESSAGES, max_tokens=5)
    assert info.value.status_code == 502


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"choices": []}',
        b'{"choices": [{"message": null}]}',
        b'{"error": {"message": "overloaded"}}',
    ],
)
async def test_a_200_without_a_choice_raises_llm_upstream_error(
    raw_server: object, make_provider: MakeProvider, body: bytes
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    base_url = await raw_server(handler)  # type: ignore[operator]
    with pytest.raises(LLMUpstreamError):
        await make_provider(base_url=base_url).complete(MESSAGES, max_tokens=5)


@pytest.mark.parametrize(
    "events",
    [
        [b'data: {"choices": [{"delta": {"content": "Hi"}}]}', b"data: {not json"],
        [b'data: {"choices": [{"delta": {"content": "Hi"}}]}', b'data: {"error": {"x": 1}}'],
        [b'data: {"choices": [{"delta": {"content": "Hi"}}]}', b"data: [1, 2]"],
        [b'data: {"choices": [{"delta": {"content": "Hi"}}]}', b'data: {"choices": [7]}'],
        [
            b'data: {"choices": [{"delta": {"content": "Hi"}}]}',
            b'data: {"choices": [{"delta": {"content": 5}}]}',
        ],
    ],
    ids=["broken-json", "error-event", "not-an-object", "choice-not-an-object", "content-not-text"],
)
async def test_a_malformed_stream_event_raises_llm_upstream_error(
    raw_server: object, make_provider: MakeProvider, events: list[bytes]
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for event in events:
            await resp.write(event + b"\n\n")
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    base_url = await raw_server(handler)  # type: ignore[operator]
    received: list[str] = []
    with pytest.raises(LLMUpstreamError):
        await collect(make_provider(base_url=base_url).stream(MESSAGES, max_tokens=5), received)
    assert received == ["Hi"]


def sse_server(*parts: bytes, content_type: str = "text/event-stream") -> object:
    """A handler writing `parts` as the body, then ending it cleanly."""

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": content_type})
        await resp.prepare(request)
        for part in parts:
            await resp.write(part)
        await resp.write_eof()
        return resp

    return handler


DELTA = b'data: {"choices": [{"delta": {"content": "Hi"}, "finish_reason": null}]}\n\n'


async def test_a_stream_that_ends_early_is_not_passed_off_as_complete(
    raw_server: object, make_provider: MakeProvider
) -> None:
    """The body ends cleanly after two deltas: no finish_reason, no [DONE]. The consumer must
    learn the reply was cut (it charges what came, marked incomplete), not store it as whole."""
    base_url = await raw_server(sse_server(DELTA, DELTA))  # type: ignore[operator]
    received: list[str] = []
    with pytest.raises(LLMUpstreamError):
        await collect(make_provider(base_url=base_url).stream(MESSAGES, max_tokens=5), received)
    assert received == ["Hi", "Hi"]


async def test_a_server_that_ignores_stream_true_is_an_upstream_error(
    raw_server: object, make_provider: MakeProvider
) -> None:
    body = b'{"choices": [{"message": {"content": "Hello"}, "finish_reason": "stop"}]}'
    handler = sse_server(body, content_type="application/json")
    base_url = await raw_server(handler)  # type: ignore[operator]
    received: list[str] = []
    with pytest.raises(LLMUpstreamError):
        await collect(make_provider(base_url=base_url).stream(MESSAGES, max_tokens=5), received)
    assert received == []


async def test_an_endless_stream_line_is_an_upstream_error(
    raw_server: object, make_provider: MakeProvider
) -> None:
    base_url = await raw_server(sse_server(DELTA, b"data: " + b"x" * 400_000))  # type: ignore[operator]
    with pytest.raises(LLMUpstreamError):
        await collect(make_provider(base_url=base_url).stream(MESSAGES, max_tokens=5), [])


async def test_a_stream_with_a_finish_but_no_done_marker_is_complete(
    raw_server: object, make_provider: MakeProvider
) -> None:
    """Some OpenAI-compatible servers omit [DONE]; a finish_reason and usage are enough."""
    finish = b'data: {"choices": [{"delta": {}, "finish_reason": "stop"}]}\n\n'
    usage = b'data: {"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2}}\n\n'
    base_url = await raw_server(sse_server(DELTA, DELTA, finish, usage))  # type: ignore[operator]
    chunks = [c async for c in make_provider(base_url=base_url).stream(MESSAGES, max_tokens=5)]
    assert "".join(c.text for c in chunks) == "HiHi"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 11


async def test_a_stream_usage_without_counts_is_treated_as_missing(
    raw_server: object, make_provider: MakeProvider
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b'data: {"choices": [{"delta": {"content": "Hi"}}]}\n\n')
        await resp.write(b'data: {"choices": [], "usage": {"total_tokens": 9}}\n\n')
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    base_url = await raw_server(handler)  # type: ignore[operator]
    chunks = [c async for c in make_provider(base_url=base_url).stream(MESSAGES, max_tokens=5)]
    assert [c.text for c in chunks] == ["Hi"]
    assert all(c.usage is None for c in chunks)  # the consumer estimates, never charges zero


async def test_a_reply_without_usage_gets_an_estimated_usage(
    llm_server: FakeOpenAI, make_provider: MakeProvider
) -> None:
    text = "No usage block in this reply, so the client has to estimate it."
    llm_server.push(Reply(text, usage=False))
    completion = await make_provider().complete(MESSAGES, max_tokens=50)
    assert completion.text == text
    expected_prompt = (
        sum(estimate_message_tokens(m["content"]) for m in MESSAGES) + REPLY_PRIMING_TOKENS
    )
    assert completion.usage.prompt_tokens == expected_prompt
    assert completion.usage.completion_tokens == estimate_tokens(text)
    # The estimate errs high (bytes / 3) so a charge from it never undercuts the real tokens.
    assert completion.usage.completion_tokens >= len(text) // 4
