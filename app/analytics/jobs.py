"""The usage aggregation job: rebuilds usage_daily for whole UTC days from the messages.

Each day is recomputed from scratch in one transaction (lock the day, delete its rows, insert
the fresh sums), so running it again, or late, or while messages keep arriving, only ever
leaves the sums of what was stored when it ran; two runs at once are serialised per day (see
UsageRepository.lock_day), and the later one recomputes after the earlier one committed.
Hourly, it rebuilds the current and the previous UTC day: a reply settled just after midnight,
or a session deleted since, is reflected by the next run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.analytics.repository import UsageRepository, UsageRow
from app.kit.clock import utcnow
from app.models import UsageDaily


@dataclass(frozen=True, slots=True)
class AggregateResult:
    days: list[str]
    rows: int  # usage_daily rows written, all days together


def default_days(now: dt.datetime | None = None) -> list[dt.date]:
    """The previous and the current UTC day (the hourly run)."""
    today = (now or utcnow()).astimezone(dt.UTC).date()
    return [today - dt.timedelta(days=1), today]


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=1)


def merge(sent: Iterable[UsageRow], replies: Iterable[UsageRow]) -> list[UsageRow]:
    """One row per (tier, character): message counts from `sent`, usage from `replies`."""
    rows: dict[tuple[str, str], UsageRow] = {}
    for r in sent:
        rows[(r.tier, r.character_id)] = r
    for r in replies:
        key = (r.tier, r.character_id)
        base = rows.get(key, UsageRow(tier=r.tier, character_id=r.character_id))
        rows[key] = replace(
            base,
            prompt_tokens=r.prompt_tokens,
            completion_tokens=r.completion_tokens,
            credits_micro=r.credits_micro,
        )
    return [rows[k] for k in sorted(rows)]


async def aggregate_day(session: AsyncSession, day: dt.date) -> int:
    """Recompute one day's rows in the caller's transaction; returns how many were written."""
    repo = UsageRepository(session)
    await repo.lock_day(day)
    await repo.delete_day(day)
    start, end = day_bounds(day)
    rows = merge(await repo.sent_messages(start, end), await repo.settled_replies(start, end))
    await repo.insert_day(day, rows, utcnow())
    return len(rows)


async def aggregate_usage(
    sessionmaker: async_sessionmaker[AsyncSession], *, days: Sequence[dt.date] | None = None
) -> AggregateResult:
    """Rebuild usage_daily for `days` (default: the previous and the current UTC day), one
    transaction per day."""
    days = list(days) if days is not None else default_days()
    written = 0
    for day in days:
        async with sessionmaker() as session:
            written += await aggregate_day(session, day)
            await session.commit()
    return AggregateResult(days=[d.isoformat() for d in days], rows=written)


async def read_usage(session: AsyncSession, day: dt.date) -> Sequence[UsageDaily]:
    """A day's rows, by tier and character (the CLI prints them)."""
    return await UsageRepository(session).read_day(day)
