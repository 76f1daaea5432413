from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.models._columns import CreatedAt, UpdatedAt, UUIDPk


class MemorySessionSummary(Base):
    """The rolling summary of a long VIP session: what fell out of the prompt's history window,
    condensed. `covered_through_message_id` is the newest message folded in (ids are UUIDv7, so
    "newer than" is a comparison)."""

    __tablename__ = "memory_session_summaries"
    __table_args__ = (
        Index(None, "session_id", unique=True),
        Index(None, "user_id", "created_at", "id"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    session_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    character_id: Mapped[str] = mapped_column(String(64), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    messages_covered: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    covered_through_message_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    token_estimate: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
