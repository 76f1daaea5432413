"""CPU of each piece of the chat path, in isolation: what removing or changing it would save.

    python bench/hot_path_micro.py [--section cpu|asgi|services|all] [-n 5000]
                                   [--single-process-metrics]

CPU is time.process_time() of this process over `-n` calls (after a warm-up), per call, on uvloop
as uvicorn runs the app. Three sections:

- cpu: pure-Python pieces (ids, the request log line, Prometheus metrics in multiprocess mode as
  in production, the token and principal caches, JWT verification, prompt building, JSON, the
  response model, a thread-pool hop);
- asgi: whole requests driven in process through the ASGI interface (no sockets), so the figure
  is the framework's and the app's CPU and nothing else: the bare endpoint, the real chat route
  (app/chat/router.py, with stub auth and chat services), the same with the app's middleware,
  and two variants of the route that show what async dependencies and a direct JSON response
  would save;
- services: the hot path's statements against a fresh PostgreSQL database (asyncpg pool as the
  app creates it, and with reset=None-like no-op reset, and on one acquired connection), the
  Redis EVALSHA, a principal-cache miss (ORM), the model call to the loopback upstream
  (bench/upstream.py), and ChatService.complete() end to end in process.

--single-process-metrics leaves PROMETHEUS_MULTIPROC_DIR unset (prometheus_client's in-memory
values) to compare with the multiprocess mode production runs (docker/Dockerfile sets it).
"""

from __future__ import annotations

import os
import sys
import tempfile

if "--single-process-metrics" not in sys.argv:
    # Before prometheus_client is imported: it picks its value class at import time.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-prom-")
else:
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)

import argparse
import asyncio
import contextlib
import datetime as dt
import inspect
import logging
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
import uvloop
from fastapi import Depends, FastAPI, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

# Module level: FastAPI resolves the (string) annotations of the routes below from here.
from app.auth.service import Principal
from app.chat.schemas import CompletionRequest, CompletionResponse
from bench._common import (
    PYTHON,
    ROOT,
    create_database,
    drop_database,
    free_port,
    fund_users,
    insert_history,
    loadavg,
    machine,
    start,
    stop,
    wait_port,
)

RESULTS: list[tuple[str, str, float, str]] = []  # (section, name, us per call, note)


def report(section: str, name: str, us: float, note: str = "") -> None:
    RESULTS.append((section, name, us, note))
    print(f"  {name:<64} {us:9.1f} us  {note}", flush=True)


def cpu_per_call(fn: Callable[[], Any], n: int, warmup: int = 200) -> float:
    for _ in range(warmup):
        fn()
    t = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t) / n * 1e6


async def acpu_per_call(fn: Callable[[], Awaitable[Any]], n: int, warmup: int = 200) -> float:
    for _ in range(warmup):
        await fn()
    t = time.process_time()
    for _ in range(n):
        await fn()
    return (time.process_time() - t) / n * 1e6


async def compare(calls: dict[str, Callable[[], Awaitable[Any]]], n: int, rounds: int = 5) -> None:
    """CPU per call of each, measured in interleaved rounds (the machine is shared): medians."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for fn in calls.values():
        for _ in range(30):
            await fn()
    for _ in range(rounds):
        for name, fn in calls.items():
            t = time.process_time()
            for _ in range(n):
                await fn()
            samples[name].append((time.process_time() - t) / n * 1e6)
    for name, values in samples.items():
        spread = f"min {min(values):.0f} max {max(values):.0f}"
        report("services", name, statistics.median(values), f"median of {rounds}, {spread}")


def quiet_json_logging() -> None:
    """The app's JSON logging (configure_logging), into /dev/null instead of stdout."""
    from app.kit.logging import configure_logging

    # The handler (batched writes, as in the app) takes sys.stdout when it is made.
    with contextlib.redirect_stdout(open(os.devnull, "w")):
        configure_logging("INFO", True)


# --------------------------------------------------------------------------- stubs


def history_rows(n: int = 40) -> list[tuple[str, str, int]]:
    from bench._common import HISTORY_LINES

    rows = []
    for k in range(n):
        text = HISTORY_LINES[k % len(HISTORY_LINES)]
        rows.append(("user" if k % 2 == 0 else "assistant", text, len(text) // 3 + 1))
    return rows


def character_prompt() -> Any:
    from app.characters.service import CharacterPrompt
    from app.llm.tokens import estimate_message_tokens

    system = (
        "You are Luna Vale, a 27-year-old astrophysicist and weekend bartender. Speak in the "
        "first person, warmly and with playful wit.\n\nName: Luna Vale\nAge: 27\n" * 3
    )
    return CharacterPrompt(
        id="luna",
        name="Luna Vale",
        tier_required="free",
        system_message=system,
        system_tokens=estimate_message_tokens(system),
    )


def completion_result() -> Any:
    from app.chat.hot_repository import SettleResult
    from app.chat.service import CompletionResult
    from app.llm.base import Usage
    from app.ratelimit.gcra import Decision

    now = dt.datetime.now(dt.UTC)
    return CompletionResult(
        session_id=uuid.uuid4(),
        user_message_id=uuid.uuid4(),
        user_content="Hi! How was your day? Mine was long, but the sunset made up for it.",
        user_tokens=23,
        user_created_at=now,
        assistant_message_id=uuid.uuid4(),
        assistant_content=(
            "The sky is clear enough to see Orion over the harbour, so grab a coat and come to "
            "the roof"
        ),
        assistant_status="complete",
        assistant_created_at=now,
        usage=Usage(794, 20),
        model="bench-model",
        finish_reason="stop",
        settled=SettleResult(81400, 0, 0, 99_537_200, 0),
        rate_limit=Decision(True, 5, 4, 12.0, 0.0),
    )


# --------------------------------------------------------------------------- section: cpu


async def section_cpu(n: int) -> None:
    print("cpu: pure-Python pieces of one chat request (process CPU per call)")
    from pydantic import TypeAdapter

    from app.auth.service import AuthService
    from app.auth.verifier import CachedVerifier, DevTokenVerifier
    from app.chat.prompt import build_prompt
    from app.chat.router import completion_response
    from app.chat.schemas import CompletionResponse
    from app.kit import metrics
    from app.kit.ids import uuid7
    from app.kit.middleware import user_hash
    from app.llm.openai_compat import OpenAICompatibleProvider
    from app.llm.tokens import estimate_tokens
    from app.ratelimit import rate_limit_headers

    quiet_json_logging()
    request_log = logging.getLogger("app.request")
    uid = uuid.uuid4()

    report("cpu", "uuid7() (4 per chat request)", cpu_per_call(uuid7, n))
    report("cpu", "uuid.uuid4().hex (request id)", cpu_per_call(lambda: uuid.uuid4().hex, n))
    report("cpu", "user_hash() (blake2b, request log)", cpu_per_call(lambda: user_hash(uid), n))

    def log_line() -> None:
        request_log.info(
            "request",
            extra={
                "method": "POST",
                "route": "/api/v1/chat/completions",
                "status": 200,
                "latency_ms": 2.345,
                "user": "0123456789abcdef",
            },
        )

    report("cpu", "request log line (JSONFormatter to /dev/null)", cpu_per_call(log_line, n))
    mode = "multiprocess" if metrics.MULTIPROCESS else "in-memory"

    def http_metrics() -> None:
        metrics.HTTP_REQUESTS.labels("POST", "/api/v1/chat/completions", "200").inc()
        metrics.HTTP_LATENCY.labels("POST", "/api/v1/chat/completions", "200").observe(0.0023)

    report("cpu", f"HTTP metrics per request (2 ops, {mode})", cpu_per_call(http_metrics, n))

    def chat_metrics() -> None:
        metrics.observe_llm("openai_compatible", "bench-model", "ok", time.perf_counter())
        metrics.count_tokens("openai_compatible", "bench-model", 794, 20)
        metrics.CREDITS_CHARGED.labels("free").inc(81400)

    report("cpu", f"chat metrics per request (5 ops, {mode})", cpu_per_call(chat_metrics, n))

    dev = DevTokenVerifier("bench-secret-0123456789abcdef0123456789abcdef", 3600)
    token, _ = dev.issue("bench-uid", email="bench@example.com")
    report(
        "cpu",
        "JWT HS256 verify (token-cache miss)",
        await acpu_per_call(lambda: dev.verify(token), n),
    )
    auth = AuthService(CachedVerifier(dev, recheck_seconds=300), None)  # type: ignore[arg-type]
    verified = await auth.verifier.verify(token)
    auth._principals[verified.uid] = Principal(uid, verified.uid)
    report(
        "cpu",
        "authenticate(): token + principal cache hit",
        await acpu_per_call(lambda: auth.authenticate(token), n),
    )

    rows = history_rows(40)
    character = character_prompt()
    text = "Hi! How was your day? Mine was long, but the sunset made up for it."

    def prompt() -> Any:
        return build_prompt(
            character,
            rows,
            text,
            user_tokens=estimate_tokens(text),
            context_tokens=8192,
            max_output_tokens=20,
        )

    report("cpu", "build_prompt (40 history rows)", cpu_per_call(prompt, n))
    hist_json = orjson.dumps([list(r) for r in rows]).decode()
    report(
        "cpu",
        "history JSON parse in load_context (40 rows)",
        cpu_per_call(lambda: [tuple(m) for m in orjson.loads(hist_json)], n),
    )
    provider = OpenAICompatibleProvider(
        base_url="http://127.0.0.1:1/v1", api_key="k", model="bench-model"
    )
    messages = prompt().messages
    report(
        "cpu",
        f"model request body ({len(messages)} messages, orjson)",
        cpu_per_call(lambda: provider._body(messages, 20, None, False), n),
    )

    result = completion_result()
    report(
        "cpu",
        "completion_response() (build the response model)",
        cpu_per_call(lambda: completion_response(result), n),
    )
    model = completion_response(result)
    adapter = TypeAdapter(CompletionResponse)
    report(
        "cpu",
        "FastAPI response_model: re-validate the returned model",
        cpu_per_call(lambda: adapter.validate_python(model), n),
    )
    report(
        "cpu",
        "FastAPI response_model: serialize (to_jsonable) + json.dumps",
        cpu_per_call(
            lambda: (
                __import__("json")
                .dumps(adapter.dump_python(model, mode="json"), separators=(",", ":"))
                .encode()
            ),
            n,
        ),
    )
    report(
        "cpu",
        "model_dump_json() directly (what a lean route returns)",
        cpu_per_call(model.model_dump_json, n),
    )
    report(
        "cpu",
        "rate_limit_headers()",
        cpu_per_call(lambda: rate_limit_headers(result.rate_limit), n),
    )

    await moderation_costs(n)

    from starlette.concurrency import run_in_threadpool

    def noop() -> None:
        return None

    async def direct() -> None:
        noop()

    async def hop() -> None:
        await run_in_threadpool(noop)

    base = await acpu_per_call(direct, n)
    report(
        "cpu",
        "run_in_threadpool hop (a sync FastAPI dependency)",
        await acpu_per_call(hop, n) - base,
        "CPU of this process, both threads; 3 per chat request",
    )
    t = time.perf_counter()
    for _ in range(n):
        await hop()
    report("cpu", "  the same, wall time per hop", (time.perf_counter() - t) / n * 1e6)


async def moderation_costs(n: int) -> None:
    """Local moderation on the allow path (the common case), when the checkout has it."""
    try:
        from app.moderation import create_moderation_service
    except ImportError:
        return
    from app.settings import Settings

    service = create_moderation_service(
        Settings(_env_file=None, OPENAI_MODERATION=False),
        None,  # type: ignore[arg-type]
    )
    uid, sid = uuid.uuid4(), uuid.uuid4()
    text = "Hi! How was your day? Mine was long, but the sunset made up for it."
    reply = (
        "The sky is clear enough to see Orion over the harbour, so grab a coat and come to the roof"
    )
    report(
        "cpu",
        "moderation: check_input, allowed message",
        await acpu_per_call(lambda: service.check_input(user_id=uid, session_id=sid, text=text), n),
    )
    report(
        "cpu",
        "moderation: check_output, allowed 20-word reply",
        await acpu_per_call(
            lambda: service.check_output(user_id=uid, session_id=sid, text=reply), n
        ),
    )
    words = [w + " " for w in reply.split(" ")]

    async def guarded_stream() -> None:
        guard = service.output_guard(user_id=uid, session_id=sid)
        for w in words:
            await guard.feed(w)
        await guard.finish()

    report(
        "cpu",
        f"moderation: stream guard, {len(words)} deltas + finish",
        await acpu_per_call(guarded_stream, max(200, n // 5)),
    )


# --------------------------------------------------------------------------- section: asgi


class AsgiDriver:
    """Calls an ASGI app in process with one request, as uvicorn would (no sockets)."""

    def __init__(
        self, app: Any, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> None:
        self.app = app
        self.body = body
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        raw.append((b"content-length", str(len(body)).encode()))
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": raw,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        self.status = 0
        self.out = b""

    async def __call__(self) -> None:
        scope = dict(self.scope)
        scope["state"] = {}
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": self.body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            elif message["type"] == "http.response.body":
                self.out = message.get("body", b"")

        await self.app(scope, receive, send)


def chat_apps() -> dict[str, Any]:
    """The real chat route in a FastAPI app with stub services, with and without middleware,
    and two variants of it written here (async dependencies; a direct JSON response)."""
    from app.auth.dependencies import bearer_scheme
    from app.auth.errors import NotAuthenticated
    from app.auth.service import AuthService
    from app.auth.verifier import CachedVerifier, DevTokenVerifier
    from app.chat.router import completion_response
    from app.chat.router import router as chat_router
    from app.kit.handlers import install_exception_handlers
    from app.kit.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
    from app.ratelimit import rate_limit_headers

    result = completion_result()

    class StubChat:
        async def complete(self, principal: Any, **_: Any) -> Any:
            return result

    dev = DevTokenVerifier("bench-secret-0123456789abcdef0123456789abcdef", 3600)

    def state(app: FastAPI) -> FastAPI:
        app.state.chat = StubChat()
        app.state.auth = AuthService(CachedVerifier(dev, recheck_seconds=300), None)  # type: ignore[arg-type]
        return app

    plain = state(FastAPI())
    plain.include_router(chat_router)
    full = state(FastAPI())
    install_exception_handlers(full)
    full.add_middleware(BodySizeLimitMiddleware, max_bytes=256 * 1024)
    full.add_middleware(RequestContextMiddleware)
    full.include_router(chat_router)

    # Variant 1: the same route with async dependencies (no thread-pool hop).
    async def bearer_token(
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
    ) -> str:
        if credentials is None or not credentials.credentials:
            raise NotAuthenticated()
        return credentials.credentials

    async def get_principal(request: Request, token: str = Depends(bearer_token)) -> Principal:
        principal = await request.app.state.auth.authenticate(token)
        request.state.principal = principal
        return principal

    async def get_chat(request: Request) -> Any:
        return request.app.state.chat

    async_deps = state(FastAPI())

    @async_deps.post("/api/v1/chat/completions", response_model=CompletionResponse)
    async def create_completion_async(
        body: CompletionRequest,
        response: Response,
        principal: Principal = Depends(get_principal),
        chat: Any = Depends(get_chat),
    ) -> CompletionResponse:
        r = await chat.complete(
            principal, session_id=body.session_id, text=body.message, max_tokens=body.max_tokens
        )
        response.headers.update(rate_limit_headers(r.rate_limit))
        return completion_response(r)

    # Variant 2: variant 1 answering with the model's JSON directly (no response_model pass).
    lean = state(FastAPI())

    @lean.post("/api/v1/chat/completions", response_model=None)
    async def create_completion_lean(body: CompletionRequest, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            raise NotAuthenticated()
        principal = await request.app.state.auth.authenticate(auth[7:])
        request.state.principal = principal
        r = await request.app.state.chat.complete(
            principal, session_id=body.session_id, text=body.message, max_tokens=body.max_tokens
        )
        return Response(
            completion_response(r).model_dump_json(),
            media_type="application/json",
            headers=rate_limit_headers(r.rate_limit),
        )

    return {"plain": plain, "full": full, "async_deps": async_deps, "lean": lean, "dev": dev}


async def section_asgi(n: int) -> None:
    print("asgi: whole requests in process, no sockets (CPU per request)")
    from bench.bare_app import app as bare_app

    quiet_json_logging()
    apps = chat_apps()
    dev = apps.pop("dev")
    token, _ = dev.issue("bench-uid", email="bench@example.com")
    body = orjson.dumps(
        {
            "session_id": str(uuid.uuid4()),
            "message": "Hi! How was your day? Mine was long, but the sunset made up for it.",
            "max_tokens": 20,
        }
    )
    headers = {
        "host": "bench",
        "content-type": "application/json",
        "authorization": f"Bearer {token}",
    }
    for app in apps.values():
        auth = app.state.auth
        verified = await auth.verifier.verify(token)
        auth._principals[verified.uid] = Principal(uuid.uuid4(), verified.uid)

    bare = AsgiDriver(bare_app, "POST", "/bare", headers, body)
    report("asgi", "bare endpoint (bench/bare_app.py)", await acpu_per_call(bare, n))
    assert bare.status == 200, bare.out
    labels = {
        "plain": "chat route, stub services, no middleware",
        "full": "chat route + the app's middleware (log line, metrics) + handlers",
        "async_deps": "chat route with async dependencies (no thread hop)",
        "lean": "... and a direct JSON response (no response_model pass)",
    }
    for key, label in labels.items():
        d = AsgiDriver(apps[key], "POST", "/api/v1/chat/completions", headers, body)
        report("asgi", label, await acpu_per_call(d, n))
        assert d.status == 200, (key, d.status, d.out[:300])


# --------------------------------------------------------------------------- section: services


async def section_services(n: int, profile_complete: bool = False) -> None:
    print("services: PostgreSQL, Redis, the loopback model (CPU of this process per call)")
    import asyncpg

    from app.auth.service import AuthService
    from app.auth.verifier import CachedVerifier, DevTokenVerifier, VerifiedToken
    from app.characters.service import CharacterService
    from app.chat.hot_repository import HoldRequest, PostgresHotPath, SettleRequest
    from app.chat.service import ChatService
    from app.kit.db import asyncpg_dsn
    from app.kit.db import create_database as app_database
    from app.kit.ids import uuid7
    from app.kit.redis import create_redis
    from app.llm.openai_compat import OpenAICompatibleProvider
    from app.models import User as UserRow
    from app.ratelimit.limiter import RedisRateLimiter
    from app.settings import Settings

    quiet_json_logging()
    name, url = await asyncio.to_thread(create_database)
    work = Path(tempfile.mkdtemp(prefix="bench-micro-"))
    port = free_port()
    upstream = start(
        [PYTHON, str(ROOT / "bench/upstream.py"), "--port", str(port)],
        dict(os.environ),
        work / "upstream.log",
    )
    prefix = f"bench:{uuid.uuid4().hex[:12]}:"
    db = None
    try:
        wait_port(port, upstream)
        settings = Settings(
            _env_file=None,
            DATABASE_URL=url,
            REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
            REDIS_KEY_PREFIX=prefix,
            XAI_API_KEY="bench-key",
            XAI_BASE_URL=f"http://127.0.0.1:{port}/v1",
            XAI_MODEL="bench-model",
            DEV_AUTH_SECRET="bench-secret-0123456789abcdef0123456789abcdef",
            MEMORY_ENABLED=False,
            LOG_JSON=True,
        )
        db = await app_database(settings)
        dev = DevTokenVerifier("bench-secret-0123456789abcdef0123456789abcdef", 3600)
        auth = AuthService(CachedVerifier(dev, recheck_seconds=300), db.sessionmaker)
        characters = CharacterService(db.sessionmaker)
        redis = create_redis(settings)
        limiter = RedisRateLimiter(redis, prefix=prefix)
        llm = OpenAICompatibleProvider(
            base_url=settings.XAI_BASE_URL,
            api_key="bench-key",
            model="bench-model",
            temperature=0.8,
        )
        # A user with a session, 20 messages of history, credits, VIP (the loop makes many
        # requests; the limit below is lifted for the figure by using distinct keys).
        async with db.sessionmaker() as s:
            user, _ = await auth.get_or_create_user(
                s,
                VerifiedToken(
                    "bench-user", "bench@example.com", None, time.time() + 3600, time.time()
                ),
            )
            await s.commit()
        # Collaborators the chat service gained while this benchmark was written (moderation,
        # memory): built as app/main.py builds them, memory disabled as in the harness.
        extra: dict[str, Any] = {}
        wanted = inspect.signature(ChatService.__init__).parameters
        if "moderation" in wanted:
            from app.moderation import create_moderation_service

            extra["moderation"] = create_moderation_service(settings, db.sessionmaker)
        if "memory" in wanted:
            from app.memory.service import create_memory_service

            extra["memory"] = create_memory_service(settings, db.sessionmaker, llm=llm)
        chat = ChatService(
            hot=PostgresHotPath(db.raw_pool),
            llm=llm,
            characters=characters,
            sessionmaker=db.sessionmaker,
            settings=settings,
            ratelimiter=limiter,
            **extra,
        )
        async with db.sessionmaker() as s:
            row = await s.get(UserRow, user.id)
            assert row is not None
            created, _, _ = await chat.create_session(s, row, character_id="luna", title=None)
            await s.commit()
        conn = await asyncpg.connect(asyncpg_dsn(url))
        await fund_users(conn, [user.id], 1_000_000 * 1_000_000)
        await insert_history(conn, [(created.id, user.id)], 20)
        await conn.close()
        principal = Principal(user.id, "bench-user")

        hot_default = PostgresHotPath(db.raw_pool)

        async def noop_reset(_con: Any) -> None:
            return None

        lean_pool = await asyncpg.create_pool(
            asyncpg_dsn(url), min_size=1, max_size=10, statement_cache_size=256, reset=noop_reset
        )
        hot_lean = PostgresHotPath(lean_pool)
        now = dt.datetime.now(dt.UTC)

        def hold_req() -> HoldRequest:
            return HoldRequest(
                uuid7(), user.id, created.id, "vip", 50, 50_000, now, now + dt.timedelta(minutes=5)
            )

        def settle_req(hold_id: uuid.UUID) -> SettleRequest:
            return SettleRequest(
                hold_id,
                user.id,
                created.id,
                40_000,
                uuid7(),
                "Hello there!",
                5,
                now,
                uuid7(),
                "Hi! The roof, tonight?",
                "complete",
                780,
                20,
                "bench-model",
                now,
            )

        def fresh_hold() -> tuple[HoldRequest, uuid.UUID]:
            req = hold_req()
            return req, req.hold_id

        async def trio(hot: PostgresHotPath, timings: dict[str, float]) -> None:
            req, hid = fresh_hold()
            for key, call in (
                ("load_context", lambda: hot.load_context(user.id, created.id, 40)),
                ("place_hold", lambda: hot.place_hold(req)),
                ("settle", lambda: hot.settle(settle_req(hid))),
            ):
                c = time.process_time()
                await call()
                timings[key] = timings.get(key, 0.0) + time.process_time() - c

        m = max(300, n // 5)
        per_stmt: dict[str, dict[str, list[float]]] = {"default": {}, "no-op": {}}
        for _ in range(5):  # interleaved rounds: the machine is shared, take medians
            for label, hot in (("default", hot_default), ("no-op", hot_lean)):
                for _ in range(30):
                    await trio(hot, {})
                t: dict[str, float] = {}
                for _ in range(m):
                    await trio(hot, t)
                for key, v in t.items():
                    per_stmt[label].setdefault(key, []).append(v / m * 1e6)
        for label, title in (
            ("default", "pool.fetchrow, default reset on release"),
            ("no-op", "pool.fetchrow, no-op reset"),
        ):
            for key, values in per_stmt[label].items():
                report(
                    "services",
                    f"{key} ({title})",
                    statistics.median(values),
                    f"median of 5 rounds x {m}",
                )

        async def three_on_one_connection() -> None:
            req, hid = fresh_hold()
            async with lean_pool.acquire() as con:
                one = PostgresHotPath(con)
                await one.load_context(user.id, created.id, 40)
                await one.place_hold(req)
                await one.settle(settle_req(hid))

        async def three_default() -> None:
            await trio(hot_default, {})

        async def three_noop() -> None:
            await trio(hot_lean, {})

        async def acquire_release() -> None:
            async with db.raw_pool.acquire():
                pass

        async def acquire_release_lean() -> None:
            async with lean_pool.acquire():
                pass

        await compare(
            {
                "the three statements, pool.fetchrow each (today)": three_default,
                "the three statements, pool.fetchrow each, no-op reset": three_noop,
                "the three statements on one connection, no-op reset": three_on_one_connection,
                "pool acquire + release, default reset (runs the reset query)": acquire_release,
                "pool acquire + release, no-op reset": acquire_release_lean,
            },
            m,
        )

        counter = 0

        async def evalsha() -> None:
            nonlocal counter
            counter += 1
            await limiter.hit(f"chat:{{bench-{counter % 1000}}}", limit=1_000_000)

        token, _ = dev.issue("bench-user", email="bench@example.com")

        async def principal_miss() -> None:
            auth._principals.clear()
            await auth.authenticate(token)

        messages = [{"role": "system", "content": "You are Luna." * 40}] + [
            {"role": r, "content": c} for r, c, _ in history_rows(22)
        ]

        async def model_call() -> None:
            await llm.complete(messages, max_tokens=20)  # type: ignore[arg-type]

        async def model_stream() -> None:
            async for _ in llm.stream(messages, max_tokens=20):  # type: ignore[arg-type]
                pass

        await compare(
            {
                "rate limit: RedisRateLimiter.hit (one EVALSHA)": evalsha,
                "authenticate(): principal-cache miss (ORM read + commit)": principal_miss,
                "model call, non-stream (aiohttp + orjson, loopback)": model_call,
                "model call, stream of 20 deltas (loopback)": model_stream,
            },
            m,
        )

        # The whole service call, in process: everything but HTTP and FastAPI. The user is VIP
        # (100/min); the limiter's prefix moves every 90 calls so no call is refused.
        async with db.sessionmaker() as s:
            row = await s.get(UserRow, user.id)
            assert row is not None
            row.tier = "vip"
            await s.commit()
        k = 0

        def limited(hot: PostgresHotPath) -> Callable[[], Awaitable[None]]:
            async def complete() -> None:
                nonlocal k
                k += 1
                if k % 90 == 0:
                    chat.ratelimiter = RedisRateLimiter(redis, prefix=f"{prefix}svc{k}:")
                chat.hot = hot
                r = await chat.complete(
                    principal, session_id=created.id, text="Hello there!", max_tokens=20
                )
                assert r.usage.total_tokens > 0

            return complete

        await compare(
            {
                "ChatService.complete() in process (the app's pool)": limited(hot_default),
                "ChatService.complete() in process (no-op reset pool)": limited(hot_lean),
            },
            m,
        )
        if profile_complete:
            from pyinstrument import Profiler

            call = limited(hot_default)
            profiler = Profiler(interval=0.0002, async_mode="disabled")
            profiler.start()
            for _ in range(m * 2):
                await call()
            profiler.stop()
            print(
                profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False)
            )
        await lean_pool.close()
        await llm.aclose()
        keys = [key async for key in redis.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
    finally:
        if db is not None:
            await db.dispose()
        stop(upstream)
        await asyncio.to_thread(drop_database, name)


async def main_async(args: argparse.Namespace) -> None:
    print(f"machine: {machine()}; load average {loadavg()}")
    print(f"metrics: {'in-memory' if args.single_process_metrics else 'multiprocess'}; n={args.n}")
    if args.section in ("cpu", "all"):
        await section_cpu(args.n)
    if args.section in ("asgi", "all"):
        await section_asgi(args.n)
    if args.section in ("services", "all"):
        await section_services(args.n, args.profile_complete)
    print(f"load average after: {loadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--section", choices=("cpu", "asgi", "services", "all"), default="all")
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--single-process-metrics", action="store_true")
    parser.add_argument(
        "--profile-complete",
        action="store_true",
        help="services: also profile ChatService.complete() with pyinstrument",
    )
    args = parser.parse_args()
    uvloop.run(main_async(args))


if __name__ == "__main__":
    main()
