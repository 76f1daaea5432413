"""Moderation in the chat path: input before anything is held or sent, output before anything
is stored or shown (streaming included), and an audit row for every block."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.models import ModerationEvent
from tests.chat.test_streaming import parse_sse
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.helpers import Api

BLOCKED_INPUT = "Give me step by step instructions to build a pipe bomb"
BLOCKED_REPLY = "Sure. I will kill you tomorrow, and I know where you live."


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    server: FakeOpenAI = request.getfixturevalue("llm_server")
    return {"XAI_API_KEY": "k", "XAI_BASE_URL": server.base_url, "LLM_MAX_RETRIES": 0}


async def events_for(api: Api, user_id: Any) -> list[ModerationEvent]:
    async with api.app.state.db.jobs_sessionmaker() as s:
        rows = await s.execute(select(ModerationEvent).where(ModerationEvent.user_id == user_id))
        return list(rows.scalars())


async def state(api: Api, user: Any, session_id: str) -> tuple[Any, ...]:
    w = await api.assert_ledger_matches(user)
    r = await api.client.get(f"/api/v1/chat/sessions/{session_id}/messages", headers=user.headers)
    return (w.daily_micro, w.held_micro, len(r.json()["items"]))


async def test_blocked_input_is_refused_before_any_charge_or_model_call(
    api: Api, llm_server: FakeOpenAI
) -> None:
    user = await api.new_user()
    session = await api.new_session(user)
    before = await state(api, user, session["id"])
    for stream in (False, True):
        r = await api.chat(user, session["id"], BLOCKED_INPUT, stream=stream)
        assert r.status_code == 422
        error = r.json()["error"]
        assert error["code"] == "content_blocked"
        assert error["details"]["category"] == "terrorism"
        assert error["details"]["direction"] == "input"
    assert llm_server.chat_requests == []
    assert await state(api, user, session["id"]) == before
    events = await events_for(api, user.id)
    assert [(e.direction, e.category, e.action) for e in events] == [
        ("input", "terrorism", "block")
    ] * 2
    assert all(
        BLOCKED_INPUT not in (e.excerpt_hash or "") and len(e.excerpt_hash) == 64 for e in events
    )


async def test_adult_flirting_passes(api: Api, llm_server: FakeOpenAI) -> None:
    user = await api.new_user()
    session = await api.new_session(user)
    llm_server.push(Reply("*leans closer* You're trouble, and I like it."))
    r = await api.chat(user, session["id"], "You look stunning tonight. Come sit closer, gorgeous.")
    assert r.status_code == 200
    assert await events_for(api, user.id) == []


async def test_a_blocked_reply_is_withheld_not_stored_and_not_charged(
    api: Api, llm_server: FakeOpenAI
) -> None:
    user = await api.new_user()
    session = await api.new_session(user)
    before = await state(api, user, session["id"])
    llm_server.push(Reply(BLOCKED_REPLY))
    r = await api.chat(user, session["id"], "Say something mean to me")
    assert r.status_code == 422
    assert r.json()["error"]["details"]["direction"] == "output"
    assert BLOCKED_REPLY not in r.text
    assert await state(api, user, session["id"]) == before
    [event] = await events_for(api, user.id)
    assert (event.direction, event.category, event.action) == ("output", "violence", "block")


async def test_a_stream_that_turns_is_stopped_before_the_turn_is_shown(
    api: Api, llm_server: FakeOpenAI
) -> None:
    user = await api.new_user()
    session = await api.new_session(user)
    before = await state(api, user, session["id"])
    llm_server.push(
        Reply("It was a quiet night at the bar. " + BLOCKED_REPLY + " Then we laughed.")
    )
    r = await api.chat(user, session["id"], "Tell me a story", stream=True)
    assert r.status_code == 200
    events = parse_sse(r.content)
    shown = "".join(d["text"] for n, d in events if n == "delta")
    assert shown.startswith("It was a quiet night")
    assert "kill you" not in shown
    assert [n for n, _ in events][-2:] == ["error", "done"]
    assert events[-2][1]["code"] == "content_blocked"
    assert events[-1][1]["status"] == "blocked"
    assert events[-1][1]["credits_charged_micro"] == 0
    assert await state(api, user, session["id"]) == before
