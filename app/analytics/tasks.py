"""Celery tasks of the analytics domain: a thin wrapper over app/analytics/jobs.py."""

from __future__ import annotations

from celery import Task

from app.tasks.celery_app import celery_app
from app.tasks.registry import JobResult
from app.tasks.runner import run_in_worker


@celery_app.task(name="analytics.aggregate_usage", bind=True)  # type: ignore[untyped-decorator]
def aggregate_usage(self: Task) -> JobResult:
    """Rebuild usage_daily for the previous and the current UTC day (hourly, at minute 5)."""
    return run_in_worker(self, "analytics.aggregate_usage")
