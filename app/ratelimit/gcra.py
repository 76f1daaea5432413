"""GCRA (generic cell rate algorithm): one algorithm, written twice, kept line for line alike.

`limit` requests per `period` with a burst of `limit`: each request advances a theoretical
arrival time (TAT) by `interval = period / limit`; a request is allowed while the TAT it would
leave is at most `period` ahead of now. The state of a bucket is one number (how far its TAT is
ahead of now), it drains continuously (one request back every `interval`, no window edge where
2x the limit passes) and a refusal adds nothing to it, so it costs nothing.

Units are integer microseconds: every value stays an exact integer in a Lua/IEEE double (below
2**53, i.e. until the year 2255), so the Lua script in Redis and the Python function below give
the same answers. The interval is rounded to a whole microsecond (60 s / 7 is 8_571_429 us): the
effective period is `interval * limit`, off by under `limit` microseconds.

The stored value is "<tat_us> <interval_us>". Keeping the interval lets a bucket survive a change
of limit (a tier upgrade or downgrade) with its *count* of recent requests intact: 5 requests used
as free are 5 of premium's 30 on the next call, not "60 s of 60 s used". The first call with the
new limit rewrites the bucket at the new interval (even when refused), so from then on it drains
at the new tier's rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

US = 1_000_000  # microseconds per second


@dataclass(frozen=True, slots=True)
class Decision:
    """One rate-limit decision.

    remaining: requests allowed right now after this one (0 when refused).
    reset_after_s: seconds until the bucket is full again (the whole burst available).
    retry_after_s: seconds until this request would be allowed (0 when allowed).
    """

    allowed: bool
    limit: int
    remaining: int
    reset_after_s: float
    retry_after_s: float


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one GCRA step: the decision in microseconds and what to store."""

    allowed: bool
    remaining: int
    reset_after_us: int
    retry_after_us: int
    store: tuple[int, int] | None  # (tat_us, interval_us) to write; None: write nothing

    def decision(self, limit: int) -> Decision:
        return Decision(
            allowed=self.allowed,
            limit=limit,
            remaining=self.remaining,
            reset_after_s=self.reset_after_us / US,
            retry_after_s=self.retry_after_us / US,
        )


def interval_us(limit: int, period_us: int) -> int:
    return max(1, math.floor(period_us / limit + 0.5))


def gcra_step(stored: tuple[int, int] | None, now_us: int, limit: int, period_us: int) -> Step:
    """The Python twin of GCRA_LUA (keep them alike: the tests run both with the same cases)."""
    interval = interval_us(limit, period_us)
    tau = interval * limit
    ahead = 0
    converted = False
    if stored is not None:
        tat, old = stored
        ahead = tat - now_us
        if ahead < 0:
            ahead = 0
        elif old != interval:
            # float arithmetic on purpose: the same IEEE operations as Lua's numbers
            ahead = math.floor(float(ahead) * float(interval) / float(old) + 0.5)
            converted = True
    new_ahead = ahead + interval
    if new_ahead > tau:
        # Refused: nothing is counted. After a change of limit the bucket is rewritten at the
        # new interval (same count), so from now on it drains at the new tier's rate.
        return Step(
            False, 0, ahead, new_ahead - tau, (now_us + ahead, interval) if converted else None
        )
    return Step(True, (tau - new_ahead) // interval, new_ahead, 0, (now_us + new_ahead, interval))


# KEYS[1] the bucket; ARGV: now_us, limit, period_us. Returns {allowed, remaining, reset_after_us,
# retry_after_us}, all integers. One GET and, when allowed (or the limit changed), one SET with an
# expiry: an idle bucket disappears exactly when it is full again, so Redis holds only buckets in
# use.
GCRA_LUA = """
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local interval = math.floor(period / limit + 0.5)
if interval < 1 then interval = 1 end
local tau = interval * limit
local ahead = 0
local converted = false
local raw = redis.call('GET', KEYS[1])
if raw then
  local sep = string.find(raw, ' ', 1, true)
  local tat = tonumber(string.sub(raw, 1, sep - 1))
  local old = tonumber(string.sub(raw, sep + 1))
  ahead = tat - now
  if ahead < 0 then
    ahead = 0
  elseif old ~= interval then
    ahead = math.floor(ahead * interval / old + 0.5)
    converted = true
  end
end
local new_ahead = ahead + interval
if new_ahead > tau then
  if converted then
    redis.call('SET', KEYS[1], string.format('%.0f %.0f', now + ahead, interval),
      'PX', math.ceil(ahead / 1000))
  end
  return {0, 0, ahead, new_ahead - tau}
end
redis.call('SET', KEYS[1], string.format('%.0f %.0f', now + new_ahead, interval),
  'PX', math.ceil(new_ahead / 1000))
return {1, math.floor((tau - new_ahead) / interval), new_ahead, 0}
"""
