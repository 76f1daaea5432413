"""Debits per second through the chat hot path's repository on PostgreSQL, against pgbench.

    python bench/debits.py [--seconds 8] [--concurrency 1,8] [--wallets 10000] [--keep]
    python bench/debits.py --rls-rounds 6 --seconds 3     # as the owner vs under RLS

A debit is what every chat reply costs the database: place_hold (conditional UPDATE of the
wallet + INSERT of the hold, one statement) then settle (wallet, hold, two messages, ledger row,
session: one statement), i.e. two transactions through PostgresHotPath on an asyncpg pool.
Measured on one hot wallet (every debit on the same row: the worst case, serialised by the row
lock) and spread over 10,000 wallets, at the same client concurrency as the reference:
pgbench running a single-row conditional UPDATE (`UPDATE ... SET balance = balance - 1 WHERE
id = :id AND balance >= 1`) from a custom script on a scratch table, same database, same
machine. Prints the machine (nproc, CPU model), each figure, and the ratio.

Needs PostgreSQL (BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres) and
the pgbench binary. Works in a scratch database it creates and drops.

--rls-rounds N: instead, what row-level security costs PostgreSQL on this path: debits over the
wallets at one client, as the tables' owner and as a member of companion_app (policies on,
migration 0006), alternated N times so the machine's drift falls on both; prints each round and
the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.chat.hot_repository import HoldRequest, PostgresHotPath, SettleRequest  # noqa: E402
from app.kit.ids import uuid7  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
RATE = 50  # micro-credits per token (vip)


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": nproc or str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def dsn_for(dbname: str) -> str:
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{dbname}"


def migrate(dbname: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option(
        "sqlalchemy.url", dsn_for(dbname).replace("postgresql://", "postgresql+asyncpg://", 1)
    )
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "heads")


@dataclass
class Fixture:
    users: list[uuid.UUID]
    sessions: dict[uuid.UUID, list[uuid.UUID]]


async def seed(dsn: str, wallets: int, hot_sessions: int) -> Fixture:
    now = dt.datetime.now(dt.UTC)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO character_config (id, name, description, personality, scenario, "
            "greeting, example_dialogue, system_prompt, tags, tier_required, adult_content, age, "
            "is_active, sort_order, extra, created_at, updated_at) VALUES ('bench', 'Bench', "
            "'', '', '', 'hi', '', 'sys', '[]', 'free', false, 30, true, 0, '{}', $1, $1)",
            now,
        )
        users = [uuid7() for _ in range(wallets)]
        await conn.copy_records_to_table(
            "users",
            columns=["id", "firebase_uid", "tier", "is_active", "created_at", "updated_at"],
            records=[(u, f"bench-{u}", "vip", True, now, now) for u in users],
        )
        big = 10**15
        await conn.copy_records_to_table(
            "user_wallet",
            columns=[
                "user_id",
                "daily_micro",
                "bonus_micro",
                "purchased_micro",
                "held_micro",
                "daily_date",
                "updated_at",
            ],
            records=[(u, 0, 0, big, 0, now.date(), now) for u in users],
        )
        sessions: dict[uuid.UUID, list[uuid.UUID]] = {u: [uuid7()] for u in users}
        sessions[users[0]] += [uuid7() for _ in range(hot_sessions - 1)]
        await conn.copy_records_to_table(
            "chat_sessions",
            columns=[
                "id",
                "user_id",
                "character_id",
                "status",
                "message_count",
                "created_at",
                "updated_at",
                "last_message_at",
            ],
            records=[
                (s, u, "bench", "active", 0, now, now, now)
                for u, ss in sessions.items()
                for s in ss
            ],
        )
        await conn.execute(
            "CREATE TABLE bench_wallet (id int PRIMARY KEY, balance bigint NOT NULL);"
            f"INSERT INTO bench_wallet SELECT g, {big} FROM generate_series(1, {wallets}) g"
        )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return Fixture(users=users, sessions=sessions)


async def debit(hot: PostgresHotPath, user: uuid.UUID, session: uuid.UUID) -> None:
    now = dt.datetime.now(dt.UTC)
    hold_id = uuid7()
    short = await hot.place_hold(
        HoldRequest(
            hold_id=hold_id,
            user_id=user,
            session_id=session,
            tier="vip",
            rate_micro_per_token=RATE,
            amount_micro=700 * RATE,
            now=now,
            expires_at=now + dt.timedelta(minutes=5),
        )
    )
    assert short is None, "the bench wallets never run out"
    await hot.settle(
        SettleRequest(
            hold_id=hold_id,
            user_id=user,
            session_id=session,
            charge_micro=420 * RATE,
            user_message_id=uuid7(),
            user_content="How was your day?",
            user_tokens=6,
            user_created_at=now,
            assistant_message_id=uuid7(),
            assistant_content="Lovely, thank you for asking! I went for a long walk by the sea.",
            assistant_status="complete",
            prompt_tokens=380,
            completion_tokens=40,
            model="bench",
            now=now,
        )
    )


async def run_debits(
    dsn: str, fx: Fixture, *, hot_wallet: bool, concurrency: int, seconds: float
) -> tuple[float, float]:
    """(debits per second, client CPU milliseconds per debit)."""
    pool = await asyncpg.create_pool(
        dsn, min_size=concurrency, max_size=concurrency, statement_cache_size=256
    )
    hot = PostgresHotPath(pool)
    done = 0
    stop = False
    rng = random.Random(1)

    async def worker(i: int) -> None:
        nonlocal done
        while not stop:
            if hot_wallet:
                user = fx.users[0]
                session = fx.sessions[user][i % len(fx.sessions[user])]
            else:
                user = fx.users[rng.randrange(len(fx.users))]
                session = fx.sessions[user][0]
            await debit(hot, user, session)
            done += 1

    try:
        for _ in range(50):  # warm up: prepared statements on every connection
            await debit(hot, fx.users[1], fx.sessions[fx.users[1]][0])
        done = 0
        cpu0, t0 = time.process_time(), time.perf_counter()
        tasks = [asyncio.create_task(worker(i)) for i in range(concurrency)]
        await asyncio.sleep(seconds)
        stop = True
        await asyncio.gather(*tasks)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        await pool.close()
    return done / elapsed, cpu * 1000 / max(done, 1)


async def compare_roles(dsn: str, fx: Fixture, *, rounds: int, seconds: float) -> None:
    from bench._common import app_role_url

    app_dsn = await asyncio.to_thread(app_role_url, dsn)
    rates: dict[str, list[float]] = {"owner": [], "companion_app (RLS)": []}
    print(f"{'round':>5} {'as':<20} {'debits/s':>9}")
    for i in range(1, rounds + 1):
        for name, url in zip(rates, (dsn, app_dsn), strict=True):
            rate, _ = await run_debits(url, fx, hot_wallet=False, concurrency=1, seconds=seconds)
            rates[name].append(rate)
            print(f"{i:>5} {name:<20} {rate:>9.0f}")
    for name, values in rates.items():
        print(f"median {name}: {statistics.median(values):.0f} debits/s")


def run_pgbench(dbname: str, *, hot_wallet: bool, concurrency: int, seconds: int, n: int) -> float:
    binary = shutil.which("pgbench")
    if binary is None:
        raise SystemExit("pgbench is not installed (apt-get install postgresql-client)")
    url = urlparse(ADMIN_URL)
    script = (
        "UPDATE bench_wallet SET balance = balance - 1 WHERE id = 1 AND balance >= 1;\n"
        if hot_wallet
        else f"\\set id random(1, {n})\n"
        "UPDATE bench_wallet SET balance = balance - 1 WHERE id = :id AND balance >= 1;\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        cmd = [binary, "-n", "-M", "prepared", "-f", path]
        cmd += ["-c", str(concurrency), "-j", str(min(concurrency, os.cpu_count() or 1))]
        cmd += ["-T", str(seconds), "-h", url.hostname or "127.0.0.1"]
        cmd += ["-p", str(url.port or 5432), "-U", url.username or "postgres", dbname]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(path)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    if match is None:
        raise RuntimeError(f"could not read pgbench's output:\n{out}")
    return float(match.group(1))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", default="1,8", help="comma-separated client counts")
    parser.add_argument("--wallets", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--rls-rounds",
        type=int,
        default=0,
        help="compare the owner with the row-level-security role, alternated this many times",
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    info = machine()
    admin = await asyncpg.connect(ADMIN_URL)
    server = await admin.fetchval("SHOW server_version")
    dbname = f"bench_debits_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{dbname}"')
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: nproc={info['nproc']}, CPU: {info['cpu']}, load average before: {load}")
    print(f"         Python {info['python']}, PostgreSQL {server}, {info['platform']}")
    print(f"command: python bench/debits.py --seconds {args.seconds:g} ", end="")
    print(f"--concurrency {args.concurrency} --wallets {args.wallets}", end="")
    print(f" --rls-rounds {args.rls_rounds}" if args.rls_rounds else "")
    try:
        await asyncio.to_thread(migrate, dbname)
        dsn = dsn_for(dbname)
        fx = await seed(dsn, args.wallets, hot_sessions=max(levels))
        if args.rls_rounds:
            await compare_roles(dsn, fx, rounds=args.rls_rounds, seconds=args.seconds)
            return
        header = (
            f"{'wallets':>8} {'clients':>7} {'debits/s':>9} {'client CPU/debit':>17} "
            f"{'pgbench UPDATE/s':>17} {'ratio':>6}"
        )
        print(header)
        print("-" * len(header))
        for hot_wallet in (True, False):
            for c in levels:
                rate, cpu_ms = await run_debits(
                    dsn, fx, hot_wallet=hot_wallet, concurrency=c, seconds=args.seconds
                )
                tps = run_pgbench(
                    dbname,
                    hot_wallet=hot_wallet,
                    concurrency=c,
                    seconds=max(1, round(args.seconds)),
                    n=args.wallets,
                )
                label = "1 (hot)" if hot_wallet else f"{args.wallets:,}"
                print(
                    f"{label:>8} {c:>7} {rate:>9.0f} {cpu_ms:>14.3f} ms {tps:>17.0f} "
                    f"{rate / tps:>6.2f}"
                )
        print(
            "(a debit = place_hold + settle: 2 transactions, 8 row writes; "
            "pgbench: 1 transaction, 1 row write)"
        )
    finally:
        if args.keep:
            print(f"kept database {dbname}")
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
