from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Index, String, text, true
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base, UTCDateTime
from app.models._columns import CreatedAt, UpdatedAt, UUIDPk, in_list

TIERS = ("free", "premium", "vip")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(in_list("tier", TIERS), name="tier_valid"),
        # The subscription expiry job's scan: paid tiers by expiry (app/billing/jobs.py).
        Index(
            "ix_users_paid_tier_expires_at",
            "tier_expires_at",
            postgresql_where=text("tier <> 'free'"),
            sqlite_where=text("tier <> 'free'"),
        ),
    )

    id: Mapped[UUIDPk]
    firebase_uid: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    email: Mapped[str | None] = mapped_column(String(320))
    display_name: Mapped[str | None] = mapped_column(String(100))
    tier: Mapped[str] = mapped_column(
        String(16), nullable=False, default="free", server_default="free"
    )
    tier_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=true()
    )
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"User(id={self.id!s}, tier={self.tier})"
