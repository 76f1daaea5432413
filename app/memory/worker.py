"""The background side of memory writes, off the request path.

enqueue() is a put_nowait on an asyncio queue: the chat request never waits for embedding.
One consumer task takes what is queued (up to a batch) and hands it to a processor:
- LocalProcessor indexes in this process (the embedded default);
- CeleryProcessor publishes a `memory.index_exchange` task to Redis (publishing is blocking
  I/O, so it runs on a thread); if the broker refuses, the batch is indexed here instead.

Failures retry with exponential backoff (a failed batch is retried one exchange at a time, so
one bad message cannot hold others back). When the retries are spent, or the process stops
with work still queued, the messages are written to memory_items as `pending`: the sweep
(every minute here, `memory.retry_pending` under Celery beat) picks them up again. The chat
messages themselves were stored before any of this and are never touched by it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from app.memory.records import MessageToIndex

log = logging.getLogger(__name__)

Batch = list[MessageToIndex]
BATCH_EXCHANGES = 16
SWEEP_SECONDS = 60.0


class Processor(Protocol):
    name: str

    async def process(self, batch: Sequence[MessageToIndex]) -> None: ...


class InProcessWorker:
    def __init__(
        self,
        processor: Processor,
        *,
        persist_pending: Callable[[Sequence[MessageToIndex], str, int], Awaitable[None]],
        sweep: Callable[[], Awaitable[int]] | None = None,
        max_retries: int = 5,
        retry_base_seconds: float = 0.5,
        retry_max_seconds: float = 30.0,
        queue_size: int = 10_000,
        sweep_seconds: float = SWEEP_SECONDS,
    ) -> None:
        self.processor = processor
        self._persist_pending = persist_pending
        self._sweep = sweep
        self._max_retries = max_retries
        self._retry_base = retry_base_seconds
        self._retry_max = retry_max_seconds
        self._queue_size = queue_size
        self._sweep_seconds = sweep_seconds
        self._queue: asyncio.Queue[tuple[int, Batch]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._retry_handles: dict[asyncio.TimerHandle, tuple[int, Batch]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._busy = 0
        self._inflight: list[tuple[int, Batch]] = []
        self.processed = 0
        self.failed = 0

    # ------------------------------------------------------------------ lifecycle
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self.running:
            return
        self._queue = asyncio.Queue(maxsize=self._queue_size)
        self._task = asyncio.create_task(self._run(), name="memory-worker")
        if self._sweep is not None and self._sweep_seconds > 0:
            self._sweeper = asyncio.create_task(self._sweep_loop(), name="memory-sweep")

    def submit(self, batch: Batch, attempt: int = 0) -> None:
        """Non-blocking. Starts the worker on first use if start() was not called."""
        if not batch:
            return
        if self._queue is None or not self.running:
            loop = asyncio.get_running_loop()
            if self._queue is None:
                self._queue = asyncio.Queue(maxsize=self._queue_size)
            if not self.running:
                self._task = loop.create_task(self._run(), name="memory-worker")
        assert self._queue is not None
        try:
            self._queue.put_nowait((attempt, batch))
        except asyncio.QueueFull:
            log.warning("memory queue full; the exchange is kept for the retry sweep")
            self._spawn(self._persist_pending(batch, "queue full", attempt))

    @property
    def queued(self) -> int:
        return self._queue.qsize() if self._queue is not None else 0

    @property
    def idle(self) -> bool:
        return self.queued == 0 and self._busy == 0 and not self._retry_handles

    async def drain(self, wait_seconds: float = 30.0) -> bool:
        """Wait until nothing is queued, running or scheduled for retry (tests, shutdown)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while not self.idle or self._background:
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def aclose(self, wait_seconds: float = 5.0) -> None:
        """Finish what is queued within `wait_seconds`; keep the rest as pending rows."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sweeper
        for handle in self._retry_handles:
            handle.cancel()
        pending_retries = list(self._retry_handles.values())
        self._retry_handles.clear()
        leftovers: list[tuple[int, Batch]] = []
        if self._task is not None and self._queue is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._queue.join(), wait_seconds)
            interrupted = list(self._inflight)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            leftovers += interrupted  # cut off mid-way: indexing again is idempotent
        if self._queue is not None:
            while not self._queue.empty():
                leftovers.append(self._queue.get_nowait())
        leftovers += pending_retries
        for attempt, batch in leftovers:
            with contextlib.suppress(Exception):
                await self._persist_pending(batch, "shutdown before indexing", attempt)
        if self._background:
            await asyncio.wait(self._background, timeout=wait_seconds)
        self._task = None

    # ------------------------------------------------------------------ the loop
    async def _run(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            attempt, batch = await queue.get()
            items = [(attempt, batch)]
            while len(items) < BATCH_EXCHANGES and not queue.empty():
                items.append(queue.get_nowait())
            self._busy += 1
            self._inflight = items
            try:
                await self._process(items)
            finally:
                self._inflight = []
                self._busy -= 1
                for _ in items:
                    queue.task_done()

    async def _process(self, items: list[tuple[int, Batch]]) -> None:
        merged = [m for _, batch in items for m in batch]
        try:
            await self.processor.process(merged)
            self.processed += len(items)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.warning("memory indexing failed; will retry", extra={"error": error[:300]})
        for attempt, batch in items:  # retried one exchange at a time
            if attempt + 1 > self._max_retries:
                self.failed += 1
                log.error("memory indexing gave up; kept as pending", extra={"error": error[:300]})
                self._spawn(self._persist_pending(batch, error, attempt + 1))
                continue
            delay = min(self._retry_max, self._retry_base * 2**attempt) * random.uniform(0.8, 1.2)
            self._schedule_retry(delay, (attempt + 1, batch))

    def _schedule_retry(self, delay: float, item: tuple[int, Batch]) -> None:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._retry_handles.pop(handle, None)
            self.submit(item[1], item[0])

        handle = loop.call_later(delay, fire)
        self._retry_handles[handle] = item

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await coro
            except Exception:
                log.exception("memory: could not keep a failed exchange for retry")

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _sweep_loop(self) -> None:
        assert self._sweep is not None
        while True:
            await asyncio.sleep(self._sweep_seconds)
            try:
                await self._sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("memory retry sweep failed")
