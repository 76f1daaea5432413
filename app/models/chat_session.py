from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base, UTCDateTime
from app.models._columns import CreatedAt, UpdatedAt, UUIDPk, in_list

SESSION_STATUSES = ("active", "archived")


class ChatSession(Base):
    __tablename__ = "chat_sessions"
    __table_args__ = (
        CheckConstraint(in_list("status", SESSION_STATUSES), name="status_valid"),
        # The session list: a user's sessions, most recently active first (keyset pagination).
        Index(None, "user_id", "last_message_at", "id"),
        Index(None, "status", "last_message_at"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    character_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("character_config.id"), nullable=False
    )
    title: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default="active", server_default="active"
    )
    message_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
    last_message_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
