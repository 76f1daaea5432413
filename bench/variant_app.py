"""The app with some of docs/PERFORMANCE.md's recommended changes applied from outside, to
measure them end to end before anyone edits app/ (benchmarks only; never deploy this).

    BENCH_VARIANT=async_deps,pool_reset python bench/chat_overhead.py --app bench.variant_app:app

BENCH_VARIANT, comma-separated:
- async_deps: the chat route's three sync dependencies (bearer_token, get_auth_service,
  get_chat_service) become coroutines, so FastAPI stops running each in the thread pool. Done by
  giving each function an `async def` code object with the same body, before the first request;
  the app change is writing `async def` in app/auth/dependencies.py and app/chat/router.py.
- pool_reset: the hot path's asyncpg pool gets a no-op `reset`, so releasing a connection no
  longer sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;` (a round
  trip per statement). asyncpg still rolls back a connection released inside a transaction. The
  app change is `reset=` in app/kit/db.py create_database().
- gc_freeze: gc.freeze() once the app has started and a higher generation-0 threshold, so the
  collector stops re-scanning the long-lived objects of the imports on every collection.
"""

from __future__ import annotations

import gc
import logging
import os
from typing import Any

import asyncpg

VARIANT = {v.strip() for v in os.environ.get("BENCH_VARIANT", "").split(",") if v.strip()}
log = logging.getLogger("bench.variant")

if "pool_reset" in VARIANT:
    _create_pool = asyncpg.create_pool

    async def _no_session_state(_con: Any) -> None:
        """The hot path leaves no session state behind: single statements, no SET, LISTEN,
        cursors or advisory locks."""
        return None

    def _create_pool_without_reset(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("reset", _no_session_state)
        return _create_pool(*args, **kwargs)

    asyncpg.create_pool = _create_pool_without_reset  # app.kit.db looks it up at call time

from app.main import app  # noqa: E402  (after the patch above)

if "async_deps" in VARIANT:
    from fastapi import Request
    from fastapi.security import HTTPAuthorizationCredentials

    from app.auth import dependencies
    from app.chat import router as chat_router

    # Same bodies as the app's, as coroutines; free of closures, so their code can be swapped in
    # (the functions keep their identity, defaults and globals).
    async def _bearer_token(credentials: HTTPAuthorizationCredentials | None = None) -> str:
        if credentials is None or not credentials.credentials:
            raise NotAuthenticated()  # type: ignore[name-defined]  # noqa: F821
        return credentials.credentials

    async def _get_service(request: Request) -> Any:
        return request.app.state.auth

    async def _get_chat(request: Request) -> Any:
        return request.app.state.chat

    dependencies.bearer_token.__code__ = _bearer_token.__code__
    dependencies.get_auth_service.__code__ = _get_service.__code__
    chat_router.get_chat_service.__code__ = _get_chat.__code__

if "gc_freeze" in VARIANT:
    _lifespan = app.router.lifespan_context

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def _frozen_lifespan(a: Any) -> Any:
        async with _lifespan(a) as state:
            gc.collect()
            gc.freeze()
            gc.set_threshold(20_000, 20, 20)
            yield state

    app.router.lifespan_context = _frozen_lifespan

log.warning("bench variant app: %s", ",".join(sorted(VARIANT)) or "(no change)")
