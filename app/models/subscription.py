from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base, UTCDateTime
from app.models._columns import CreatedAt, UpdatedAt, UUIDPk, in_list

SUBSCRIPTION_STATUSES = ("active", "canceled", "expired")


class Subscription(Base):
    """A user's plan and its current period; each period's bonus is granted once (the ledger's
    unique reference is the subscription id and period start)."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(in_list("status", SUBSCRIPTION_STATUSES), name="status_valid"),
        UniqueConstraint("provider", "provider_subscription_id"),
        Index(None, "user_id", "status"),
        Index(None, "status", "current_period_end"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    plan_id: Mapped[str] = mapped_column(String(64), nullable=False)
    tier: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    provider_subscription_id: Mapped[str | None] = mapped_column(String(255))
    current_period_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    current_period_end: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
