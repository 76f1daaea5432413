from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base, UTCDateTime
from app.models._columns import CreatedAt, Micro, UUIDPk, in_list

HOLD_STATUSES = ("open", "settled", "released", "expired")


class CreditHold(Base):
    """A reservation taken before a model call, settled to exact usage or released.

    Open holds are summed in user_wallet.held_micro; a hold past `expires_at` (its process
    died) is released by the sweeper.
    """

    __tablename__ = "credit_holds"
    __table_args__ = (
        CheckConstraint(in_list("status", HOLD_STATUSES), name="status_valid"),
        CheckConstraint("amount_micro > 0", name="amount_positive"),
        CheckConstraint("charged_micro >= 0", name="charge_nonnegative"),
        Index(None, "status", "expires_at"),
        Index(None, "user_id", "created_at"),
    )

    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    tier: Mapped[str] = mapped_column(String(16), nullable=False)
    rate_micro_per_token: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_micro: Mapped[int] = mapped_column(BigInteger, nullable=False)
    charged_micro: Mapped[Micro]
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
