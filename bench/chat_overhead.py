"""What the chat path costs over a bare FastAPI endpoint and over the model call itself.

    python bench/chat_overhead.py [--seconds 10] [--connections 32] [--expect-rps 800]
                                  [--without-ops [log,metrics,rls]]
                                  [--profile DIR] [--json PATH] [--keep-db]

One run, one command (about 4-5 minutes: ~2 minutes preparing users, phases of --seconds each). It
starts, each in its own process:
- a zero-latency loopback server speaking the OpenAI chat-completions wire format
  (bench/upstream.py; every run measures its ceiling, ~50x what the app asks of it);
- the real app (`uvicorn app.main:app`, one worker, uvloop + httptools, log level warning) with
  LOG_JSON on (the request log line goes to a file) and multiprocess Prometheus metrics as in
  production (docker/Dockerfile), on a fresh PostgreSQL database migrated with alembic and seeded,
  Redis rate limits under a unique key prefix, dev tokens (DEV_AUTH_SECRET: APP_ENV stays
  development, production mode refuses them), AUTH_RATE_LIMIT_PER_MINUTE=0 (the logins come from
  one address), MEMORY_ENABLED=false (premium/VIP memory retrieval is to be measured apart), and
  the loopback as its model (XAI_BASE_URL);
- the bare endpoint (bench/bare_app.py) under the same uvicorn settings.
Users log in through the API (which creates them and their wallets), get credits through an
admin_adjustment ledger row (wallet and ledger move together, as tests/helpers.Api.set_balance
does), premium users get their tier set in the users table (as Api.set_tier does), and sessions
are opened through the API, then given 20 messages of history. Load is spread over enough users
that no one reaches their tier's per-minute limit (the limiter stays on; any 429 fails the run).
Each pool is prepared right before its phase (a user's principal is cached from their first
authenticated request), so the token and principal caches hold its users as they would
mid-conversation. Chat requests carry
max_tokens=20: the loopback replies with 20 words (20 stream deltas), 200 for the long streams.

Phases (wrk = closed loop at --connections; rate = open loop at a fixed rate; each after a warm-up):
  bare endpoint, wallet balance, free-tier chat, bare endpoint again,  wrk, max throughput
  premium chat (the ratios use the mean of the two bare phases, which
  bracket the free chat phase: a shared VM's speed drifts over minutes)
  upstream direct (the replayed request the app sends)                 wrk, ceiling and c=1
  free-tier chat at concurrency 1                                      wrk -c1
  free-tier chat at half its max rate, and the upstream at that rate   Python open loop
  streaming chat, 20 and 200 events, and the upstream direct           Python stream client
Then the app is stopped (it drains settlements), `python -m app.cli audit-ledger` runs against the
database, holds, ledger rows and stored replies are counted, and the app's request log is counted
by status: any failure, any non-2xx, a ledger that does not match the wallets, or a hold left open
fails the run (exit status 1). The database and the Redis keys are removed at the end.

--profile DIR: also records the app with py-spy (`record --native --format raw`, 100 Hz, as root)
during the free and premium max phases and the stream phase, counts syscalls per chat request
with `strace -c -f`, and prints the top of each profile (bench/profile_summary.py; the raw files
are collapsed stacks, which speedscope.app opens). --native pauses the app at every sample, so
figures taken in a --profile run are not headline figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import asyncpg
import orjson
import uvloop

from bench._common import (
    PYTHON,
    ROOT,
    Req,
    StreamResult,
    WrkResult,
    app_role_url,
    app_tree_hash,
    closed_loop,
    create_database,
    drop_database,
    fixed_rate,
    free_port,
    fund_users,
    git_commit,
    insert_history,
    loadavg,
    machine,
    start,
    stop,
    stream_clients,
    uvicorn_cmd,
    wait_port,
    write_requests,
    wrk,
)

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
MODEL = "bench-model"
REPLY_TOKENS = 20  # max_tokens of every chat request: the reply's words / stream's deltas
LONG_REPLY_TOKENS = 200
HISTORY = 20  # messages of history each session starts with
CREDITS_MICRO = 100 * 1_000_000  # 100 credits per user, far more than a run spends
USER_MESSAGES = [
    "Hi! How was your day? Mine was long, but the sunset made up for it.",
    "I just got back from a long walk by the river and my feet are killing me.",
    "My cat Pixel knocked a plant off the shelf again. Any advice for a tiny menace?",
    "Tell me something you love about the night sky, and why it matters to you.",
    "What would you cook for a rainy evening if you had only an hour?",
    "I have an interview tomorrow and I'm nervous. Can you help me calm down a bit?",
]
# Rate limits (requests per minute, burst = limit): app/billing/tiers.py.
TIER_RPM = {"free": 5, "premium": 30, "vip": 100}
OPS = ("log", "metrics", "rls")  # what --without-ops can switch off


def ops_list(value: str) -> list[str]:
    parts = [part.strip() for part in value.split(",") if part.strip()]
    unknown = set(parts) - set(OPS)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown: {', '.join(sorted(unknown))}")
    return parts


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------- database


# --------------------------------------------------------------------------- users


@dataclass
class User:
    token: str
    id: str = ""
    session_id: str = ""
    tier: str = "free"

    @property
    def auth(self) -> str:
        return f"Bearer {self.token}"


@dataclass
class Pool:
    """Users reserved for one phase, so every phase starts with full rate-limit buckets."""

    name: str
    tier: str
    users: list[User] = field(default_factory=list)

    def chat_requests(
        self, *, stream: bool = False, max_tokens: int = REPLY_TOKENS, rounds: int = 1
    ) -> list[Req]:
        out = []
        for r in range(rounds):
            for i, u in enumerate(self.users):
                body = {
                    "session_id": u.session_id,
                    "message": USER_MESSAGES[(i + r) % len(USER_MESSAGES)],
                    "max_tokens": max_tokens,
                }
                if stream:
                    body["stream"] = True
                out.append(Req("POST", "/api/v1/chat/completions", u.auth, orjson.dumps(body)))
        return out

    def balance_requests(self) -> list[Req]:
        return [Req("GET", "/api/v1/wallet/balance", u.auth, None) for u in self.users]


def users_needed(tier: str, rps: float, seconds: float) -> int:
    """Users so that `rps` for `seconds` spread round-robin stays within each user's limit:
    GCRA allows a burst of `limit` and then one request every 60/limit seconds."""
    per_user = TIER_RPM[tier] + seconds * TIER_RPM[tier] / 60
    return int(rps * seconds / (per_user * 0.8)) + 20  # 20% margin


async def prepare_users(
    base: str, pools: list[Pool], secret: str, dsn: str, concurrency: int = 16
) -> None:
    """Log in (creates user + wallet), fund through the ledger, set tiers, open sessions."""
    from app.auth.verifier import DevTokenVerifier

    verifier = DevTokenVerifier(secret, 7 * 24 * 3600)
    everyone: list[User] = []
    for pool in pools:
        for u in pool.users:
            u.tier = pool.tier
            everyone.append(u)
    run = uuid.uuid4().hex[:8]
    for n, u in enumerate(everyone):
        u.token, _ = verifier.issue(f"bench-{run}-{n}", email=f"bench-{run}-{n}@example.com")

    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(base_url=base) as http:

        async def login(u: User) -> None:
            async with sem, http.post("/api/v1/auth/login", json={"id_token": u.token}) as r:
                assert r.status == 200, await r.text()
                u.id = (await r.json())["user"]["id"]

        t = time.perf_counter()
        await asyncio.gather(*(login(u) for u in everyone))
        log(f"  {len(everyone)} users logged in ({time.perf_counter() - t:.1f} s)")

        conn = await asyncpg.connect(dsn)
        try:
            ids = [uuid.UUID(u.id) for u in everyone]
            async with conn.transaction():
                await fund_users(conn, ids, CREDITS_MICRO)
                for tier in ("premium", "vip"):
                    chosen = [uuid.UUID(u.id) for u in everyone if u.tier == tier]
                    if chosen:
                        await conn.execute(
                            "UPDATE users SET tier = $2 WHERE id = ANY($1::uuid[])", chosen, tier
                        )
        finally:
            await conn.close()

        async def open_session(u: User) -> None:
            async with (
                sem,
                http.post(
                    "/api/v1/chat/sessions",
                    json={"character_id": "luna"},
                    headers={"Authorization": u.auth},
                ) as r,
            ):
                assert r.status == 201, await r.text()
                u.session_id = (await r.json())["id"]

        t = time.perf_counter()
        await asyncio.gather(*(open_session(u) for u in everyone))
        log(f"  {len(everyone)} sessions opened ({time.perf_counter() - t:.1f} s)")

    # History: the conversation so far (messages only; no money moves).
    conn = await asyncpg.connect(dsn)
    try:
        await insert_history(
            conn, [(uuid.UUID(u.session_id), uuid.UUID(u.id)) for u in everyone], HISTORY
        )
    finally:
        await conn.close()


async def warm_caches(base: str, users: Sequence[User], concurrency: int = 16) -> None:
    """One authenticated request per user (GET /wallet/balance): the verified-token and principal
    caches then hold them, as they do for a user in the middle of a conversation. The principal
    cache lives 60 s, so each pool is warmed right before its phase."""
    reqs = [Req("GET", "/api/v1/wallet/balance", u.auth, None) for u in users]
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(base_url=base) as http:

        async def one(r: Req) -> None:
            async with sem, http.get(r.path, headers={"Authorization": r.auth or ""}) as resp:
                await resp.read()
                assert resp.status == 200, resp.status

        await asyncio.gather(*(one(r) for r in reqs))


# --------------------------------------------------------------------------- profiling


class Profiler:
    """py-spy record on a pid (needs root or ptrace rights), one file per phase."""

    def __init__(self, out_dir: Path | None, pid: int) -> None:
        self.out_dir = out_dir
        self.pid = pid
        self.proc: subprocess.Popen[Any] | None = None
        self.files: list[Path] = []

    def begin(self, phase: str, seconds: float) -> None:
        if self.out_dir is None:
            return
        py_spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
        raw = self.out_dir / f"{phase}.txt"
        self.files.append(raw)
        self.proc = subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(self.pid),
                "--native",
                "--rate",
                "100",
                "--duration",
                str(int(seconds) + 1),
                "--format",
                "raw",
                "--output",
                str(raw),
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.out_dir / f"{phase}.py-spy.log", "wb"),  # noqa: SIM115
        )
        time.sleep(0.5)

    def end(self) -> None:
        if self.proc is not None:
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                self.proc.wait(5)
            self.proc = None


async def count_syscalls(
    pid: int, url: str, data_file: Path, lua: Path, out_dir: Path, seconds: int = 5
) -> list[str]:
    strace = shutil.which("strace")
    if strace is None:
        return ["strace is not installed: no syscall counts"]
    out = out_dir / "strace.txt"
    proc = subprocess.Popen(
        [strace, "-c", "-f", "-p", str(pid), "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await asyncio.sleep(1.0)
    r = await asyncio.to_thread(
        wrk, url + "/", data_file, connections=8, seconds=seconds, lua_path=lua
    )
    proc.send_signal(signal.SIGINT)
    proc.wait(30)
    lines = [f"syscalls per chat request (strace -c -f, {r.requests} requests, {r.failed} failed):"]
    rows = []
    for line in out.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0].replace(".", "").isdigit() and parts[-1] != "total":
            calls = int(parts[3])
            rows.append((calls / max(1, r.requests), parts[-1]))
    rows.sort(reverse=True)
    total = sum(c for c, _ in rows)
    lines.append(f"  total {total:.1f}: " + ", ".join(f"{name} {c:.1f}" for c, name in rows[:12]))
    for x in lines:
        log("  " + x)
    return lines


# --------------------------------------------------------------------------- report


@dataclass
class Figures:
    rows: list[tuple[str, str, str, str, str, str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)

    def wrk_row(self, name: str, r: WrkResult, app: bool = True) -> None:
        cpu = r.cpu.get("app") if app else r.cpu.get("bare")
        cpu_req = f"{cpu / max(1, r.requests) * 1000:.2f}" if cpu is not None else "-"
        self.rows.append(
            (
                name,
                f"{r.rps:,.0f}",
                f"{r.p50:.2f}",
                f"{r.p95:.2f}",
                f"{r.p99:.2f}",
                cpu_req,
                f"{r.failed}",
            )
        )
        if r.failed:
            self.failures.append(f"{name}: {r.failed} failed ({r.errors})")

    def print_table(self) -> None:
        head = ("phase", "req/s", "p50 ms", "p95 ms", "p99 ms", "CPU ms/req", "failed")
        widths = [max(len(str(x[i])) for x in [head, *self.rows]) for i in range(len(head))]
        for row in [head, *self.rows]:
            print(
                "  "
                + "  ".join(
                    str(v).ljust(widths[i]) if i == 0 else str(v).rjust(widths[i])
                    for i, v in enumerate(row)
                )
            )


def describe_wrk(name: str, r: WrkResult, cpu_key: str | None) -> None:
    cpu = ""
    if cpu_key and cpu_key in r.cpu:
        busy = r.cpu[cpu_key] / r.cpu["wall"] * 100
        threads = r.cpu.get(cpu_key + "_threads", 0.0) / max(1e-9, r.cpu[cpu_key]) * 100
        cpu = (
            f", {cpu_key} CPU {r.cpu[cpu_key] / max(1, r.requests) * 1000:.2f} ms/req "
            f"({busy:.0f}% of a core, {threads:.0f}% of it in threads other than the event "
            f"loop's), machine {r.cpu['machine_busy_pct']:.0f}% busy"
        )
    log(
        f"  {name}: {r.rps:,.0f} req/s, p50 {r.p50:.2f} / p95 {r.p95:.2f} / p99 {r.p99:.2f} ms, "
        f"{r.requests} requests, failed {r.failed}{cpu}"
    )


def describe_stream(name: str, r: StreamResult, cpu_key: str | None) -> None:
    extra = ""
    if cpu_key and cpu_key in r.cpu:
        extra = (
            f", {cpu_key} CPU {r.cpu[cpu_key] / max(1, r.requests) * 1000:.2f} ms/stream, "
            f"{r.cpu[cpu_key] / max(1, r.events) * 1000:.3f} ms/event"
        )
    log(
        f"  {name}: c={r.concurrency}, {r.requests / r.seconds:,.0f} streams/s, "
        f"{r.events / max(1, r.requests):.1f} events/stream, TTFB p50 {r.ttfb['p50']:.2f} "
        f"p99 {r.ttfb['p99']:.2f} ms, TTLB p50 {r.ttlb['p50']:.2f} p99 {r.ttlb['p99']:.2f} ms, "
        f"failed {r.failed}{extra}"
    )


# --------------------------------------------------------------------------- main


async def run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    lua = work / "replay.lua"
    secret = "bench-" + uuid.uuid4().hex
    prefix = f"bench:{uuid.uuid4().hex[:12]}:"
    figures = Figures()
    secs = args.seconds
    conns = args.connections
    started = time.time()
    load_before = loadavg()
    log(f"machine: {machine()}")
    commit, tree = git_commit(), app_tree_hash()
    log(f"commit: {commit}; app/ tree {tree}; load average before: {load_before}")
    variant = os.environ.get("BENCH_VARIANT", "")
    log(f"app under test: {args.app}" + (f" (BENCH_VARIANT={variant})" if variant else ""))
    log(f"work dir: {work}")

    db_name, db_url = await asyncio.to_thread(create_database)  # helpers use asyncio.run
    dsn = db_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    log(f"database {db_name}: migrated and seeded")
    up_port, app_port, bare_port = free_port(), free_port(), free_port()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "XAI_"))}
    first_body = work / "upstream_first_request.json"
    upstream = app = bare = None
    profiler: Profiler | None = None
    exit_code = 0
    try:  # the database and Redis keys go whatever happens
        try:
            upstream = start(
                [
                    PYTHON,
                    str(ROOT / "bench/upstream.py"),
                    "--port",
                    str(up_port),
                    "--dump-first",
                    str(first_body),
                ],
                base_env,
                work / "upstream.log",
            )
            wait_port(up_port, upstream)
            app_env = base_env | {
                "APP_ENV": "development",  # production mode refuses dev tokens
                "LOG_JSON": "true",
                "LOG_LEVEL": "INFO",
                "DATABASE_URL": db_url,
                "REDIS_URL": REDIS_URL,
                "REDIS_KEY_PREFIX": prefix,
                "XAI_API_KEY": "bench-key",
                "XAI_BASE_URL": f"http://127.0.0.1:{up_port}/v1",
                "XAI_MODEL": MODEL,
                "DEV_AUTH_SECRET": secret,
                "AUTH_RATE_LIMIT_PER_MINUTE": "0",
                "MEMORY_ENABLED": "false",
                "DATA_DIR": str(work / "data"),
                "PROMETHEUS_MULTIPROC_DIR": str(work / "prometheus"),
                "FIREBASE_PROJECT_ID": "",
            }
            off = set(args.without_ops)
            if "log" in off:
                app_env["REQUEST_LOG"] = "false"
            if "metrics" in off:
                # No HTTP metrics; single-process metrics for the rest.
                app_env["HTTP_METRICS"] = "false"
                app_env.pop("PROMETHEUS_MULTIPROC_DIR")
            if "rls" not in off:
                # As in production: the API under row-level security, jobs on the owner's path.
                # (Without: the API as the tables' owner, which bypasses row-level security.)
                app_env |= {
                    "DATABASE_URL": await asyncio.to_thread(app_role_url, db_url),
                    "JOBS_DATABASE_URL": db_url,
                }
            state = {part: "OFF" if part in off else "on" for part in OPS}
            log(
                f"operations: JSON request log {state['log']}, HTTP metrics (multiprocess) "
                f"{state['metrics']}, row-level security {state['rls']}"
            )
            (work / "prometheus").mkdir()
            app = start(uvicorn_cmd(args.app, app_port), app_env, work / "app.log")
            bare = start(uvicorn_cmd("bench.bare_app:app", bare_port), base_env, work / "bare.log")
            wait_port(app_port, app)
            wait_port(bare_port, bare)
            app_url = f"http://127.0.0.1:{app_port}"
            up_url = f"http://127.0.0.1:{up_port}"
            bare_url = f"http://127.0.0.1:{bare_port}"
            log(
                f"app pid {app.pid} :{app_port}, bare pid {bare.pid} :{bare_port}, "
                f"upstream pid {upstream.pid} :{up_port}"
            )
            profiler = Profiler(args.profile, app.pid)

            # ---- users, sized from the expected rates (see users_needed); the pools for the
            # c=1 and half-load phases are sized from the measured max rate, later.
            est = args.expect_rps
            pools = {
                "warm": Pool("warm", "free"),
                "free_max": Pool("free_max", "free"),
                "premium_max": Pool("premium_max", "premium"),
                "stream": Pool("stream", "premium"),
                "free_c1": Pool("free_c1", "free"),
                "free_rate": Pool("free_rate", "free"),
            }

            async def populate(sizes: dict[str, int]) -> None:
                for name, size in sizes.items():
                    pools[name].users = [User("") for _ in range(size)]
                log(f"preparing users: {sizes}")
                await prepare_users(app_url, [pools[n] for n in sizes], secret, dsn)

            # Each pool is prepared right before its phase: a user's principal is cached when
            # their session is opened and lives 60 s in the app (AuthService principal_ttl), so
            # the phase runs while it is cached, as for a user in the middle of a conversation.

            def data(name: str, reqs: list[Req]) -> Path:
                # Round-robin order (one request per user per round): a user's requests are spaced
                # as far apart as the pool allows, which keeps each user within their rate limit.
                path = work / f"{name}.tsv"
                write_requests(path, reqs)
                return path

            # ---- bare endpoint
            fake = [User("bare", session_id=str(uuid.uuid4())) for _ in range(2000)]
            bare_pool = Pool("bare", "free", fake)
            bare_reqs = [Req("POST", "/bare", r.auth, r.body) for r in bare_pool.chat_requests()]
            bare_file = data("bare", bare_reqs)
            wrk(bare_url + "/bare", bare_file, connections=conns, seconds=3, lua_path=lua)

            def measure_bare(name: str, row: str) -> WrkResult:
                result = wrk(
                    bare_url + "/bare",
                    bare_file,
                    connections=conns,
                    seconds=secs,
                    lua_path=lua,
                    meter={"bare": bare.pid},
                )
                describe_wrk(name, result, "bare")
                figures.wrk_row(row, result, app=False)
                return result

            log("phase: bare endpoint")
            r_bare = measure_bare("bare", "bare FastAPI POST (Pydantic in/out)")

            # ---- wallet balance (ORM path, not rate-limited)
            await populate({"warm": users_needed("free", est, 3)})
            bal_file = data("balance", pools["warm"].balance_requests())
            wrk(app_url + "/", bal_file, connections=conns, seconds=3, lua_path=lua)
            log("phase: wallet balance")
            r_bal = wrk(
                app_url + "/",
                bal_file,
                connections=conns,
                seconds=secs,
                lua_path=lua,
                meter={"app": app.pid},
            )
            describe_wrk("GET /wallet/balance", r_bal, "app")
            figures.wrk_row("GET /api/v1/wallet/balance", r_bal)

            # ---- chat warm-up (prepared statements on every pooled connection, HTTP pool upstream)
            log("phase: chat warm-up")
            await warm_caches(app_url, pools["warm"].users)
            r_warm = wrk(
                app_url + "/",
                data("warm", pools["warm"].chat_requests()),
                connections=conns,
                seconds=3,
                lua_path=lua,
            )
            describe_wrk("warm-up (free chat)", r_warm, None)
            if r_warm.failed:
                figures.failures.append(f"warm-up: {r_warm.failed} failed ({r_warm.errors})")

            # ---- free-tier chat, max
            await populate({"free_max": users_needed("free", est, secs)})
            log("phase: free-tier chat, max throughput")
            await warm_caches(app_url, pools["free_max"].users)
            profiler.begin("free_chat", secs)
            r_free = wrk(
                app_url + "/",
                data("free_max", pools["free_max"].chat_requests(rounds=8)),
                connections=conns,
                seconds=secs,
                lua_path=lua,
                meter={"app": app.pid, "upstream": upstream.pid},
            )
            profiler.end()
            describe_wrk("free chat", r_free, "app")
            figures.wrk_row("POST /chat/completions, free tier", r_free)

            # ---- the bare endpoint again, right after: a shared VM's speed drifts over
            # minutes, so the headline ratio uses both bare phases, which bracket this one.
            log("phase: bare endpoint again (bracketing the free chat phase)")
            r_bare2 = measure_bare("bare again", "bare FastAPI POST, again after free chat")

            # ---- premium chat, max
            await populate({"premium_max": users_needed("premium", est * 1.2, secs)})
            log("phase: premium chat, max throughput")
            await warm_caches(app_url, pools["premium_max"].users)
            profiler.begin("premium_chat", secs)
            r_prem = wrk(
                app_url + "/",
                data("premium_max", pools["premium_max"].chat_requests(rounds=40)),
                connections=conns,
                seconds=secs,
                lua_path=lua,
                meter={"app": app.pid},
            )
            profiler.end()
            describe_wrk("premium chat", r_prem, "app")
            figures.wrk_row("POST /chat/completions, premium", r_prem)

            if args.profile is not None:
                # Syscalls per chat request (strace -c -f: every thread of the app). strace
                # slows the app down a lot; the counts per request stay right.
                log("phase: syscalls per chat request (strace -c, premium users)")
                reqs = pools["premium_max"].chat_requests(rounds=40)
                skip = r_prem.requests + 1000  # past what the premium phase sent
                syscalls = await count_syscalls(
                    app.pid, app_url, data("strace", reqs[skip:]), lua, args.profile
                )
                figures.notes.extend(syscalls)

            # ---- the upstream alone, with the exact request the app sends it
            log("phase: upstream direct (ceiling, c=1)")
            up_body = first_body.read_bytes()
            up_req = Req("POST", "/v1/chat/completions", "Bearer bench-key", up_body)
            up_file = data("upstream", [up_req])
            r_up = wrk(
                up_url + "/",
                up_file,
                connections=conns,
                seconds=3,
                lua_path=lua,
                meter={"upstream": upstream.pid},
            )
            describe_wrk("upstream ceiling", r_up, "upstream")
            figures.wrk_row("upstream direct (loopback model)", r_up, app=False)
            r_up1 = wrk(up_url + "/", up_file, connections=1, seconds=min(secs, 5), lua_path=lua)
            describe_wrk("upstream c=1", r_up1, None)

            # c=1 does at most ~450 req/s here; under --profile the max phase is slowed by the
            # sampler, so its rate says nothing about c=1: size for the cap.
            c1_rps = 450 if args.profile is not None else min(r_free.rps, 450)
            await populate(
                {
                    "free_c1": users_needed("free", c1_rps, secs),
                    "free_rate": users_needed("free", r_free.rps / 2, secs),
                }
            )

            # ---- free chat at concurrency 1
            log("phase: free-tier chat at concurrency 1")
            await warm_caches(app_url, pools["free_c1"].users)
            r_c1 = wrk(
                app_url + "/",
                data("free_c1", pools["free_c1"].chat_requests(rounds=8)),
                connections=1,
                seconds=secs,
                lua_path=lua,
                meter={"app": app.pid},
            )
            describe_wrk("free chat c=1", r_c1, "app")
            figures.wrk_row("POST /chat/completions, free, c=1", r_c1)

            # ---- half the saturating load, open loop
            half = r_free.rps / 2
            log(f"phase: free-tier chat at half load ({half:,.0f} req/s, open loop)")
            gen_rps, gen_lat, _ = await closed_loop(up_url, [up_req], concurrency=conns, seconds=3)
            log(
                f"  generator ceiling (closed loop against the upstream, c={conns}): "
                f"{gen_rps:,.0f} req/s, p50 {gen_lat['p50']:.2f} ms"
            )
            up_rate = await fixed_rate(up_url, [up_req], rate=half, seconds=min(secs, 6))
            log(
                f"  upstream at {half:,.0f} req/s: p50 {up_rate.latency['p50']:.2f} p99 "
                f"{up_rate.latency['p99']:.2f} ms, dispatch lag max "
                f"{up_rate.max_dispatch_lag_ms:.1f} ms"
            )
            await warm_caches(app_url, pools["free_rate"].users)
            rate_reqs = pools["free_rate"].chat_requests(rounds=8)
            r_half = await fixed_rate(
                app_url,
                rate_reqs,
                rate=half,
                seconds=secs,
                meter={"app": app.pid, "harness": os.getpid()},
            )
            log(
                f"  free chat at {half:,.0f} req/s: sent {r_half.sent}, p50 "
                f"{r_half.latency['p50']:.2f} p95 {r_half.latency['p95']:.2f} p99 "
                f"{r_half.latency['p99']:.2f} ms, statuses "
                f"{r_half.statuses}, errors {r_half.errors}, dispatch lag max "
                f"{r_half.max_dispatch_lag_ms:.1f} ms, app CPU "
                f"{r_half.cpu['app'] / max(1, r_half.sent) * 1000:.2f} ms/req, generator CPU "
                f"{r_half.cpu['harness'] / max(1, r_half.sent) * 1000:.2f} ms/req, machine "
                f"{r_half.cpu['machine_busy_pct']:.0f}% busy"
            )
            figures.rows.append(
                (
                    f"free chat at {half:,.0f} req/s (open loop)",
                    f"{r_half.achieved_rps:,.0f}",
                    f"{r_half.latency['p50']:.2f}",
                    f"{r_half.latency['p95']:.2f}",
                    f"{r_half.latency['p99']:.2f}",
                    f"{r_half.cpu['app'] / max(1, r_half.sent) * 1000:.2f}",
                    f"{r_half.failed}",
                )
            )
            if r_half.failed:
                figures.failures.append(f"half load: {r_half.failed} failed {r_half.statuses}")

            # ---- streaming
            await populate({"stream": users_needed("premium", est / 2, secs * 2 + 6)})
            log("phase: streaming chat")
            stream_users = pools["stream"]
            await warm_caches(app_url, stream_users.users)
            s_short = stream_users.chat_requests(stream=True, rounds=40)
            s_long = stream_users.chat_requests(
                stream=True, max_tokens=LONG_REPLY_TOKENS, rounds=40
            )
            sc = args.stream_concurrency
            await stream_clients(app_url, s_short[:50], concurrency=sc, count=50)  # warm
            profiler.begin("stream", secs / 2)
            st = await stream_clients(
                app_url, s_short[50:], concurrency=sc, seconds=secs / 2, meter={"app": app.pid}
            )
            profiler.end()
            describe_stream("stream, 20 deltas", st, "app")
            st_long = await stream_clients(
                app_url, s_long, concurrency=sc, seconds=secs / 2, meter={"app": app.pid}
            )
            describe_stream("stream, 200 deltas", st_long, "app")
            used = st.requests + st_long.requests + 50 + 50
            st1 = await stream_clients(
                app_url, s_short[used:], concurrency=1, seconds=min(secs, 5), meter={"app": app.pid}
            )
            describe_stream("stream c=1", st1, "app")
            up_stream = orjson.loads(up_body)
            up_stream |= {"stream": True, "stream_options": {"include_usage": True}}
            up_sreq = Req(
                "POST", "/v1/chat/completions", "Bearer bench-key", orjson.dumps(up_stream)
            )
            su1 = await stream_clients(up_url, [up_sreq], concurrency=1, seconds=min(secs, 5))
            describe_stream("upstream stream c=1", su1, None)
            for name, s in (("stream 20", st), ("stream 200", st_long), ("stream c=1", st1)):
                if s.failed:
                    figures.failures.append(f"{name}: {s.failed} failed {s.statuses}")
            ev_short = st.events / max(1, st.requests)
            ev_long = st_long.events / max(1, st_long.requests)
            cpu_short = st.cpu["app"] / max(1, st.requests)
            cpu_long = st_long.cpu["app"] / max(1, st_long.requests)
            marginal = (cpu_long - cpu_short) / max(1e-9, ev_long - ev_short)
            figures.rows.append(
                (
                    f"streaming chat, premium, c={sc}, {ev_short:.0f} events",
                    f"{st.requests / st.seconds:,.0f}",
                    f"{st.ttlb['p50']:.2f}",
                    f"{st.ttlb['p95']:.2f}",
                    f"{st.ttlb['p99']:.2f}",
                    f"{cpu_short * 1000:.2f}",
                    f"{st.failed}",
                )
            )

            # ---- headline
            v = figures.values
            bare_rps = (r_bare.rps + r_bare2.rps) / 2
            v["free_over_bare"] = r_free.rps / bare_rps
            v["premium_over_bare"] = r_prem.rps / bare_rps
            v["c1_added_p50"] = r_c1.p50 - r_up1.p50
            v["c1_added_p99"] = r_c1.p99 - r_up1.p99
            v["half_added_p99"] = r_half.latency["p99"] - up_rate.latency["p99"]
            v["half_added_p50"] = r_half.latency["p50"] - up_rate.latency["p50"]
            v["cpu_per_chat_ms"] = r_free.cpu["app"] / max(1, r_free.requests) * 1000
            v["cpu_per_bare_ms"] = (
                (r_bare.cpu["bare"] + r_bare2.cpu["bare"])
                / max(1, r_bare.requests + r_bare2.requests)
                * 1000
            )
            v["bare_drift"] = r_bare2.rps / r_bare.rps - 1
            # What the rps ratio would be if the app's worker were the only thing on its core
            # (production: PostgreSQL, Redis and the clients elsewhere).
            v["free_over_bare_cpu"] = v["cpu_per_bare_ms"] / v["cpu_per_chat_ms"]
            v["cpu_per_event_ms"] = st.cpu["app"] / max(1, st.events) * 1000
            v["cpu_per_event_marginal_ms"] = marginal * 1000
            v["ttfb_added_p50"] = st1.ttfb["p50"] - su1.ttfb["p50"]
            v["ttfb_added_p99"] = st1.ttfb["p99"] - su1.ttfb["p99"]
            v["free_rps"] = r_free.rps
            v["bare_rps"] = bare_rps

            print()
            log(
                "figures (milliseconds; CPU = the app's process CPU time over the phase / requests)"
            )
            figures.print_table()
            print()
            log("headline")
            goals = [
                (
                    "free-tier chat / bare req/s",
                    f"{v['free_over_bare'] * 100:.1f}%",
                    ">= 20%",
                    "1.8%",
                ),
                (
                    "same, by CPU per request (bare / chat)",
                    f"{v['free_over_bare_cpu'] * 100:.1f}%",
                    ">= 20%",
                    "-",
                ),
                ("premium chat / bare req/s", f"{v['premium_over_bare'] * 100:.1f}%", "-", "-"),
                ("app CPU per free chat request", f"{v['cpu_per_chat_ms']:.2f} ms", "-", "~10 ms"),
                ("added latency c=1, p50", f"{v['c1_added_p50']:.2f} ms", "<= 2 ms", "+10.6 ms"),
                ("added latency c=1, p99", f"{v['c1_added_p99']:.2f} ms", "<= 5 ms", "+15 ms"),
                (
                    f"added p99 at half load ({half:,.0f}/s)",
                    f"{v['half_added_p99']:.2f} ms",
                    "<= 15 ms",
                    "-",
                ),
                (
                    "server CPU per relayed SSE event (all-in)",
                    f"{v['cpu_per_event_ms']:.3f} ms",
                    "<= 0.1 ms",
                    "~1.2 ms",
                ),
                (
                    "server CPU per extra SSE event (marginal)",
                    f"{v['cpu_per_event_marginal_ms']:.3f} ms",
                    "-",
                    "-",
                ),
                ("stream TTFB added, c=1, p50", f"{v['ttfb_added_p50']:.2f} ms", "<= 2 ms", "-"),
            ]
            w = max(len(g[0]) for g in goals)
            print(f"  {'figure'.ljust(w)}  {'measured':>10}  {'goal':>9}  {'LiteLLM':>9}")
            for g in goals:
                print(f"  {g[0].ljust(w)}  {g[1]:>10}  {g[2]:>9}  {g[3]:>9}")
            print()
            log(
                f"  upstream ceiling {r_up.rps:,.0f} req/s at upstream CPU "
                f"{r_up.cpu['upstream'] / max(1, r_up.requests) * 1e6:.0f} us/req; during free "
                f"chat the upstream used "
                f"{r_free.cpu['upstream'] / r_free.cpu['wall'] * 100:.1f}% of a core"
            )
            log(f"  Python generator ceiling {gen_rps:,.0f} req/s (needed {half:,.0f})")
            log(
                f"  bare req/s before and after the free chat phase: {r_bare.rps:,.0f} and "
                f"{r_bare2.rps:,.0f} ({v['bare_drift'] * 100:+.1f}%: the machine's drift; the "
                "ratios use their mean)"
            )
        finally:
            if profiler is not None:
                profiler.end()
            log("stopping servers (the app drains its settlements)")
            stop(app)
            stop(bare)
            stop(upstream)

        # ---- money and failures
        env = {**os.environ, "DATABASE_URL": db_url, "LOG_JSON": "false"}
        audit = subprocess.run(
            [PYTHON, "-m", "app.cli", "audit-ledger"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        log(f"audit-ledger: exit {audit.returncode}: {audit.stdout.strip()[:500]}")
        if audit.returncode != 0:
            figures.failures.append("audit-ledger found offenders")
        conn = await asyncpg.connect(dsn)
        try:
            holds = dict(
                await conn.fetch("SELECT status, count(*) FROM credit_holds GROUP BY status")
            )
            charges = await conn.fetchval(
                "SELECT count(*) FROM transaction_history WHERE kind = 'chat_charge'"
            )
            replies = await conn.fetchval(
                "SELECT count(*) FROM chat_messages WHERE role = 'assistant' AND model IS NOT NULL"
            )
            negative = await conn.fetchval(
                "SELECT count(*) FROM user_wallet WHERE least(daily_micro, bonus_micro, "
                "purchased_micro, held_micro) < 0"
            )
        finally:
            await conn.close()
        log(
            f"holds by status: {holds}; chat_charge ledger rows {charges}; stored replies "
            f"{replies}; wallets with a negative bucket {negative}"
        )
        if holds.get("open", 0):
            figures.failures.append(f"{holds['open']} holds left open")
        if charges != holds.get("settled", 0) or replies != holds.get("settled", 0):
            figures.failures.append("settled holds, charges and stored replies disagree")
        if negative:
            figures.failures.append(f"{negative} wallets with a negative bucket")
        app_log = (work / "app.log").read_text(errors="replace").splitlines()
        errors = [x for x in app_log if '"level":"error"' in x or "Traceback" in x]
        statuses: dict[str, int] = {}
        for line in app_log:
            if '"msg":"request"' in line:
                s = orjson.loads(line).get("status")
                statuses[str(s)] = statuses.get(str(s), 0) + 1
        log(f"app request log by status: {statuses}; error lines: {len(errors)}")
        non2xx = {s: n for s, n in statuses.items() if not s.startswith("2")}
        if non2xx:
            figures.failures.append(f"non-2xx responses in the app log: {non2xx}")
        for e in errors[:5]:
            print("   ", e[:300])
    finally:
        if args.keep_db:
            log(f"kept database {db_name} and {work}")
        else:
            await asyncio.to_thread(drop_database, db_name)
            import redis

            r = redis.Redis.from_url(REDIS_URL)
            keys = list(r.scan_iter(match=prefix + "*", count=1000))
            if keys:
                r.delete(*keys)
            r.close()
            if args.profile is None:
                shutil.rmtree(work, ignore_errors=True)

    if args.profile is not None:
        from bench.profile_summary import summarize_raw

        for f in profiler.files if profiler else []:
            if f.exists():
                print()
                log(f"profile {f.name} (py-spy --native, figures under the profiler)")
                summarize_raw(f, top=25)

    print()
    log(
        f"load average after: {loadavg()} (before: {load_before}); took "
        f"{time.time() - started:.0f} s"
    )
    if figures.failures:
        log("FAILED: " + "; ".join(figures.failures))
        exit_code = 1
    else:
        log("OK: no failed request, ledger matches wallets, no hold left open")
    if args.json is not None:
        args.json.write_bytes(
            orjson.dumps(
                {
                    "machine": machine(),
                    "commit": commit,
                    "app_tree": tree,
                    "load_before": load_before,
                    "load_after": loadavg(),
                    "command": " ".join(sys.argv),
                    "app": args.app,
                    "variant": os.environ.get("BENCH_VARIANT", ""),
                    "headline": figures.values,
                    "rows": figures.rows,
                    "notes": figures.notes,
                    "failures": figures.failures,
                },
                option=orjson.OPT_INDENT_2,
            )
        )
        log(f"figures written to {args.json}")
    return exit_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10, help="length of each measured phase")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--stream-concurrency", type=int, default=8)
    parser.add_argument(
        "--expect-rps",
        type=float,
        default=800,
        help="the chat rate the user pools are sized for (429s fail the run)",
    )
    parser.add_argument("--profile", type=Path, default=None, help="py-spy output folder")
    parser.add_argument(
        "--app",
        default="app.main:app",
        help="the ASGI app under test (bench.variant_app:app: with BENCH_VARIANT's changes)",
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--without-ops",
        nargs="?",
        const=",".join(OPS),
        default="",
        type=ops_list,
        metavar="log,metrics,rls",
        help="switch these off (all three when no list is given): the JSON request log, HTTP "
        "metrics (multiprocess) and row-level security, to measure what they cost "
        "(docs/PERFORMANCE.md)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    raise SystemExit(uvloop.run(run(args)))


if __name__ == "__main__":
    main()
