"""One clock for the whole app: UTC, timezone-aware, movable by tests."""

from __future__ import annotations

import datetime as dt

_offset = dt.timedelta(0)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + _offset


def utctoday() -> dt.date:
    return utcnow().date()


def set_offset(offset: dt.timedelta) -> None:
    """Move the app's clock (tests only): every caller of utcnow() sees the shift."""
    global _offset
    _offset = offset


def get_offset() -> dt.timedelta:
    return _offset
