"""What only the Redis limiter does: its keys, one script shared by many clients, the same answers
as the Python twin, NOSCRIPT recovery, and failing open when Redis is gone."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from prometheus_client import REGISTRY

from app.kit.redis import create_redis
from app.ratelimit.gcra import GCRA_LUA, gcra_step
from app.ratelimit.limiter import RedisRateLimiter, epoch_us
from app.settings import Settings
from tests.fixtures.live_server import free_port
from tests.ratelimit.conftest import RedisServer

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def errors_total() -> float:
    return REGISTRY.get_sample_value("ratelimit_redis_errors_total") or 0.0


def app_client(url: str) -> redis.Redis:
    """A client configured as the app configures its own (app.kit.redis)."""
    client: redis.Redis = create_redis(Settings(_env_file=None, REDIS_URL=url))
    return client


@pytest.fixture
async def closed_port_client() -> AsyncIterator[redis.Redis]:
    """A client pointed at a loopback port nothing listens on."""
    client = app_client(f"redis://127.0.0.1:{free_port()}/0")
    try:
        yield client
    finally:
        await client.aclose()


async def test_keys_live_under_the_prefix_with_a_hash_tag_and_expire_when_full(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix)
    user = uuid.uuid4()
    await limiter.hit(f"chat:{{{user}}}", limit=5)
    await limiter.hit("plain", limit=5)
    keys = sorted([k.decode() async for k in redis_client.scan_iter(match=redis_prefix + "*")])
    assert keys == [f"{redis_prefix}rl:chat:{{{user}}}", f"{redis_prefix}rl:{{plain}}"]
    ttl_ms = await redis_client.pttl(f"{redis_prefix}rl:chat:{{{user}}}")
    assert 0 < ttl_ms <= 12_000  # one request of 5/min: the bucket is full again in 12 s


async def test_a_refusal_leaves_the_stored_bucket_untouched(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix)
    for _ in range(5):
        await limiter.hit("k", limit=5, now=T0)
    stored = await redis_client.get(limiter.redis_key("k"))
    assert stored == f"{epoch_us(T0) + 60_000_000} 12000000".encode()
    for _ in range(3):
        assert not (await limiter.hit("k", limit=5, now=T0)).allowed
    assert await redis_client.get(limiter.redis_key("k")) == stored


async def test_many_clients_hitting_at_once_share_one_exact_limit(
    redis_url: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    clients = [redis.Redis.from_url(redis_url) for _ in range(3)]
    try:
        limiters = [RedisRateLimiter(c, prefix=redis_prefix) for c in clients]
        decisions = await asyncio.gather(
            *(limiters[i % 3].hit("chat:{shared}", limit=30, now=T0) for i in range(90))
        )
    finally:
        for c in clients:
            await c.aclose()
    allowed = [d for d in decisions if d.allowed]
    assert len(allowed) == 30
    assert sorted(d.remaining for d in allowed) == list(range(30))


async def test_the_lua_script_and_the_python_twin_agree_step_by_step(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    """A random walk of times and limits (tier changes included): the same decisions and the
    same stored state, to the microsecond."""
    rng = random.Random(20260301)
    key = redis_prefix + "rl:{parity}"
    now = epoch_us(T0)
    stored: tuple[int, int] | None = None
    limits = [5, 30, 100, 7, 1]
    limit = 5
    outcomes = set()
    for _ in range(600):
        now += rng.choice([0, 0, 0, 1, 999, 12_000, 250_000, 2_000_000, 8_571_429, 61_000_000])
        if rng.random() < 0.05:
            limit = rng.choice(limits)
        period = rng.choice([60_000_000, 60_000_000, 1_500_000])
        step = gcra_step(stored, now, limit, period)
        reply = await redis_client.eval(GCRA_LUA, 1, key, now, limit, period)
        assert [int(v) for v in reply] == [
            int(step.allowed),
            step.remaining,
            step.reset_after_us,
            step.retry_after_us,
        ]
        if step.store is not None:
            stored = step.store
        raw = await redis_client.get(key)
        if raw is not None:
            tat, interval = (int(v) for v in raw.split())
            assert stored == (tat, interval)
        else:  # expired in Redis: only a bucket that was already full again
            assert stored is None or stored[0] <= now or (await redis_client.pttl(key)) < 0
        outcomes.add(step.allowed)
    assert outcomes == {True, False}


async def test_it_reloads_the_script_after_a_script_flush(private_redis: RedisServer) -> None:
    client = redis.Redis.from_url(private_redis.url)
    try:
        limiter = RedisRateLimiter(client, prefix="t:")
        assert (await limiter.hit("k", limit=5, now=T0)).remaining == 4
        assert await client.script_exists(limiter.script_sha) == [True]
        await client.script_flush()
        assert await client.script_exists(limiter.script_sha) == [False]
        before = errors_total()
        assert (await limiter.hit("k", limit=5, now=T0)).remaining == 3
        assert await client.script_exists(limiter.script_sha) == [True]
        assert errors_total() == before
        assert not limiter.degraded
    finally:
        await client.aclose()


async def test_unreachable_redis_fails_open_counts_and_reports_degraded(
    closed_port_client: redis.Redis,
) -> None:
    limiter = RedisRateLimiter(closed_port_client, prefix="t:")
    assert await limiter.health_check() == "redis GCRA"
    before = errors_total()
    decisions = [await limiter.hit("k", limit=5, now=T0) for _ in range(8)]
    assert all(d.allowed for d in decisions)  # more than the limit: nothing is enforced
    assert decisions[0].limit == 5
    assert decisions[0].remaining == 4
    # one error, then Redis is left alone for retry_after_error_s instead of being hammered
    assert errors_total() == before + 1
    assert limiter.degraded
    with pytest.raises(RuntimeError, match=r"failing open since .*ConnectionError"):
        await limiter.health_check()


async def test_errors_are_logged_once_per_interval_and_each_counted(
    closed_port_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RedisRateLimiter(closed_port_client, prefix="t:", retry_after_error_s=0)
    before = errors_total()
    with caplog.at_level(logging.WARNING, logger="app.ratelimit.limiter"):
        for _ in range(3):
            assert (await limiter.hit("k", limit=5)).allowed
    assert errors_total() == before + 3
    warnings = [r for r in caplog.records if r.name == "app.ratelimit.limiter"]
    assert len(warnings) == 1
    assert "fail open" in warnings[0].getMessage()


async def test_it_enforces_again_once_redis_is_back(private_redis: RedisServer) -> None:
    client = app_client(private_redis.url)
    try:
        limiter = RedisRateLimiter(client, prefix="t:", retry_after_error_s=0)
        for _ in range(5):
            assert (await limiter.hit("k", limit=5, now=T0)).allowed
        private_redis.stop()
        assert (await limiter.hit("k", limit=5, now=T0)).allowed  # fail open
        assert limiter.degraded
        private_redis.start()  # same port, empty: the bucket's history went with the server
        decisions = [await limiter.hit("k", limit=5, now=T0) for _ in range(6)]
        assert [d.allowed for d in decisions] == [True] * 5 + [False]
        assert not limiter.degraded
        assert await limiter.health_check() == "redis GCRA"
    finally:
        await client.aclose()


async def test_a_hanging_redis_is_cut_off_by_the_limiters_own_timeout() -> None:
    """A server that accepts and never answers: the call gives up after timeout_s (redis-py's
    own retries included) and the request is allowed."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = app_client(f"redis://127.0.0.1:{port}/0")
    try:
        limiter = RedisRateLimiter(client, prefix="t:", timeout_s=0.05)
        decision = await limiter.hit("k", limit=5)
        assert decision.allowed
        assert limiter.degraded
        assert limiter.last_error is not None
        assert limiter.last_error.startswith("TimeoutError")
    finally:
        await client.aclose()
        server.close()
