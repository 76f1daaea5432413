from __future__ import annotations

import math

from app.kit.errors import AppError
from app.ratelimit.gcra import Decision


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    """X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (whole seconds until the
    bucket is full again, rounded up) for any response that went through a limit."""
    return {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(math.ceil(decision.reset_after_s)),
    }


def retry_after_seconds(decision: Decision) -> int:
    """Retry-After in whole seconds, rounded up and at least 1 (0 would invite a hot loop)."""
    return max(1, math.ceil(decision.retry_after_s))


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"
    message = "Too many requests; retry after the number of seconds in Retry-After."

    def __init__(self, decision: Decision, message: str | None = None) -> None:
        self.decision = decision
        super().__init__(message, limit=decision.limit, retry_after=retry_after_seconds(decision))

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(retry_after_seconds(self.decision))} | rate_limit_headers(
            self.decision
        )
