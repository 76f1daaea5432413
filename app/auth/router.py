"""/api/v1/auth: sign in with a Firebase ID token; who am I; development tokens."""

from __future__ import annotations

import datetime as dt
import hashlib

from fastapi import APIRouter, Depends, Request

from app.auth.dependencies import CurrentUser, get_auth_service
from app.auth.errors import (
    AccountDisabled,
    AuthUnavailable,
    DevTokensDisabled,
    InvalidToken,
    NotAuthenticated,
    TokenExpired,
    TokenRevoked,
    TokenWrongProject,
)
from app.auth.schemas import (
    DevTokenRequest,
    DevTokenResponse,
    LoginRequest,
    LoginResponse,
    MeResponse,
    UserProfile,
)
from app.auth.service import AuthService
from app.auth.verifier import DevTokenVerifier
from app.billing.schemas import Balance
from app.billing.service import next_utc_midnight, wallet_service
from app.billing.tiers import effective_tier
from app.kit.clock import utcnow
from app.kit.db import DBSession
from app.kit.errors import error_responses
from app.models import User
from app.ratelimit.dependencies import auth_ip_limit
from app.ratelimit.errors import RateLimited

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
TOKEN_ERRORS = (
    InvalidToken,
    TokenExpired,
    TokenRevoked,
    TokenWrongProject,
    AccountDisabled,
    AuthUnavailable,
)


async def _balance(session: DBSession, user: User) -> Balance:
    wallet = await wallet_service.get_balance(session, user)
    return Balance.of(
        wallet, effective_tier(user.tier, user.tier_expires_at, utcnow()), next_utc_midnight()
    )


@router.post(
    "/login",
    response_model=LoginResponse,
    responses=error_responses(*TOKEN_ERRORS, RateLimited),
    dependencies=[Depends(auth_ip_limit("login"))],
)
async def login(
    body: LoginRequest, session: DBSession, auth: AuthService = Depends(get_auth_service)
) -> LoginResponse:
    """Verify a Firebase ID token; on the first login create the user and a wallet holding the
    free tier's daily credits. Returns the profile and balance."""
    user, created = await auth.login(session, body.id_token)
    return LoginResponse(
        user=UserProfile.model_validate(user),
        balance=await _balance(session, user),
        created=created,
    )


@router.get(
    "/me", response_model=MeResponse, responses=error_responses(NotAuthenticated, *TOKEN_ERRORS)
)
async def me(session: DBSession, user: CurrentUser) -> MeResponse:
    """The caller's profile and balance."""
    return MeResponse(user=UserProfile.model_validate(user), balance=await _balance(session, user))


dev_router = APIRouter(prefix="/api/v1/auth/dev", tags=["auth (development only)"])


@dev_router.post(
    "/token",
    response_model=DevTokenResponse,
    responses=error_responses(DevTokensDisabled, RateLimited),
    dependencies=[Depends(auth_ip_limit("dev_token"))],
)
async def issue_dev_token(body: DevTokenRequest, request: Request) -> DevTokenResponse:
    """Issue a development ID token (embedded default only; absent in production and when
    Firebase is configured). Use it as `Authorization: Bearer <id_token>`."""
    verifier = request.app.state.auth.verifier.inner
    if not isinstance(verifier, DevTokenVerifier):
        raise DevTokensDisabled()
    uid = body.uid or dev_uid_for(str(body.email))
    token, exp = verifier.issue(uid, email=str(body.email), name=body.display_name)
    return DevTokenResponse(id_token=token, expires_at=dt.datetime.fromtimestamp(exp, dt.UTC))


def dev_uid_for(email: str) -> str:
    return "dev-" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]
