"""Stripe webhooks: verify, store once, fulfil once.

- The signature is checked by the SDK (`stripe.Webhook.construct_event`) over the raw body, with
  the STRIPE_WEBHOOK_TOLERANCE_SECONDS window on its timestamp: a bad or stale one is a 400 and
  changes nothing.
- The event is stored by its id (webhook_events, unique (provider, event_id)) in the same
  transaction as its effects: a redelivery (even concurrent: it waits on the unique index) finds
  the row and does nothing. If handling fails, the transaction rolls back, nothing is stored,
  and the non-2xx answer makes Stripe deliver it again.
- Different events about the same payment (checkout.session.completed, its async twin,
  invoice.paid of the first period) may arrive in any order: each fulfils under the payment
  row's lock and the ledger's unique references, so the credits or the period's bonus are
  granted once, by whichever comes first.

Handled: checkout.session.completed / async_payment_succeeded (paid: fulfil),
checkout.session.async_payment_failed / expired (the attempt failed / was abandoned),
invoice.paid / invoice.payment_succeeded (a paid subscription period, first or renewal),
customer.subscription.deleted (no more renewals), charge.refunded (take back what the payment
granted: app/market/refunds.py). Anything else is stored as ignored.

Refunds come as `charge.refunded`, which Stripe sends for every refund of a Checkout payment,
full or partial, from the Dashboard or the API. Its charge carries both the amount and the
cumulative amount_refunded, so each event says where the refunds stand: the delta, the
proportion and the order of events all follow from it. (`refund.created` / `refund.updated`
carry one refund's amount without the charge's total and would count the same refund a second
time: they are stored as ignored.) The charge names our payment through the metadata Stripe
copies from the PaymentIntent (`payment_intent_data.metadata`: credit packages); a subscription
invoice's charge has none, and its invoice is found through the InvoicePayment of its
PaymentIntent.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.repository import BillingRepository
from app.billing.subscriptions import subscription_service
from app.kit.clock import utcnow
from app.kit.ids import uuid7
from app.market.catalog import PRODUCTS
from app.market.errors import PaymentProviderError, WebhookPaymentUnknown, WebhooksNotConfigured
from app.market.providers import ProviderError
from app.market.refunds import PaidPeriod, refund_service
from app.market.repository import MarketRepository
from app.market.schemas import WebhookAck
from app.market.service import MarketService
from app.market.stripe_provider import verify_webhook
from app.models import PaymentTransaction
from app.settings import Settings

log = logging.getLogger(__name__)

PROVIDER = "stripe"


def _id(value: Any) -> str | None:
    """An expandable field: the id string, or the expanded object's id."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _ts(value: Any) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(value), dt.UTC)


@dataclass(frozen=True, slots=True)
class _SubscriptionInvoice:
    id: str | None
    subscription_id: str
    billing_reason: str | None
    period_start: dt.datetime
    period_end: dt.datetime
    metadata: dict[str, Any]


def _subscription_invoice(obj: dict[str, Any]) -> _SubscriptionInvoice | None:
    """A Stripe invoice's subscription and the period it pays (the latest of its lines); None
    if it is not a subscription invoice."""
    parent = obj.get("parent") or {}
    details = parent.get("subscription_details") or obj.get("subscription_details") or {}
    sub_id = _id(details.get("subscription")) or _id(obj.get("subscription"))
    lines = [line for line in ((obj.get("lines") or {}).get("data") or []) if line.get("period")]
    if sub_id is None or not lines:
        return None
    period = max((line["period"] for line in lines), key=lambda p: int(p["end"]))
    return _SubscriptionInvoice(
        id=_id(obj.get("id")),
        subscription_id=sub_id,
        billing_reason=obj.get("billing_reason"),
        period_start=_ts(period["start"]),
        period_end=_ts(period["end"]),
        metadata=dict(details.get("metadata") or {}),
    )


class StripeWebhooks:
    def __init__(self, market: MarketService, settings: Settings) -> None:
        self.market = market
        self.settings = settings

    async def handle(
        self, session: AsyncSession, payload: bytes, signature: str | None
    ) -> WebhookAck:
        if not self.settings.STRIPE_WEBHOOK_SECRET:
            raise WebhooksNotConfigured()
        event = verify_webhook(payload, signature, self.settings)
        repo = MarketRepository(session)
        now = utcnow()
        fresh = await repo.insert_event_if_absent(
            {
                "id": uuid7(),
                "provider": PROVIDER,
                "event_id": str(event["id"])[:255],
                "event_type": str(event["type"])[:100],
                "status": "received",
                "payload": event,
                "received_at": now,
            }
        )
        if not fresh:
            seen = await repo.get_event(PROVIDER, str(event["id"]))
            status = "ignored" if seen is not None and seen.status == "ignored" else "processed"
            return WebhookAck(duplicate=True, status=status)
        status = await self._dispatch(session, event)
        await repo.finish_event(PROVIDER, str(event["id"]), status=status, now=utcnow())
        log.info(
            "stripe event",
            extra={"event_id": event["id"], "type": event["type"], "status": status},
        )
        return WebhookAck(duplicate=False, status=status)

    async def _dispatch(self, session: AsyncSession, event: dict[str, Any]) -> str:
        kind = event["type"]
        obj = (event.get("data") or {}).get("object") or {}
        if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
            return await self._checkout_paid(session, obj)
        if kind in ("checkout.session.async_payment_failed", "checkout.session.expired"):
            return await self._checkout_closed(session, obj, kind)
        if kind in ("invoice.paid", "invoice.payment_succeeded"):
            return await self._invoice_paid(session, obj)
        if kind == "customer.subscription.deleted":
            sub_id = _id(obj.get("id"))
            if sub_id is None:
                return "ignored"
            sub = await subscription_service.mark_canceled(
                session, provider=PROVIDER, provider_subscription_id=sub_id
            )
            if sub is None:
                # Ahead of the events that create it here: redelivered later, it will apply.
                raise WebhookPaymentUnknown(subscription_id=sub_id)
            return "processed"
        if kind == "charge.refunded":
            return await self._charge_refunded(session, obj)
        return "ignored"

    async def _payment_of_session(
        self, session: AsyncSession, obj: dict[str, Any]
    ) -> PaymentTransaction | None:
        repo = MarketRepository(session)
        metadata = obj.get("metadata") or {}
        payment_id = _uuid(metadata.get("payment_id")) or _uuid(obj.get("client_reference_id"))
        payment = None
        if payment_id is not None:
            payment = await repo.get(payment_id, for_update=True)
        if payment is None and obj.get("id"):
            payment = await repo.get_by_provider_id(PROVIDER, str(obj["id"]), for_update=True)
        if payment is not None and payment.provider != PROVIDER:
            return None
        return payment

    async def _checkout_paid(self, session: AsyncSession, obj: dict[str, Any]) -> str:
        if obj.get("payment_status") not in ("paid", "no_payment_required"):
            return "ignored"  # an async method (bank debit) is still on its way
        payment = await self._payment_of_session(session, obj)
        if payment is None:
            raise WebhookPaymentUnknown(session_id=obj.get("id"))
        if payment.provider_payment_id is None and obj.get("id"):
            payment.provider_payment_id = str(obj["id"])
        product = PRODUCTS[payment.product_id]
        if obj.get("mode") == "subscription":
            sub_id = _id(obj.get("subscription"))
            if sub_id is None:
                return "ignored"
            try:
                remote = await self.market.provider.get_subscription(sub_id)
            except ProviderError as exc:
                raise PaymentProviderError() from exc
            await self.market.fulfil_subscription(
                session,
                payment,
                product,
                provider_subscription_id=sub_id,
                period_start=remote.period_start,
                period_end=remote.period_end,
            )
        else:
            await self.market.fulfil_credits(session, payment)
        return "processed"

    async def _checkout_closed(self, session: AsyncSession, obj: dict[str, Any], kind: str) -> str:
        payment = await self._payment_of_session(session, obj)
        if payment is None or payment.status != "pending":
            return "ignored"  # a paid attempt stays paid, whatever arrives after
        now = utcnow()
        payment.status = "canceled" if kind.endswith("expired") else "failed"
        payment.failure_reason = kind
        payment.updated_at = now
        await session.flush()
        return "processed"

    async def _owner_of(
        self, session: AsyncSession, inv: _SubscriptionInvoice
    ) -> tuple[uuid.UUID, str, dict[str, Any]]:
        """(user id, plan id, metadata) of a subscription invoice: from the subscription known
        here, else from the metadata Stripe copies from the subscription."""
        metadata = inv.metadata
        known = await BillingRepository(session).get_subscription(PROVIDER, inv.subscription_id)
        if known is not None:
            return known.user_id, known.plan_id, metadata
        if not metadata.get("user_id"):
            try:
                remote = await self.market.provider.get_subscription(inv.subscription_id)
            except ProviderError as exc:
                raise PaymentProviderError() from exc
            metadata = dict(remote.metadata)
        user_id = _uuid(metadata.get("user_id"))
        plan_id = str(metadata.get("product_id") or "")
        if user_id is None or plan_id not in PRODUCTS:
            raise WebhookPaymentUnknown(subscription_id=inv.subscription_id)
        return user_id, plan_id, metadata

    async def _invoice_paid(self, session: AsyncSession, obj: dict[str, Any]) -> str:
        inv = _subscription_invoice(obj)
        if inv is None:
            return "ignored"  # not a subscription invoice
        user_id, plan_id, metadata = await self._owner_of(session, inv)
        product = PRODUCTS[plan_id]

        payment: PaymentTransaction | None = None
        first_payment = _uuid(metadata.get("payment_id"))
        if inv.billing_reason == "subscription_create" and first_payment is not None:
            payment = await MarketRepository(session).get(first_payment, for_update=True)
        if payment is None:
            payment = await self._renewal_payment(session, obj, user_id, plan_id)
        await self.market.fulfil_subscription(
            session,
            payment,
            product,
            provider_subscription_id=inv.subscription_id,
            period_start=inv.period_start,
            period_end=inv.period_end,
            user_id=user_id,
        )
        return "processed"

    async def _charge_refunded(self, session: AsyncSession, charge: dict[str, Any]) -> str:
        charge_id = _id(charge.get("id"))
        amount = int(charge.get("amount") or 0)
        refunded = int(charge.get("amount_refunded") or 0)
        if charge_id is None or amount <= 0 or refunded <= 0:
            return "ignored"
        repo = MarketRepository(session)
        # A credit package: the charge carries the PaymentIntent's metadata.
        payment_id = _uuid((charge.get("metadata") or {}).get("payment_id"))
        if payment_id is not None:
            found = await repo.get(payment_id)
            if found is None or found.provider != PROVIDER:
                raise WebhookPaymentUnknown(charge_id=charge_id)
            if found.kind == "credits":
                payment = await repo.get(payment_id, for_update=True)
                assert payment is not None
                await refund_service.apply(
                    session, payment, source=charge_id, amount=amount, refunded=refunded
                )
                return "processed"
        # A subscription payment: its invoice says which subscription and period it paid.
        # (Asked before any row is locked: no lock is held across a call to Stripe.)
        payment_intent = _id(charge.get("payment_intent"))
        if payment_intent is None:
            return "ignored"  # not a payment made through this app's Checkout
        try:
            raw = await self.market.provider.invoice_of_payment_intent(payment_intent)
        except ProviderError as exc:
            raise PaymentProviderError() from exc
        inv = _subscription_invoice(raw) if raw is not None else None
        if inv is None:
            return "ignored"  # neither a package of ours nor a subscription invoice
        user_id, _, metadata = await self._owner_of(session, inv)
        first_payment = _uuid(metadata.get("payment_id"))
        if inv.billing_reason == "subscription_create" and first_payment is not None:
            sub_payment = await repo.get(first_payment, for_update=True)
        else:
            key = f"stripe-invoice:{inv.id}"[:255]
            sub_payment = await repo.get_by_key(user_id, key, for_update=True)
        if sub_payment is None or sub_payment.provider != PROVIDER:
            # Its invoice.paid has not been processed here yet: Stripe redelivers this later.
            raise WebhookPaymentUnknown(charge_id=charge_id, invoice_id=inv.id)
        await refund_service.apply(
            session,
            sub_payment,
            source=charge_id,
            amount=amount,
            refunded=refunded,
            period=PaidPeriod(inv.subscription_id, inv.period_start, inv.period_end),
        )
        return "processed"

    async def _renewal_payment(
        self, session: AsyncSession, invoice: dict[str, Any], user_id: uuid.UUID, plan_id: str
    ) -> PaymentTransaction:
        """A renewal is a payment the user did not request here: record it (once per invoice)
        so the payment history shows every charge."""
        repo = MarketRepository(session)
        key = f"stripe-invoice:{invoice.get('id')}"
        now = utcnow()
        await repo.insert_payment_if_absent(
            {
                "id": uuid7(),
                "user_id": user_id,
                "product_id": plan_id,
                "kind": "subscription",
                "provider": PROVIDER,
                "idempotency_key": key[:255],
                "request_hash": "renewal",
                "status": "pending",
                "amount_cents": int(invoice.get("amount_paid") or 0),
                "currency": str(invoice.get("currency") or "usd")[:3],
                "credits_micro": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        payment = await repo.get_by_key(user_id, key[:255], for_update=True)
        assert payment is not None
        return payment
