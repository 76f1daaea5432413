from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base, UTCDateTime
from app.models._columns import UUIDPk, in_list

WEBHOOK_STATUSES = ("received", "processed", "ignored", "failed")


class WebhookEvent(Base):
    """A payment provider's event, stored once by its id: redelivery finds it and grants nothing."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        CheckConstraint(in_list("status", WEBHOOK_STATUSES), name="status_valid"),
        UniqueConstraint("provider", "event_id"),
    )

    id: Mapped[UUIDPk]
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    event_id: Mapped[str] = mapped_column(String(255), nullable=False)
    event_type: Mapped[str] = mapped_column(String(100), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="received")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
