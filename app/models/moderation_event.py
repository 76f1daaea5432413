from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.models._columns import CreatedAt, UUIDPk, in_list

MODERATION_DIRECTIONS = ("input", "output")
MODERATION_ACTIONS = ("flag", "block")


class ModerationEvent(Base):
    """One moderation decision above "allow" (flagged or blocked), for review and abuse
    patterns. Never the text: `excerpt_hash` is the SHA-256 of its normalised form, so two
    obfuscations of one message share a hash.

    `session_id` is deliberately not a foreign key: the event must be written even for a
    session id the chat path has not validated yet (input moderation runs before the session
    is loaded), and it outlives the session's deletion.
    """

    __tablename__ = "moderation_events"
    __table_args__ = (
        CheckConstraint(in_list("direction", MODERATION_DIRECTIONS), name="direction_valid"),
        CheckConstraint(in_list("action", MODERATION_ACTIONS), name="action_valid"),
        Index(None, "user_id", "created_at"),
        Index(None, "created_at"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    direction: Mapped[str] = mapped_column(String(8), nullable=False)
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    action: Mapped[str] = mapped_column(String(8), nullable=False)
    excerpt_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    classifier: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[CreatedAt]
