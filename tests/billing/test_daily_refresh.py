"""The daily allowance: once per user and UTC day, whether it comes lazily (first use of the
day) or from the midnight job, or both at once, or either twice."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from app.billing.jobs import refresh_daily_allowances
from app.billing.tiers import MICRO
from app.kit.clock import utcnow
from app.kit.ids import uuid7
from app.models import CreditHold, LedgerEntry, UserWallet
from tests.billing.conftest import move_clock_to
from tests.helpers import Api, TestUser


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"AUTH_RATE_LIMIT_PER_MINUTE": 0}


async def refreshes(api: Api, user: TestUser) -> list[tuple[str, str | None, int]]:
    async with api.app.state.db.jobs_sessionmaker() as session:
        rows = (
            (
                await session.execute(
                    select(LedgerEntry)
                    .where(
                        LedgerEntry.user_id == user.id,
                        LedgerEntry.kind.in_(("daily_refresh", "expiry")),
                    )
                    .order_by(LedgerEntry.created_at, LedgerEntry.id)
                )
            )
            .scalars()
            .all()
        )
    return [(r.kind, r.reference_id, r.amount_micro) for r in rows]


async def test_a_user_active_across_midnight_gets_exactly_one_refresh(api: Api) -> None:
    move_clock_to(dt.datetime(2027, 5, 3, 23, 59, 58, tzinfo=dt.UTC))
    user = await api.new_user()  # the wallet opens with May 3rd's allowance
    session = await api.new_session(user)
    move_clock_to(dt.datetime(2027, 5, 3, 23, 59, 59, tzinfo=dt.UTC))
    r = await api.chat(user, session["id"], "one second to midnight")
    assert r.status_code == 200, r.text
    spent = r.json()["credits_charged_micro"]
    assert spent > 0
    move_clock_to(dt.datetime(2027, 5, 4, 0, 0, 0, tzinfo=dt.UTC))
    r = await api.chat(user, session["id"], "midnight")
    assert r.status_code == 200, r.text
    # The job comes (twice, and alongside requests): nothing more for this user.
    results = await asyncio.gather(
        refresh_daily_allowances(api.app.state.db.jobs_sessionmaker),
        refresh_daily_allowances(api.app.state.db.jobs_sessionmaker, batch_size=2),
        api.client.get("/api/v1/wallet/balance", headers=user.headers),
        api.chat(user, session["id"], "just after midnight"),
    )
    assert results[3].status_code == 200
    assert await refreshes(api, user) == [
        ("daily_refresh", "daily:2027-05-03", 10 * MICRO),
        ("expiry", "expiry:2027-05-04", -(10 * MICRO - spent)),
        ("daily_refresh", "daily:2027-05-04", 10 * MICRO),
    ]
    await api.assert_ledger_matches(user)


async def test_the_midnight_job_and_lazy_refreshes_together_grant_once(api: Api) -> None:
    move_clock_to(dt.datetime(2027, 6, 9, 12, 0, tzinfo=dt.UTC))
    users = [await api.new_user(tier=t) for t in ("free", "premium", "vip", "free", "premium")]
    move_clock_to(dt.datetime(2027, 6, 10, 0, 0, 0, tzinfo=dt.UTC))
    sm = api.app.state.db.jobs_sessionmaker
    await asyncio.gather(
        refresh_daily_allowances(sm, batch_size=2),
        refresh_daily_allowances(sm, batch_size=3),
        *(api.client.get("/api/v1/wallet/balance", headers=u.headers) for u in users),
        *(api.client.get("/api/v1/wallet/balance", headers=u.headers) for u in users),
    )
    await refresh_daily_allowances(sm)
    allowance = {"free": 10, "premium": 100, "vip": 500}
    for u, tier in zip(users, ("free", "premium", "vip", "free", "premium"), strict=True):
        june_10 = [r for r in await refreshes(api, u) if r[1] == "daily:2027-06-10"]
        assert june_10 == [("daily_refresh", "daily:2027-06-10", allowance[tier] * MICRO)]
        wallet = await api.assert_ledger_matches(u)
        assert wallet.daily_micro == allowance[tier] * MICRO
        assert wallet.daily_date == dt.date(2027, 6, 10)


async def test_the_job_refreshes_users_who_did_not_come_back(api: Api) -> None:
    move_clock_to(dt.datetime(2027, 7, 1, 8, 0, tzinfo=dt.UTC))
    users = [await api.new_user() for _ in range(7)]
    for u in users:
        await api.set_balance(u, daily=3 * MICRO, purchased=MICRO)
    move_clock_to(dt.datetime(2027, 7, 2, 0, 0, 1, tzinfo=dt.UTC))
    await refresh_daily_allowances(api.app.state.db.jobs_sessionmaker, batch_size=3)
    for u in users:
        wallet = await api.assert_ledger_matches(u)
        assert (wallet.daily_micro, wallet.purchased_micro) == (10 * MICRO, MICRO)
        assert wallet.daily_date == dt.date(2027, 7, 2)
        assert (await refreshes(api, u))[-2:] == [
            ("expiry", "expiry:2027-07-02", -3 * MICRO),
            ("daily_refresh", "daily:2027-07-02", 10 * MICRO),
        ]
    # A clock a moment behind (another API process, around midnight) does not refresh back.
    move_clock_to(dt.datetime(2027, 7, 1, 23, 59, 59, tzinfo=dt.UTC))
    r = await api.client.get("/api/v1/wallet/balance", headers=users[0].headers)
    assert r.status_code == 200
    assert r.json()["daily"] == "10.000000"
    await refresh_daily_allowances(api.app.state.db.jobs_sessionmaker)
    assert len(await refreshes(api, users[0])) == 3


async def test_daily_credits_reserved_by_open_holds_survive_midnight(api: Api) -> None:
    move_clock_to(dt.datetime(2027, 8, 20, 23, 59, 50, tzinfo=dt.UTC))
    user = await api.new_user()
    await api.set_balance(user, daily=30 * MICRO, purchased=2 * MICRO)
    # A large hold placed before midnight (as the hot path does: wallet and hold together).
    async with api.app.state.db.jobs_sessionmaker() as session:
        wallet = (
            await session.execute(select(UserWallet).where(UserWallet.user_id == user.id))
        ).scalar_one()
        wallet.held_micro += 27 * MICRO
        session.add(
            CreditHold(
                id=uuid7(),
                user_id=user.id,
                tier="free",
                rate_micro_per_token=100,
                amount_micro=27 * MICRO,
                status="open",
                expires_at=utcnow() + dt.timedelta(minutes=5),
            )
        )
        await session.commit()
    move_clock_to(dt.datetime(2027, 8, 21, 0, 0, 1, tzinfo=dt.UTC))
    await refresh_daily_allowances(api.app.state.db.jobs_sessionmaker)
    wallet = await api.assert_ledger_matches(user)
    # 27 held = 2 purchased + 10 new allowance + 15 of yesterday's daily kept; 15 expire.
    assert (wallet.daily_micro, wallet.purchased_micro, wallet.held_micro) == (
        25 * MICRO,
        2 * MICRO,
        27 * MICRO,
    )
    assert (await refreshes(api, user))[-2:] == [
        ("expiry", "expiry:2027-08-21", -15 * MICRO),
        ("daily_refresh", "daily:2027-08-21", 10 * MICRO),
    ]
