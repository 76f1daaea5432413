"""The market's errors: each an AppError with a status and a stable code."""

from __future__ import annotations

from app.kit.errors import AppError, Conflict, InvalidInput, NotFound, ServiceUnavailable


class ProductNotFound(NotFound):
    code = "product_not_found"
    message = "No product has this id."


class WrongProductKind(InvalidInput):
    code = "wrong_product_kind"
    message = "This product cannot be bought here."


class IdempotencyKeyRequired(AppError):
    status_code = 400
    code = "idempotency_key_required"
    message = (
        "This request needs an Idempotency-Key header (a unique string per purchase, reused "
        "only to retry the same request)."
    )


class IdempotencyKeyInvalid(AppError):
    status_code = 400
    code = "idempotency_key_invalid"
    message = "The Idempotency-Key header must be 1 to 255 visible ASCII characters."


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request."


class SubscriptionActive(Conflict):
    code = "subscription_active"
    message = "You already have a subscription for the current period."


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    message = "No such payment."


class PaymentProviderError(AppError):
    status_code = 502
    code = "payment_provider_error"
    message = (
        "The payment provider could not be reached. Nothing was charged; retry with the same "
        "Idempotency-Key."
    )


class WebhookSignatureInvalid(AppError):
    status_code = 400
    code = "invalid_signature"
    message = "The webhook signature is missing, wrong, or too old."


class WebhookPayloadInvalid(AppError):
    status_code = 400
    code = "invalid_webhook_payload"
    message = "The webhook body is not a valid event."


class WebhooksNotConfigured(ServiceUnavailable):
    code = "webhooks_not_configured"
    message = "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET is not set)."


class WebhookPaymentUnknown(Conflict):
    """An event for a payment this database does not know (yet): answered with a non-2xx so the
    provider redelivers it later; nothing is stored."""

    code = "payment_unknown"
    message = "The event refers to a payment that is not known yet; redeliver later."
