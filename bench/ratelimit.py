"""Rate-limit decisions per second on this machine.

    python bench/ratelimit.py [--redis-url redis://127.0.0.1:6379/0] [-n 20000] [-c 50]

- RedisRateLimiter.hit (the app's client, app.kit.redis): sequential, then `-c` concurrent tasks;
  wall-clock decisions per second and this process's CPU per decision (the Redis server's CPU is
  another process and not counted);
- the raw figure: `redis-benchmark` running the same script with EVALSHA (same arguments, same
  key spread), with 1 connection and with `-c`, and the limiter's share of it;
- InProcessRateLimiter.hit: decisions per second and CPU per decision.

Every decision is an allowed one (limit 1,000,000/min): the path that reads and writes the
bucket, the dearer of the two. Keys are spread over --keys buckets.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.kit.clock import utcnow
from app.kit.redis import create_redis
from app.ratelimit.limiter import (
    InProcessRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    epoch_us,
)
from app.settings import Settings
from bench._common import machine

LIMIT = 1_000_000
PERIOD_S = 60.0


async def measure(
    label: str, n: int, concurrency: int, one: Callable[[int], Awaitable[Any]]
) -> float:
    """Run `one(i)` n times over `concurrency` tasks; print and return decisions per second."""
    per_task = n // concurrency

    async def worker(w: int) -> None:
        base = w * per_task
        for i in range(per_task):
            await one(base + i)

    total = per_task * concurrency
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    rate = total / wall
    print(
        f"  {label:<44} {rate:>10,.0f} decisions/s   "
        f"{cpu / total * 1e6:6.1f} us CPU/decision   ({total:,} in {wall:.2f} s)"
    )
    return rate


def redis_benchmark(url: str, sha: str, prefix: str, keys: int, n: int, clients: int) -> float:
    """requests/s of redis-benchmark running EVALSHA of the limiter's script (loaded in Redis by
    the limiter's first hit)."""
    binary = shutil.which("redis-benchmark")
    if binary is None:
        raise FileNotFoundError("redis-benchmark is not installed (it ships with redis-server)")
    u = urlparse(url)
    cmd = [binary, "-h", u.hostname or "127.0.0.1", "-p", str(u.port or 6379)]
    if u.password:
        cmd += ["-a", u.password]
    if u.path.strip("/"):
        cmd += ["--dbnum", u.path.strip("/")]
    now_us = epoch_us(utcnow())
    cmd += ["-n", str(n), "-c", str(clients), "-r", str(keys), "--csv"]
    # __rand_int__ is replaced by redis-benchmark with a number below -r: the same key spread
    cmd += ["EVALSHA", sha, "1", f"{prefix}rl:{{__rand_int__}}", str(now_us), str(LIMIT)]
    cmd += [str(int(PERIOD_S * 1_000_000))]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    return float(rows[-1]["rps"])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--redis-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("-n", type=int, default=20_000, help="decisions per Redis measurement")
    parser.add_argument("-c", type=int, default=50, help="concurrent tasks / connections")
    parser.add_argument("--keys", type=int, default=1000, help="distinct buckets")
    args = parser.parse_args()

    loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
    print(f"machine: {machine()}; event loop: {loop}")
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    redis = create_redis(Settings(_env_file=None, REDIS_URL=args.redis_url))
    assert redis is not None
    try:
        info = await redis.info("server")
        print(f"redis: {info['redis_version']} at {args.redis_url}")
        limiter = RedisRateLimiter(redis, prefix=prefix)
        keys = [f"chat:{{{i}}}" for i in range(args.keys)]

        def hit(lim: RateLimiter) -> Callable[[int], Awaitable[Any]]:
            return lambda i: lim.hit(keys[i % len(keys)], limit=LIMIT, period_s=PERIOD_S)

        await measure("warm-up", 2000, 1, hit(limiter))
        now_us, period_us = epoch_us(utcnow()), int(PERIOD_S * 1_000_000)

        def bare(i: int) -> Awaitable[Any]:
            key = limiter.redis_key(keys[i % len(keys)])
            return redis.evalsha(limiter.script_sha, 1, key, now_us, LIMIT, period_us)

        print("redis-py evalsha alone (the client's share; no clock, no fail-open guard):")
        await measure("sequential (1 task)", args.n, 1, bare)
        print("RedisRateLimiter.hit (one EVALSHA per decision):")
        seq = await measure("sequential (1 task)", args.n, 1, hit(limiter))
        conc = await measure(f"{args.c} concurrent tasks", args.n, args.c, hit(limiter))
        assert not limiter.degraded, limiter.last_error

        print("redis-benchmark, EVALSHA of the same script (the raw figure):")
        try:
            raw_n = max(args.n, 50_000)
            raw1 = redis_benchmark(args.redis_url, limiter.script_sha, prefix, args.keys, raw_n, 1)
            rawc = redis_benchmark(
                args.redis_url, limiter.script_sha, prefix, args.keys, raw_n, args.c
            )
            print(f"  {'1 connection':<44} {raw1:>10,.0f} requests/s")
            print(f"  {f'{args.c} connections':<44} {rawc:>10,.0f} requests/s")
            print(
                f"limiter / raw: sequential {seq / raw1:.0%}, {args.c} concurrent {conc / rawc:.0%}"
            )
        except (FileNotFoundError, subprocess.CalledProcessError) as exc:
            print(f"  not measured: {exc}")

        in_process = InProcessRateLimiter()
        print("InProcessRateLimiter.hit (no I/O; the app clock read included):")
        await measure("sequential", max(args.n, 200_000), 1, hit(in_process))
    finally:
        keys_left = [k async for k in redis.scan_iter(match=prefix + "*", count=1000)]
        for i in range(0, len(keys_left), 1000):
            await redis.delete(*keys_left[i : i + 1000])
        await redis.aclose()


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
