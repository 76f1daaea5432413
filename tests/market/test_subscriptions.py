"""Subscribing with the sandbox provider: tier, expiry, bonus once per period, the daily
allowance raised at once, and the return to free when the period ends (lazily and by the job)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from app.billing.jobs import expire_subscriptions, refresh_daily_allowances
from app.billing.tiers import MICRO
from app.kit import clock
from app.models import Subscription, User
from tests.helpers import Api, TestUser
from tests.market.test_sandbox import buy


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"PAYMENT_PROVIDER": "sandbox", "AUTH_RATE_LIMIT_PER_MINUTE": 0}


def move_clock_to(when: dt.datetime) -> None:
    clock.set_offset(when - dt.datetime.now(dt.UTC))


async def user_row(api: Api, user: TestUser) -> User:
    async with api.app.state.db.jobs_sessionmaker() as session:
        row = await session.get(User, user.id)
        assert row is not None
        return row


async def ledger_kinds(api: Api, user: TestUser) -> list[tuple[str, str]]:
    r = await api.client.get(
        "/api/v1/wallet/transactions", params={"limit": 100}, headers=user.headers
    )
    return [(t["kind"], t["amount"]) for t in reversed(r.json()["items"])]


async def test_subscribing_gives_the_tier_its_bonus_and_todays_higher_allowance(api: Api) -> None:
    move_clock_to(dt.datetime(2027, 1, 31, 10, 0, tzinfo=dt.UTC))
    user = await api.new_user()
    r = await api.client.get("/api/v1/market/subscription", headers=user.headers)
    assert r.json() == {"tier": "free", "tier_expires_at": None, "subscription": None}
    await api.set_balance(user, daily=4 * MICRO, purchased=3 * MICRO)  # spent 6 of free's 10
    r = await buy(api, user, "premium_monthly", "sub-1", "subscribe")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["payment"]["status"] == "succeeded"
    assert body["payment"]["amount"] == "9.99"
    sub = body["subscription"]
    assert sub["plan_id"] == "premium_monthly"
    assert sub["tier"] == "premium"
    assert sub["status"] == "active"
    # A calendar month, as Stripe bills: Jan 31 -> Feb 28.
    assert sub["current_period_end"].startswith("2027-02-28T10:00")
    assert body["credits_granted"] == "290.000000"  # 200 bonus + (100 - 10) daily top-up
    balance = body["balance"]
    assert balance["tier"] == "premium"
    assert balance["bonus"] == "200.000000"
    assert balance["daily"] == "94.000000"  # the 6 already spent today stay spent
    assert balance["purchased"] == "3.000000"
    assert balance["daily_allowance"] == "100.000000"
    assert balance["credits_per_1k_tokens"] == "0.070000"
    row = await user_row(api, user)
    assert row.tier == "premium"
    assert row.tier_expires_at == dt.datetime.fromisoformat(sub["current_period_end"])
    r = await api.client.get("/api/v1/market/subscription", headers=user.headers)
    assert r.json()["tier"] == "premium"
    assert r.json()["subscription"]["id"] == sub["id"]
    kinds = await ledger_kinds(api, user)
    assert kinds[-2:] == [("daily_refresh", "90.000000"), ("subscription_bonus", "200.000000")]
    await api.assert_ledger_matches(user)

    # The next day, the full premium allowance; yesterday's unused daily credits expire.
    move_clock_to(dt.datetime(2027, 2, 1, 0, 0, 5, tzinfo=dt.UTC))
    r = await api.client.get("/api/v1/wallet/balance", headers=user.headers)
    assert r.json()["daily"] == "100.000000"
    assert r.json()["bonus"] == "200.000000"
    await api.assert_ledger_matches(user)


async def test_one_subscription_at_a_time_and_replays_return_the_first(api: Api) -> None:
    user = await api.new_user()
    first = await buy(api, user, "vip_monthly", "v-1", "subscribe")
    assert first.status_code == 201
    again = await buy(api, user, "vip_yearly", "v-2", "subscribe")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "subscription_active"
    replay = await buy(api, user, "vip_monthly", "v-1", "subscribe")
    assert replay.status_code == 201
    assert replay.json() == first.json()
    wallet = await api.assert_ledger_matches(user)
    assert wallet.bonus_micro == 1000 * MICRO
    r = await api.client.get("/api/v1/market/payments", headers=user.headers)
    assert [p["product_id"] for p in r.json()["items"]] == ["vip_monthly"]


async def test_concurrent_subscribes_with_different_keys_make_one_subscription(api: Api) -> None:
    user = await api.new_user()
    responses = await asyncio.gather(
        *(buy(api, user, "premium_monthly", f"race-{i}", "subscribe") for i in range(6))
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5
    wallet = await api.assert_ledger_matches(user)
    assert wallet.bonus_micro == 200 * MICRO
    async with api.app.state.db.jobs_sessionmaker() as session:
        subs = (
            (await session.execute(select(Subscription).where(Subscription.user_id == user.id)))
            .scalars()
            .all()
        )
    assert len(subs) == 1


async def test_the_tier_ends_with_the_period_lazily_and_by_the_job(api: Api) -> None:
    start = dt.datetime(2027, 3, 10, 12, 0, tzinfo=dt.UTC)
    move_clock_to(start)
    user = await api.new_user()
    r = await buy(api, user, "premium_monthly", "p-1", "subscribe")
    period_start = dt.datetime.fromisoformat(r.json()["subscription"]["current_period_start"])
    end = dt.datetime.fromisoformat(r.json()["subscription"]["current_period_end"])
    assert period_start.date() == dt.date(2027, 3, 10)
    assert end == period_start.replace(month=4)

    move_clock_to(end - dt.timedelta(seconds=5))
    r = await api.client.get("/api/v1/wallet/balance", headers=user.headers)
    assert r.json()["tier"] == "premium"
    await expire_subscriptions(
        api.app.state.db.jobs_sessionmaker
    )  # (other tests' users share the DB)
    assert (await user_row(api, user)).tier == "premium"

    move_clock_to(end + dt.timedelta(seconds=1))
    # Before any job runs, requests already see free.
    r = await api.client.get("/api/v1/wallet/balance", headers=user.headers)
    assert r.json()["tier"] == "free"
    assert r.json()["credits_per_1k_tokens"] == "0.100000"
    r = await api.client.get("/api/v1/market/subscription", headers=user.headers)
    assert r.json()["tier"] == "free"
    assert r.json()["tier_expires_at"] is None
    assert (await user_row(api, user)).tier == "premium"  # not written yet

    assert await expire_subscriptions(api.app.state.db.jobs_sessionmaker) >= 1
    row = await user_row(api, user)
    assert (row.tier, row.tier_expires_at) == ("free", None)
    r = await api.client.get("/api/v1/market/subscription", headers=user.headers)
    assert r.json()["subscription"]["status"] == "expired"
    assert await expire_subscriptions(api.app.state.db.jobs_sessionmaker) == 0  # nothing left to do

    # The bonus stays; the next daily refresh is the free allowance again.
    move_clock_to(dt.datetime(2027, 4, 11, 0, 0, 1, tzinfo=dt.UTC))
    await refresh_daily_allowances(api.app.state.db.jobs_sessionmaker)
    wallet = await api.assert_ledger_matches(user)
    assert wallet.daily_micro == 10 * MICRO
    assert wallet.bonus_micro == 200 * MICRO
    # And subscribing again works.
    r = await buy(api, user, "vip_monthly", "p-2", "subscribe")
    assert r.status_code == 201
    assert r.json()["balance"]["tier"] == "vip"
    assert r.json()["balance"]["daily"] == "500.000000"
    await api.assert_ledger_matches(user)
