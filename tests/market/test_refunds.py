"""Refunds through Stripe's `charge.refunded`: a refunded package takes back its purchased credits
and a refunded subscription payment its period's unspent bonus (ending the subscription when the
period in force is refunded in full), in proportion, once, whatever Stripe redelivers and in
whatever order; never more than the bucket holds; what was already spent is recorded."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from app.billing.tiers import MICRO, to_credits
from app.kit import clock
from app.models import LedgerEntry, User
from tests.billing.conftest import prepare
from tests.fakes.stripe_server import FakeStripe, deliver
from tests.helpers import Api, TestUser
from tests.market.conftest import WEBHOOK_SECRET
from tests.market.test_sandbox import buy
from tests.market.test_stripe import payment_row, start_checkout, stored_events


@pytest.fixture
def settings_overrides(stripe_settings: dict[str, Any]) -> dict[str, Any]:
    return stripe_settings


async def refund_rows(api: Api, user: TestUser) -> list[LedgerEntry]:
    async with api.app.state.db.jobs_sessionmaker() as session:
        rows = await session.execute(
            select(LedgerEntry)
            .where(LedgerEntry.user_id == user.id, LedgerEntry.kind == "refund")
            .order_by(LedgerEntry.created_at, LedgerEntry.id)
        )
        return list(rows.scalars().all())


async def paid_package(
    api: Api, stripe_server: FakeStripe, user: TestUser, product: str
) -> tuple[str, str, dict[str, Any]]:
    """A package bought and paid through Checkout: (payment id, charge id, the paid event)."""
    body, session_id = await start_checkout(api, stripe_server, user, product, "buy_credits")
    (completed,) = stripe_server.pay(session_id)
    r = await deliver(api.client, completed, WEBHOOK_SECRET)
    assert r.json() == {"received": True, "duplicate": False, "status": "processed"}, r.text
    return body["payment"]["id"], stripe_server.charge_of_session(session_id), completed


async def payment_json(api: Api, user: TestUser, payment_id: str) -> dict[str, Any]:
    r = await api.client.get(f"/api/v1/market/payments/{payment_id}", headers=user.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_a_full_refund_delivered_five_times_at_once_takes_the_credits_back_once(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    before = await api.wallet(user)
    payment_id, charge_id, completed = await paid_package(api, stripe_server, user, "credits_100")
    assert (await api.wallet(user)).purchased_micro == before.purchased_micro + 100 * MICRO

    refunded, created = stripe_server.refund(charge_id)
    assert refunded["type"] == "charge.refunded"
    deliveries = [refunded] * 5 + [created]
    responses = await asyncio.gather(*(deliver(api.client, e, WEBHOOK_SECRET) for e in deliveries))
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    acks = sorted((r.json()["duplicate"], r.json()["status"]) for r in responses)
    # One charge.refunded applied, four acknowledged as duplicates; refund.created not acted on.
    assert acks == [(False, "ignored"), (False, "processed")] + [(True, "processed")] * 4
    assert await stored_events(api, refunded["id"]) == 1

    wallet = await api.assert_ledger_matches(user)
    assert wallet.purchased_micro == before.purchased_micro
    (row,) = await refund_rows(api, user)
    assert (row.delta_purchased_micro, row.delta_bonus_micro, row.delta_daily_micro) == (
        -100 * MICRO,
        0,
        0,
    )
    assert row.reference_id == f"{charge_id}:899"
    assert "100.000000 credits taken back" in (row.description or "")
    assert "not recovered" not in (row.description or "")
    payment = await payment_json(api, user, payment_id)
    assert payment["status"] == "refunded"
    assert "100.000000 of 100.000000 purchased credits taken back" in payment["failure_reason"]

    # Days later: a redelivery, and the checkout's async twin, change nothing.
    twin = stripe_server.event(
        "checkout.session.async_payment_succeeded", completed["data"]["object"]
    )
    for event in (refunded, twin):
        r = await deliver(api.client, event, WEBHOOK_SECRET)
        assert r.status_code == 200, r.text
    assert (await api.assert_ledger_matches(user)).purchased_micro == before.purchased_micro
    assert len(await refund_rows(api, user)) == 1
    assert (await payment_row(api, payment_id)).status == "refunded"


async def test_a_partial_then_a_full_refund_each_take_their_share(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    payment_id, charge_id, _ = await paid_package(api, stripe_server, user, "credits_100")
    purchased = (await api.wallet(user)).purchased_micro
    assert purchased == 100 * MICRO

    # $3.00 of $8.99: floor(100 credits x 300 / 899) = 33.370411 credits.
    partial, _ = stripe_server.refund(charge_id, 300)
    r = await deliver(api.client, partial, WEBHOOK_SECRET)
    assert r.json()["status"] == "processed", r.text
    wallet = await api.assert_ledger_matches(user)
    assert wallet.purchased_micro == 100 * MICRO - 33_370_411
    payment = await payment_json(api, user, payment_id)
    assert payment["status"] == "succeeded"  # partly refunded: still paid
    assert payment["failure_reason"].startswith("Refunded 300/899 (usd)")

    # The rest: the remaining 66.629589 credits, so the two refunds add up to the grant exactly.
    full, _ = stripe_server.refund(charge_id)
    r = await deliver(api.client, full, WEBHOOK_SECRET)
    assert r.json()["status"] == "processed", r.text
    wallet = await api.assert_ledger_matches(user)
    assert wallet.purchased_micro == 0
    rows = await refund_rows(api, user)
    assert [(r.reference_id, r.delta_purchased_micro) for r in rows] == [
        (f"{charge_id}:300", -33_370_411),
        (f"{charge_id}:899", -66_629_589),
    ]
    assert (await payment_json(api, user, payment_id))["status"] == "refunded"

    # The partial refund's event redelivered after the full one: nothing more.
    r = await deliver(api.client, partial, WEBHOOK_SECRET)
    assert r.json()["duplicate"] is True
    assert len(await refund_rows(api, user)) == 2


async def test_refund_events_out_of_order_take_the_grant_once(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    payment_id, charge_id, _ = await paid_package(api, stripe_server, user, "credits_50")
    partial, _ = stripe_server.refund(charge_id, 100)
    rest, _ = stripe_server.refund(charge_id)
    # Stripe does not promise order: the full state first, then the older partial one (a
    # different event id, so not a duplicate) must take nothing more.
    for event in (rest, partial):
        r = await deliver(api.client, event, WEBHOOK_SECRET)
        assert r.json() == {"received": True, "duplicate": False, "status": "processed"}
    wallet = await api.assert_ledger_matches(user)
    assert wallet.purchased_micro == 0
    (row,) = await refund_rows(api, user)
    assert (row.reference_id, row.delta_purchased_micro) == (f"{charge_id}:499", -50 * MICRO)
    assert (await payment_row(api, payment_id)).status == "refunded"


async def test_three_refunds_of_one_charge_delivered_twice_each_at_once_add_up_to_the_grant(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    payment_id, charge_id, _ = await paid_package(api, stripe_server, user, "credits_1000")
    events = [stripe_server.refund(charge_id, cents)[0] for cents in (1000, 2500, None)]
    responses = await asyncio.gather(
        *(deliver(api.client, e, WEBHOOK_SECRET) for e in events + events)
    )
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    assert sorted(r.json()["duplicate"] for r in responses) == [False] * 3 + [True] * 3
    wallet = await api.assert_ledger_matches(user)
    assert wallet.purchased_micro == 0
    rows = await refund_rows(api, user)
    # Whatever order they were applied in: distinct steps, adding up to the 1200 credits.
    assert sum(r.delta_purchased_micro for r in rows) == -1200 * MICRO
    assert len({r.reference_id for r in rows}) == len(rows)
    assert f"{charge_id}:6999" in {r.reference_id for r in rows}
    assert (await payment_row(api, payment_id)).status == "refunded"


async def test_a_refund_after_most_credits_were_spent_takes_what_is_left(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    payment_id, charge_id, _ = await paid_package(api, stripe_server, user, "credits_100")
    # 70 of the 100 credits spent (and today's allowance), and a reply being generated right
    # now reserves part of the 30 left.
    await api.set_balance(user, daily=0, bonus=0, purchased=30 * MICRO)
    chat = await api.new_session(user)
    await prepare(api, user, chat["id"], "Tell me a story")
    held = (await api.wallet(user)).held_micro
    assert 0 < held < 30 * MICRO

    refunded, _ = stripe_server.refund(charge_id)
    r = await deliver(api.client, refunded, WEBHOOK_SECRET)
    assert r.json()["status"] == "processed", r.text
    wallet = await api.assert_ledger_matches(user)
    # Everything not reserved is taken back; the hold keeps what it reserved, nothing negative.
    assert wallet.purchased_micro == held
    assert wallet.held_micro == held
    taken = 30 * MICRO - held
    unrecovered = 100 * MICRO - taken
    (row,) = await refund_rows(api, user)
    assert row.delta_purchased_micro == -taken
    assert f"{to_credits(taken)} credits taken back" in (row.description or "")
    assert f"{to_credits(unrecovered)} not recovered (already spent)" in (row.description or "")
    payment = await payment_json(api, user, payment_id)
    assert payment["status"] == "refunded"
    assert f"{to_credits(unrecovered)} not recovered" in payment["failure_reason"]


async def test_a_refund_ahead_of_its_payment_is_refused_until_the_payment_arrives(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    before = await api.wallet(user)
    body, session_id = await start_checkout(api, stripe_server, user, "credits_50", "buy_credits")
    (completed,) = stripe_server.pay(session_id)
    refunded, _ = stripe_server.refund(stripe_server.charge_of_session(session_id))

    r = await deliver(api.client, refunded, WEBHOOK_SECRET)
    assert r.status_code == 409, r.text  # Stripe redelivers it later
    assert r.json()["error"]["code"] == "payment_unknown"
    assert await stored_events(api, refunded["id"]) == 0
    assert (await payment_row(api, body["payment"]["id"])).status == "pending"
    assert (await api.wallet(user)).purchased_micro == before.purchased_micro

    assert (await deliver(api.client, completed, WEBHOOK_SECRET)).status_code == 200
    assert (await api.wallet(user)).purchased_micro == before.purchased_micro + 50 * MICRO
    r = await deliver(api.client, refunded, WEBHOOK_SECRET)
    assert r.json() == {"received": True, "duplicate": False, "status": "processed"}
    assert (await api.assert_ledger_matches(user)).purchased_micro == before.purchased_micro
    assert (await payment_row(api, body["payment"]["id"])).status == "refunded"


async def test_a_refunded_subscription_ends_at_once_and_takes_back_the_unspent_bonus(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    body, session_id = await start_checkout(api, stripe_server, user, "vip_monthly", "subscribe")
    completed, invoice_paid = stripe_server.pay(session_id)
    for event in (completed, invoice_paid):
        assert (await deliver(api.client, event, WEBHOOK_SECRET)).status_code == 200
    wallet = await api.assert_ledger_matches(user)
    assert wallet.bonus_micro == 1000 * MICRO
    # 300 of the 1000 bonus credits spent.
    await api.set_balance(
        user, daily=wallet.daily_micro, bonus=700 * MICRO, purchased=wallet.purchased_micro
    )
    charge_id = stripe_server.charge_of_invoice(invoice_paid["data"]["object"]["id"])

    # A partial refund ($10.00 of $29.99): its share of the bonus, floor(1000 x 1000 / 2999)
    # = 333.444481 credits; the plan stays.
    partial, _ = stripe_server.refund(charge_id, 1000)
    r = await deliver(api.client, partial, WEBHOOK_SECRET)
    assert r.json()["status"] == "processed", r.text
    wallet = await api.assert_ledger_matches(user)
    assert wallet.bonus_micro == 700 * MICRO - 333_444_481
    r = await api.client.get("/api/v1/market/subscription", headers=user.headers)
    assert r.json()["tier"] == "vip"
    assert (await payment_row(api, body["payment"]["id"])).status == "succeeded"

    # The rest, delivered 5 times at once: the subscription ends now, the bonus left goes back.
    daily_before = wallet.daily_micro
    full, _ = stripe_server.refund(charge_id)
    responses = await asyncio.gather(*(deliver(api.client, full, WEBHOOK_SECRET) for _ in range(5)))
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    assert sorted(r.json()["duplicate"] for r in responses) == [False] + [True] * 4
    wallet = await api.assert_ledger_matches(user)
    assert wallet.bonus_micro == 0
    assert wallet.daily_micro == daily_before  # today's allowance expires at midnight as usual
    rows = await refund_rows(api, user)
    assert [r.delta_bonus_micro for r in rows] == [-333_444_481, -366_555_519]
    assert "300.000000 not recovered (already spent)" in (rows[-1].description or "")
    r = await api.client.get("/api/v1/market/subscription", headers=user.headers)
    state = r.json()
    assert state["tier"] == "free"
    assert state["tier_expires_at"] is None
    assert state["subscription"]["status"] == "expired"
    async with api.app.state.db.jobs_sessionmaker() as session:
        row = await session.get(User, user.id)
        assert row is not None
    assert (row.tier, row.tier_expires_at) == ("free", None)
    r = await api.client.get("/api/v1/wallet/balance", headers=user.headers)
    assert r.json()["credits_per_1k_tokens"] == "0.100000"
    payment = await payment_json(api, user, body["payment"]["id"])
    assert payment["status"] == "refunded"
    assert "700.000000 of 1000.000000 bonus credits taken back" in payment["failure_reason"]

    # Another event of the refunded period arriving late does not bring the plan back.
    twin = stripe_server.event("invoice.payment_succeeded", invoice_paid["data"]["object"])
    assert (await deliver(api.client, twin, WEBHOOK_SECRET)).status_code == 200
    r = await api.client.get("/api/v1/market/subscription", headers=user.headers)
    assert (r.json()["tier"], r.json()["subscription"]["status"]) == ("free", "expired")
    assert (await api.assert_ledger_matches(user)).bonus_micro == 0
    # And the user may subscribe again.
    r = await buy(api, user, "premium_monthly", f"again-{uuid.uuid4()}", "subscribe")
    assert r.status_code == 201, r.text


async def test_refunds_of_a_renewal_and_of_an_earlier_period(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    _, session_id = await start_checkout(api, stripe_server, user, "premium_monthly", "subscribe")
    completed, first_invoice = stripe_server.pay(session_id)
    for event in (completed, first_invoice):
        assert (await deliver(api.client, event, WEBHOOK_SECRET)).status_code == 200
    sub_id = completed["data"]["object"]["subscription"]
    item = stripe_server.subscriptions[sub_id]["items"]["data"][0]
    clock.set_offset(
        dt.datetime.fromtimestamp(item["current_period_end"], dt.UTC)
        + dt.timedelta(minutes=1)
        - dt.datetime.now(dt.UTC)
    )
    renewal = stripe_server.renew(sub_id)
    assert (await deliver(api.client, renewal, WEBHOOK_SECRET)).status_code == 200
    assert (await api.assert_ledger_matches(user)).bonus_micro == 400 * MICRO

    # The renewal (the period in force) refunded in full: the plan ends, its bonus goes back.
    renewal_charge = stripe_server.charge_of_invoice(renewal["data"]["object"]["id"])
    refunded, _ = stripe_server.refund(renewal_charge)
    r = await deliver(api.client, refunded, WEBHOOK_SECRET)
    assert r.json()["status"] == "processed", r.text
    assert (await api.assert_ledger_matches(user)).bonus_micro == 200 * MICRO
    r = await api.client.get("/api/v1/market/subscription", headers=user.headers)
    assert (r.json()["tier"], r.json()["subscription"]["status"]) == ("free", "expired")
    r = await api.client.get("/api/v1/market/payments", headers=user.headers)
    assert [p["status"] for p in r.json()["items"]] == ["refunded", "succeeded"]

    # The first period's payment refunded too: that period's bonus goes back as well.
    first_charge = stripe_server.charge_of_invoice(first_invoice["data"]["object"]["id"])
    refunded, _ = stripe_server.refund(first_charge)
    r = await deliver(api.client, refunded, WEBHOOK_SECRET)
    assert r.json()["status"] == "processed", r.text
    wallet = await api.assert_ledger_matches(user)
    assert wallet.bonus_micro == 0
    assert [row.delta_bonus_micro for row in await refund_rows(api, user)] == [
        -200 * MICRO,
        -200 * MICRO,
    ]
    r = await api.client.get("/api/v1/market/payments", headers=user.headers)
    assert [p["status"] for p in r.json()["items"]] == ["refunded", "refunded"]


async def test_refund_events_with_bad_signatures_change_nothing(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    payment_id, charge_id, _ = await paid_package(api, stripe_server, user, "credits_10")
    paid = await api.wallet(user)
    refunded, _ = stripe_server.refund(charge_id)
    stale = int(time.time()) - api.app.state.settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS - 5
    cases = {
        "wrong secret": await deliver(api.client, refunded, "whsec_not_ours"),
        "stale": await deliver(api.client, refunded, WEBHOOK_SECRET, timestamp=stale),
        "garbage header": await deliver(api.client, refunded, WEBHOOK_SECRET, signature="v1=0"),
    }
    for name, r in cases.items():
        assert r.status_code == 400, name
        assert r.json()["error"]["code"] == "invalid_signature", name
    assert await stored_events(api, refunded["id"]) == 0
    assert (await api.wallet(user)).purchased_micro == paid.purchased_micro
    assert await refund_rows(api, user) == []
    assert (await payment_row(api, payment_id)).status == "succeeded"

    # A refund of a charge this app did not make (no metadata, no invoice) is not acted on.
    foreign = dict(stripe_server.charges[charge_id], id="ch_test_foreign", metadata={})
    foreign["payment_intent"] = "pi_test_foreign"
    r = await deliver(api.client, stripe_server.event("charge.refunded", foreign), WEBHOOK_SECRET)
    assert r.json() == {"received": True, "duplicate": False, "status": "ignored"}

    # The genuine delivery then works.
    r = await deliver(api.client, refunded, WEBHOOK_SECRET)
    assert r.json() == {"received": True, "duplicate": False, "status": "processed"}
    assert (await api.assert_ledger_matches(user)).purchased_micro == paid.purchased_micro - (
        10 * MICRO
    )
