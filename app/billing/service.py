"""Wallet rules: buckets, the ledger, the daily allowance, grants, the hold sweeper.

Every balance change goes through `_post()`, which changes the wallet and writes its ledger row
in the caller's transaction, so the two cannot disagree. `_post()` runs only on a wallet whose
row lock this transaction holds (or on SQLite, whose single connection runs one transaction at a
time), so the Python arithmetic cannot lose a concurrent write. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class SweepBatch:
    found: int  # expired open holds seen (not locked by anyone else)
    released: int  # of those, released now
    released_micro: int


@dataclass(frozen=True, slots=True)
class RefreshBatch:
    scanned: int
    refreshed: int
    last_user_id: uuid.UUID | None


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


def _due(wallet: UserWallet, today: dt.date) -> bool:
    return wallet.daily_date is None or wallet.daily_date < today


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
        date (the row lock and daily_date make a second caller a no-op). Only a date after the
        last refresh refreshes: an API process whose clock lags another's by a moment around
        midnight must not "refresh" back to yesterday (whose ledger reference exists).
        """
        repo = BillingRepository(session)
        now = utcnow()
        wallet = await repo.get_wallet(user_id)
        if wallet is None:
            raise WalletNotFound()
        if not _due(wallet, now.date()):
            return wallet
        wallet = await repo.get_wallet(user_id, for_update=True)
        assert wallet is not None
        if _due(wallet, now.date()):
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

    async def grant(
        self,
        session: AsyncSession,
        user_id: uuid.UUID,
        *,
        kind: str,
        reference_type: str,
        reference_id: str,
        daily: int = 0,
        bonus: int = 0,
        purchased: int = 0,
        description: str | None = None,
    ) -> LedgerEntry | None:
        """Add credits once per (user, kind, reference): a second call with the same reference
        (a redelivered webhook, a replayed request) writes nothing and returns None.

        The wallet's row lock serialises concurrent grants of the same reference; the ledger's
        unique (user_id, kind, reference_id) is the backstop.
        """
        if min(daily, bonus, purchased) < 0:
            raise ValueError("a grant adds credits; use a charge or an expiry to remove them")
        repo = BillingRepository(session)
        wallet = await repo.get_wallet(user_id, for_update=True)
        if wallet is None:
            raise WalletNotFound()
        if await repo.ledger_has(user_id, kind, reference_id):
            return None
        entry = _post(
            repo,
            wallet,
            kind=kind,
            daily=daily,
            bonus=bonus,
            purchased=purchased,
            reference_type=reference_type,
            reference_id=reference_id,
            description=description,
            now=utcnow(),
        )
        await repo.flush()
        return entry

    async def refresh_due_batch(
        self, session: AsyncSession, *, after: uuid.UUID | None, limit: int
    ) -> RefreshBatch:
        """The midnight job's unit of work: refresh up to `limit` wallets not refreshed today.

        Same rule and same idempotency as the lazy `ensure_daily`: the wallet row is locked and
        its daily_date re-checked, so a wallet refreshed meanwhile (lazily, or by another job)
        is skipped.
        """
        repo = BillingRepository(session)
        now = utcnow()
        today = now.date()
        ids = await repo.wallets_due(today, after=after, limit=limit)
        if not ids:
            return RefreshBatch(scanned=0, refreshed=0, last_user_id=None)
        refreshed = 0
        for wallet, tier, tier_expires_at in await repo.lock_wallets_due(ids, today):
            self._refresh(repo, wallet, effective_tier(tier, tier_expires_at, now), now)
            refreshed += 1
        await repo.flush()
        return RefreshBatch(scanned=len(ids), refreshed=refreshed, last_user_id=ids[-1])

    async def sweep_expired_holds(self, session: AsyncSession, *, limit: int) -> SweepBatch:
        """Release holds whose deadline passed (their process died before settling).

        Never waits on a lock, so it cannot deadlock with the hot path whatever order that takes
        its locks in: holds being settled or released right now, and wallets locked by another
        transaction, are skipped and left for the next sweep.
        """
        repo = BillingRepository(session)
        now = utcnow()
        holds = await repo.lock_expired_holds(now, limit=limit)
        if not holds:
            return SweepBatch(found=0, released=0, released_micro=0)
        lockable = await repo.try_lock_wallets(sorted({h.user_id for h in holds}))
        ids = [h.id for h in holds if h.user_id in lockable]
        per_user: dict[uuid.UUID, int] = defaultdict(int)
        released = 0
        if ids:
            for user_id, amount in await repo.expire_holds(ids, now):
                per_user[user_id] += amount
                released += 1
        for user_id in sorted(per_user):
            await repo.release_held(user_id, per_user[user_id], now)
        return SweepBatch(
            found=len(holds), released=released, released_micro=sum(per_user.values())
        )

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
