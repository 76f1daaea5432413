"""The beat schedule as operators read it (names, tasks, UTC crontabs), every scheduled task
registered, and the in-process scheduler's idea of "next run" equal to Celery's."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.schedules import crontab

from app.tasks.celery_app import celery_app
from app.tasks.registry import PERIODIC_JOBS
from app.tasks.schedule import Cron

UTC = dt.UTC


def test_the_beat_schedule() -> None:
    schedule = celery_app.conf.beat_schedule
    assert {key: (entry["task"], entry["schedule"]) for key, entry in schedule.items()} == {
        "billing-refresh-daily": ("billing.refresh_daily", crontab(minute=0, hour=0)),
        "billing-sweep-holds": ("billing.sweep_holds", crontab(minute="*")),
        "billing-expire-subscriptions": ("billing.expire_subscriptions", crontab(minute="*/5")),
        "analytics-aggregate-usage": ("analytics.aggregate_usage", crontab(minute=5)),
        "chat-archive-idle-sessions": ("chat.archive_idle_sessions", crontab(minute=15)),
        "memory-retry-pending": ("memory.retry_pending", 60.0),
    }
    # A run still queued when the next one is due is dropped rather than piling up.
    assert schedule["billing-sweep-holds"]["options"] == {"expires": 60.0}
    assert schedule["billing-expire-subscriptions"]["options"] == {"expires": 300.0}
    assert schedule["analytics-aggregate-usage"]["options"] == {"expires": 3600.0}
    assert schedule["billing-refresh-daily"]["options"] == {"expires": 86400.0}
    assert (celery_app.conf.timezone, celery_app.conf.enable_utc) == ("UTC", True)


def test_every_scheduled_task_is_registered_with_the_worker() -> None:
    celery_app.loader.import_default_modules()  # what a worker does at start
    for entry in celery_app.conf.beat_schedule.values():
        assert entry["task"] in celery_app.tasks


@pytest.mark.parametrize(
    ("cron", "after", "expected"),
    [
        (Cron("0", "0"), dt.datetime(2030, 1, 1, 23, 59, 59, tzinfo=UTC), (1, 2, 0, 0)),
        (Cron("0", "0"), dt.datetime(2030, 1, 2, 0, 0, tzinfo=UTC), (1, 3, 0, 0)),  # strictly after
        (Cron("*"), dt.datetime(2030, 1, 2, 10, 0, 59, 900_000, tzinfo=UTC), (1, 2, 10, 1)),
        (Cron("*/5"), dt.datetime(2030, 1, 2, 10, 7, 30, tzinfo=UTC), (1, 2, 10, 10)),
        (Cron("*/5"), dt.datetime(2030, 1, 2, 23, 57, tzinfo=UTC), (1, 3, 0, 0)),
        (Cron("5"), dt.datetime(2030, 1, 2, 10, 5, tzinfo=UTC), (1, 2, 11, 5)),
        (Cron("15"), dt.datetime(2030, 12, 31, 23, 20, tzinfo=UTC), (1, 1, 0, 15)),
        (Cron("0,30", "6"), dt.datetime(2030, 1, 2, 6, 10, tzinfo=UTC), (1, 2, 6, 30)),
    ],
)
def test_next_run(cron: Cron, after: dt.datetime, expected: tuple[int, int, int, int]) -> None:
    nxt = cron.next_after(after)
    assert (nxt.month, nxt.day, nxt.hour, nxt.minute, nxt.second) == (*expected, 0)
    assert nxt.tzinfo is not None and nxt > after


def test_bad_fields_are_refused_at_definition() -> None:
    for minute, hour in (("60", "*"), ("*/0", "*"), ("5", "24"), ("-1", "*")):
        with pytest.raises(ValueError):  # noqa: PT011 (any parse error is the point)
            Cron(minute, hour)


@pytest.mark.parametrize("job", PERIODIC_JOBS, ids=lambda j: j.name)
def test_in_process_and_beat_agree_on_the_next_run(job: object) -> None:
    """For instants over two days (every 7 min 13 s), Celery's crontab and Cron.next_after
    name the same next run."""
    cron = job.schedule  # type: ignore[attr-defined]
    t = dt.datetime(2030, 2, 27, 22, 0, 3, tzinfo=UTC)
    while t < dt.datetime(2030, 3, 1, 2, 0, tzinfo=UTC):
        beat = crontab(minute=cron.minute, hour=cron.hour, nowfun=lambda t=t: t, app=celery_app)
        assert t + beat.remaining_estimate(t) == cron.next_after(t), t
        t += dt.timedelta(minutes=7, seconds=13)
