"""Stripe through its official SDK (async calls over httpx).

Why Checkout Sessions (not bare PaymentIntents): one object covers both products — `mode=payment`
for credit packages and `mode=subscription` for plans, with the price inline (`price_data`), so
no Price has to be created in the Stripe dashboard first — and Stripe's hosted page does card
entry, 3-D Secure and wallets for every skin (the mobile apps open the URL in a browser tab).
The client gets the session's `url`; the grant happens only when a signed webhook says paid.

Every create call carries Stripe's own Idempotency-Key (`checkout:<payment id>`), so a retried
attempt of the same payment row gets the same session back instead of a second one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import stripe

from app.market.errors import WebhookPayloadInvalid, WebhookSignatureInvalid
from app.market.providers import Checkout, CheckoutRequest, ProviderError, ProviderSubscription
from app.settings import Settings

NETWORK_RETRIES = 2
TIMEOUT_SECONDS = 20.0


def _ts(value: Any) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(value), dt.UTC)


def subscription_period(obj: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    """The current period of a Stripe subscription object. Since API version 2025-03-31 it is on
    the subscription's items; older versions have it on the subscription itself."""
    items = (obj.get("items") or {}).get("data") or []
    if items and items[0].get("current_period_start") is not None:
        return _ts(items[0]["current_period_start"]), _ts(items[0]["current_period_end"])
    return _ts(obj["current_period_start"]), _ts(obj["current_period_end"])


class StripeProvider:
    name = "stripe"

    def __init__(self, settings: Settings) -> None:
        if not settings.STRIPE_SECRET_KEY:
            raise ValueError("PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY")
        self._settings = settings
        self._http = stripe.HTTPXClient(timeout=TIMEOUT_SECONDS)
        base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
        self._client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses=base,  # type: ignore[arg-type]
            http_client=self._http,
            max_network_retries=NETWORK_RETRIES,
        )

    async def create_checkout(self, req: CheckoutRequest) -> Checkout:
        p = req.product
        metadata = {
            "payment_id": str(req.payment_id),
            "user_id": str(req.user_id),
            "product_id": p.id,
        }
        price_data: dict[str, Any] = {
            "currency": p.currency,
            "unit_amount": p.price_cents,
            "product_data": {"name": p.name, "metadata": {"product_id": p.id}},
        }
        params: dict[str, Any] = {
            "line_items": [{"quantity": 1, "price_data": price_data}],
            "client_reference_id": str(req.payment_id),
            "metadata": metadata,
            "success_url": self._settings.STRIPE_SUCCESS_URL,
            "cancel_url": self._settings.STRIPE_CANCEL_URL,
        }
        if p.kind == "subscription":
            params["mode"] = "subscription"
            price_data["recurring"] = {"interval": p.period}
            # Copied onto the subscription and every invoice it makes: renewals find the plan.
            params["subscription_data"] = {"metadata": metadata}
        else:
            params["mode"] = "payment"
            params["payment_intent_data"] = {"metadata": metadata}
        if req.customer_email:
            params["customer_email"] = req.customer_email
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": f"checkout:{req.payment_id}"},
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"{type(exc).__name__}: {exc.user_message or exc}") from exc
        return Checkout(provider_payment_id=session.id, confirmed=False, redirect_url=session.url)

    async def get_subscription(self, subscription_id: str) -> ProviderSubscription:
        try:
            sub = await self._client.v1.subscriptions.retrieve_async(subscription_id)
        except stripe.StripeError as exc:
            raise ProviderError(f"{type(exc).__name__}: {exc}") from exc
        obj = sub.to_dict()
        start, end = subscription_period(obj)
        return ProviderSubscription(
            id=str(obj["id"]),
            status=str(obj.get("status") or ""),
            period_start=start,
            period_end=end,
            metadata={str(k): str(v) for k, v in (obj.get("metadata") or {}).items()},
        )

    async def invoice_of_payment_intent(self, payment_intent_id: str) -> dict[str, Any] | None:
        """The invoice a PaymentIntent paid (subscription charges), or None. Since API version
        2025-03-31 neither the charge nor the PaymentIntent names its invoice: the
        InvoicePayment objects link the two (listed by payment, with the invoice expanded)."""
        params: dict[str, Any] = {
            "payment": {"type": "payment_intent", "payment_intent": payment_intent_id},
            "expand": ["data.invoice"],
            "limit": 1,
        }
        try:
            page = await self._client.v1.invoice_payments.list_async(params)  # type: ignore[arg-type]
        except stripe.StripeError as exc:
            raise ProviderError(f"{type(exc).__name__}: {exc}") from exc
        for item in page.data:
            invoice = item.to_dict().get("invoice")
            if isinstance(invoice, dict):
                return invoice
            raise ProviderError("the invoice payment came back without its invoice expanded")
        return None

    async def aclose(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]


def verify_webhook(payload: bytes, signature: str | None, settings: Settings) -> dict[str, Any]:
    """The event, if the Stripe-Signature header signs this exact body with our secret and its
    timestamp is within STRIPE_WEBHOOK_TOLERANCE_SECONDS; otherwise an AppError (400)."""
    if not signature:
        raise WebhookSignatureInvalid("The Stripe-Signature header is missing.")
    try:
        stripe.Webhook.construct_event(
            payload,
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        )
    except stripe.SignatureVerificationError as exc:
        raise WebhookSignatureInvalid(f"Stripe signature check failed: {str(exc)[:200]}") from exc
    except ValueError as exc:
        raise WebhookPayloadInvalid() from exc
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:  # pragma: no cover - construct_event parsed it
        raise WebhookPayloadInvalid() from exc
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise WebhookPayloadInvalid()
    return event
