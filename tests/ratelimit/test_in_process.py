"""What only the in-process limiter does: bounded memory."""

from __future__ import annotations

import datetime as dt

from app.ratelimit.limiter import InProcessRateLimiter

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


async def test_idle_buckets_are_forgotten_as_new_ones_arrive() -> None:
    limiter = InProcessRateLimiter(sweep_per_hit=32)
    for i in range(100):
        await limiter.hit(f"old-{i}", limit=5, now=T0)
    assert len(limiter) == 100
    later = T0 + dt.timedelta(seconds=12)  # each old bucket held one 12 s request: full again
    for i in range(4):
        await limiter.hit(f"new-{i}", limit=5, now=later)
    assert len(limiter) == 4  # 4 hits x up to 32 idle buckets dropped each
    assert limiter.evicted_busy == 0


async def test_busy_buckets_stay_until_the_hard_cap() -> None:
    limiter = InProcessRateLimiter(max_keys=50)
    for i in range(200):
        await limiter.hit(f"k-{i}", limit=5, now=T0)
    assert len(limiter) == 50
    assert limiter.evicted_busy == 150
    # the newest 50 are the ones kept, with their counts
    assert (await limiter.hit("k-199", limit=5, now=T0)).remaining == 3
    assert (await limiter.hit("k-0", limit=5, now=T0)).remaining == 4  # forgotten: a fresh burst


async def test_a_bucket_still_in_use_is_not_swept() -> None:
    limiter = InProcessRateLimiter(sweep_per_hit=32)
    for _ in range(5):
        await limiter.hit("busy", limit=5, now=T0)
    await limiter.hit("other", limit=5, now=T0 + dt.timedelta(seconds=30))
    # kept with its count: 2.5 of 5 drained in 30 s, so 1 left after this one (swept: 4)
    assert (await limiter.hit("busy", limit=5, now=T0 + dt.timedelta(seconds=30))).remaining == 1
    assert await limiter.health_check() == "in-process GCRA, 2 active buckets (REDIS_URL unset)"
