"""Prometheus counters of the rate limiter (module level: one per process, multiprocess-safe
through prometheus_client's PROMETHEUS_MULTIPROC_DIR when the app sets it)."""

from __future__ import annotations

from prometheus_client import Counter

REDIS_ERRORS = Counter(
    "ratelimit_redis_errors_total",
    "Rate-limit calls to Redis that failed; the request was allowed (fail open).",
)
REFUSALS = Counter(
    "ratelimit_refusals_total",
    "Requests refused with 429 rate_limited, by scope (chat, auth) and tier.",
    ["scope", "tier"],
)
