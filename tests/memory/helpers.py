"""Helpers for the memory tests: users, messages and exchanges without the chat API."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.clock import utcnow
from app.kit.ids import uuid7
from app.memory.records import MessageToIndex
from app.models import User


async def make_user(
    sessionmaker: async_sessionmaker[AsyncSession], tier: str = "premium"
) -> uuid.UUID:
    async with sessionmaker() as session:
        user = User(firebase_uid=f"test-{uuid.uuid4().hex}", tier=tier)
        session.add(user)
        await session.commit()
        return user.id


@dataclass
class Conversation:
    """Writes messages for one user, in order, with increasing timestamps."""

    user_id: uuid.UUID
    tier: str = "premium"
    character_id: str = "luna"
    start: dt.datetime = field(default_factory=lambda: utcnow() - dt.timedelta(days=30))
    step: dt.timedelta = dt.timedelta(minutes=5)
    session_id: uuid.UUID = field(default_factory=uuid7)
    _n: int = 0

    def new_session(self, character_id: str | None = None) -> uuid.UUID:
        self.session_id = uuid7()
        if character_id is not None:
            self.character_id = character_id
        self.start += dt.timedelta(days=1)
        return self.session_id

    def message(self, text: str, role: str = "user") -> MessageToIndex:
        self._n += 1
        return MessageToIndex(
            user_id=self.user_id,
            tier=self.tier,
            session_id=self.session_id,
            character_id=self.character_id,
            message_id=uuid7(),
            role=role,
            text=text,
            created_at=self.start + self._n * self.step,
        )

    def exchange(self, user_text: str, reply: str = "I'll remember that.") -> list[MessageToIndex]:
        return [self.message(user_text, "user"), self.message(reply, "assistant")]
