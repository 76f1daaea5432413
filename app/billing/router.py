"""/api/v1/wallet: the caller's balance and ledger."""

from __future__ import annotations

from fastapi import APIRouter, Query

from app.auth.dependencies import CurrentUser
from app.auth.errors import AccountDisabled, NotAuthenticated
from app.billing.schemas import Balance, Transaction
from app.billing.service import next_utc_midnight, wallet_service
from app.billing.tiers import effective_tier
from app.kit.clock import utcnow
from app.kit.db import DBSession
from app.kit.errors import error_responses
from app.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor, Page

router = APIRouter(prefix="/api/v1/wallet", tags=["wallet"])
AUTH_ERRORS = (NotAuthenticated, AccountDisabled)


@router.get("/balance", response_model=Balance, responses=error_responses(*AUTH_ERRORS))
async def get_balance(session: DBSession, user: CurrentUser) -> Balance:
    """The caller's credits: available now, and per bucket (daily, bonus, purchased, held)."""
    wallet = await wallet_service.get_balance(session, user)
    tier = effective_tier(user.tier, user.tier_expires_at, utcnow())
    return Balance.of(wallet, tier, next_utc_midnight())


@router.get(
    "/transactions",
    response_model=Page[Transaction],
    responses=error_responses(*AUTH_ERRORS, InvalidCursor),
)
async def list_transactions(
    session: DBSession,
    user: CurrentUser,
    cursor: str | None = Query(None, max_length=512),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> Page[Transaction]:
    """The caller's ledger, newest first: every change of the balance with its reason."""
    await wallet_service.get_balance(session, user)  # today's refresh shows up in the list
    page = await wallet_service.list_transactions(session, user, cursor=cursor, limit=limit)
    return Page(items=[Transaction.of(e) for e in page.items], next_cursor=page.next_cursor)
