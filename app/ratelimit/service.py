"""The limits the product applies, on top of a RateLimiter.

Chat (called by the chat service once the user's effective tier is known):

    decision = await check_chat(limiter, user_id, tier)      # raises RateLimited (429)
    ...
    response.headers.update(rate_limit_headers(decision))    # on the completion response

Per-IP on auth endpoints: app/ratelimit/dependencies.py.
"""

from __future__ import annotations

import uuid

from app.billing.tiers import TIERS
from app.kit.errors import request_headers
from app.ratelimit.errors import RateLimited, rate_limit_headers
from app.ratelimit.gcra import Decision
from app.ratelimit.limiter import RateLimiter
from app.ratelimit.metrics import REFUSALS

PERIOD_S = 60.0  # the product states every limit per minute


def chat_key(user_id: uuid.UUID | str) -> str:
    """The user id is the hash tag: a user's keys share one Redis Cluster slot."""
    return f"chat:{{{user_id}}}"


def auth_key(endpoint: str, client: str) -> str:
    return f"auth:{endpoint}:{{{client}}}"


async def check(
    limiter: RateLimiter, key: str, *, limit: int, scope: str, tier: str = "none"
) -> Decision:
    """Count one request on `key`; refused: RateLimited (429) and `ratelimit_refusals_total`."""
    decision = await limiter.hit(key, limit=limit, period_s=PERIOD_S)
    if not decision.allowed:
        REFUSALS.labels(scope=scope, tier=tier).inc()
        raise RateLimited(decision)
    return decision


async def check_chat(limiter: RateLimiter, user_id: uuid.UUID | str, tier: str) -> Decision:
    """One chat completion for `user_id` at `tier` (TIERS[tier].requests_per_minute per minute).

    The limit is read on every call, so a tier change takes effect on the next request; the
    bucket keeps its count of recent requests across the change (5 used of free's 5 are 5 of
    premium's 30). Raises RateLimited; a refused request is not counted."""
    decision = await check(
        limiter, chat_key(user_id), limit=TIERS[tier].requests_per_minute, scope="chat", tier=tier
    )
    # Whatever this request answers from now on (a 402, a 422 ...) carries the limit headers.
    request_headers.set(rate_limit_headers(decision))
    return decision
