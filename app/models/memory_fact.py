from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base, UTCDateTime
from app.models._columns import CreatedAt, UpdatedAt, UUIDPk, in_list

MEMORY_FACT_STATUSES = ("current", "superseded")
MEMORY_FACT_SOURCES = ("rules", "llm", "user")


class MemoryFact(Base):
    """A durable fact about a VIP user ("pet.cat.name" = "Mochi"), keyed so that a new value
    replaces the old one: at most one `current` row per (user, key); the replaced rows stay as
    `superseded` (never shown to the model as current) until the user deletes them."""

    __tablename__ = "memory_facts"
    __table_args__ = (
        CheckConstraint(in_list("status", MEMORY_FACT_STATUSES), name="status_valid"),
        CheckConstraint(in_list("source", MEMORY_FACT_SOURCES), name="source_valid"),
        Index(
            "uq_memory_facts_current_key",
            "user_id",
            "key",
            unique=True,
            sqlite_where=text("status = 'current'"),
            postgresql_where=text("status = 'current'"),
        ),
        Index(None, "user_id", "created_at", "id"),
        Index(None, "user_id", "source_session_id"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    character_id: Mapped[str] = mapped_column(String(64), nullable=False)
    key: Mapped[str] = mapped_column(String(120), nullable=False)
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    value: Mapped[str] = mapped_column(String(500), nullable=False)
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    source_session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    source_message_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # When the user said it (message time): a late job never lets an older value win.
    observed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
