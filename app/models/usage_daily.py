from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base, UTCDateTime
from app.models._columns import Micro, in_list
from app.models.user import TIERS


class UsageDaily(Base):
    """Chat usage per UTC day, tier and character, rebuilt from the messages by the hourly
    analytics job (app/analytics/jobs.py); never written by the request path.

    - `messages`: messages users sent (role `user`) that day;
    - `prompt_tokens`, `completion_tokens`, `credits_micro`: the replies settled that day (the
      ledger's `chat_charge` rows of the day sum to the same credits);
    - `active_users`: distinct users who sent a message that day with that tier and character
      (a user who wrote to two characters counts in both rows: rows do not add up to the day's
      distinct users);
    - `tier`: the tier the turn was billed at (its credit hold's tier), not the user's tier today.
    """

    __tablename__ = "usage_daily"
    __table_args__ = (CheckConstraint(in_list("tier", TIERS), name="tier_valid"),)

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    tier: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Not a foreign key: usage outlives a character removed from the catalogue.
    character_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    messages: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    credits_micro: Mapped[Micro]
    active_users: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    aggregated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
