"""Per-client-IP limit on the auth endpoints (credential stuffing, token minting). Which address
is the client's, and when X-Forwarded-For counts: app/ratelimit/client_ip.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response

from app.ratelimit.client_ip import client_ip
from app.ratelimit.errors import rate_limit_headers
from app.ratelimit.limiter import RateLimiter
from app.ratelimit.service import auth_key, check
from app.settings import Settings


def auth_ip_limit(endpoint: str) -> Callable[[Request, Response], Awaitable[None]]:
    """A dependency: AUTH_RATE_LIMIT_PER_MINUTE requests per minute per client IP on `endpoint`
    (0 turns it off). Refused: 429 `rate_limited` before the endpoint runs, so nothing changes."""

    async def limit_by_ip(request: Request, response: Response) -> None:
        settings: Settings = request.app.state.settings
        limit = settings.AUTH_RATE_LIMIT_PER_MINUTE
        if limit <= 0:
            return
        limiter: RateLimiter = request.app.state.ratelimiter
        peer = request.client.host if request.client else None
        ip = client_ip(peer, request.headers.getlist("x-forwarded-for"), settings.TRUSTED_PROXIES)
        decision = await check(limiter, auth_key(endpoint, ip), limit=limit, scope="auth")
        response.headers.update(rate_limit_headers(decision))

    limit_by_ip.__name__ = f"auth_ip_limit_{endpoint}"
    return limit_by_ip
