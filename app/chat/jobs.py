"""The chat domain's background job: archive sessions nobody wrote in for a while.

An archived session is only a label for listings and clean-ups: it keeps its messages, and the
next message the user sends sets it back to `active` (the settle statement in
hot_repository.py does that). The SQL lives here rather than in repository.py only to keep this
change to new files; it is one statement.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.clock import utcnow
from app.models import ChatSession

DEFAULT_BATCH = 500


async def archive_idle_sessions(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    idle_for: dt.timedelta,
    batch_size: int = DEFAULT_BATCH,
) -> int:
    """Archive active sessions whose last message is older than `idle_for`, in batches (one
    transaction each, oldest first, through ix_chat_sessions_status_last_message_at); returns
    how many this run archived.

    Idempotent and safe alongside itself and the chat path: the UPDATE re-checks
    `status = 'active' AND last_message_at < cutoff` on each row it changes, so a session that
    got a message meanwhile is left alone, and a row another run archived first is not counted
    twice. A run stops when a batch archives nothing (not at the first short batch: a run
    alongside may have taken part of it while more idle sessions remain).
    """
    now = utcnow()
    cutoff = now - idle_for
    idle = (ChatSession.status == "active", ChatSession.last_message_at < cutoff)
    archived = 0
    while True:
        batch = (
            select(ChatSession.id)
            .where(*idle)
            .order_by(ChatSession.last_message_at)
            .limit(batch_size)
            # PostgreSQL: runs at once take disjoint batches (no waits, no deadlocks between
            # them); a row locked by a settle right now is active anyway. SQLite: no-op.
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        stmt = (
            update(ChatSession)
            .where(ChatSession.id.in_(batch), *idle)
            .values(status="archived", updated_at=now)
            .execution_options(synchronize_session=False)
        )
        async with sessionmaker() as session:
            result = cast(CursorResult[Any], await session.execute(stmt))
            await session.commit()
        changed = int(result.rowcount or 0)
        archived += changed
        if changed == 0:
            return archived
