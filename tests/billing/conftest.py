"""Billing test helpers: databases of this package's own, the app clock, principals, a chat
rate limit that never refuses (for tests about money, not about rate limits), and the loopback
model's settings."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command

from app.auth.service import Principal
from app.kit import clock
from app.ratelimit.gcra import Decision
from app.ratelimit.limiter import RateLimiter
from tests.conftest import (
    _pg_dsn,
    _seed,
    alembic_config,
    create_pg_database,
    drop_pg_database,
    postgres_available,
)
from tests.fakes.openai_server import FakeOpenAI
from tests.fixtures.env import service_missing
from tests.helpers import Api, TestUser


def fresh_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory, prefix: str
) -> Iterator[str]:
    """A migrated, seeded database of its own: the billing jobs scan every wallet, hold and
    subscription, so these tests do not share a database with the rest of the suite."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp(prefix) / 'billing.db'}"
        command.upgrade(alembic_config(url), "heads")
        _seed(url)
        yield url
        return
    problem = postgres_available()
    if problem:
        service_missing("PostgreSQL", problem)
    name = create_pg_database(f"test_{prefix}")
    url = _pg_dsn(name).replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        command.upgrade(alembic_config(url), "heads")
        _seed(url)
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture(scope="package", params=["sqlite", "postgres"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    yield from fresh_database(request.param, tmp_path_factory, "billing")


def move_clock_to(when: dt.datetime) -> None:
    """Make the app's utcnow() read `when` (then run on with real time)."""
    clock.set_offset(when - dt.datetime.now(dt.UTC))


async def principal_of(api: Api, user: TestUser) -> Principal:
    principal: Principal = await api.app.state.auth.authenticate(user.token)
    return principal


async def prepare(api: Api, user: TestUser, session_id: str, text: str = "Hello", **kw: Any) -> Any:
    """ChatService.prepare(): the hold is placed, the model not called (a crash right after
    this leaves the hold open)."""
    return await api.app.state.chat.prepare(
        await principal_of(api, user),
        session_id=uuid.UUID(session_id),
        text=text,
        max_tokens=kw.get("max_tokens"),
    )


class Unlimited(RateLimiter):
    name = "unlimited"

    async def hit(
        self, key: str, *, limit: int, period_s: float = 60.0, now: dt.datetime | None = None
    ) -> Decision:
        return Decision(
            allowed=True, limit=limit, remaining=limit, reset_after_s=0.0, retry_after_s=0.0
        )

    async def health_check(self) -> str:
        return "unlimited"


@pytest.fixture
def no_chat_rate_limit(app: Any) -> None:
    app.state.chat.ratelimiter = Unlimited()


@pytest.fixture
def llm_settings(llm_server: FakeOpenAI) -> dict[str, Any]:
    return {
        "XAI_API_KEY": "test-key",
        "XAI_BASE_URL": llm_server.base_url,
        "LLM_MAX_RETRIES": 0,
        "AUTH_RATE_LIMIT_PER_MINUTE": 0,
    }
