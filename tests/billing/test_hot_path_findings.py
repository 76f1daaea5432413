"""Regression tests for two findings in the chat hot path (chat/hot_repository.py, PostgreSQL),
both fixed as described below.

1. The 402's `available` can be stale under contention (found by test_concurrency.py: a refused
   request said 0.114 credits were available while it needed 0.0456). _PG_PLACE_HOLD reads the
   available balance with a plain SELECT in the same statement as the conditional UPDATE. When
   the UPDATE waited on the wallet's row lock, it re-checks the newest row and refuses; the
   SELECT still sees the statement's snapshot, taken before the concurrent hold committed, and
   reports more credits than the wallet has. No money is wrong (the UPDATE decided), but the
   client is told it had enough.
   Fix: when the hold was not placed, read the balance again in a new statement
   (`SELECT daily_micro + bonus_micro + purchased_micro - held_micro FROM user_wallet WHERE
   user_id = $1`: a new snapshot under READ COMMITTED), as PortableHotPath already does; only
   the 402 path pays the extra round trip.

2. Lock order (found while writing the sweeper). The settle statement's comment says it locks
   "hold, then wallet: the sweeper locks in the same order", and release_hold does lock the
   hold and then the wallet. But settle locks the wallet first: its `w0` CTE is scanned before
   `h0` in the join. So a settle and a release_hold of the same hold can deadlock (PostgreSQL
   aborts one: a generated reply is lost, or a release fails). The sweeper in app/billing
   never waits on a lock (SKIP LOCKED), so it is safe either way; the test pins the order the
   comment promises, for whoever releases holds next.
   Fix: make the wallet lock depend on the hold lock, e.g.
       w0 AS (SELECT ... FROM user_wallet
               WHERE user_id = $2 AND (SELECT count(*) FROM h0) >= 0 FOR UPDATE)
   (an uncorrelated InitPlan: evaluated before the wallet row is locked; checked by hand on
   PostgreSQL 16 with this test's scenario).
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from app.billing.tiers import MICRO
from app.chat.hot_repository import HoldRequest
from app.kit.clock import utcnow
from app.kit.db import asyncpg_dsn
from app.kit.ids import uuid7
from app.llm.base import Usage
from app.settings import Settings
from tests.billing.conftest import prepare
from tests.conftest import as_role
from tests.helpers import Api


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"AUTH_RATE_LIMIT_PER_MINUTE": 0}


def superuser_dsn(settings: Settings) -> str:
    return asyncpg_dsn(as_role(settings.DATABASE_URL, "postgres"))


async def wait_until_blocked(observer: asyncpg.Connection, query_fragment: str) -> None:
    """Until a backend running `query_fragment` waits on a row lock."""
    for _ in range(2000):
        waiting = await observer.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE $1",
            f"%{query_fragment}%",
        )
        if waiting:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"no statement like {query_fragment!r} waited on a lock")


async def test_a_refusal_under_contention_reports_the_balance_that_was_not_enough(
    api: Api, settings: Settings
) -> None:
    if settings.is_sqlite:
        pytest.skip("row locks: PostgreSQL only (SQLite runs one transaction at a time)")
    user = await api.new_user(tier="vip")
    await api.set_balance(user, purchased=1 * MICRO)
    hot = api.app.state.chat.hot
    dsn = asyncpg_dsn(settings.JOBS_DATABASE_URL or settings.DATABASE_URL)
    other = await asyncpg.connect(dsn)
    observer = await asyncpg.connect(superuser_dsn(settings))  # sees every backend's query
    other_hold = uuid7()
    now = utcnow()
    try:
        # Another request holds 0.9 credits and has not committed yet ...
        tx = other.transaction()
        await tx.start()
        await other.execute(
            "INSERT INTO credit_holds (id, user_id, session_id, tier, rate_micro_per_token, "
            "amount_micro, charged_micro, status, created_at, expires_at) "
            "VALUES ($1, $2, NULL, 'vip', 50, 900000, 0, 'open', $3, $3)",
            other_hold,
            user.id,
            now,
        )
        await other.execute(
            "UPDATE user_wallet SET held_micro = held_micro + 900000 WHERE user_id = $1", user.id
        )
        # ... while this one asks for 0.5: it waits on the wallet row, then the other commits.
        placing = asyncio.create_task(
            hot.place_hold(
                HoldRequest(
                    hold_id=uuid7(),
                    user_id=user.id,
                    session_id=uuid7(),
                    tier="vip",
                    rate_micro_per_token=50,
                    amount_micro=500_000,
                    now=now,
                    expires_at=now,
                )
            )
        )
        await wait_until_blocked(observer, "chat_place_hold")
        await tx.commit()
        short = await placing
        assert short is not None  # refused, rightly: 0.1 credits were left
        assert short == 100_000, f"the 402 says {short} micro-credits were available"
    finally:
        await hot.release_hold(other_hold, user.id, utcnow())
        await other.close()
        await observer.close()
    await api.assert_ledger_matches(user)


async def test_settle_takes_the_hold_lock_before_the_wallet_lock(
    api: Api, settings: Settings, no_chat_rate_limit: None
) -> None:
    if settings.is_sqlite:
        pytest.skip("row locks: PostgreSQL only (SQLite runs one transaction at a time)")
    user = await api.new_user(tier="vip")
    session = await api.new_session(user)
    turn = await prepare(api, user, session["id"])
    dsn = asyncpg_dsn(settings.JOBS_DATABASE_URL or settings.DATABASE_URL)
    releaser = await asyncpg.connect(dsn)
    observer = await asyncpg.connect(superuser_dsn(settings))  # sees every backend's query
    try:
        # Another transaction takes the locks in release_hold's order: first the hold ...
        tx = releaser.transaction()
        await tx.start()
        await releaser.execute("SELECT 1 FROM credit_holds WHERE id = $1 FOR UPDATE", turn.hold_id)
        settle = asyncio.create_task(
            api.app.state.chat.settle(
                turn,
                content="hi",
                usage=Usage(10, 5),
                model="m",
                finish_reason="stop",
                status="complete",
            )
        )
        await wait_until_blocked(observer, "chat_settle")
        # ... then the wallet: free if settle waits for the hold before touching the wallet.
        try:
            await releaser.execute(
                "SELECT 1 FROM user_wallet WHERE user_id = $1 FOR UPDATE NOWAIT", user.id
            )
            wallet_was_free = True
        except asyncpg.LockNotAvailableError:
            wallet_was_free = False
        await tx.rollback()
        result = await settle
        assert result.settled.charged_micro == 15 * turn.rate_micro_per_token
        assert wallet_was_free, "settle held the wallet's lock while waiting for the hold's"
    finally:
        await releaser.close()
        await observer.close()
