"""SQL of the chat domain on the ORM: sessions and message listings (off the hot path).
The hot path's statements are in hot_repository.py."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ChatMessage, ChatSession


class ChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, *objects: object) -> None:
        self.session.add_all(objects)

    async def flush(self) -> None:
        await self.session.flush()

    async def get_session(self, user_id: uuid.UUID, session_id: uuid.UUID) -> ChatSession | None:
        stmt = select(ChatSession).where(
            ChatSession.id == session_id, ChatSession.user_id == user_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list_sessions(
        self,
        user_id: uuid.UUID,
        *,
        limit: int,
        before: tuple[dt.datetime, uuid.UUID] | None,
        character_id: str | None = None,
    ) -> Sequence[ChatSession]:
        stmt = select(ChatSession).where(ChatSession.user_id == user_id)
        if character_id is not None:
            stmt = stmt.where(ChatSession.character_id == character_id)
        if before is not None:
            stmt = stmt.where(tuple_(ChatSession.last_message_at, ChatSession.id) < before)
        stmt = stmt.order_by(ChatSession.last_message_at.desc(), ChatSession.id.desc()).limit(limit)
        return (await self.session.execute(stmt)).scalars().all()

    async def list_messages(
        self, session_id: uuid.UUID, *, limit: int, before: uuid.UUID | None
    ) -> Sequence[ChatMessage]:
        stmt = select(ChatMessage).where(ChatMessage.session_id == session_id)
        if before is not None:
            stmt = stmt.where(ChatMessage.id < before)
        stmt = stmt.order_by(ChatMessage.id.desc()).limit(limit)
        return (await self.session.execute(stmt)).scalars().all()

    async def delete_session(self, session_id: uuid.UUID) -> None:
        await self.session.execute(delete(ChatMessage).where(ChatMessage.session_id == session_id))
        await self.session.execute(delete(ChatSession).where(ChatSession.id == session_id))
