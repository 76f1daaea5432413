from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base, UTCDateTime
from app.models._columns import CreatedAt, UpdatedAt, UUIDPk, in_list

PAYMENT_STATUSES = ("pending", "succeeded", "failed", "canceled", "refunded")
PAYMENT_KINDS = ("credits", "subscription")


class PaymentTransaction(Base):
    """Every purchase or subscription attempt and its state.

    (user_id, idempotency_key) is unique: a replayed request finds the first attempt and returns
    its stored response. provider_payment_id is unique: a provider's payment grants once.
    """

    __tablename__ = "payment_transactions"
    __table_args__ = (
        CheckConstraint(in_list("status", PAYMENT_STATUSES), name="status_valid"),
        CheckConstraint(in_list("kind", PAYMENT_KINDS), name="kind_valid"),
        UniqueConstraint("user_id", "idempotency_key"),
        UniqueConstraint("provider", "provider_payment_id"),
        Index(None, "user_id", "created_at"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    product_id: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    provider_payment_id: Mapped[str | None] = mapped_column(String(255))
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    amount_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="usd")
    credits_micro: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    failure_reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
