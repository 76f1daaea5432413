"""Rate limits: GCRA in Redis (one Lua script) or in process, per tier for chat, per IP for auth."""

from app.ratelimit.errors import RateLimited, rate_limit_headers
from app.ratelimit.gcra import Decision
from app.ratelimit.limiter import (
    InProcessRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    create_rate_limiter,
)
from app.ratelimit.service import chat_key, check_chat

__all__ = [
    "Decision",
    "InProcessRateLimiter",
    "RateLimited",
    "RateLimiter",
    "RedisRateLimiter",
    "chat_key",
    "check_chat",
    "create_rate_limiter",
    "rate_limit_headers",
]
