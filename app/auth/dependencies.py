from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.errors import AccountDisabled, NotAuthenticated
from app.auth.repository import UserRepository
from app.auth.service import AuthService, Principal
from app.kit.db import DBSession, act_as, current_user_id
from app.models import User

# auto_error=False: we answer a missing header with our own 401 body, not FastAPI's 403.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="FirebaseIdToken",
    description="A Firebase ID token (or, in development, a token from /api/v1/auth/dev/token).",
)


async def bearer_token(
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
) -> str:
    if credentials is None or not credentials.credentials:
        raise NotAuthenticated()
    return credentials.credentials


async def get_auth_service(request: Request) -> AuthService:
    service: AuthService = request.app.state.auth
    return service


async def get_principal(
    request: Request,
    token: str = Depends(bearer_token),
    auth: AuthService = Depends(get_auth_service),
) -> Principal:
    """The caller, from the verified-token cache: no database round trip on a hit."""
    principal = await auth.authenticate(token)
    request.state.principal = principal  # for the request log line
    current_user_id.set(principal.user_id)  # row-level security: see app/kit/db.py
    return principal


async def get_current_user(
    session: DBSession, principal: Principal = Depends(get_principal)
) -> User:
    """The caller's user row, in the request's session (for endpoints off the hot path)."""
    await act_as(session, principal.user_id)
    user = await UserRepository(session).get(principal.user_id)
    if user is None:  # deleted since the principal was cached
        raise NotAuthenticated()
    if not user.is_active:
        raise AccountDisabled()
    return user


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
CurrentUser = Annotated[User, Depends(get_current_user, scope="function")]
