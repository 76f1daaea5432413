"""Every periodic task through a real Celery worker on real Redis, checked by its effect in the
database: once, again (nothing more happens), and two runs at once (together they do what one
run does). The worker runs in this process, so the moved app clock is its clock too."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import func, or_, select

from app.analytics import tasks as analytics_tasks
from app.billing import tasks as billing_tasks
from app.billing.tiers import MICRO, TIERS
from app.chat import tasks as chat_tasks
from app.kit.clock import utcnow
from app.kit.logging import JSONFormatter
from app.models import (
    ChatSession,
    CreditHold,
    LedgerEntry,
    Subscription,
    User,
    UserWallet,
)
from tests.analytics.helpers import ExpectedUsage, usage_rows
from tests.billing.conftest import prepare
from tests.helpers import Api, TestUser
from tests.market.test_sandbox import buy
from tests.tasks.conftest import move_clock_to, send, send_concurrently

pytestmark = [pytest.mark.redis, pytest.mark.usefixtures("worker")]


async def scalar(api: Api, stmt: Any) -> Any:
    async with api.app.state.db.jobs_sessionmaker() as session:
        return await session.scalar(stmt)


async def daily_refreshes(api: Api, user: TestUser, day: dt.date) -> int:
    return int(
        await scalar(
            api,
            select(func.count()).where(
                LedgerEntry.user_id == user.id,
                LedgerEntry.kind == "daily_refresh",
                LedgerEntry.reference_id == f"daily:{day.isoformat()}",
            ),
        )
    )


async def wallets_due(api: Api, day: dt.date) -> int:
    stmt = select(func.count()).where(
        or_(UserWallet.daily_date.is_(None), UserWallet.daily_date < day)
    )
    return int(await scalar(api, stmt))


async def test_the_daily_refresh_gives_each_wallet_one_allowance_per_day(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    move_clock_to(dt.datetime(2030, 3, 4, 15, 0, tzinfo=dt.UTC))
    tiers = ("free", "premium", "vip")
    users = [await api.new_user(tier=t) for t in tiers]
    for user in users:
        await api.set_balance(user, daily=MICRO, purchased=2 * MICRO)  # most of today spent

    day = dt.date(2030, 3, 5)
    move_clock_to(dt.datetime(2030, 3, 5, 0, 0, 30, tzinfo=dt.UTC))
    due = await wallets_due(api, day)
    assert due >= len(users)
    assert await send(billing_tasks.refresh_daily) == {"refreshed": due}
    assert await send(billing_tasks.refresh_daily) == {"refreshed": 0}
    for user, tier in zip(users, tiers, strict=True):
        wallet = await api.assert_ledger_matches(user)
        assert (wallet.daily_micro, wallet.purchased_micro) == (TIERS[tier].daily_micro, 2 * MICRO)
        assert wallet.daily_date == day
        assert await daily_refreshes(api, user, day) == 1

    day = dt.date(2030, 3, 6)
    move_clock_to(dt.datetime(2030, 3, 6, 0, 0, 30, tzinfo=dt.UTC))
    due = await wallets_due(api, day)
    results = await send_concurrently(billing_tasks.refresh_daily, monkeypatch)
    assert sum(r["refreshed"] for r in results) == due
    for user, tier in zip(users, tiers, strict=True):
        wallet = await api.assert_ledger_matches(user)
        assert wallet.daily_micro == TIERS[tier].daily_micro
        assert await daily_refreshes(api, user, day) == 1


async def crashed_turn(api: Api) -> tuple[TestUser, CreditHold]:
    """A user whose chat request died between hold and settle: the hold stays open."""
    user = await api.new_user(tier="vip")
    await api.set_balance(user, purchased=50 * MICRO)
    session = await api.new_session(user)
    turn = await prepare(api, user, session["id"], "I will never be answered")
    return user, await hold_row(api, turn.hold_id)


async def hold_row(api: Api, hold_id: uuid.UUID) -> CreditHold:
    async with api.app.state.db.jobs_sessionmaker() as session:
        row = await session.get(CreditHold, hold_id)
        assert row is not None
        return row


async def expired_open_holds(api: Api) -> int:
    stmt = select(func.count()).where(CreditHold.status == "open", CreditHold.expires_at < utcnow())
    return int(await scalar(api, stmt))


async def test_the_sweeper_releases_a_dead_processs_hold_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    move_clock_to(dt.datetime(2030, 4, 10, 12, 0, tzinfo=dt.UTC))
    user, hold = await crashed_turn(api)
    assert hold.status == "open"
    assert (await api.wallet(user)).held_micro == hold.amount_micro
    assert (await send(billing_tasks.sweep_holds))["released"] == 0  # not past its deadline
    assert (await hold_row(api, hold.id)).status == "open"

    move_clock_to(hold.expires_at + dt.timedelta(seconds=1))
    due = await expired_open_holds(api)
    assert due >= 1
    first = await send(billing_tasks.sweep_holds)
    again = await send(billing_tasks.sweep_holds)
    assert (first["released"], again["released"]) == (due, 0)
    assert first["released_micro"] >= hold.amount_micro
    assert (await hold_row(api, hold.id)).status == "expired"
    wallet = await api.assert_ledger_matches(user)
    assert (wallet.held_micro, wallet.purchased_micro) == (0, 50 * MICRO)  # released, not charged

    crashed = [await crashed_turn(api) for _ in range(3)]
    move_clock_to(max(h.expires_at for _, h in crashed) + dt.timedelta(seconds=1))
    due = await expired_open_holds(api)
    results = await send_concurrently(billing_tasks.sweep_holds, monkeypatch)
    assert sum(r["released"] for r in results) == due
    for user, hold in crashed:
        assert (await hold_row(api, hold.id)).status == "expired"
        wallet = await api.assert_ledger_matches(user)
        assert (wallet.held_micro, wallet.purchased_micro) == (0, 50 * MICRO)


async def subscribe(api: Api) -> tuple[TestUser, dt.datetime]:
    user = await api.new_user()
    r = await buy(api, user, "premium_monthly", f"sub-{uuid.uuid4().hex}", "subscribe")
    assert r.status_code == 201, r.text
    return user, dt.datetime.fromisoformat(r.json()["subscription"]["current_period_end"])


async def tier_and_subscription(api: Api, user: TestUser) -> tuple[str, str]:
    async with api.app.state.db.jobs_sessionmaker() as session:
        row = await session.get(User, user.id)
        assert row is not None
        sub = await session.scalar(
            select(Subscription.status).where(Subscription.user_id == user.id)
        )
        return row.tier, str(sub)


async def lapsed_paid_users(api: Api) -> int:
    stmt = select(func.count()).where(User.tier != "free", User.tier_expires_at <= utcnow())
    return int(await scalar(api, stmt))


async def test_expiry_returns_a_lapsed_subscriber_to_free_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    move_clock_to(dt.datetime(2030, 5, 2, 12, 0, tzinfo=dt.UTC))
    user, end = await subscribe(api)
    move_clock_to(end - dt.timedelta(seconds=5))
    assert await lapsed_paid_users(api) == 0
    assert await send(billing_tasks.expire_subscriptions) == {"downgraded": 0}
    assert await tier_and_subscription(api, user) == ("premium", "active")

    move_clock_to(end + dt.timedelta(seconds=1))
    due = await lapsed_paid_users(api)
    assert due >= 1
    assert await send(billing_tasks.expire_subscriptions) == {"downgraded": due}
    assert await send(billing_tasks.expire_subscriptions) == {"downgraded": 0}
    assert await tier_and_subscription(api, user) == ("free", "expired")

    lapsing = [await subscribe(api) for _ in range(3)]
    move_clock_to(max(end for _, end in lapsing) + dt.timedelta(seconds=1))
    due = await lapsed_paid_users(api)
    results = await send_concurrently(billing_tasks.expire_subscriptions, monkeypatch)
    assert sum(r["downgraded"] for r in results) == due
    for user, _ in lapsing:
        assert await tier_and_subscription(api, user) == ("free", "expired")


async def test_usage_aggregation_counts_each_message_once(
    api: Api, no_chat_rate_limit: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = dt.date(2030, 6, 15)
    move_clock_to(dt.datetime(2030, 6, 15, 9, 0, tzinfo=dt.UTC))
    expected = ExpectedUsage()
    alice, bob = await api.new_user(), await api.new_user(tier="premium")
    luna, kai = await api.new_session(alice, "luna"), await api.new_session(alice, "kai")
    mira = await api.new_session(bob, "mira")
    for session in (luna, luna, kai):
        await expected.chat(api, alice, "free", session)
    await expected.chat(api, bob, "premium", mira)
    await expected.chat(api, bob, "premium", await api.new_session(bob, "luna"))

    first = await send(analytics_tasks.aggregate_usage)
    assert first == {"days": ["2030-06-14", "2030-06-15"], "rows": len(expected.rows(day))}
    assert await usage_rows(api, day) == expected.rows(day)
    assert len(expected.rows(day)) == 4  # free: luna, kai; premium: mira, luna
    assert await send(analytics_tasks.aggregate_usage) == first
    assert await usage_rows(api, day) == expected.rows(day)

    # More messages later that day: the next runs (two at once) count them, and nothing twice.
    await expected.chat(api, bob, "premium", mira)
    results = await send_concurrently(analytics_tasks.aggregate_usage, monkeypatch)
    assert [r["days"] for r in results] == [first["days"]] * 2
    assert await usage_rows(api, day) == expected.rows(day)


async def sessions_idle_since(api: Api, cutoff: dt.datetime) -> int:
    stmt = select(func.count()).where(
        ChatSession.status == "active", ChatSession.last_message_at < cutoff
    )
    return int(await scalar(api, stmt))


async def session_status(api: Api, user: TestUser, session_id: str) -> str:
    r = await api.client.get(f"/api/v1/chat/sessions/{session_id}", headers=user.headers)
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


async def test_idle_sessions_are_archived_and_come_back_when_the_user_writes(
    api: Api, no_chat_rate_limit: None, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    start = dt.datetime(2030, 1, 2, 12, 0, tzinfo=dt.UTC)
    move_clock_to(start)
    user = await api.new_user()
    talked = await api.new_session(user)
    assert (await api.chat(user, talked["id"], "Hello")).status_code == 200
    greeted_only = await api.new_session(user, "kai")
    move_clock_to(start + dt.timedelta(days=29, hours=23))
    recent = await api.new_session(user, "mira")  # 1 hour old when the job runs
    move_clock_to(start + dt.timedelta(days=30, minutes=1))  # the first two: 30 days idle

    due = await sessions_idle_since(api, utcnow() - dt.timedelta(days=30))
    assert due >= 2
    caplog.set_level(logging.INFO, logger="app.jobs")
    first = await send(chat_tasks.archive_idle_sessions)
    assert first == {"archived": due}
    assert await send(chat_tasks.archive_idle_sessions) == {"archived": 0}
    assert await session_status(api, user, talked["id"]) == "archived"
    assert await session_status(api, user, greeted_only["id"]) == "archived"
    assert await session_status(api, user, recent["id"]) == "active"

    # The job's one log line: JSON, with the job's result.
    [line] = [
        json.loads(JSONFormatter().format(r))
        for r in caplog.records
        if r.name == "app.jobs" and getattr(r, "result", None) == first
    ]
    assert (line["job"], line["outcome"], line["runner"]) == (
        "chat.archive_idle_sessions",
        "ok",
        "celery",
    )
    assert line["duration_s"] >= 0

    # Writing again brings the conversation back, history intact.
    r = await api.chat(user, talked["id"], "I'm back!")
    assert r.status_code == 200, r.text
    assert await session_status(api, user, talked["id"]) == "active"
    r = await api.client.get(f"/api/v1/chat/sessions/{talked['id']}/messages", headers=user.headers)
    assert [m["role"] for m in r.json()["items"]] == ["assistant", "user"] * 2 + ["assistant"]

    # A month on, everything is idle again; two runs at once archive each session once.
    move_clock_to(start + dt.timedelta(days=61))
    due = await sessions_idle_since(api, utcnow() - dt.timedelta(days=30))
    assert due >= 2
    results = await send_concurrently(chat_tasks.archive_idle_sessions, monkeypatch)
    assert sum(r["archived"] for r in results) == due
    for session in (talked, greeted_only, recent):
        assert await session_status(api, user, session["id"]) == "archived"
