from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base, UTCDateTime
from app.models._columns import UUIDPk


class MemoryTombstone(Base):
    """A forget request (one session, or everything when `session_id` is NULL).

    Indexing runs in the background: a job queued before the user said "forget" may run after.
    The indexer drops any message written at or before a matching tombstone, so forgotten
    memory is not re-created. Pruned a week after the vectors are gone (no job lives that long).
    """

    __tablename__ = "memory_tombstones"
    __table_args__ = (
        Index(None, "user_id", "session_id"),
        Index(None, "vectors_deleted_at", "forgotten_at"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    forgotten_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    # Set once the vectors are gone from the store; until then the retry sweep tries again.
    vectors_deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
