"""Streaming replies: SSE events, exact billing, failures mid-way, client disconnects."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import orjson
import pytest
from sqlalchemy import select

from app.models import ChatMessage, CreditHold
from tests.fakes.openai_server import Fail, FakeOpenAI, Reply
from tests.fixtures.live_server import serve
from tests.helpers import Api, TestUser


def parse_sse(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in raw.decode().split("\n\n"):
        if not block.strip():
            continue
        name, data = None, None
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = orjson.loads(line[6:])
        assert name is not None and data is not None, block
        events.append((name, data))
    return events


def approx(text: str) -> int:
    return (len(text) + 3) // 4


async def stream_chat(
    api: Api, user: TestUser, session_id: str, message: str
) -> list[tuple[str, dict[str, Any]]]:
    r = await api.chat(user, session_id, message, stream=True)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    return parse_sse(r.content)


async def assistant_message(api: Api, message_id: str) -> ChatMessage:
    async with api.app.state.db.jobs_sessionmaker() as s:
        row = await s.get(ChatMessage, uuid.UUID(message_id))
        assert row is not None
        return row


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    server: FakeOpenAI = request.getfixturevalue("llm_server")
    return {
        "XAI_API_KEY": "test-key",
        "XAI_BASE_URL": server.base_url,
        "XAI_MODEL": "grok-test",
        "LLM_TIMEOUT_SECONDS": 5,
        "LLM_MAX_RETRIES": 0,
    }


async def test_provider_stream_uses_reported_usage(api: Api, llm_server: FakeOpenAI) -> None:
    user = await api.new_user(tier="premium")
    session = await api.new_session(user)
    llm_server.push(Reply("The stars are out and so am I.", prompt_tokens=120, completion_tokens=9))
    events = await stream_chat(api, user, session["id"], "Hi Luna")
    sent = llm_server.chat_requests[-1]
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["model"] == "grok-test"
    text = "".join(d["text"] for n, d in events if n == "delta")
    assert text == "The stars are out and so am I."
    done = events[-1][1]
    assert done["usage"] == {"prompt_tokens": 120, "completion_tokens": 9, "total_tokens": 129}
    assert done["credits_charged_micro"] == 129 * 70  # premium rate
    await api.assert_ledger_matches(user)


async def test_failure_before_first_token_is_an_http_error_and_costs_nothing(
    api: Api, llm_server: FakeOpenAI
) -> None:
    user = await api.new_user()
    session = await api.new_session(user)
    before = await api.wallet(user)
    llm_server.push(Fail(500))
    r = await api.chat(user, session["id"], "Hello?", stream=True)
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "llm_upstream_error"
    after = await api.assert_ledger_matches(user)
    assert (after.daily_micro, after.held_micro) == (before.daily_micro, 0)
    r = await api.client.get(
        f"/api/v1/chat/sessions/{session['id']}/messages", headers=user.headers
    )
    assert len(r.json()["items"]) == 1  # only the greeting


async def test_failure_mid_stream_stores_partial_reply_and_charges_what_was_generated(
    api: Api, llm_server: FakeOpenAI
) -> None:
    user = await api.new_user()
    session = await api.new_session(user)
    llm_server.push(Reply("one two three four five six seven eight", fail_after_chunks=3))
    events = await stream_chat(api, user, session["id"], "Count for me")
    names = [n for n, _ in events]
    assert names[-2:] == ["error", "done"]
    assert events[-2][1]["code"] in ("llm_unavailable", "llm_upstream_error")
    partial = "".join(d["text"] for n, d in events if n == "delta")
    assert partial == "one two three "
    done = events[-1][1]
    assert done["status"] == "incomplete"
    stored = await assistant_message(api, done["message_id"])
    assert (stored.content, stored.status) == (partial, "incomplete")
    # No usage arrived: prompt counted fairly from what was sent, one token per delta.
    sent = llm_server.chat_requests[-1]["messages"]
    prompt = sum(approx(m["content"]) + 4 for m in sent)
    completion = max(3, approx(partial))
    assert done["credits_charged_micro"] == (prompt + completion) * 100
    wallet = await api.assert_ledger_matches(user)
    assert wallet.held_micro == 0


async def test_client_disconnect_mid_stream_charges_only_what_was_generated(
    app: Any, api: Api, llm_server: FakeOpenAI
) -> None:
    user = await api.new_user()
    session = await api.new_session(user)
    words = " ".join(f"word{i}" for i in range(60))
    llm_server.push(Reply(words, chunk_delay=0.03, prompt_tokens=200, completion_tokens=60))
    async with serve(app) as base, aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{base}/api/v1/chat/completions",
            json={"session_id": session["id"], "message": "Talk to me", "stream": True},
            headers=user.headers,
        )
        assert resp.status == 200
        received = b""
        while received.count(b"event: delta") < 4:
            received += await resp.content.readany()
        resp.close()  # the client goes away mid-reply
        start = parse_sse(received.split(b"event: delta")[0])[0][1]
        message_id = uuid.UUID(start["message_id"])
        row = None
        for _ in range(200):
            async with api.app.state.db.jobs_sessionmaker() as s:
                row = await s.get(ChatMessage, message_id)
            if row is not None:
                break
            await asyncio.sleep(0.02)
    assert row is not None, "the partial reply was not settled"
    assert row.status == "incomplete"
    generated = row.content.split()
    assert 4 <= len(generated) < 60
    assert words.startswith(row.content)
    # Usage never arrived (the stream was cut): charged prompt (fair count) + one token per delta.
    sent = llm_server.chat_requests[-1]["messages"]
    prompt = sum(approx(m["content"]) + 4 for m in sent)
    assert row.credits_micro == (prompt + max(len(generated), approx(row.content))) * 100
    wallet = await api.assert_ledger_matches(user)
    assert wallet.held_micro == 0
    async with api.app.state.db.jobs_sessionmaker() as s:
        holds = (
            (await s.execute(select(CreditHold).where(CreditHold.user_id == user.id)))
            .scalars()
            .all()
        )
    assert [h.status for h in holds] == ["settled"]
    for _ in range(100):  # the upstream call was cancelled too
        if llm_server.streams_cancelled:
            break
        await asyncio.sleep(0.02)
    assert llm_server.streams_cancelled == 1
