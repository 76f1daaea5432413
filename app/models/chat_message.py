from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.models._columns import CreatedAt, Micro, UUIDPk, in_list

ROLES = ("user", "assistant", "system")
MESSAGE_STATUSES = ("complete", "incomplete")


class ChatMessage(Base):
    """A message of a session. Ids are UUIDv7, so (session_id, id) is the conversation order."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        CheckConstraint(in_list("role", ROLES), name="role_valid"),
        CheckConstraint(in_list("status", MESSAGE_STATUSES), name="status_valid"),
        Index(None, "session_id", "id"),
        Index(None, "user_id", "created_at"),
        # Analytics read messages by day: BRIN on PostgreSQL (appended in time order, so it
        # costs the insert path almost nothing), a B-tree on SQLite.
        Index(None, "created_at", postgresql_using="brin"),
    )

    id: Mapped[UUIDPk]
    session_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("chat_sessions.id", ondelete="CASCADE"), nullable=False
    )
    # Denormalised owner: isolation checks and row-level security need no join.
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    token_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default="complete", server_default="complete"
    )
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    credits_micro: Mapped[Micro]
    model: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[CreatedAt]
