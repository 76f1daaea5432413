"""Shared pieces of the benchmarks: machine facts, processes, CPU time, load generators.

Load generators:
- wrk (C, closed loop): throughput and latency at a fixed number of connections. A Lua script
  (written here) replays a file of prepared requests round-robin, so each request carries its
  own Authorization header and body; its `done` prints one JSON line with the percentiles.
- fixed_rate() (Python, open loop, aiohttp on uvloop): requests at a constant rate whatever the
  server does, latency measured from the *scheduled* send time (no coordinated omission), the
  way wrk2 does. wrk2 is not packaged for Debian; bench/chat_overhead.py measures this
  generator's own ceiling and floor against the loopback upstream in the same run.
- stream_clients() (Python): streaming requests, time to first body byte and to the last, SSE
  events counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Not loop.time(): uvloop's clock is libuv's, cached per loop iteration in whole milliseconds.
now = time.perf_counter


# --------------------------------------------------------------------------- machine facts


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nproc() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def machine() -> str:
    return (
        f"nproc={nproc()}, CPU={cpu_model()}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def git_commit() -> str:
    """The short commit, with a note when the work tree has uncommitted changes (read-only git)."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    if dirty:
        return f"{sha} (+ {len(dirty.splitlines())} modified tracked files, uncommitted)"
    return sha


def app_tree_hash() -> str:
    """A short hash of app/**/*.py as they are now: runs compare only with the same hash (other
    engineers change the work tree while benchmarks run)."""
    import hashlib

    h = hashlib.sha1()
    for path in sorted((ROOT / "app").rglob("*.py")):
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:10]


# --------------------------------------------------------------------------- CPU time

_TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far, every thread included (/proc/<pid>/stat,
    fields 14 and 15)."""
    return proc_cpu_path(Path(f"/proc/{pid}/stat"))


def main_thread_cpu(pid: int) -> float:
    """CPU seconds of a process's main thread (the event loop's, for uvicorn)."""
    return proc_cpu_path(Path(f"/proc/{pid}/task/{pid}/stat"))


def proc_cpu_path(path: Path) -> float:
    raw = path.read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine (/proc/stat), to tell saturation apart."""
    parts = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    total = sum(parts[:8])
    return total - idle, total


@dataclass
class CpuMeter:
    """CPU of some processes and of the machine over an interval."""

    pids: dict[str, int]
    _start: dict[str, float] = field(default_factory=dict)
    _main: dict[str, float] = field(default_factory=dict)
    _wall: float = 0.0
    _machine: tuple[float, float] = (0.0, 0.0)
    result: dict[str, float] = field(default_factory=dict)

    def __enter__(self) -> CpuMeter:
        self._start = {name: proc_cpu(pid) for name, pid in self.pids.items()}
        self._main = {name: main_thread_cpu(pid) for name, pid in self.pids.items()}
        self._machine = machine_busy()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._wall
        busy, total = machine_busy()
        self.result = {name: proc_cpu(pid) - self._start[name] for name, pid in self.pids.items()}
        for name, pid in self.pids.items():
            # The process's CPU minus its main thread's: what the other threads (the thread
            # pool) used, including threads that ended during the interval.
            main = main_thread_cpu(pid) - self._main[name]
            self.result[name + "_threads"] = self.result[name] - main
        self.result["wall"] = wall
        self.result["machine_busy_pct"] = (
            100.0 * (busy - self._machine[0]) / max(1, total - self._machine[1])
        )


# --------------------------------------------------------------------------- statistics


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def summarize(latencies_s: list[float]) -> dict[str, float]:
    values = sorted(latencies_s)
    return {
        "n": len(values),
        "p50": percentile(values, 50) * 1000,
        "p95": percentile(values, 95) * 1000,
        "p99": percentile(values, 99) * 1000,
        "max": (values[-1] * 1000) if values else float("nan"),
    }


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[Any], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process {proc.args!r} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {port} after {timeout}s")


def uvicorn_cmd(app: str, port: int) -> list[str]:
    """One worker, uvloop + httptools, log level warning: the production worker's settings."""
    return [
        PYTHON,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def start(
    cmd: list[str], env: dict[str, str], log_path: Path, *, cwd: Path = ROOT
) -> subprocess.Popen[Any]:
    fh = open(log_path, "ab")  # noqa: SIM115 (lives as long as the process)
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[Any] | None, timeout: float = 15.0) -> None:
    """SIGTERM (graceful: the app drains settlements), then SIGKILL if it hangs. By pid only."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# --------------------------------------------------------------------------- database


def create_database() -> tuple[str, str]:
    """A fresh PostgreSQL database, migrated with alembic and seeded (tests/conftest.py helpers);
    returns (name, SQLAlchemy URL). The helpers call asyncio.run: call this from a thread when a
    loop is running."""
    from alembic import command

    from tests.conftest import _pg_dsn, _seed, alembic_config, create_pg_database

    name = create_pg_database("bench_companion")
    url = _pg_dsn(name).replace("postgresql://", "postgresql+asyncpg://", 1)
    command.upgrade(alembic_config(url), "heads")
    _seed(url)
    return name, url


def app_role_url(url: str, role: str = "companion_app_bench") -> str:
    """`url` as a login role that is a member of companion_app (migration 0006): the API then
    runs under row-level security, as in production."""
    import asyncpg
    from sqlalchemy.engine import make_url

    from tests.fixtures.env import PG_ADMIN_URL

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
        try:
            await conn.execute(
                f"""DO $$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                    CREATE ROLE {role} LOGIN IN ROLE companion_app;
                  END IF;
                END $$;"""
            )
        finally:
            await conn.close()

    asyncio.run(run())
    return make_url(url).set(username=role).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    from tests.conftest import drop_pg_database

    drop_pg_database(name)


async def fund_users(conn: Any, user_ids: Sequence[Any], micro: int) -> None:
    """Purchased credits through an admin adjustment: each wallet and its ledger row move
    together in one statement, as tests/helpers.Api.set_balance does through the ORM."""
    from app.kit.ids import uuid7

    async with conn.transaction():
        await conn.execute(
            """
            WITH w AS (
                UPDATE user_wallet SET purchased_micro = purchased_micro + $3, updated_at = now()
                 WHERE user_id = ANY($1::uuid[])
                RETURNING user_id, daily_micro + bonus_micro + purchased_micro AS bal
            )
            INSERT INTO transaction_history
                (id, user_id, kind, amount_micro, delta_daily_micro, delta_bonus_micro,
                 delta_purchased_micro, balance_after_micro, reference_type, reference_id,
                 description, created_at)
            SELECT x.lid, w.user_id, 'admin_adjustment', $3, 0, 0, $3, w.bal, 'bench',
                   'bench:' || x.lid::text, 'benchmark credits', now()
              FROM w JOIN unnest($1::uuid[], $2::uuid[]) AS x(uid, lid) ON x.uid = w.user_id
            """,
            list(user_ids),
            [uuid7() for _ in user_ids],
            micro,
        )


HISTORY_LINES = [
    "I spent the afternoon reading about neutron stars and drinking far too much tea.",
    "*Luna polishes a glass.* Neutron stars are a teaspoon weighing a mountain. Tell me which "
    "part surprised you most, and I'll pour you another.",
    "Honestly the part about spinning hundreds of times a second. That sounds impossible.",
    "*She grins and leans on the bar.* Impossible is my favourite kind of true. Want to hear "
    "about the one that glitches and speeds up now and then?",
]


async def insert_history(conn: Any, sessions: Sequence[tuple[Any, Any]], n: int) -> None:
    """`n` messages of conversation in each (session id, user id): messages only, no money."""
    import datetime as dt

    from app.kit.ids import uuid7
    from app.llm.tokens import estimate_tokens

    now_ = dt.datetime.now(dt.UTC)
    rows = []
    for session_id, user_id in sessions:
        for k in range(n):
            text = HISTORY_LINES[k % len(HISTORY_LINES)]
            role = "user" if k % 2 == 0 else "assistant"
            rows.append((uuid7(), session_id, user_id, role, text, estimate_tokens(text), now_))
    async with conn.transaction():
        await conn.copy_records_to_table(
            "chat_messages",
            records=rows,
            columns=["id", "session_id", "user_id", "role", "content", "token_count", "created_at"],
        )
        await conn.execute(
            "UPDATE chat_sessions SET message_count = message_count + $2 "
            "WHERE id = ANY($1::uuid[])",
            [s for s, _ in sessions],
            n,
        )


# --------------------------------------------------------------------------- wrk

WRK_LUA = r"""
-- Replays prepared requests round-robin. Each line of the data file: method \t path \t
-- authorization header (or -) \t body (or -). Threads take disjoint slices of the file.
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

local reqs = {}
local n = 0
local i = 0

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  local line_no = 0
  for line in io.lines(path) do
    if (line_no % nthreads) == (tid - 1) then
      local method, p, auth, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      if auth ~= "-" then headers["Authorization"] = auth end
      if body == "-" then body = nil else headers["Content-Type"] = "application/json" end
      n = n + 1
      reqs[n] = wrk.format(method, p, headers, body)
    end
    line_no = line_no + 1
  end
  i = 0
end

function request()
  i = (i % n) + 1
  return reqs[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d,' ..
    '"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""


@dataclass
class Req:
    method: str
    path: str
    auth: str | None
    body: bytes | None


def write_requests(path: Path, reqs: Sequence[Req]) -> None:
    with open(path, "wb") as fh:
        for r in reqs:
            body = r.body if r.body is not None else b"-"
            assert b"\t" not in body, "a body may not hold a tab"
            assert b"\n" not in body, "a body may not hold a newline"
            fh.write(
                b"\t".join([r.method.encode(), r.path.encode(), (r.auth or "-").encode(), body])
                + b"\n"
            )


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    errors: dict[str, int]
    p50: float  # milliseconds
    p90: float
    p95: float
    p99: float
    max: float
    mean: float
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


def wrk(
    url: str,
    data_file: Path,
    *,
    connections: int,
    seconds: float,
    threads: int = 1,
    lua_path: Path,
    timeout_s: int = 10,
    meter: dict[str, int] | None = None,
) -> WrkResult:
    if not lua_path.exists():
        lua_path.write_text(WRK_LUA)
    wrk_bin = shutil.which("wrk")
    if wrk_bin is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    cmd = [
        wrk_bin,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout_s}s",
        "-s",
        str(lua_path),
        url,
        "--",
        str(data_file),
        str(threads),
    ]
    with CpuMeter(meter or {}) as cpu:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout}\n{out.stderr}")
    d = orjson.loads(line[len("WRKJSON ") :])
    secs = d["duration_us"] / 1e6
    return WrkResult(
        requests=d["requests"],
        seconds=secs,
        rps=d["requests"] / secs,
        errors={k: d[k] for k in ("connect", "read", "write", "status", "timeout")},
        p50=d["p50"] / 1000,
        p90=d["p90"] / 1000,
        p95=d["p95"] / 1000,
        p99=d["p99"] / 1000,
        max=d["max"] / 1000,
        mean=d["mean"] / 1000,
        cpu=cpu.result,
    )


# --------------------------------------------------------------------------- Python generators


@dataclass
class RateResult:
    target_rps: float
    sent: int
    seconds: float
    statuses: dict[int, int]
    errors: int
    latency: dict[str, float]  # ms, from the scheduled send time
    max_dispatch_lag_ms: float
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def achieved_rps(self) -> float:
        return self.sent / self.seconds

    @property
    def failed(self) -> int:
        return self.errors + sum(n for s, n in self.statuses.items() if not 200 <= s < 300)


def _cycle(reqs: Sequence[Req]) -> Iterator[Req]:
    while True:
        yield from reqs


async def fixed_rate(
    base_url: str,
    reqs: Sequence[Req],
    *,
    rate: float,
    seconds: float,
    max_connections: int = 512,
    meter: dict[str, int] | None = None,
) -> RateResult:
    """Open loop: request i is due at t0 + i / rate and its latency counts from then."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=max_connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    statuses: dict[int, int] = {}
    errors = 0
    latencies: list[float] = []
    lag = 0.0
    source = _cycle(reqs)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        loop = asyncio.get_running_loop()

        async def one(r: Req, due: float) -> None:
            nonlocal errors
            headers = {"Content-Type": "application/json"} if r.body is not None else {}
            if r.auth:
                headers["Authorization"] = r.auth
            try:
                async with session.request(
                    r.method, base_url + r.path, data=r.body, headers=headers
                ) as resp:
                    await resp.read()
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1
            except (aiohttp.ClientError, TimeoutError):
                errors += 1
                return
            latencies.append(now() - due)

        n = int(rate * seconds)
        tasks: set[asyncio.Task[None]] = set()
        with CpuMeter(meter or {}) as cpu:
            t0 = now() + 0.05
            for i in range(n):
                due = t0 + i / rate
                delay = due - now()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    lag = max(lag, -delay)
                task = loop.create_task(one(next(source), due))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if tasks:
                await asyncio.gather(*tasks)
    return RateResult(
        target_rps=rate,
        sent=n,
        seconds=seconds,
        statuses=statuses,
        errors=errors,
        latency=summarize(latencies),
        max_dispatch_lag_ms=lag * 1000,
        cpu=cpu.result,
    )


async def closed_loop(
    base_url: str,
    reqs: Sequence[Req],
    *,
    concurrency: int,
    seconds: float,
    meter: dict[str, int] | None = None,
) -> tuple[float, dict[str, float], dict[str, float]]:
    """`concurrency` workers back to back: (requests/s, latency summary, CPU). Used to show the
    Python generator's own ceiling against the loopback upstream."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    latencies: list[float] = []
    async with aiohttp.ClientSession(connector=connector) as session:
        source = _cycle(reqs)
        end = now() + seconds

        async def worker() -> None:
            while now() < end:
                r = next(source)
                headers = {"Content-Type": "application/json"}
                if r.auth:
                    headers["Authorization"] = r.auth
                t = now()
                async with session.request(
                    r.method, base_url + r.path, data=r.body, headers=headers
                ) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
                latencies.append(now() - t)

        with CpuMeter(meter or {}) as cpu:
            t0 = now()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            wall = now() - t0
    return len(latencies) / wall, summarize(latencies), cpu.result


@dataclass
class StreamResult:
    concurrency: int
    requests: int
    seconds: float
    events: int
    statuses: dict[int, int]
    errors: int
    ttfb: dict[str, float]
    ttlb: dict[str, float]
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return self.errors + sum(n for s, n in self.statuses.items() if s != 200)


async def stream_clients(
    base_url: str,
    reqs: Sequence[Req],
    *,
    concurrency: int,
    seconds: float | None = None,
    count: int | None = None,
    meter: dict[str, int] | None = None,
) -> StreamResult:
    """Closed loop of streaming POSTs: TTFB is the first body bytes (the first SSE event), TTLB
    the end of the body; events are counted by their blank-line terminators."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    ttfb: list[float] = []
    ttlb: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    events = 0
    issued = 0
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        source = _cycle(reqs)
        end = now() + seconds if seconds else float("inf")

        async def worker() -> None:
            nonlocal errors, events, issued
            while now() < end and (count is None or issued < count):
                issued += 1
                r = next(source)
                headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
                if r.auth:
                    headers["Authorization"] = r.auth
                t = now()
                first = None
                tail = b""
                n = 0
                try:
                    async with session.post(base_url + r.path, data=r.body, headers=headers) as rs:
                        statuses[rs.status] = statuses.get(rs.status, 0) + 1
                        async for chunk in rs.content.iter_any():
                            if first is None:
                                first = now()
                            data = tail + chunk
                            n += data.count(b"\n\n")
                            tail = data[-1:]
                        done = now()
                except (aiohttp.ClientError, TimeoutError):
                    errors += 1
                    continue
                if rs.status == 200 and first is not None:
                    ttfb.append(first - t)
                    ttlb.append(done - t)
                    events += n

        with CpuMeter(meter or {}) as cpu:
            t0 = now()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            wall = now() - t0
    return StreamResult(
        concurrency=concurrency,
        requests=len(ttlb),
        seconds=wall,
        events=events,
        statuses=statuses,
        errors=errors,
        ttfb=summarize(ttfb),
        ttlb=summarize(ttlb),
        cpu=cpu.result,
    )
