"""Added latency of a Premium chat request (long-term memory on) over a Free one.

    python bench/memory_chat.py                 # 200 messages each, after 100 remembered
    python bench/memory_chat.py -n 500 --remember 1000
    python bench/memory_chat.py --think         # indexing done between messages

The real app in process (ASGI, no sockets: only the app's own time counts), on SQLite, the
offline model, the bundled MiniLM on the CPU and the embedded ChromaDB, as `make run` with the
memory extra has them. A Premium user first tells a character `--remember` things (indexed in
the background, waited for), then both users send the same messages one at a time; the figure
is the difference of their latency percentiles: what retrieval (the query embedding, the vector
search, the prompt block) adds to a message. Prints the machine and the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench._common import loadavg, machine

FACTS = [
    "My sister Ophelia is a marine biologist in Lisbon.",
    "I adopted a grey cat called Pixel last spring.",
    "I work as a nurse on night shifts at the city hospital.",
    "My favourite food is mushroom risotto.",
    "I'm training for the Berlin marathon in September.",
    "My best friend Dev moved to Osaka for work.",
    "I play the cello in a small amateur orchestra.",
    "I'm allergic to peanuts, badly.",
]
QUESTIONS = [
    "What do you remember about my sister?",
    "How is my cat doing, do you think?",
    "Any advice for my next night shift?",
    "What should I cook tonight?",
    "Wish me luck with my training!",
]


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def main(args: argparse.Namespace) -> None:
    from alembic import command

    from app.characters.seed import seed_characters
    from app.kit.db import create_database
    from app.main import create_app
    from app.settings import Settings
    from tests.conftest import alembic_config
    from tests.helpers import Api

    print(f"machine: {machine()}; load average {loadavg()}")
    work = Path(tempfile.mkdtemp(prefix="bench-memory-chat-"))
    url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
    settings = Settings(
        _env_file=None,
        DATABASE_URL=url,
        DATA_DIR=str(work),
        CHROMA_PATH=str(work / "chroma"),
        DEV_AUTH_SECRET="bench-" + uuid.uuid4().hex,
        AUTH_RATE_LIMIT_PER_MINUTE=0,
        LOG_JSON=False,
        LOG_LEVEL="WARNING",  # the figures, not a log line per request
        MEMORY_ENABLED=True,
        MEMORY_FACT_EXTRACTOR="rules",
    )
    db = await create_database(settings)
    async with db.sessionmaker() as session:
        await seed_characters(session)
        await session.commit()
    await db.dispose()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            api = Api(client, app)
            premium = await api.new_user(tier="premium")
            free = await api.new_user()
            # Enough credits and no rate limit in the way: the figure is latency, not limits.
            for user in (premium, free):
                await api.set_balance(user, purchased=10_000 * 1_000_000)
            app.state.ratelimiter.hit = _unlimited(app.state.ratelimiter.hit)
            memory = app.state.memory
            await memory.warm_up()
            told = await api.new_session(premium, "luna")
            t0 = time.perf_counter()
            for i in range(args.remember):
                text = f"{FACTS[i % len(FACTS)]} (note {i})"
                r = await api.chat(premium, told["id"], text)
                assert r.status_code == 200, r.text
            assert await memory.drain(600)
            print(f"remembered {args.remember} exchanges in {time.perf_counter() - t0:.1f} s")
            results: dict[str, list[float]] = {}
            for name, user in (("free", free), ("premium", premium)):
                session = await api.new_session(user, "luna")
                for i in range(10):  # warm-up
                    await api.chat(user, session["id"], QUESTIONS[i % len(QUESTIONS)])
                times = []
                for i in range(args.n):
                    if args.think:
                        # A user reads the reply before writing: the exchange's background
                        # indexing is done by then (not timed).
                        assert await memory.drain(60)
                    start = time.perf_counter()
                    r = await api.chat(user, session["id"], QUESTIONS[i % len(QUESTIONS)])
                    times.append((time.perf_counter() - start) * 1000)
                    assert r.status_code == 200, r.text
                results[name] = times
    print(f"{'':10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, times in results.items():
        print(f"{name:10} {pct(times, 50):8.2f} {pct(times, 95):8.2f} {pct(times, 99):8.2f}")
    for q in (50, 95):
        added = pct(results["premium"], q) - pct(results["free"], q)
        print(f"premium over free, p{q}: +{added:.2f} ms")
    print(f"load average after: {loadavg()}")


def _unlimited(hit: Any) -> Any:
    async def allow(key: str, *, limit: int, **kw: Any) -> Any:
        return await hit(key, limit=1_000_000, **kw)

    return allow


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=200, help="messages timed per user")
    parser.add_argument("--remember", type=int, default=100, help="exchanges told first")
    parser.add_argument(
        "--think",
        action="store_true",
        help="let the previous exchange's indexing finish before each timed message (a user's "
        "think time); without it messages go back to back and retrieval competes with it",
    )
    asyncio.run(main(parser.parse_args()))
