"""/api/v1/market: products, purchases, subscriptions, payment history, payment webhooks."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import JSONResponse

from app.auth.dependencies import CurrentUser
from app.auth.errors import AccountDisabled, NotAuthenticated
from app.kit.db import DBSession, JobsDBSession
from app.kit.errors import error_responses
from app.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor, Page
from app.market.catalog import PRODUCTS
from app.market.errors import (
    IdempotencyKeyInvalid,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    PaymentNotFound,
    PaymentProviderError,
    ProductNotFound,
    SubscriptionActive,
    WebhookPayloadInvalid,
    WebhookPaymentUnknown,
    WebhookSignatureInvalid,
    WebhooksNotConfigured,
    WrongProductKind,
)
from app.market.schemas import (
    BuyCreditsRequest,
    PaymentOut,
    ProductList,
    ProductOut,
    PurchaseResponse,
    SubscribeRequest,
    SubscriptionState,
    WebhookAck,
)
from app.market.service import MarketService, StoredResponse
from app.market.webhooks import StripeWebhooks
from app.skins.dependencies import CurrentSkin
from app.skins.errors import AppIdRequired
from app.skins.registry import Skin

router = APIRouter(prefix="/api/v1/market", tags=["market"])
AUTH_ERRORS = (NotAuthenticated, AccountDisabled)
PURCHASE_ERRORS = (
    *AUTH_ERRORS,
    IdempotencyKeyRequired,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    ProductNotFound,
    WrongProductKind,
    PaymentProviderError,
    AppIdRequired,
)
IDEMPOTENCY_KEY = Header(
    None,
    alias="Idempotency-Key",
    description=(
        "Required. A unique string per purchase (a UUID is fine). Retrying with the same key and "
        "body returns the first response and charges nothing twice; the same key with another "
        "body is refused (422 `idempotency_key_reused`)."
    ),
)


async def get_market(request: Request) -> MarketService:
    service: MarketService = request.app.state.market
    return service


async def get_webhooks(request: Request) -> StripeWebhooks:
    return StripeWebhooks(await get_market(request), request.app.state.settings)


def _offered(skin: Skin, product_id: str) -> None:
    """A product the calling app (skin) does not sell is not found, as an unknown id is."""
    if not skin.shows_product(product_id):
        raise ProductNotFound(product_id=product_id)


def _reply(result: StoredResponse) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return JSONResponse(result.body, status_code=result.status_code, headers=headers)


@router.get("/products", response_model=ProductList, responses=error_responses(AppIdRequired))
async def list_products(skin: CurrentSkin) -> ProductList:
    """Credit packages and subscription plans the calling app (X-App-Id) sells, with prices,
    credits and bonus credits."""
    products = [ProductOut.of(p) for p in PRODUCTS.values() if skin.shows_product(p.id)]
    return ProductList(
        credit_packages=[p for p in products if p.kind == "credits"],
        plans=[p for p in products if p.kind == "subscription"],
    )


@router.post(
    "/buy_credits",
    status_code=status.HTTP_201_CREATED,
    response_model=PurchaseResponse,
    responses=error_responses(*PURCHASE_ERRORS),
)
async def buy_credits(
    body: BuyCreditsRequest,
    session: DBSession,
    user: CurrentUser,
    skin: CurrentSkin,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
    market: MarketService = Depends(get_market),
) -> JSONResponse:
    """Buy a credit package. With the sandbox provider the credits are added at once; with
    Stripe the response carries `next_action.url` (Stripe Checkout) and the credits are added
    when Stripe confirms the payment (see the payment's `status`)."""
    _offered(skin, body.product_id)
    result = await market.buy_credits(
        session, user, product_id=body.product_id, idempotency_key=idempotency_key
    )
    return _reply(result)


@router.post(
    "/subscribe",
    status_code=status.HTTP_201_CREATED,
    response_model=PurchaseResponse,
    responses=error_responses(*PURCHASE_ERRORS, SubscriptionActive),
)
async def subscribe(
    body: SubscribeRequest,
    session: DBSession,
    user: CurrentUser,
    skin: CurrentSkin,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
    market: MarketService = Depends(get_market),
) -> JSONResponse:
    """Subscribe to a plan (Premium or VIP, monthly or yearly). Once paid: the tier until the
    period ends, the plan's bonus credits for the period, and the tier's higher daily allowance
    from today on. Renewals (Stripe) extend the period and grant the next bonus."""
    _offered(skin, body.product_id)
    result = await market.subscribe(
        session, user, product_id=body.product_id, idempotency_key=idempotency_key
    )
    return _reply(result)


@router.get(
    "/subscription", response_model=SubscriptionState, responses=error_responses(*AUTH_ERRORS)
)
async def get_subscription(
    session: DBSession, user: CurrentUser, market: MarketService = Depends(get_market)
) -> SubscriptionState:
    """The tier in force and the caller's latest subscription with its current period."""
    return await market.subscription_state(session, user)


@router.get(
    "/payments",
    response_model=Page[PaymentOut],
    responses=error_responses(*AUTH_ERRORS, InvalidCursor),
)
async def list_payments(
    session: DBSession,
    user: CurrentUser,
    cursor: str | None = Query(None, max_length=512),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    market: MarketService = Depends(get_market),
) -> Page[PaymentOut]:
    """The caller's payments (purchases, subscriptions, renewals), newest first."""
    page = await market.list_payments(session, user, cursor=cursor, limit=limit)
    return Page(items=[PaymentOut.of(p) for p in page.items], next_cursor=page.next_cursor)


@router.get(
    "/payments/{payment_id}",
    response_model=PaymentOut,
    responses=error_responses(*AUTH_ERRORS, PaymentNotFound),
)
async def get_payment(
    payment_id: uuid.UUID,
    session: DBSession,
    user: CurrentUser,
    market: MarketService = Depends(get_market),
) -> PaymentOut:
    """One of the caller's payments (another user's is 404)."""
    return PaymentOut.of(await market.get_payment(session, user, payment_id))


@router.post(
    "/webhooks/stripe",
    response_model=WebhookAck,
    responses=error_responses(
        WebhookSignatureInvalid,
        WebhookPayloadInvalid,
        WebhookPaymentUnknown,
        WebhooksNotConfigured,
        PaymentProviderError,
    ),
)
async def stripe_webhook(
    request: Request,
    session: JobsDBSession,  # a system caller: the payment may be any user's
    stripe_signature: str | None = Header(None, alias="Stripe-Signature"),
    webhooks: StripeWebhooks = Depends(get_webhooks),
) -> WebhookAck:
    """Stripe's event delivery (signed). Each event id is processed once; redeliveries are
    acknowledged without effect. A bad or stale signature is 400 and changes nothing."""
    payload = await request.body()
    return await webhooks.handle(session, payload, stripe_signature)
