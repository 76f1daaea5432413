"""The GCRA limiter's behaviour, on real Redis and in process (the `limiter` fixture runs both)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from prometheus_client import REGISTRY

from app.billing.tiers import TIERS
from app.kit import clock
from app.ratelimit import RateLimited, RateLimiter, check_chat, rate_limit_headers
from app.ratelimit.gcra import Decision

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


async def burst(limiter: RateLimiter, key: str, limit: int, now: dt.datetime) -> list[Decision]:
    """Hit until refused; the allowed decisions and the refusal."""
    out = []
    for _ in range(limit + 1):
        d = await limiter.hit(key, limit=limit, now=now)
        out.append(d)
        if not d.allowed:
            break
    return out


@pytest.mark.parametrize("tier", list(TIERS))
async def test_exact_counts_at_the_boundary(limiter: RateLimiter, tier: str) -> None:
    limit = TIERS[tier].requests_per_minute
    interval = 60 / limit
    key = f"chat:{{{uuid.uuid4()}}}"
    decisions = [await limiter.hit(key, limit=limit, now=at(0)) for _ in range(limit + 1)]

    allowed, refused = decisions[:limit], decisions[limit]
    assert all(d.allowed for d in allowed)
    assert [d.remaining for d in allowed] == list(range(limit - 1, -1, -1))
    assert [d.limit for d in decisions] == [limit] * (limit + 1)
    assert [d.reset_after_s for d in allowed] == pytest.approx(
        [interval * (i + 1) for i in range(limit)], abs=1e-6
    )
    assert all(d.retry_after_s == 0 for d in allowed)

    assert not refused.allowed
    assert refused.remaining == 0
    assert refused.retry_after_s == pytest.approx(interval, abs=1e-6)
    assert refused.reset_after_s == pytest.approx(60.0, abs=1e-4)
    assert rate_limit_headers(refused) == {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "60",
    }
    headers = RateLimited(refused).headers()
    assert headers is not None
    # 12 s for free, 2 s for premium, 0.6 s rounded up to 1 s for VIP
    assert headers["Retry-After"] == {"free": "12", "premium": "2", "vip": "1"}[tier]


async def test_a_refusal_costs_nothing(limiter: RateLimiter) -> None:
    await burst(limiter, "k", 5, at(0))
    for _ in range(10):
        d = await limiter.hit("k", limit=5, now=at(1))
        assert not d.allowed
        assert d.retry_after_s == pytest.approx(11.0)
        assert d.reset_after_s == pytest.approx(59.0)
    assert (await limiter.hit("k", limit=5, now=at(12))).allowed


async def test_the_window_slides_one_request_per_interval(limiter: RateLimiter) -> None:
    assert [d.allowed for d in await burst(limiter, "k", 5, at(0))] == [True] * 5 + [False]
    almost = await limiter.hit("k", limit=5, now=at(12 - 0.000001))
    assert not almost.allowed
    assert almost.retry_after_s == pytest.approx(0.000001, abs=1e-9)
    for n in (1, 2, 3):
        one = await limiter.hit("k", limit=5, now=at(12 * n))
        more = await limiter.hit("k", limit=5, now=at(12 * n))
        assert one.allowed
        assert one.remaining == 0
        assert one.reset_after_s == pytest.approx(60.0)
        assert not more.allowed
        assert more.retry_after_s == pytest.approx(12.0)


async def test_a_full_period_restores_the_full_burst(limiter: RateLimiter) -> None:
    await burst(limiter, "k", 30, at(0))
    again = await burst(limiter, "k", 30, at(60))
    assert [d.remaining for d in again[:30]] == list(range(29, -1, -1))
    assert not again[30].allowed


async def test_half_a_period_restores_half_the_burst(limiter: RateLimiter) -> None:
    await burst(limiter, "k", 30, at(0))
    again = await burst(limiter, "k", 30, at(30))
    assert [d.allowed for d in again] == [True] * 15 + [False]


async def test_a_tier_upgrade_takes_effect_on_the_next_request(limiter: RateLimiter) -> None:
    free, premium = TIERS["free"].requests_per_minute, TIERS["premium"].requests_per_minute
    assert [d.allowed for d in await burst(limiter, "u", free, at(0))] == [True] * 5 + [False]
    upgraded = await limiter.hit("u", limit=premium, now=at(0))
    assert upgraded.allowed
    assert upgraded.limit == 30
    assert upgraded.remaining == 30 - 6  # the 5 requests made as free count against premium's 30
    rest = await burst(limiter, "u", premium, at(0))
    assert [d.allowed for d in rest] == [True] * 24 + [False]


async def test_a_downgrade_keeps_the_count_and_drains_at_the_new_rate(
    limiter: RateLimiter,
) -> None:
    for _ in range(10):
        assert (await limiter.hit("u", limit=30, now=at(0))).allowed
    d = await limiter.hit("u", limit=5, now=at(0))
    # 10 requests at free's 12 s each: full again in 120 s; the 11th fits 60 s of tolerance at 72 s
    assert not d.allowed
    assert d.reset_after_s == pytest.approx(120.0)
    assert d.retry_after_s == pytest.approx(72.0)
    assert not (await limiter.hit("u", limit=5, now=at(71.9))).allowed
    assert (await limiter.hit("u", limit=5, now=at(72))).allowed


async def test_keys_are_independent(limiter: RateLimiter) -> None:
    a, b = f"chat:{{{uuid.uuid4()}}}", f"chat:{{{uuid.uuid4()}}}"
    await burst(limiter, a, 5, at(0))
    assert not (await limiter.hit(a, limit=5, now=at(0))).allowed
    other = await burst(limiter, b, 5, at(0))
    assert [d.remaining for d in other[:5]] == [4, 3, 2, 1, 0]


async def test_it_reads_the_app_clock(limiter: RateLimiter) -> None:
    for _ in range(5):
        assert (await limiter.hit("k", limit=5)).allowed
    assert not (await limiter.hit("k", limit=5)).allowed
    clock.set_offset(dt.timedelta(seconds=12))
    assert (await limiter.hit("k", limit=5)).allowed
    assert not (await limiter.hit("k", limit=5)).allowed
    clock.set_offset(dt.timedelta(seconds=72))
    assert [(await limiter.hit("k", limit=5)).allowed for _ in range(6)] == [True] * 5 + [False]


async def test_a_period_other_than_a_minute(limiter: RateLimiter) -> None:
    decisions = [await limiter.hit("k", limit=3, period_s=1.5, now=at(0)) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[3].retry_after_s == pytest.approx(0.5)
    assert (await limiter.hit("k", limit=3, period_s=1.5, now=at(0.5))).allowed


async def test_nonsense_limits_are_refused_loudly(limiter: RateLimiter) -> None:
    with pytest.raises(ValueError, match="limit"):
        await limiter.hit("k", limit=0)
    with pytest.raises(ValueError, match="period"):
        await limiter.hit("k", limit=5, period_s=0)


def _refusals(scope: str, tier: str) -> float:
    return (
        REGISTRY.get_sample_value("ratelimit_refusals_total", {"scope": scope, "tier": tier}) or 0
    )


async def test_check_chat_applies_the_tier_limit(limiter: RateLimiter) -> None:
    user_id = uuid.uuid4()
    before = _refusals("chat", "free")
    remaining = [(await check_chat(limiter, user_id, "free")).remaining for _ in range(5)]
    assert remaining == [4, 3, 2, 1, 0]
    with pytest.raises(RateLimited) as refused:
        await check_chat(limiter, user_id, "free")
    assert refused.value.status_code == 429
    assert refused.value.code == "rate_limited"
    assert 1 <= refused.value.details["retry_after"] <= 12
    headers = refused.value.headers()
    assert headers is not None
    assert headers["Retry-After"] == str(refused.value.details["retry_after"])
    assert headers["X-RateLimit-Limit"] == "5"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert _refusals("chat", "free") == before + 1
    # the next request after an upgrade is judged by premium's 30
    upgraded = await check_chat(limiter, user_id, "premium")
    assert (upgraded.limit, upgraded.remaining) == (30, 24)
    # another user is untouched
    assert (await check_chat(limiter, uuid.uuid4(), "free")).remaining == 4


async def test_chat_errors_after_the_limiter_carry_the_headers_too(api: Any) -> None:
    """A 402 (or any error once the limiter has counted the request) still tells the client
    where it stands with its limit."""
    user = await api.new_user()
    session = await api.new_session(user)
    await api.set_balance(user)  # nothing left
    r = await api.chat(user, session["id"], "Hello?")
    assert r.status_code == 402
    assert r.headers["X-RateLimit-Limit"] == "5"
    assert r.headers["X-RateLimit-Remaining"] == "4"
    assert int(r.headers["X-RateLimit-Reset"]) >= 1
