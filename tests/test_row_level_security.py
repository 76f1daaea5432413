"""PostgreSQL row-level security: the API's role sees only the rows of the user its transaction
acts for; without that setting, or with another user's, it sees and changes nothing. Jobs use a
role that sees every row. (SQLite has no row-level security: these tests are PostgreSQL's.)"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from app.kit.db import asyncpg_dsn
from app.settings import Settings
from tests.helpers import Api, TestUser

USER_TABLES = (
    "chat_sessions",
    "chat_messages",
    "user_wallet",
    "transaction_history",
    "credit_holds",
    "payment_transactions",
    "subscriptions",
    "moderation_events",
    "memory_items",
    "memory_facts",
    "memory_session_summaries",
    "memory_tombstones",
)


@pytest.fixture
def postgres_only(settings: Settings) -> None:
    if settings.is_sqlite:
        pytest.skip("row-level security is PostgreSQL's (SQLite has none)")


async def counts(conn: asyncpg.Connection, user: TestUser | None) -> dict[str, int]:
    out = {}
    async with conn.transaction():
        if user is not None:
            await conn.execute("SELECT set_config('app.user_id', $1, true)", str(user.id))
        for table in USER_TABLES:
            out[table] = await conn.fetchval(f"SELECT count(*) FROM {table}")
    return out


async def two_users_with_history(api: Api) -> tuple[TestUser, TestUser]:
    alice, bob = await api.new_user(), await api.new_user()
    for user in (alice, bob):
        session = await api.new_session(user)
        assert (await api.chat(user, session["id"], "Hello there")).status_code == 200
    return alice, bob


async def test_the_api_role_sees_only_the_acting_users_rows(
    api: Api, settings: Settings, postgres_only: None
) -> None:
    alice, bob = await two_users_with_history(api)
    conn = await asyncpg.connect(asyncpg_dsn(settings.DATABASE_URL))
    try:
        role = await conn.fetchrow(
            "SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles "
            "WHERE rolname = current_user"
        )
        assert not role["rolsuper"]
        assert not role["rolbypassrls"]
        nobody = await counts(conn, None)
        assert set(nobody.values()) == {0}, nobody
        as_alice = await counts(conn, alice)
        assert as_alice["chat_sessions"] == 1
        assert as_alice["chat_messages"] == 3
        assert as_alice["user_wallet"] == 1
        assert as_alice["transaction_history"] == 2
        rows = await conn.fetch("SELECT user_id FROM chat_messages WHERE user_id = $1", bob.id)
        assert rows == []  # even asked by id, Bob's rows do not exist for this role
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.user_id', $1, true)", str(alice.id))
            changed = await conn.execute(
                "UPDATE user_wallet SET purchased_micro = purchased_micro + 1 WHERE user_id = $1",
                bob.id,
            )
            assert changed == "UPDATE 0"
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(
                    "INSERT INTO chat_sessions (id, user_id, character_id, status, message_count,"
                    " created_at, updated_at, last_message_at)"
                    " VALUES ($1, $2, 'luna', 'active', 0, now(), now(), now())",
                    uuid.uuid4(),
                    bob.id,
                )
    finally:
        await conn.close()


async def test_the_jobs_role_sees_every_row(
    api: Api, settings: Settings, postgres_only: None
) -> None:
    alice, bob = await two_users_with_history(api)
    assert settings.JOBS_DATABASE_URL
    conn = await asyncpg.connect(asyncpg_dsn(settings.JOBS_DATABASE_URL))
    try:
        users = {
            r["user_id"]
            for r in await conn.fetch(
                "SELECT DISTINCT user_id FROM chat_messages WHERE user_id = ANY($1)",
                [alice.id, bob.id],
            )
        }
        assert users == {alice.id, bob.id}
    finally:
        await conn.close()


async def test_health_reports_row_level_security(
    api: Api, settings: Settings, postgres_only: None
) -> None:
    body: dict[str, Any] = (await api.client.get("/health/detailed")).json()
    rls = body["components"]["row_level_security"]
    assert rls["status"] == "ok", rls
    assert "companion_app_test" in rls["detail"]
