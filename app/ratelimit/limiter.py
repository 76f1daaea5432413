"""Rate limiters: one interface, two implementations of the same GCRA (see gcra.py).

- RedisRateLimiter: production. One EVALSHA per decision (one round trip, atomic in Redis), so
  the limit holds across any number of API processes. Redis unreachable: fail open (the request
  is allowed; money is protected by the credit holds, not by this), log once per interval, count
  `ratelimit_redis_errors_total`, report degraded through the health check.
- InProcessRateLimiter: the embedded default (no REDIS_URL). Same algorithm in Python; a limit is
  per process, which is the embedded default's single process.

Both take `now` from the app clock (app.kit.clock.utcnow), so tests move time with set_offset.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import math
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from typing import Any

from redis.exceptions import NoScriptError, RedisError

from app.kit.clock import utcnow
from app.ratelimit.client_ip import parse_trusted_proxies
from app.ratelimit.gcra import GCRA_LUA, US, Decision, gcra_step, interval_us
from app.ratelimit.metrics import REDIS_ERRORS
from app.settings import Settings

log = logging.getLogger(__name__)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_US = dt.timedelta(microseconds=1)


def epoch_us(now: dt.datetime) -> int:
    """Exact integer microseconds since the epoch (no float rounding of timestamp())."""
    return (now - _EPOCH) // _ONE_US


def _period_us(limit: int, period_s: float) -> int:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    period_us = round(period_s * US)
    if period_us < 1:
        raise ValueError(f"period_s must be positive, got {period_s}")
    return period_us


class RateLimiter(ABC):
    """`hit(key, limit=, period_s=)`: count one request against `key` if the limit allows it."""

    name: str

    @abstractmethod
    async def hit(
        self, key: str, *, limit: int, period_s: float = 60.0, now: dt.datetime | None = None
    ) -> Decision:
        """Allow and count one request on `key` (at most `limit` per `period_s`, burst `limit`),
        or refuse it without counting. `now` defaults to the app clock."""

    @abstractmethod
    async def health_check(self) -> str:
        """A detail string for /health/detailed; raises while the limiter is degraded."""


class InProcessRateLimiter(RateLimiter):
    """GCRA in a dict, for one process. Memory is bounded: buckets live in write order, each hit
    drops a few of the oldest that are idle (full again, so forgetting them changes nothing), and
    past `max_keys` the oldest bucket goes even if busy (that subject briefly gets a fresh burst).
    No lock: a hit has no await, so it is atomic on the event loop."""

    name = "in-process"

    def __init__(self, *, max_keys: int = 100_000, sweep_per_hit: int = 32) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._buckets: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._max_keys = max_keys
        self._sweep_per_hit = sweep_per_hit
        self.evicted_busy = 0

    def __len__(self) -> int:
        return len(self._buckets)

    async def hit(
        self, key: str, *, limit: int, period_s: float = 60.0, now: dt.datetime | None = None
    ) -> Decision:
        return self.hit_at(key, limit, _period_us(limit, period_s), epoch_us(now or utcnow()))

    def hit_at(self, key: str, limit: int, period_us: int, now_us: int) -> Decision:
        step = gcra_step(self._buckets.get(key), now_us, limit, period_us)
        if step.store is not None:
            self._buckets[key] = step.store
            self._buckets.move_to_end(key)
            self._evict(now_us)
        return step.decision(limit)

    def _evict(self, now_us: int) -> None:
        buckets = self._buckets
        for _ in range(self._sweep_per_hit):
            key, (tat, _interval) = next(iter(buckets.items()))
            if tat > now_us:
                break
            del buckets[key]
        while len(buckets) > self._max_keys:
            buckets.popitem(last=False)
            self.evicted_busy += 1

    async def health_check(self) -> str:
        return f"in-process GCRA, {len(self._buckets)} active buckets (REDIS_URL unset)"


class RedisRateLimiter(RateLimiter):
    """GCRA in one Lua script: EVALSHA (the SHA is computed here; on NOSCRIPT, after a Redis
    restart or SCRIPT FLUSH, one EVAL runs it and caches it again).

    Keys: `<REDIS_KEY_PREFIX>rl:<key>`. Callers put the subject in a hash tag
    (`chat:{<user id>}`) so Redis Cluster keeps a user's keys in one slot; a key without braces
    is wrapped whole (`{<key>}`), still one slot per bucket.

    Time: `now` comes from the app clock and is sent as ARGV, not read with Redis TIME inside the
    script. Why: tests move the app clock (set_offset) and see the window slide; the decisions use
    the same clock as the rest of the app (holds, daily resets). The cost: API hosts' clocks
    disagree by their NTP skew (milliseconds), and a host s seconds ahead lets a bucket drain s
    seconds early, i.e. at most s * limit / period extra requests. Redis TIME would give one clock
    for every process but could not be moved by tests; for per-minute limits the skew is noise.

    Redis errors fail open. After an error the limiter does not try Redis again for
    `retry_after_error_s` (every request would otherwise wait for a dead host's timeout); each
    call is bounded by `timeout_s` in total, including redis-py's own retries.
    """

    name = "redis"

    def __init__(
        self,
        redis: Any,
        *,
        prefix: str,
        timeout_s: float = 0.5,
        retry_after_error_s: float = 1.0,
        error_log_interval_s: float = 60.0,
    ) -> None:
        self._redis = redis
        self._prefix = prefix + "rl:"
        self._sha = hashlib.sha1(GCRA_LUA.encode()).hexdigest()  # noqa: S324 (Redis's script id)
        self._timeout_s = timeout_s
        self._retry_after_error_s = retry_after_error_s
        self._error_log_interval_s = error_log_interval_s
        self._skip_until = 0.0  # monotonic
        self._last_log = -math.inf  # monotonic
        self._unlogged_errors = 0
        self.degraded = False
        self.degraded_since: dt.datetime | None = None
        self.last_error: str | None = None

    @property
    def script_sha(self) -> str:
        return self._sha

    def redis_key(self, key: str) -> str:
        return self._prefix + (key if "{" in key else "{" + key + "}")

    async def hit(
        self, key: str, *, limit: int, period_s: float = 60.0, now: dt.datetime | None = None
    ) -> Decision:
        period_us = _period_us(limit, period_s)
        now_us = epoch_us(now or utcnow())
        if self.degraded and time.monotonic() < self._skip_until:
            return _fail_open(limit, period_us)
        try:
            async with asyncio.timeout(self._timeout_s):
                reply = await self._eval(self.redis_key(key), now_us, limit, period_us)
        except (RedisError, OSError, TimeoutError) as exc:
            self._on_error(exc)
            return _fail_open(limit, period_us)
        if self.degraded:
            self._on_recovery()
        allowed, remaining, reset_us, retry_us = (int(v) for v in reply)
        return Decision(
            allowed=bool(allowed),
            limit=limit,
            remaining=remaining,
            reset_after_s=reset_us / US,
            retry_after_s=retry_us / US,
        )

    async def _eval(self, redis_key: str, *args: int) -> list[Any]:
        try:
            reply = await self._redis.evalsha(self._sha, 1, redis_key, *args)
        except NoScriptError:
            reply = await self._redis.eval(GCRA_LUA, 1, redis_key, *args)
        return list(reply)

    def _on_error(self, exc: BaseException) -> None:
        REDIS_ERRORS.inc()
        now = time.monotonic()
        self._skip_until = now + self._retry_after_error_s
        self.last_error = f"{type(exc).__name__}: {exc}"[:200]
        if not self.degraded:
            self.degraded = True
            self.degraded_since = utcnow()
        self._unlogged_errors += 1
        if now - self._last_log >= self._error_log_interval_s:
            log.warning(
                "rate limits: Redis failed, allowing requests (fail open)",
                extra={"error": self.last_error, "errors": self._unlogged_errors},
            )
            self._last_log = now
            self._unlogged_errors = 0

    def _on_recovery(self) -> None:
        log.info("rate limits: Redis answers again", extra={"since": str(self.degraded_since)})
        self.degraded = False
        self.degraded_since = None
        self._skip_until = 0.0

    async def health_check(self) -> str:
        if self.degraded:
            raise RuntimeError(
                f"failing open since {self.degraded_since:%Y-%m-%dT%H:%M:%SZ}: {self.last_error}"
            )
        return "redis GCRA"


def _fail_open(limit: int, period_us: int) -> Decision:
    """Allowed, reported as the first request of an empty bucket (the real count is unknown)."""
    interval = interval_us(limit, period_us)
    return Decision(
        allowed=True,
        limit=limit,
        remaining=limit - 1,
        reset_after_s=interval / US,
        retry_after_s=0.0,
    )


def create_rate_limiter(settings: Settings, redis: Any | None) -> RateLimiter:
    parse_trusted_proxies(settings.TRUSTED_PROXIES)  # a typo fails the start, not each request
    if redis is None:
        log.info("rate limits: in-process (REDIS_URL is not set; limits are per process)")
        return InProcessRateLimiter()
    log.info("rate limits: Redis")
    return RedisRateLimiter(redis, prefix=settings.REDIS_KEY_PREFIX)
