from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.billing.schemas import Balance
from app.billing.tiers import to_credits
from app.market.catalog import Product
from app.models import PaymentTransaction, Subscription


class ProductOut(BaseModel):
    id: str
    kind: Literal["credits", "subscription"]
    name: str
    price: Decimal
    price_cents: int
    currency: str
    credits: Decimal
    bonus_credits: Decimal
    tier: str | None
    period: Literal["month", "year"] | None

    @classmethod
    def of(cls, p: Product) -> ProductOut:
        return cls(
            id=p.id,
            kind=p.kind,
            name=p.name,
            price=Decimal(p.price_cents).scaleb(-2),
            price_cents=p.price_cents,
            currency=p.currency,
            credits=to_credits(p.credits_micro),
            bonus_credits=to_credits(p.bonus_micro),
            tier=p.tier,
            period=p.period,
        )


class ProductList(BaseModel):
    credit_packages: list[ProductOut]
    plans: list[ProductOut]


class BuyCreditsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=64, examples=["credits_100"])


class SubscribeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=64, examples=["premium_monthly"])


class PaymentOut(BaseModel):
    id: uuid.UUID
    product_id: str
    kind: Literal["credits", "subscription"]
    status: Literal["pending", "succeeded", "failed", "canceled", "refunded"]
    provider: str
    amount: Decimal
    amount_cents: int
    currency: str
    credits: Decimal = Field(description="Purchased credits this payment grants (packages).")
    failure_reason: str | None = Field(
        description="Why the attempt failed; for a refunded payment, what the refund took back "
        "and what had already been spent."
    )
    created_at: dt.datetime
    completed_at: dt.datetime | None

    @classmethod
    def of(cls, p: PaymentTransaction) -> PaymentOut:
        return cls(
            id=p.id,
            product_id=p.product_id,
            kind=p.kind,  # type: ignore[arg-type]
            status=p.status,  # type: ignore[arg-type]
            provider=p.provider,
            amount=Decimal(p.amount_cents).scaleb(-2),
            amount_cents=p.amount_cents,
            currency=p.currency,
            credits=to_credits(p.credits_micro),
            failure_reason=p.failure_reason,
            created_at=p.created_at,
            completed_at=p.completed_at,
        )


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    plan_id: str
    tier: str
    status: Literal["active", "canceled", "expired"]
    provider: str
    current_period_start: dt.datetime
    current_period_end: dt.datetime

    @classmethod
    def of(cls, s: Subscription) -> SubscriptionOut:
        return cls(
            id=s.id,
            plan_id=s.plan_id,
            tier=s.tier,
            status=s.status,  # type: ignore[arg-type]
            provider=s.provider,
            current_period_start=s.current_period_start,
            current_period_end=s.current_period_end,
        )


class NextAction(BaseModel):
    type: Literal["redirect"] = "redirect"
    url: str = Field(description="Open this page to pay (Stripe Checkout).")


class PurchaseResponse(BaseModel):
    """The attempt and what it did. Replaying the request with the same Idempotency-Key returns
    this same body (the balance as it was then)."""

    payment: PaymentOut
    next_action: NextAction | None = Field(
        None, description="Set while the payment waits for the customer (Stripe)."
    )
    credits_granted: Decimal = Field(description="Credits added by this request (0 if pending).")
    subscription: SubscriptionOut | None = None
    balance: Balance | None = Field(None, description="The balance right after this request.")


class SubscriptionState(BaseModel):
    tier: str = Field(description="The tier in force now (free once a period has ended).")
    tier_expires_at: dt.datetime | None
    subscription: SubscriptionOut | None = Field(
        None, description="The latest subscription, or null if there never was one."
    )


class WebhookAck(BaseModel):
    received: bool = True
    duplicate: bool = Field(description="This event id was processed before; nothing was done.")
    status: Literal["processed", "ignored"]
