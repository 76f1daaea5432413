"""Celery tasks of the chat domain: a thin wrapper over app/chat/jobs.py."""

from __future__ import annotations

from celery import Task

from app.tasks.celery_app import celery_app
from app.tasks.registry import JobResult
from app.tasks.runner import run_in_worker


@celery_app.task(name="chat.archive_idle_sessions", bind=True)  # type: ignore[untyped-decorator]
def archive_idle_sessions(self: Task) -> JobResult:
    """Archive sessions idle for CHAT_ARCHIVE_AFTER_DAYS (hourly, at minute 15)."""
    return run_in_worker(self, "chat.archive_idle_sessions")
