"""SQL of the moderation domain."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.moderation_event import ModerationEvent


class ModerationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_event(self, event: ModerationEvent) -> None:
        self.session.add(event)
        await self.session.flush()

    async def list_for_user(
        self, user_id: uuid.UUID, *, since: dt.datetime | None = None, limit: int = 100
    ) -> Sequence[ModerationEvent]:
        """A user's events, newest first (review tooling and tests)."""
        stmt = select(ModerationEvent).where(ModerationEvent.user_id == user_id)
        if since is not None:
            stmt = stmt.where(ModerationEvent.created_at >= since)
        stmt = stmt.order_by(ModerationEvent.created_at.desc(), ModerationEvent.id.desc())
        return (await self.session.execute(stmt.limit(limit))).scalars().all()
