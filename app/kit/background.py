"""Fire-and-forget tasks that must not be garbage-collected or lost on shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)

_tasks: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
    """Run `coro` to completion independently of the caller (a cancelled request included)."""
    task = asyncio.get_running_loop().create_task(coro, name=name)
    _tasks.add(task)
    task.add_done_callback(_done)
    return task


def _done(task: asyncio.Task[Any]) -> None:
    _tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "background task failed", exc_info=task.exception(), extra={"task": task.get_name()}
        )


async def drain(seconds: float = 10.0) -> None:
    """Wait for pending background work (at shutdown, so a settlement is not cut off)."""
    if _tasks:
        await asyncio.wait(list(_tasks), timeout=seconds)
