"""Payment providers: one interface, two implementations.

- SandboxProvider (embedded default): every payment is confirmed at once, no money moves.
  Refused in production (Settings.check_production).
- StripeProvider (app/market/stripe_provider.py): a Stripe Checkout Session per attempt; the
  credits or the plan are granted only when Stripe's signed webhook confirms the payment.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.billing.subscriptions import add_period
from app.kit.clock import utcnow
from app.market.catalog import Product
from app.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    payment_id: uuid.UUID
    user_id: uuid.UUID
    product: Product
    customer_email: str | None


@dataclass(frozen=True, slots=True)
class Checkout:
    provider_payment_id: str
    confirmed: bool  # paid already (sandbox); otherwise wait for the provider's webhook
    redirect_url: str | None = None  # where the client completes the payment
    # Subscriptions confirmed at once: the provider's subscription and its first period.
    subscription_id: str | None = None
    period_start: dt.datetime | None = None
    period_end: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class ProviderSubscription:
    id: str
    status: str
    period_start: dt.datetime
    period_end: dt.datetime
    metadata: dict[str, str] = field(default_factory=dict)


class ProviderError(Exception):
    """The provider could not be reached or refused the request (nothing was charged)."""


class PaymentProvider(Protocol):
    name: str

    async def create_checkout(self, req: CheckoutRequest) -> Checkout: ...

    async def get_subscription(self, subscription_id: str) -> ProviderSubscription: ...

    async def invoice_of_payment_intent(self, payment_intent_id: str) -> dict[str, Any] | None:
        """The invoice a payment paid (a subscription's), as the provider's invoice events carry
        it; None if that payment paid no invoice."""
        ...

    async def aclose(self) -> None: ...


class SandboxProvider:
    """Confirms every payment at once (development and tests; refused in production)."""

    name = "sandbox"

    async def create_checkout(self, req: CheckoutRequest) -> Checkout:
        payment_ref = f"sbx_pay_{req.payment_id.hex}"
        if req.product.kind != "subscription":
            return Checkout(provider_payment_id=payment_ref, confirmed=True)
        assert req.product.period is not None
        start = utcnow()
        return Checkout(
            provider_payment_id=payment_ref,
            confirmed=True,
            subscription_id=f"sbx_sub_{req.payment_id.hex}",
            period_start=start,
            period_end=add_period(start, req.product.period),
        )

    async def get_subscription(self, subscription_id: str) -> ProviderSubscription:
        raise ProviderError("the sandbox keeps no subscriptions of its own")

    async def invoice_of_payment_intent(self, payment_intent_id: str) -> dict[str, Any] | None:
        raise ProviderError("the sandbox keeps no invoices")

    async def aclose(self) -> None:
        return None


def create_payment_provider(settings: Settings) -> PaymentProvider:
    if settings.PAYMENT_PROVIDER == "stripe":
        from app.market.stripe_provider import StripeProvider

        log.info(
            "payments: Stripe%s",
            f" at {settings.STRIPE_API_BASE}" if settings.STRIPE_API_BASE else "",
        )
        return StripeProvider(settings)
    log.info("payments: sandbox provider (confirms at once; PAYMENT_PROVIDER=sandbox)")
    return SandboxProvider()
