"""Every periodic job in one table: its name (the Celery task's, "domain.action"), its schedule
(UTC) and the domain function it runs. Celery beat (app/tasks/celery_app.py) and the in-process
scheduler (app/tasks/inprocess.py) both read this table, so the two cannot drift apart.

Each job takes a sessionmaker and the settings and returns a small JSON-able dict (what the
run did), which the runner logs. docs/OPERATIONS.md describes each one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.analytics import jobs as analytics_jobs
from app.billing import jobs as billing_jobs
from app.chat import jobs as chat_jobs
from app.settings import Settings
from app.tasks.schedule import Cron

Sessionmaker = async_sessionmaker[AsyncSession]
JobResult = dict[str, Any]
JobFunction = Callable[[Sessionmaker, Settings], Awaitable[JobResult]]


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    name: str
    schedule: Cron
    run: JobFunction
    summary: str

    @property
    def beat_key(self) -> str:
        """The beat schedule entry's name ("billing.sweep_holds" -> "billing-sweep-holds")."""
        return self.name.replace(".", "-").replace("_", "-")


async def _refresh_daily(sm: Sessionmaker, _: Settings) -> JobResult:
    return {"refreshed": await billing_jobs.refresh_daily_allowances(sm)}


async def _sweep_holds(sm: Sessionmaker, _: Settings) -> JobResult:
    return dataclasses.asdict(await billing_jobs.sweep_expired_holds(sm))


async def _expire_subscriptions(sm: Sessionmaker, _: Settings) -> JobResult:
    return {"downgraded": await billing_jobs.expire_subscriptions(sm)}


async def _aggregate_usage(sm: Sessionmaker, _: Settings) -> JobResult:
    return dataclasses.asdict(await analytics_jobs.aggregate_usage(sm))


async def _archive_idle_sessions(sm: Sessionmaker, settings: Settings) -> JobResult:
    idle_for = dt.timedelta(days=settings.CHAT_ARCHIVE_AFTER_DAYS)
    return {"archived": await chat_jobs.archive_idle_sessions(sm, idle_for=idle_for)}


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob(
        "billing.refresh_daily",
        Cron(minute="0", hour="0"),
        _refresh_daily,
        "reset every wallet's daily bucket to its tier's allowance for the new UTC day",
    ),
    PeriodicJob(
        "billing.sweep_holds",
        Cron(minute="*"),
        _sweep_holds,
        "release credit holds past their deadline (their process died before settling)",
    ),
    PeriodicJob(
        "billing.expire_subscriptions",
        Cron(minute="*/5"),
        _expire_subscriptions,
        "expire ended subscriptions and return their users to the free tier",
    ),
    PeriodicJob(
        "analytics.aggregate_usage",
        Cron(minute="5"),
        _aggregate_usage,
        "rebuild usage_daily for the previous and the current UTC day",
    ),
    PeriodicJob(
        "chat.archive_idle_sessions",
        Cron(minute="15"),
        _archive_idle_sessions,
        "archive sessions without a message for CHAT_ARCHIVE_AFTER_DAYS",
    ),
)

JOBS: dict[str, PeriodicJob] = {job.name: job for job in PERIODIC_JOBS}


def beat_schedule() -> dict[str, dict[str, Any]]:
    """The beat entries of the periodic jobs. A run still queued when the next one is due is
    dropped (`expires`): with workers down for an hour, beat would otherwise leave sixty sweeps
    to run back to back."""
    return {
        job.beat_key: {
            "task": job.name,
            "schedule": job.schedule.celery(),
            "options": {"expires": job.schedule.interval().total_seconds()},
        }
        for job in PERIODIC_JOBS
    }
