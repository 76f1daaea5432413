"""Wallet rules: buckets, the ledger, the daily allowance.

Every balance change goes through `_post()`, which changes the wallet and writes its ledger row
in the caller's transaction, so the two cannot disagree. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.repository import BillingRepository
from app.billing.tiers import TIERS, effective_tier
from app.kit.clock import utcnow
from app.kit.errors import NotFound
from app.kit.pagination import Page, decode_keyset, encode_keyset
from app.models import LedgerEntry, User, UserWallet


class WalletNotFound(NotFound):
    code = "wallet_not_found"
    message = "This account has no wallet."


def _post(
    repo: BillingRepository,
    wallet: UserWallet,
    *,
    kind: str,
    daily: int = 0,
    bonus: int = 0,
    purchased: int = 0,
    reference_type: str | None = None,
    reference_id: str | None = None,
    description: str | None = None,
    now: dt.datetime,
) -> LedgerEntry:
    wallet.daily_micro += daily
    wallet.bonus_micro += bonus
    wallet.purchased_micro += purchased
    wallet.updated_at = now
    entry = LedgerEntry(
        user_id=wallet.user_id,
        kind=kind,
        amount_micro=daily + bonus + purchased,
        delta_daily_micro=daily,
        delta_bonus_micro=bonus,
        delta_purchased_micro=purchased,
        balance_after_micro=wallet.total_micro,
        reference_type=reference_type,
        reference_id=reference_id,
        description=description,
        created_at=now,
    )
    repo.add(entry)
    return entry


class WalletService:
    async def open_wallet(self, session: AsyncSession, user: User) -> UserWallet:
        """A new user's wallet, holding the tier's daily allowance for today (one ledger row)."""
        repo = BillingRepository(session)
        now = utcnow()
        wallet = UserWallet(
            user_id=user.id, daily_micro=0, bonus_micro=0, purchased_micro=0, held_micro=0
        )
        repo.add(wallet)
        await repo.flush()
        self._refresh(repo, wallet, user.tier, now)
        await repo.flush()
        return wallet

    async def ensure_daily(
        self, session: AsyncSession, user_id: uuid.UUID, tier: str
    ) -> UserWallet:
        """Give today's allowance if this is the wallet's first use of the UTC day.

        Lazy, so balances are right even if the midnight job did not run; idempotent per user and
        date (the row lock and daily_date make a second caller a no-op).
        """
        repo = BillingRepository(session)
        now = utcnow()
        wallet = await repo.get_wallet(user_id)
        if wallet is None:
            raise WalletNotFound()
        if wallet.daily_date == now.date():
            return wallet
        wallet = await repo.get_wallet(user_id, for_update=True)
        assert wallet is not None
        if wallet.daily_date != now.date():
            self._refresh(repo, wallet, tier, now)
            await repo.flush()
        return wallet

    def _refresh(
        self, repo: BillingRepository, wallet: UserWallet, tier: str, now: dt.datetime
    ) -> None:
        today = now.date()
        allowance = TIERS[tier].daily_micro
        # Yesterday's unused daily credits expire, except what open holds still reserve
        # (the no-overdraft constraint must hold until those holds settle).
        reserved = wallet.held_micro - wallet.bonus_micro - wallet.purchased_micro - allowance
        kept = min(max(reserved, 0), wallet.daily_micro)
        expired = wallet.daily_micro - kept
        if expired:
            _post(
                repo,
                wallet,
                kind="expiry",
                daily=-expired,
                reference_type="day",
                reference_id=f"expiry:{today.isoformat()}",
                description="Unused daily credits expired",
                now=now,
            )
        if allowance:
            _post(
                repo,
                wallet,
                kind="daily_refresh",
                daily=allowance,
                reference_type="day",
                reference_id=f"daily:{today.isoformat()}",
                description=f"Daily {tier} allowance",
                now=now,
            )
        wallet.daily_date = today

    async def get_balance(self, session: AsyncSession, user: User) -> UserWallet:
        tier = effective_tier(user.tier, user.tier_expires_at, utcnow())
        return await self.ensure_daily(session, user.id, tier)

    async def list_transactions(
        self, session: AsyncSession, user: User, *, cursor: str | None, limit: int
    ) -> Page[LedgerEntry]:
        repo = BillingRepository(session)
        before = decode_keyset(cursor) if cursor else None
        rows = list(await repo.list_ledger(user.id, limit=limit + 1, before=before))
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            next_cursor = encode_keyset(last.created_at, last.id)
        return Page(items=rows, next_cursor=next_cursor)

    async def audit(self, session: AsyncSession) -> list[dict[str, object]]:
        return await BillingRepository(session).audit()


wallet_service = WalletService()


def next_utc_midnight() -> dt.datetime:
    now = utcnow()
    return dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
