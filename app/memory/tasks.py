"""Celery tasks of the memory domain.

- memory.index_exchange(messages): what the in-process worker does, in a Celery worker;
  retried with exponential backoff, then kept as `pending` rows for the sweep.
- memory.retry_pending(): the sweep (beat, every minute).

A worker process runs one asyncio event loop on a thread of its own and one MemoryService on
it (the database engine, the vector store client and the model are loop-bound or expensive:
built once per process, reused by every task).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from celery import Task
from celery.signals import worker_process_shutdown

from app.kit.db import Database, create_database
from app.memory.records import MessageToIndex
from app.memory.service import MemoryService, create_memory_service
from app.settings import Settings, get_settings
from app.tasks.celery_app import celery_app

log = logging.getLogger(__name__)
T = TypeVar("T")


class WorkerRuntime:
    def __init__(self, settings: Settings) -> None:
        # The worker indexes here: it must not publish back to the queue it consumes.
        self.settings = settings.model_copy(update={"MEMORY_WORKER": "inprocess"})
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="memory-worker-loop", daemon=True
        )
        self._thread.start()
        self.db: Database = self.run(create_database(self.settings))
        self.memory: MemoryService = create_memory_service(
            self.settings, self.db.sessionmaker, jobs_sessionmaker=self.db.jobs_sessionmaker
        )

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        try:
            self.run(self.memory.aclose(), timeout=30)
            self.run(self.db.dispose(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)


_runtime: WorkerRuntime | None = None
_runtime_lock = threading.Lock()


def runtime() -> WorkerRuntime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = WorkerRuntime(get_settings())
        return _runtime


def configure_runtime(settings: Settings) -> WorkerRuntime:
    """Replace the process's runtime (tests run a worker with their own settings)."""
    global _runtime
    shutdown_runtime()
    with _runtime_lock:
        _runtime = WorkerRuntime(settings)
        return _runtime


def shutdown_runtime() -> None:
    global _runtime
    with _runtime_lock:
        current, _runtime = _runtime, None
    if current is not None:
        current.close()


@worker_process_shutdown.connect  # type: ignore[untyped-decorator,misc]
def _on_worker_shutdown(**_: Any) -> None:
    shutdown_runtime()


def backoff_seconds(retries: int) -> float:
    return float(min(300, 2 ** (retries + 1)) * random.uniform(0.8, 1.2))


@celery_app.task(name="memory.index_exchange", bind=True, acks_late=True)  # type: ignore[untyped-decorator,misc]
def index_exchange(self: Task, messages: list[dict[str, Any]]) -> dict[str, int]:
    batch = [MessageToIndex.from_json(m) for m in messages]
    rt = runtime()
    try:
        result = rt.run(rt.memory.index_now(batch))
    except Exception as exc:
        retries = int(self.request.retries or 0)
        max_retries = rt.settings.MEMORY_MAX_RETRIES
        if retries < max_retries:
            raise self.retry(
                exc=exc, countdown=backoff_seconds(retries), max_retries=max_retries
            ) from exc
        log.error("memory indexing gave up; kept as pending", extra={"error": str(exc)[:300]})
        rt.run(rt.memory.persist_pending(batch, f"{type(exc).__name__}: {exc}", retries + 1))
        return {"pending": len(batch)}
    return dataclasses.asdict(result)


@celery_app.task(name="memory.retry_pending")  # type: ignore[untyped-decorator,misc]
def retry_pending() -> int:
    rt = runtime()
    return rt.run(rt.memory.retry_pending())
