"""SQL of the billing domain (wallets, ledger, holds) on the ORM.

The chat hot path's hold and settle statements live in chat/hot_repository.py: they write the
wallet, the hold, the ledger and the messages in one statement.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import LedgerEntry, UserWallet


class BillingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_wallet(
        self, user_id: uuid.UUID, *, for_update: bool = False
    ) -> UserWallet | None:
        stmt = select(UserWallet).where(UserWallet.user_id == user_id)
        if for_update:
            stmt = stmt.with_for_update()
        result = await self.session.execute(stmt.execution_options(populate_existing=True))
        return result.scalar_one_or_none()

    def add(self, *objects: object) -> None:
        self.session.add_all(objects)

    async def flush(self) -> None:
        await self.session.flush()

    async def list_ledger(
        self,
        user_id: uuid.UUID,
        *,
        limit: int,
        before: tuple[dt.datetime, uuid.UUID] | None = None,
    ) -> Sequence[LedgerEntry]:
        stmt = select(LedgerEntry).where(LedgerEntry.user_id == user_id)
        if before is not None:
            stmt = stmt.where(tuple_(LedgerEntry.created_at, LedgerEntry.id) < before)
        stmt = stmt.order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc()).limit(limit)
        return (await self.session.execute(stmt)).scalars().all()

    async def audit(self) -> list[dict[str, object]]:
        """Users whose ledger sums differ from their wallet, or with a negative bucket."""
        sums = (
            select(
                LedgerEntry.user_id.label("user_id"),
                func.sum(LedgerEntry.delta_daily_micro).label("daily"),
                func.sum(LedgerEntry.delta_bonus_micro).label("bonus"),
                func.sum(LedgerEntry.delta_purchased_micro).label("purchased"),
            )
            .group_by(LedgerEntry.user_id)
            .subquery()
        )
        stmt = select(
            UserWallet.user_id,
            UserWallet.daily_micro,
            UserWallet.bonus_micro,
            UserWallet.purchased_micro,
            UserWallet.held_micro,
            func.coalesce(sums.c.daily, 0),
            func.coalesce(sums.c.bonus, 0),
            func.coalesce(sums.c.purchased, 0),
        ).outerjoin(sums, sums.c.user_id == UserWallet.user_id)
        offenders: list[dict[str, object]] = []
        for row in (await self.session.execute(stmt)).all():
            uid, daily, bonus, purchased, held, l_daily, l_bonus, l_purchased = row
            problems = []
            if (daily, bonus, purchased) != (l_daily, l_bonus, l_purchased):
                problems.append("ledger_mismatch")
            if min(daily, bonus, purchased, held) < 0 or daily + bonus + purchased < held:
                problems.append("negative_balance")
            if problems:
                offenders.append(
                    {
                        "user_id": str(uid),
                        "problems": problems,
                        "wallet": {
                            "daily": daily,
                            "bonus": bonus,
                            "purchased": purchased,
                            "held": held,
                        },
                        "ledger": {"daily": l_daily, "bonus": l_bonus, "purchased": l_purchased},
                    }
                )
        return offenders
