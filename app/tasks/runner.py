"""Running a periodic job, in a Celery worker or in the API process, the same way: the job's
metrics (JOB_RUNS{job,outcome}, JOB_DURATION{job}) and one JSON log line with its result.

In a Celery worker every run is `asyncio.run` over a database engine of its own (NullPool,
disposed at the end): a worker process runs many tasks, in threads or forked children, and an
asyncio engine or pool must never outlive the event loop that made it. A transient database
error (connection lost, server restarting, deadlock, serialization failure, SQLite busy) is
retried with exponential backoff; anything else fails the task at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

from celery import Task
from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.kit.db import ensure_sqlite_dir
from app.kit.metrics import JOB_DURATION, JOB_RUNS
from app.settings import Settings, get_settings
from app.tasks.registry import JOBS, JobResult, PeriodicJob, Sessionmaker

log = logging.getLogger("app.jobs")

# PostgreSQL SQLSTATEs worth another try: serialization failure, deadlock, lock not available,
# too many connections, admin shutdown / crash shutdown / cannot connect now. Class 08 is
# "connection exception".
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "53300", "57P01", "57P02", "57P03"})
MAX_BACKOFF_SECONDS = 300.0

_settings: Settings | None = None


def use_settings(settings: Settings) -> None:
    """The settings Celery tasks run with (configure_celery() sets them; tests too)."""
    global _settings
    _settings = settings


def job_settings() -> Settings:
    return _settings if _settings is not None else get_settings()


def is_transient(error: BaseException) -> bool:
    """True for database errors that another attempt a little later may not meet."""
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        if isinstance(sqlstate, str) and (
            sqlstate in TRANSIENT_SQLSTATES or sqlstate.startswith("08")
        ):
            return True
        # SQLite "database is locked", a dropped connection, a driver-level disconnect.
        return isinstance(error, exc.OperationalError | exc.InterfaceError)
    # Pool checkout timeout; connection refused or reset before the driver wrapped it.
    return isinstance(error, exc.TimeoutError | OSError | TimeoutError)


def backoff_seconds(base: float, retries: int) -> float:
    """base x 2^retries, at most MAX_BACKOFF_SECONDS, with +-20% jitter (runs that failed
    together do not all come back at the same instant)."""
    return min(MAX_BACKOFF_SECONDS, base * 2.0**retries) * random.uniform(0.8, 1.2)


def job_engine(settings: Settings) -> AsyncEngine:
    """An engine for one job run: no pool to outlive the run's event loop."""
    url = settings.JOBS_DATABASE_URL or settings.DATABASE_URL  # the jobs role: every row
    sqlite_path = ensure_sqlite_dir(url)
    engine = create_async_engine(
        url,
        echo=settings.DB_ECHO,
        poolclass=NullPool,
        connect_args={"timeout": 30} if sqlite_path is not None else {},
    )
    if sqlite_path is not None:

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            # As app/kit/db.py does for the API: another writer is waited for, not an error.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            # The driver would open a transaction only at the first write, so a job's reads
            # would see no snapshot and take no lock: two runs (two worker threads) could both
            # read a wallet as due and both write. BEGIN IMMEDIATE below instead takes the
            # write lock when the transaction starts: job transactions run one at a time.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def record(
    job: str,
    outcome: str,
    started: float,
    *,
    runner: str,
    result: JobResult | None = None,
    error: BaseException | None = None,
    attempt: int | None = None,
) -> None:
    """Count the run, time it, and write its one log line."""
    elapsed = time.perf_counter() - started
    JOB_RUNS.labels(job, outcome).inc()
    JOB_DURATION.labels(job).observe(elapsed)
    extra: dict[str, Any] = {
        "job": job,
        "outcome": outcome,
        "runner": runner,
        "duration_s": round(elapsed, 4),
    }
    if result is not None:
        extra["result"] = result
    if error is not None:
        extra["error"] = f"{type(error).__name__}: {error}"[:500]
    if attempt is not None:
        extra["attempt"] = attempt
    if outcome == "ok":
        log.info("job finished", extra=extra)
    elif outcome == "retry":
        log.warning("job failed; retrying", extra=extra)
    else:
        log.error("job failed", extra=extra)


async def run_in_process(
    job: PeriodicJob, sessionmaker: Sessionmaker, settings: Settings
) -> JobResult | None:
    """Run `job` on the caller's event loop and engine (the in-process scheduler). A failure is
    counted and logged, not raised: the next scheduled run is the retry."""
    started = time.perf_counter()
    try:
        result = await job.run(sessionmaker, settings)
    except Exception as error:
        record(job.name, "error", started, runner="inprocess", error=error)
        return None
    record(job.name, "ok", started, runner="inprocess", result=result)
    return result


async def _run_with_own_engine(job: PeriodicJob, settings: Settings) -> JobResult:
    engine = job_engine(settings)
    try:
        sessionmaker = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        return await job.run(sessionmaker, settings)
    finally:
        await engine.dispose()


def run_in_worker(task: Task, name: str) -> JobResult:
    """The body of every periodic Celery task: run the job `name` once, retrying on transient
    database errors (JOBS_MAX_RETRIES times, JOBS_RETRY_BASE_SECONDS x 2^attempt apart)."""
    job = JOBS[name]
    settings = job_settings()
    attempt = int(task.request.retries or 0)
    started = time.perf_counter()
    try:
        result = asyncio.run(_run_with_own_engine(job, settings))
    except Exception as error:
        if is_transient(error) and attempt < settings.JOBS_MAX_RETRIES:
            record(name, "retry", started, runner="celery", error=error, attempt=attempt + 1)
            raise task.retry(
                exc=error,
                countdown=backoff_seconds(settings.JOBS_RETRY_BASE_SECONDS, attempt),
                max_retries=settings.JOBS_MAX_RETRIES,
            ) from error
        record(name, "error", started, runner="celery", error=error, attempt=attempt + 1)
        raise
    record(name, "ok", started, runner="celery", result=result, attempt=attempt + 1)
    return result
