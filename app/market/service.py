"""Purchases and subscriptions: idempotent requests, payment attempts, fulfilment.

One request is one transaction (the request session commits at the end):
1. claim the Idempotency-Key: INSERT the attempt ... ON CONFLICT DO NOTHING. A concurrent replay
   waits on the unique index until the first request commits, then reads its stored response;
2. ask the provider for the payment (sandbox: paid at once; Stripe: a Checkout Session);
3. if paid, fulfil: credits to the purchased bucket, or the plan's tier and bonus;
4. store the response on the attempt: a replay returns it byte for byte.

A provider failure is recorded on the attempt (status failed) without a stored response, so
retrying with the same key tries again (and Stripe's own idempotency key returns the same
session if the first call did reach it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.schemas import Balance
from app.billing.service import next_utc_midnight, wallet_service
from app.billing.subscriptions import Activation, subscription_service
from app.billing.tiers import effective_tier, to_credits
from app.kit.clock import utcnow
from app.kit.errors import AppError
from app.kit.ids import uuid7
from app.kit.pagination import Page, decode_keyset, encode_keyset
from app.market.catalog import PRODUCTS, Product
from app.market.errors import (
    IdempotencyKeyInvalid,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    PaymentNotFound,
    PaymentProviderError,
    ProductNotFound,
    SubscriptionActive,
    WrongProductKind,
)
from app.market.providers import Checkout, CheckoutRequest, PaymentProvider, ProviderError
from app.market.repository import MarketRepository
from app.market.schemas import (
    NextAction,
    PaymentOut,
    PurchaseResponse,
    SubscriptionOut,
    SubscriptionState,
)
from app.models import PaymentTransaction, Subscription, User

log = logging.getLogger(__name__)

Kind = Literal["credits", "subscription"]
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as Stripe accepts


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def check_idempotency_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise IdempotencyKeyRequired()
    if not _KEY.fullmatch(key):
        raise IdempotencyKeyInvalid()
    return key


def request_hash(endpoint: str, product_id: str) -> str:
    """What a replay must match: the endpoint and its canonical body."""
    canonical = orjson.dumps(
        {"endpoint": endpoint, "product_id": product_id}, option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(canonical).hexdigest()


def error_body(err: AppError) -> dict[str, Any]:
    return {"error": {"code": err.code, "message": err.detail_message, "details": err.details}}


class MarketService:
    def __init__(self, provider: PaymentProvider) -> None:
        self.provider = provider

    # ------------------------------------------------------------------ requests

    async def buy_credits(
        self, session: AsyncSession, user: User, *, product_id: str, idempotency_key: str | None
    ) -> StoredResponse:
        return await self._purchase(
            session, user, "buy_credits", "credits", product_id, idempotency_key
        )

    async def subscribe(
        self, session: AsyncSession, user: User, *, product_id: str, idempotency_key: str | None
    ) -> StoredResponse:
        return await self._purchase(
            session, user, "subscribe", "subscription", product_id, idempotency_key
        )

    async def _purchase(
        self,
        session: AsyncSession,
        user: User,
        endpoint: str,
        kind: Kind,
        product_id: str,
        idempotency_key: str | None,
    ) -> StoredResponse:
        key = check_idempotency_key(idempotency_key)
        digest = request_hash(endpoint, product_id)
        repo = MarketRepository(session)
        payment = await repo.get_by_key(user.id, key)
        if payment is None:
            product = self._product(product_id, kind)
            now = utcnow()
            await repo.insert_payment_if_absent(
                {
                    "id": uuid7(),
                    "user_id": user.id,
                    "product_id": product.id,
                    "kind": product.kind,
                    "provider": self.provider.name,
                    "idempotency_key": key,
                    "request_hash": digest,
                    "status": "pending",
                    "amount_cents": product.price_cents,
                    "currency": product.currency,
                    "credits_micro": product.credits_micro,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        # A concurrent replay of this key waits for the first attempt's commit: on the unique
        # index in the INSERT above, or on this row lock (a retry of a failed attempt).
        payment = await repo.get_by_key(user.id, key, for_update=True)
        assert payment is not None
        if payment.request_hash != digest:
            raise IdempotencyKeyReused()
        if payment.response is not None:
            return StoredResponse(
                int(payment.response["status_code"]), payment.response["body"], replayed=True
            )
        product = PRODUCTS[payment.product_id]
        # Checked after the key is claimed, so that a replay of a subscribe that succeeded gets
        # its response rather than this conflict. Raising rolls back a new claim.
        if kind == "subscription" and await subscription_service.has_current(
            session, user.id, lock_user=True
        ):
            raise SubscriptionActive()
        return await self._attempt(session, user, payment, product)

    def _product(self, product_id: str, kind: Kind) -> Product:
        product = PRODUCTS.get(product_id)
        if product is None:
            raise ProductNotFound(product_id=product_id)
        if product.kind != kind:
            where = "/market/subscribe" if product.kind == "subscription" else "/market/buy_credits"
            raise WrongProductKind(
                f"{product_id} is a {product.kind} product: use {where}.", product_id=product_id
            )
        return product

    async def _attempt(
        self, session: AsyncSession, user: User, payment: PaymentTransaction, product: Product
    ) -> StoredResponse:
        repo = MarketRepository(session)
        try:
            checkout = await self.provider.create_checkout(
                CheckoutRequest(
                    payment_id=payment.id,
                    user_id=user.id,
                    product=product,
                    customer_email=user.email,
                )
            )
        except ProviderError as exc:
            log.warning(
                "payment provider failed",
                extra={"payment_id": str(payment.id), "provider": self.provider.name},
            )
            payment.status = "failed"
            payment.failure_reason = str(exc)[:255]
            payment.updated_at = utcnow()
            await repo.flush()
            return StoredResponse(502, error_body(PaymentProviderError()))
        payment.provider_payment_id = checkout.provider_payment_id
        payment.status = "pending"
        payment.failure_reason = None
        payment.updated_at = utcnow()
        await repo.flush()
        # Today's allowance first (the balance below must be today's), then the grant.
        await wallet_service.get_balance(session, user)
        granted = 0
        subscription: Subscription | None = None
        if checkout.confirmed:
            if product.kind == "credits":
                granted = await self.fulfil_credits(session, payment)
            else:
                activation = await self._fulfil_confirmed_subscription(
                    session, payment, product, checkout
                )
                granted = activation.bonus_granted_micro + activation.topped_up_micro
                subscription = activation.subscription
        wallet = await wallet_service.get_balance(session, user)
        tier = effective_tier(user.tier, user.tier_expires_at, utcnow())
        body = PurchaseResponse(
            payment=PaymentOut.of(payment),
            next_action=NextAction(url=checkout.redirect_url) if checkout.redirect_url else None,
            credits_granted=to_credits(granted),
            subscription=SubscriptionOut.of(subscription) if subscription else None,
            balance=Balance.of(wallet, tier, next_utc_midnight()),
        ).model_dump(mode="json")
        payment.response = {"status_code": 201, "body": body}
        await repo.flush()
        return StoredResponse(201, body)

    async def _fulfil_confirmed_subscription(
        self, session: AsyncSession, payment: PaymentTransaction, product: Product, c: Checkout
    ) -> Activation:
        assert c.subscription_id is not None
        assert c.period_start is not None
        assert c.period_end is not None
        activation = await self.fulfil_subscription(
            session,
            payment,
            product,
            provider_subscription_id=c.subscription_id,
            period_start=c.period_start,
            period_end=c.period_end,
        )
        assert activation is not None  # a new attempt, confirmed now: not refunded
        return activation

    # ------------------------------------------------------------------ fulfilment

    async def fulfil_credits(self, session: AsyncSession, payment: PaymentTransaction) -> int:
        """Mark a locked credit payment paid and grant its credits, once: returns the micro
        credits granted now (0 if it had been fulfilled before)."""
        if payment.status in ("succeeded", "refunded"):
            return 0
        now = utcnow()
        payment.status = "succeeded"
        payment.completed_at = now
        payment.updated_at = now
        await session.flush()
        entry = await wallet_service.grant(
            session,
            payment.user_id,
            kind="purchase",
            purchased=payment.credits_micro,
            reference_type="payment",
            reference_id=str(payment.id),
            description=PRODUCTS[payment.product_id].name,
        )
        return entry.amount_micro if entry is not None else 0

    async def fulfil_subscription(
        self,
        session: AsyncSession,
        payment: PaymentTransaction | None,
        product: Product,
        *,
        provider_subscription_id: str,
        period_start: dt.datetime,
        period_end: dt.datetime,
        user_id: uuid.UUID | None = None,
    ) -> Activation | None:
        """A paid period of a plan: the (locked) payment succeeded if it was still open, then the
        period is activated (tier, expiry, bonus once per period).

        None for a payment refunded in full: another event of the same period arriving after
        the refund (invoice.paid after checkout.session.completed, or the reverse) must not
        bring back the tier the refund ended."""
        if payment is not None and payment.status == "refunded":
            return None
        if payment is not None and payment.status != "succeeded":
            now = utcnow()
            payment.status = "succeeded"
            payment.completed_at = now
            payment.updated_at = now
            await session.flush()
        owner = payment.user_id if payment is not None else user_id
        assert owner is not None
        return await subscription_service.activate_period(
            session,
            user_id=owner,
            plan=product.plan,
            provider=payment.provider if payment is not None else self.provider.name,
            provider_subscription_id=provider_subscription_id,
            period_start=period_start,
            period_end=period_end,
        )

    # ------------------------------------------------------------------ reads

    async def list_payments(
        self, session: AsyncSession, user: User, *, cursor: str | None, limit: int
    ) -> Page[PaymentTransaction]:
        before = decode_keyset(cursor) if cursor else None
        rows = list(
            await MarketRepository(session).list_for_user(user.id, limit=limit + 1, before=before)
        )
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = encode_keyset(rows[-1].created_at, rows[-1].id)
        return Page(items=rows, next_cursor=next_cursor)

    async def get_payment(
        self, session: AsyncSession, user: User, payment_id: uuid.UUID
    ) -> PaymentTransaction:
        payment = await MarketRepository(session).get(payment_id, user_id=user.id)
        if payment is None:
            raise PaymentNotFound()
        return payment

    async def subscription_state(self, session: AsyncSession, user: User) -> SubscriptionState:
        now = utcnow()
        tier = effective_tier(user.tier, user.tier_expires_at, now)
        sub = await subscription_service.latest(session, user.id)
        return SubscriptionState(
            tier=tier,
            tier_expires_at=user.tier_expires_at if tier != "free" else None,
            subscription=SubscriptionOut.of(sub) if sub else None,
        )

    async def aclose(self) -> None:
        await self.provider.aclose()
