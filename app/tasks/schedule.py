"""Cron schedules in UTC, one definition for Celery beat and the in-process scheduler.

A `Cron` holds the minute and hour fields of a crontab line ("*", "*/N", "N" or "N,M,...");
`celery()` gives beat its `crontab`, `next_after()` gives the in-process scheduler the next
time the job is due, by the app's clock (which tests can move).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from celery.schedules import crontab


def _field(spec: str, size: int) -> frozenset[int]:
    """The values a crontab field matches, in range(size)."""
    if spec == "*":
        return frozenset(range(size))
    if spec.startswith("*/"):
        step = int(spec[2:])
        if step <= 0:
            raise ValueError(f"bad step in {spec!r}")
        return frozenset(range(0, size, step))
    values = frozenset(int(part) for part in spec.split(","))
    if not values or min(values) < 0 or max(values) >= size:
        raise ValueError(f"{spec!r} is outside 0..{size - 1}")
    return values


@dataclass(frozen=True, slots=True)
class Cron:
    minute: str
    hour: str = "*"

    def __post_init__(self) -> None:
        _field(self.minute, 60)  # refuse a bad field at import, not at the first run
        _field(self.hour, 24)

    @property
    def minutes(self) -> frozenset[int]:
        return _field(self.minute, 60)

    @property
    def hours(self) -> frozenset[int]:
        return _field(self.hour, 24)

    def celery(self) -> crontab:
        return crontab(minute=self.minute, hour=self.hour)

    def next_after(self, when: dt.datetime) -> dt.datetime:
        """The first matching minute strictly after `when` (UTC, aware)."""
        minutes, hours = self.minutes, self.hours
        t = when.astimezone(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        for _ in range(24 * 60):  # every (hour, minute) pair repeats within a day
            if t.hour in hours and t.minute in minutes:
                return t
            t += dt.timedelta(minutes=1)
        raise AssertionError("unreachable: a valid cron matches at least once a day")

    def interval(self) -> dt.timedelta:
        """The shortest gap between two runs (a day's worth of runs, wrapping at midnight)."""
        midnight = dt.datetime(2000, 1, 1, tzinfo=dt.UTC) - dt.timedelta(minutes=1)
        first = t = self.next_after(midnight)
        gaps = []
        while True:
            following = self.next_after(t)
            gaps.append(following - t)
            if following - first >= dt.timedelta(days=1):
                return min(gaps)
            t = following

    def describe(self) -> str:
        return f"{self.minute} {self.hour} * * * (UTC)"
