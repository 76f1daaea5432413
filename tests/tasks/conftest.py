"""Background-job test fixtures: a database of each module's own (the jobs scan every wallet,
hold, subscription and session), a real Celery worker on real Redis running the periodic tasks
against it, and helpers to send a task and wait for its result."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import redis as sync_redis
from celery import Task
from celery.contrib.testing.worker import start_worker
from prometheus_client import REGISTRY

from app.kit import clock
from app.settings import Settings, get_settings
from app.tasks import registry
from app.tasks.celery_app import celery_app, configure_celery
from tests.billing.conftest import fresh_database, no_chat_rate_limit  # noqa: F401 (fixture)

# JOBS_IN_PROCESS stays off unless a test turns it on: the tests run the jobs themselves.
# Long-term memory is not what these tests are about (and would load a model for paid users).
JOB_TEST_SETTINGS: dict[str, Any] = {
    "AUTH_RATE_LIMIT_PER_MINUTE": 0,
    "JOBS_IN_PROCESS": False,
    "MEMORY_ENABLED": False,
}
TASK_TIMEOUT = 60.0  # seconds a test waits for a task before failing (a deadline, not a speed)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    yield from fresh_database(request.param, tmp_path_factory, "tasks")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return JOB_TEST_SETTINGS


def move_clock_to(when: dt.datetime) -> None:
    """Make the app's utcnow() read `when` (the worker runs in this process: it sees it too)."""
    clock.set_offset(when - dt.datetime.now(dt.UTC))


@pytest.fixture(scope="module")
def worker_settings(db_url: str, redis_url: str) -> Iterator[Settings]:
    """Point the Celery app at the test Redis (a prefix of its own) and the module's database,
    with quick retries; restore the process's configuration afterwards."""
    prefix = f"test:{uuid.uuid4().hex[:12]}:"
    settings = Settings(
        _env_file=None,
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=prefix,
        XAI_API_KEY=None,
        JOBS_MAX_RETRIES=3,
        JOBS_RETRY_BASE_SECONDS=0.05,
        LOG_JSON=True,
    )
    configure_celery(celery_app, settings)  # queues, results: all under the prefix
    celery_app.conf.worker_hijack_root_logger = False  # keep pytest's log capture
    try:
        yield settings
    finally:
        configure_celery(celery_app, get_settings())
        celery_app.conf.worker_hijack_root_logger = True
        client = sync_redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(scope="module")
def worker(worker_settings: Settings) -> Iterator[Any]:
    """A real worker (threads pool, two at a time, so two runs of a task can overlap)."""
    with start_worker(
        celery_app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as w:
        yield w


async def send(task: Task) -> dict[str, Any]:
    """Publish `task` to the broker and wait for the worker's result (stored for this call
    only: the app ignores results by default)."""
    result = task.apply_async(ignore_result=False)
    value: dict[str, Any] = await asyncio.to_thread(result.get, timeout=TASK_TIMEOUT)
    return value


async def send_concurrently(task: Task, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Two runs of `task` that provably overlap: each waits at a barrier until the other has
    started too (a worker that ran them one after the other would fail them both)."""
    barrier = threading.Barrier(2, timeout=TASK_TIMEOUT / 2)
    job = registry.JOBS[task.name]

    async def together(sm: Any, settings: Settings) -> dict[str, Any]:
        await asyncio.to_thread(barrier.wait)
        return await job.run(sm, settings)

    monkeypatch.setitem(registry.JOBS, task.name, replace(job, run=together))
    try:
        return list(await asyncio.gather(send(task), send(task)))
    finally:
        monkeypatch.setitem(registry.JOBS, task.name, job)


def job_runs(job: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("job_runs_total", {"job": job, "outcome": outcome}) or 0.0
