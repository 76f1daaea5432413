"""Celery tasks of the billing domain: thin wrappers over app/billing/jobs.py (schedules in
app/tasks/registry.py, how they run in app/tasks/runner.py, docs/OPERATIONS.md)."""

from __future__ import annotations

from celery import Task

from app.tasks.celery_app import celery_app
from app.tasks.registry import JobResult
from app.tasks.runner import run_in_worker


@celery_app.task(name="billing.refresh_daily", bind=True)  # type: ignore[untyped-decorator]
def refresh_daily(self: Task) -> JobResult:
    """Reset every wallet's daily bucket for the new UTC day (00:00 UTC)."""
    return run_in_worker(self, "billing.refresh_daily")


@celery_app.task(name="billing.sweep_holds", bind=True)  # type: ignore[untyped-decorator]
def sweep_holds(self: Task) -> JobResult:
    """Release credit holds past their deadline (every minute)."""
    return run_in_worker(self, "billing.sweep_holds")


@celery_app.task(name="billing.expire_subscriptions", bind=True)  # type: ignore[untyped-decorator]
def expire_subscriptions(self: Task) -> JobResult:
    """Expire ended subscriptions; their users return to free (every 5 minutes)."""
    return run_in_worker(self, "billing.expire_subscriptions")
