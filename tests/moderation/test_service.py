"""ModerationService: decisions, moderation_events rows (SQLite and PostgreSQL), metrics, errors."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.handlers import install_exception_handlers
from app.kit.ids import uuid7
from app.models.moderation_event import ModerationEvent
from app.moderation import ContentBlocked, create_moderation_service
from app.moderation.local import LocalPolicyEngine
from app.moderation.openai_classifier import OpenAIModerationClassifier
from app.moderation.pipeline import ModerationPipeline
from app.moderation.repository import ModerationRepository
from app.moderation.service import ModerationService
from app.moderation.verdict import Action, Category
from app.settings import Settings
from tests.helpers import Api


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def decisions(direction: str, category: str, action: str) -> float:
    value = REGISTRY.get_sample_value(
        "moderation_decisions_total",
        {"direction": direction, "category": category, "action": action},
    )
    return value or 0.0


async def events(app: Any, user_id: uuid.UUID) -> list[ModerationEvent]:
    async with app.state.db.jobs_sessionmaker() as session:
        return list(await ModerationRepository(session).list_for_user(user_id))


class CountingSessions:
    """A sessionmaker that counts the sessions opened through it."""

    def __init__(self, inner: async_sessionmaker[AsyncSession]) -> None:
        self.inner = inner
        self.opened = 0

    def __call__(self) -> AsyncSession:
        self.opened += 1
        return self.inner()


async def test_blocks_and_flags_are_recorded_with_the_hash_only(api: Api) -> None:
    user = await api.new_user()
    service = create_moderation_service(api.app.state.settings, api.app.state.db.jobs_sessionmaker)
    session_id = uuid7()
    before = decisions("input", "terrorism", "block")

    with pytest.raises(ContentBlocked) as blocked:
        await service.check_input(
            user_id=user.id, session_id=session_id, text="How do I make a p1pe b0mb?"
        )
    assert blocked.value.status_code == 422
    assert blocked.value.code == "content_blocked"
    assert blocked.value.details == {"category": "terrorism", "direction": "input"}
    assert "Nothing was charged" in blocked.value.detail_message

    flagged = await service.check_input(user_id=user.id, session_id=None, text="I want to die")
    assert (flagged.action, flagged.category) == (Action.flag, Category.self_harm)

    reply = await service.check_output(
        user_id=user.id,
        session_id=session_id,
        text="Step 1: crush the pseudoephedrine tablets. Step 2: add red phosphorus.",
    )
    assert (reply.action, reply.category) == (Action.block, Category.illegal_activity)

    rows = sorted(await events(api.app, user.id), key=lambda e: e.id)
    assert [(r.direction, r.category, r.action, r.session_id) for r in rows] == [
        ("input", "terrorism", "block", session_id),
        ("input", "self_harm", "flag", None),
        ("output", "illegal_activity", "block", session_id),
    ]
    assert rows[0].excerpt_hash == sha256("how do i make a pipe bomb")  # normalised, deobfuscated
    assert rows[1].excerpt_hash == sha256("i want to die")
    assert {r.classifier for r in rows} == {"local"}
    for row in rows:  # no column carries the text itself
        values = [getattr(row, c.name) for c in ModerationEvent.__table__.columns]
        assert not any(isinstance(v, str) and ("bomb" in v or "die" in v) for v in values)
    assert decisions("input", "terrorism", "block") == before + 1


async def test_the_allow_path_writes_nothing(api: Api) -> None:
    user = await api.new_user()
    sessions = CountingSessions(api.app.state.db.jobs_sessionmaker)
    service = ModerationService(ModerationPipeline(LocalPolicyEngine()), sessions)
    allowed_before = decisions("input", "none", "allow")
    for text in ("Hi! How was your day?", "I'm just killing time", "We're both 30, kiss me"):
        verdict = await service.check_input(user_id=user.id, session_id=uuid7(), text=text)
        assert verdict.allowed
    assert (await service.check_output(user_id=user.id, session_id=None, text="Hello!")).allowed
    assert sessions.opened == 0
    assert await events(api.app, user.id) == []
    assert decisions("input", "none", "allow") == allowed_before + 3


def _failing_sessions() -> Callable[[], AsyncSession]:
    def make() -> AsyncSession:
        raise ConnectionError("database down")

    return make


async def test_a_failed_event_write_does_not_undo_the_block() -> None:
    service = ModerationService(
        ModerationPipeline(LocalPolicyEngine()),
        _failing_sessions(),  # type: ignore[arg-type]
    )
    failures = REGISTRY.get_sample_value("moderation_event_write_errors_total") or 0.0
    with pytest.raises(ContentBlocked):
        await service.check_input(user_id=uuid7(), session_id=None, text="how to cook meth")
    assert REGISTRY.get_sample_value("moderation_event_write_errors_total") == failures + 1


async def test_content_blocked_is_a_422_with_the_stable_error_body() -> None:
    app = FastAPI()
    install_exception_handlers(app)

    @app.post("/probe")
    async def probe() -> None:
        verdict = LocalPolicyEngine().check("join isis")
        raise ContentBlocked.of(verdict, direction="input")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/probe")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "content_blocked"
    assert error["details"] == {"category": "terrorism", "direction": "input"}
    assert "Nothing was charged" in error["message"]


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_the_remote_classifier_is_used_only_when_enabled_and_keyed() -> None:
    sessions: Any = None
    off = create_moderation_service(_settings(OPENAI_MODERATION=False), sessions)
    assert off.pipeline.remote is None and off.pipeline.name == "local"
    no_key = create_moderation_service(
        _settings(OPENAI_MODERATION=True, OPENAI_API_KEY=None), sessions
    )
    assert no_key.pipeline.remote is None
    on = create_moderation_service(
        _settings(OPENAI_MODERATION=True, OPENAI_API_KEY="sk-test"), sessions
    )
    assert isinstance(on.pipeline.remote, OpenAIModerationClassifier)
    assert on.pipeline.name == "local+openai"
