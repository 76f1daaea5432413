"""The Celery app: broker and result backend on Redis (REDIS_URL), and the domains' tasks.

    celery -A app.tasks.celery_app worker --loglevel=INFO      # a worker
    celery -A app.tasks.celery_app beat --loglevel=INFO        # the periodic jobs

Tasks are named "domain.action" and live in their domain's tasks.py (listed in TASK_MODULES).
The periodic jobs and their schedules (UTC) are the table in app/tasks/registry.py; the in-process
scheduler (app/tasks/inprocess.py) runs the same table when there is no Redis
(docs/OPERATIONS.md).
Without REDIS_URL the app never publishes (memory indexes in process); the in-memory broker
below only keeps imports and tests working.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery
from celery.signals import setup_logging

from app.kit.logging import configure_logging
from app.settings import Settings, get_settings
from app.tasks.registry import beat_schedule
from app.tasks.runner import job_settings, use_settings

TASK_MODULES = ["app.memory.tasks", "app.billing.tasks", "app.analytics.tasks", "app.chat.tasks"]

# Periodic jobs (celery beat). memory.retry_pending re-indexes messages whose indexing failed
# and finishes vector deletions the store refused at the time.
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "memory-retry-pending": {"task": "memory.retry_pending", "schedule": 60.0},
}
# billing.refresh_daily 00:00, billing.sweep_holds every minute, billing.expire_subscriptions
# every 5 minutes, analytics.aggregate_usage hourly at :05, chat.archive_idle_sessions hourly at
# :15 (all UTC crontabs, from app/tasks/registry.py).
BEAT_SCHEDULE.update(beat_schedule())


def configure_celery(app: Celery, settings: Settings) -> None:
    """Broker, backend and defaults from the settings (tests call it with their own)."""
    use_settings(settings)  # the periodic jobs' database and retry settings
    prefix = {"global_keyprefix": f"{settings.REDIS_KEY_PREFIX}celery:"}
    app.conf.update(
        broker_url=settings.REDIS_URL or "memory://",
        result_backend=settings.REDIS_URL or None,
        broker_transport_options=prefix,
        result_backend_transport_options=prefix,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # jobs report through the database, not results
        task_acks_late=True,  # a worker that dies mid-task leaves it for another
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        enable_utc=True,
        beat_schedule=BEAT_SCHEDULE,
    )
    # Publish through the new broker from now on, not a connection pool made for the old one
    # (Celery caches both; tests reconfigure the app between runs).
    # The AMQP helper caches queues, routes and producers computed from the old configuration
    # (default queue included): drop it so it is rebuilt from the new one.
    app._pool = None
    app.__dict__.pop("amqp", None)
    # Likewise the result backend, cached per app or per thread: results must be read from
    # where the new configuration's worker writes them.
    app._backend_cache = None
    app._local = threading.local()


celery_app = Celery("companion", include=TASK_MODULES)
configure_celery(celery_app, get_settings())


@setup_logging.connect  # type: ignore[misc]
def _json_logs(loglevel: int | str | None = None, **_: Any) -> None:
    """Worker and beat log like the API (app/kit/logging.py: JSON lines with LOG_JSON), instead
    of Celery's own format. A process that embeds a worker and turned off
    worker_hijack_root_logger (tests) keeps its logging as it is."""
    if not celery_app.conf.worker_hijack_root_logger:
        return
    settings = job_settings()
    level = logging.getLevelName(loglevel) if isinstance(loglevel, int) else loglevel
    configure_logging(str(level or settings.LOG_LEVEL), settings.LOG_JSON)
