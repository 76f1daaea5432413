from __future__ import annotations

import uuid

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.models._columns import CreatedAt, Micro, UUIDPk, in_list

LEDGER_KINDS = (
    "daily_refresh",
    "expiry",
    "purchase",
    "subscription_bonus",
    "chat_charge",
    "refund",
    "admin_adjustment",
)


class LedgerEntry(Base):
    """One row per change of a wallet (transaction_history), written in the same transaction.

    For every user: sum(delta_*) == the wallet's buckets. The unique (user, kind, reference)
    makes a grant with the same reference (a payment, a day, a message) impossible twice.
    """

    __tablename__ = "transaction_history"
    __table_args__ = (
        CheckConstraint(in_list("kind", LEDGER_KINDS), name="kind_valid"),
        CheckConstraint(
            "amount_micro = delta_daily_micro + delta_bonus_micro + delta_purchased_micro",
            name="amount_is_sum",
        ),
        UniqueConstraint("user_id", "kind", "reference_id"),
        Index(None, "user_id", "created_at", "id"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    amount_micro: Mapped[int] = mapped_column(BigInteger, nullable=False)
    delta_daily_micro: Mapped[Micro]
    delta_bonus_micro: Mapped[Micro]
    delta_purchased_micro: Mapped[Micro]
    balance_after_micro: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reference_type: Mapped[str | None] = mapped_column(String(32))
    reference_id: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[CreatedAt]
