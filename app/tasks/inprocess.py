"""The in-process scheduler: the periodic jobs without Celery (the embedded default).

When nothing else runs the jobs (no REDIS_URL, so no worker and no beat), the API process runs
them itself, on the schedule of app/tasks/registry.py, by the app's clock: one small asyncio
task that wakes up at least every `tick` seconds, runs every job whose time has come (one at a
time, on the app's own engine), and works out when each is due next. Turned on by
JOBS_IN_PROCESS; unset, the served app (app.main:app) turns it on in development without
REDIS_URL (Settings.for_serving), and an app made by create_app() (tests) leaves it off.

Like beat, it does not catch up on runs missed while the process was down: the next due time
is counted from start-up. Several API processes each running it is safe (every job is
idempotent and safe alongside itself), only wasteful: in production use Celery beat.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Sequence

from app.kit.clock import utcnow
from app.settings import Settings
from app.tasks.registry import PERIODIC_JOBS, PeriodicJob, Sessionmaker
from app.tasks.runner import run_in_process

log = logging.getLogger(__name__)


class InProcessScheduler:
    def __init__(
        self,
        sessionmaker: Sessionmaker,
        settings: Settings,
        *,
        jobs: Sequence[PeriodicJob] = PERIODIC_JOBS,
        tick_seconds: float = 1.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self.jobs = tuple(jobs)
        self._tick = tick_seconds
        self.next_due: dict[str, dt.datetime] = {}
        self._last_now: dt.datetime | None = None
        self._task: asyncio.Task[None] | None = None

    def _plan_from(self, now: dt.datetime) -> None:
        self.next_due = {job.name: job.schedule.next_after(now) for job in self.jobs}

    async def run_due(self) -> list[str]:
        """Run every job whose time has come (by the app's clock); returns their names."""
        now = utcnow()
        if self._last_now is None or now < self._last_now:
            # First look, or the clock went backwards: plan from here, or nothing would run
            # until the clock caught up with due times planned from the "future".
            self._plan_from(now)
        self._last_now = now
        ran = []
        for job in self.jobs:
            if now >= self.next_due[job.name]:
                await run_in_process(job, self._sessionmaker, self._settings)
                ran.append(job.name)
                self.next_due[job.name] = job.schedule.next_after(utcnow())
        return ran

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:  # a job's own failure is handled in run_in_process
                log.exception("in-process scheduler error; going on")
            until_next = (min(self.next_due.values()) - utcnow()).total_seconds()
            await asyncio.sleep(min(self._tick, max(until_next, 0.0)))

    def start(self) -> None:
        self._plan_from(utcnow())
        self._last_now = utcnow()
        self._task = asyncio.create_task(self._loop(), name="jobs.inprocess")
        log.info(
            "in-process jobs started",
            extra={"jobs": {job.name: job.schedule.describe() for job in self.jobs}},
        )

    async def stop(self) -> None:
        """Stop at once: a job cut short loses at most its current batch's transaction (every
        job commits per batch and is idempotent), and runs again at its next time."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None


def start_in_process_jobs(
    settings: Settings, sessionmaker: Sessionmaker
) -> InProcessScheduler | None:
    """The scheduler for the app's lifespan, started; None when JOBS_IN_PROCESS is off."""
    if not settings.JOBS_IN_PROCESS:
        log.info("in-process jobs off (Celery beat runs them, or JOBS_IN_PROCESS=false)")
        return None
    scheduler = InProcessScheduler(sessionmaker, settings)
    scheduler.start()
    return scheduler
