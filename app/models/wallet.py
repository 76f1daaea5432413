from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKey, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.models._columns import Micro, UpdatedAt


class UserWallet(Base):
    """Balances in integer micro-credits, one bucket per source (spent daily -> bonus -> purchased).

    `held_micro` is the sum of open holds: available = daily + bonus + purchased - held. The
    database itself refuses a negative bucket or an overdraft.
    """

    __tablename__ = "user_wallet"
    __table_args__ = (
        CheckConstraint("daily_micro >= 0", name="daily_nonnegative"),
        CheckConstraint("bonus_micro >= 0", name="bonus_nonnegative"),
        CheckConstraint("purchased_micro >= 0", name="purchased_nonnegative"),
        CheckConstraint("held_micro >= 0", name="held_nonnegative"),
        CheckConstraint(
            "daily_micro + bonus_micro + purchased_micro - held_micro >= 0", name="no_overdraft"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    daily_micro: Mapped[Micro]
    bonus_micro: Mapped[Micro]
    purchased_micro: Mapped[Micro]
    held_micro: Mapped[Micro]
    # UTC day of the last daily refresh; None until the first one.
    daily_date: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[UpdatedAt]

    @property
    def total_micro(self) -> int:
        return self.daily_micro + self.bonus_micro + self.purchased_micro

    @property
    def available_micro(self) -> int:
        return self.total_micro - self.held_micro
