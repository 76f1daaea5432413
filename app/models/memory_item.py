from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base, UTCDateTime
from app.models._columns import UUIDPk, in_list

MEMORY_ITEM_STATUSES = ("indexed", "pending", "failed")
MEMORY_ITEM_ROLES = ("user", "assistant")


class MemoryItem(Base):
    """One chat message of a Premium/VIP user, embedded into the user's vector namespace.

    The SQL row is the record of what the vector store holds (listing, deletion, retries and
    re-indexing read it; the vectors are found again by `message_id`). `pending` rows are
    messages whose indexing failed and will be retried; `failed` ones gave up.
    """

    __tablename__ = "memory_items"
    __table_args__ = (
        CheckConstraint(in_list("status", MEMORY_ITEM_STATUSES), name="status_valid"),
        CheckConstraint(in_list("role", MEMORY_ITEM_ROLES), name="role_valid"),
        Index(None, "user_id", "message_id", unique=True),
        # The user's listing, newest first (keyset pagination).
        Index(None, "user_id", "created_at", "id"),
        Index(None, "user_id", "session_id"),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    session_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    character_id: Mapped[str] = mapped_column(String(64), nullable=False)
    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    # The tier when the message was written: decides whether facts/summaries are derived.
    tier: Mapped[str] = mapped_column(String(16), nullable=False)
    chunk_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    embedding_model: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)  # message time
    indexed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
