"""Stripe: the official SDK against the loopback Stripe over real HTTP, and webhooks signed as
Stripe signs them. Credits and plans are granted only by a valid webhook, exactly once, however
often and in whatever order Stripe delivers."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from app.billing.tiers import MICRO
from app.kit import clock
from app.models import PaymentTransaction, User, WebhookEvent
from tests.fakes.stripe_server import FakeStripe, deliver, sign
from tests.helpers import Api, TestUser
from tests.market.conftest import WEBHOOK_SECRET
from tests.market.test_sandbox import buy


@pytest.fixture
def settings_overrides(stripe_settings: dict[str, Any]) -> dict[str, Any]:
    return stripe_settings


async def payment_row(api: Api, payment_id: str) -> PaymentTransaction:
    async with api.app.state.db.jobs_sessionmaker() as session:
        row = await session.get(PaymentTransaction, uuid.UUID(payment_id))
        assert row is not None
        return row


async def stored_events(api: Api, event_id: str) -> int:
    async with api.app.state.db.jobs_sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.event_id == event_id)
        )
    return int(count or 0)


async def start_checkout(
    api: Api, stripe_server: FakeStripe, user: TestUser, product: str, path: str
) -> tuple[dict[str, Any], str]:
    r = await buy(api, user, product, f"key-{uuid.uuid4()}", path)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["payment"]["status"] == "pending"
    session_id = (await payment_row(api, body["payment"]["id"])).provider_payment_id
    assert session_id is not None and session_id.startswith("cs_test_")
    assert body["next_action"] == {
        "type": "redirect",
        "url": f"{stripe_server.url}/pay/{session_id}",
    }
    return body, session_id


async def test_a_purchase_is_a_checkout_session_granted_only_by_the_webhook(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    before = await api.wallet(user)
    body, session_id = await start_checkout(api, stripe_server, user, "credits_100", "buy_credits")
    assert body["credits_granted"] == "0.000000"
    # What the SDK sent to "Stripe": the amount, the product, our ids, its idempotency key.
    (sent,) = stripe_server.session_creates
    assert sent["headers"]["Idempotency-Key"] == f"checkout:{body['payment']['id']}"
    assert sent["headers"]["Authorization"] == f"Bearer {stripe_server.api_key}"
    params = sent["params"]
    assert params["mode"] == "payment"
    assert params["line_items"][0]["price_data"]["unit_amount"] == "899"
    assert params["line_items"][0]["price_data"]["currency"] == "usd"
    assert params["metadata"] == {
        "payment_id": body["payment"]["id"],
        "user_id": str(user.id),
        "product_id": "credits_100",
    }
    assert params["customer_email"] == user.email
    assert (await api.wallet(user)).purchased_micro == before.purchased_micro

    (completed,) = stripe_server.pay(session_id)
    r = await deliver(api.client, completed, WEBHOOK_SECRET)
    assert r.status_code == 200, r.text
    assert r.json() == {"received": True, "duplicate": False, "status": "processed"}
    wallet = await api.assert_ledger_matches(user)
    assert wallet.purchased_micro == before.purchased_micro + 100 * MICRO
    r = await api.client.get(
        f"/api/v1/market/payments/{body['payment']['id']}", headers=user.headers
    )
    assert r.json()["status"] == "succeeded"
    assert r.json()["completed_at"] is not None


async def test_the_same_event_five_times_concurrently_and_out_of_order_grants_once(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    before = await api.wallet(user)
    body, session_id = await start_checkout(api, stripe_server, user, "credits_500", "buy_credits")
    (completed,) = stripe_server.pay(session_id)
    # Stripe's async twin of the same payment, delivered too: a second event id, same payment.
    twin = stripe_server.event(
        "checkout.session.async_payment_succeeded", completed["data"]["object"]
    )
    deliveries = [completed] * 5 + [twin] * 2
    random.Random(7).shuffle(deliveries)
    responses = await asyncio.gather(*(deliver(api.client, e, WEBHOOK_SECRET) for e in deliveries))
    assert {r.status_code for r in responses} == {200}
    assert sorted(r.json()["duplicate"] for r in responses) == [False, False] + [True] * 5
    wallet = await api.assert_ledger_matches(user)
    assert wallet.purchased_micro == before.purchased_micro + 550 * MICRO
    assert await stored_events(api, completed["id"]) == 1
    # A late redelivery, days later, is acknowledged and does nothing.
    r = await deliver(api.client, completed, WEBHOOK_SECRET)
    assert r.json()["duplicate"] is True
    assert (await api.wallet(user)).purchased_micro == wallet.purchased_micro
    assert (await payment_row(api, body["payment"]["id"])).status == "succeeded"


async def test_bad_or_stale_signatures_are_refused_and_grant_nothing(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    before = await api.wallet(user)
    _, session_id = await start_checkout(api, stripe_server, user, "credits_50", "buy_credits")
    (event,) = stripe_server.pay(session_id)
    stale = int(time.time()) - api.app.state.settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS - 5
    wrong_secret = sign(b"{}", "whsec_not_ours")
    cases = {
        "wrong secret": await deliver(api.client, event, "whsec_not_ours"),
        "stale": await deliver(api.client, event, WEBHOOK_SECRET, timestamp=stale),
        "other body": await deliver(api.client, event, WEBHOOK_SECRET, signature=wrong_secret),
        "garbage header": await deliver(api.client, event, WEBHOOK_SECRET, signature="v1=abc"),
        "no header": await api.client.post(
            "/api/v1/market/webhooks/stripe", content=b'{"id": "evt_1"}'
        ),
    }
    for name, r in cases.items():
        assert r.status_code == 400, name
        assert r.json()["error"]["code"] == "invalid_signature", name
    # A tampered body under a signature for the original one.
    payload = b'{"id": "evt_x", "type": "checkout.session.completed"}'
    header = sign(payload, WEBHOOK_SECRET)
    r = await api.client.post(
        "/api/v1/market/webhooks/stripe",
        content=payload.replace(b"evt_x", b"evt_y"),
        headers={"Stripe-Signature": header},
    )
    assert r.status_code == 400
    assert (await api.wallet(user)).purchased_micro == before.purchased_micro
    assert await stored_events(api, event["id"]) == 0  # nothing stored: a valid redelivery works
    r = await deliver(api.client, event, WEBHOOK_SECRET)
    assert r.json()["duplicate"] is False
    assert (await api.wallet(user)).purchased_micro == before.purchased_micro + 50 * MICRO
    await api.assert_ledger_matches(user)


async def test_a_subscription_is_granted_once_whatever_the_event_order_and_renews(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    before = await api.wallet(user)
    body, session_id = await start_checkout(api, stripe_server, user, "vip_monthly", "subscribe")
    sent = stripe_server.session_creates[0]["params"]
    assert sent["mode"] == "subscription"
    assert sent["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}
    assert sent["subscription_data"]["metadata"]["payment_id"] == body["payment"]["id"]
    r = await api.client.get("/api/v1/wallet/balance", headers=user.headers)
    assert r.json()["tier"] == "free"  # not paid yet

    completed, invoice_paid = stripe_server.pay(session_id)
    # invoice.paid first, then checkout.session.completed, each redelivered, concurrently.
    deliveries = [invoice_paid, completed, invoice_paid, completed, invoice_paid]
    responses = await asyncio.gather(*(deliver(api.client, e, WEBHOOK_SECRET) for e in deliveries))
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    wallet = await api.assert_ledger_matches(user)
    assert wallet.bonus_micro == before.bonus_micro + 1000 * MICRO
    assert wallet.daily_micro == 500 * MICRO  # raised at once
    r = await api.client.get("/api/v1/market/subscription", headers=user.headers)
    state = r.json()
    assert state["tier"] == "vip"
    sub_id = completed["data"]["object"]["subscription"]
    item = stripe_server.subscriptions[sub_id]["items"]["data"][0]
    period_end = dt.datetime.fromtimestamp(item["current_period_end"], dt.UTC)
    assert dt.datetime.fromisoformat(state["tier_expires_at"]) == period_end
    assert (await payment_row(api, body["payment"]["id"])).status == "succeeded"

    # A month later Stripe renews: the next period's bonus, once, and a longer tier.
    clock.set_offset(period_end + dt.timedelta(minutes=1) - dt.datetime.now(dt.UTC))
    renewal = stripe_server.renew(sub_id)
    for r in await asyncio.gather(
        *(deliver(api.client, renewal, WEBHOOK_SECRET) for _ in range(3))
    ):
        assert r.status_code == 200
    wallet = await api.assert_ledger_matches(user)
    assert wallet.bonus_micro == before.bonus_micro + 2000 * MICRO
    async with api.app.state.db.jobs_sessionmaker() as session:
        row = await session.get(User, user.id)
        assert row is not None
    new_end = stripe_server.subscriptions[sub_id]["items"]["data"][0]["current_period_end"]
    assert row.tier == "vip"
    assert row.tier_expires_at == dt.datetime.fromtimestamp(new_end, dt.UTC)
    r = await api.client.get("/api/v1/market/payments", headers=user.headers)
    payments = r.json()["items"]
    assert [(p["product_id"], p["status"], p["amount"]) for p in payments] == [
        ("vip_monthly", "succeeded", "29.99"),  # the renewal, recorded from its invoice
        ("vip_monthly", "succeeded", "29.99"),
    ]

    # Canceled: no more renewals, the tier lasts to the end of the paid period.
    r = await deliver(api.client, stripe_server.cancel(sub_id), WEBHOOK_SECRET)
    assert r.json()["status"] == "processed"
    r = await api.client.get("/api/v1/market/subscription", headers=user.headers)
    assert r.json()["subscription"]["status"] == "canceled"
    assert r.json()["tier"] == "vip"


async def test_a_provider_failure_is_recorded_and_a_retry_reuses_the_attempt(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    stripe_server.fail_next(500, 500, 500)  # the SDK retries twice, then gives up
    r = await buy(api, user, "credits_10", "retry-me")
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "payment_provider_error"
    r = await api.client.get("/api/v1/market/payments", headers=user.headers)
    (failed,) = r.json()["items"]
    assert failed["status"] == "failed"
    assert failed["failure_reason"]
    # The retry with the same key is the same attempt, with the same Stripe idempotency key.
    r = await buy(api, user, "credits_10", "retry-me")
    assert r.status_code == 201, r.text
    assert r.json()["payment"]["id"] == failed["id"]
    assert r.json()["payment"]["status"] == "pending"
    keys = {req["headers"]["Idempotency-Key"] for req in stripe_server.session_creates}
    assert keys == {f"checkout:{failed['id']}"}
    assert len(stripe_server.sessions) == 1


async def test_events_for_unknown_or_abandoned_payments(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    # A paid session this database never created: not acknowledged (Stripe retries), not stored.
    ghost = stripe_server.event(
        "checkout.session.completed",
        {
            "id": "cs_test_ghost",
            "object": "checkout.session",
            "mode": "payment",
            "payment_status": "paid",
            "metadata": {"payment_id": str(uuid.uuid4())},
        },
    )
    r = await deliver(api.client, ghost, WEBHOOK_SECRET)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "payment_unknown"
    assert await stored_events(api, ghost["id"]) == 0
    # An abandoned checkout: the attempt is canceled, nothing granted.
    body, session_id = await start_checkout(api, stripe_server, user, "credits_10", "buy_credits")
    r = await deliver(api.client, stripe_server.expire(session_id), WEBHOOK_SECRET)
    assert r.json()["status"] == "processed"
    assert (await payment_row(api, body["payment"]["id"])).status == "canceled"
    # Events the app does not act on are stored as ignored.
    r = await deliver(
        api.client, stripe_server.event("charge.updated", {"id": "ch_1"}), WEBHOOK_SECRET
    )
    assert r.json() == {"received": True, "duplicate": False, "status": "ignored"}
    await api.assert_ledger_matches(user)


async def test_a_cancellation_ahead_of_its_subscription_applies_when_redelivered(
    api: Api, stripe_server: FakeStripe
) -> None:
    user = await api.new_user()
    _, session_id = await start_checkout(api, stripe_server, user, "premium_monthly", "subscribe")
    completed, invoice_paid = stripe_server.pay(session_id)
    canceled = stripe_server.cancel(completed["data"]["object"]["subscription"])
    r = await deliver(api.client, canceled, WEBHOOK_SECRET)
    assert r.status_code == 409  # not known here yet: Stripe will redeliver it
    assert await stored_events(api, canceled["id"]) == 0
    assert (await deliver(api.client, invoice_paid, WEBHOOK_SECRET)).status_code == 200
    r = await deliver(api.client, canceled, WEBHOOK_SECRET)
    assert r.json() == {"received": True, "duplicate": False, "status": "processed"}
    r = await api.client.get("/api/v1/market/subscription", headers=user.headers)
    assert r.json()["subscription"]["status"] == "canceled"
    assert r.json()["tier"] == "premium"  # paid until the end of the period
    wallet = await api.assert_ledger_matches(user)
    assert wallet.bonus_micro == 200 * MICRO
