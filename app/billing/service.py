"""Wallet rules: buckets, the ledger, the daily allowance, grants, the hold sweeper.

Every balance change goes through `_post()`, which changes the wallet and writes its ledger row
in the caller's transaction, so the two cannot disagree. `_post()` runs only on a wallet whose
row lock this transaction holds (or on SQLite, whose single connection runs one transaction at a
time), so the Python arithmetic cannot lose a concurrent write. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.errors import AdjustmentRefused, UserAmbiguous, UserNotFound
from app.billing.repository import BillingRepository
from app.billing.tiers import TIERS, effective_tier, to_credits
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


Bucket = Literal["daily", "bonus", "purchased"]


@dataclass(frozen=True, slots=True)
class RefundTakeBack:
    """What one refund took back from a bucket (micro-credits). `claimed` is the refund's share
    of the grant; `taken` what the bucket could give (credits spent, or reserved by open holds,
    cannot be); the totals cover every refund of the same source so far."""

    entry: LedgerEntry
    claimed_micro: int
    taken_micro: int
    claimed_total_micro: int
    taken_total_micro: int

    @property
    def unrecovered_micro(self) -> int:
        return self.claimed_micro - self.taken_micro

    @property
    def unrecovered_total_micro(self) -> int:
        return self.claimed_total_micro - self.taken_total_micro


def _split(bucket: Bucket, amount: int) -> tuple[int, int, int]:
    """(daily, bonus, purchased) deltas that put `amount` on one bucket."""
    return (
        amount if bucket == "daily" else 0,
        amount if bucket == "bonus" else 0,
        amount if bucket == "purchased" else 0,
    )


def _bucket_micro(wallet: UserWallet, bucket: Bucket) -> int:
    if bucket == "daily":
        return wallet.daily_micro
    return wallet.bonus_micro if bucket == "bonus" else wallet.purchased_micro


def _refund_key(source: str) -> str:
    """The refund reference's prefix for a source (a Stripe charge id): the reference is
    `<source>:<amount refunded so far>` and must fit the ledger's 64 characters."""
    if len(source) <= 40 and ":" not in source:
        return source
    return "sha256-" + hashlib.sha256(source.encode()).hexdigest()[:32]


def _refunded_of(reference_id: str) -> int:
    return int(reference_id.rsplit(":", 1)[1])


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

    async def granted_micro(
        self, session: AsyncSession, user_id: uuid.UUID, *, kind: str, reference_id: str
    ) -> int:
        """What the grant with this reference added (0 if there is none)."""
        entry = await BillingRepository(session).ledger_entry(user_id, kind, reference_id)
        return entry.amount_micro if entry is not None else 0

    async def refunded_so_far(self, session: AsyncSession, user_id: uuid.UUID, source: str) -> int:
        """The largest refunded amount already recorded for `source` (0 if none)."""
        rows = await BillingRepository(session).ledger_references(
            user_id, "refund", f"{_refund_key(source)}:"
        )
        return max((_refunded_of(ref) for ref, _ in rows), default=0)

    async def take_back_refund(
        self,
        session: AsyncSession,
        user_id: uuid.UUID,
        *,
        bucket: Literal["bonus", "purchased"],
        granted_micro: int,
        source: str,
        refunded: int,
        total: int,
        label: str,
    ) -> RefundTakeBack | None:
        """A payment that granted `granted_micro` to `bucket` has been refunded `refunded` out of
        `total` so far (cumulative, in the currency's smallest unit, as Stripe reports it on the
        charge): take back the share of the grant not taken back yet, as one `refund` ledger row
        with the reference `<source>:<refunded>`.

        - Proportional and exact: after refunds up to r the claims add up to
          floor(granted x r / total), so a full refund claims the whole grant whatever the steps.
        - Never more than the bucket holds now, nor than the wallet has besides its open holds
          (credits spent, or reserved by replies being generated, stay spent): the part that
          could not be taken back is in the row's description and in the result. It is not
          claimed again by a later refund.
        - Idempotent and order-proof: a refunded amount not above one already recorded for the
          source (a redelivery, an older event arriving late) does nothing and returns None. The
          caller serialises the refunds of one payment (its row lock); the wallet row lock and
          the ledger's unique reference do the rest.
        """
        if total <= 0 or granted_micro < 0 or refunded <= 0:
            raise ValueError("a refund needs a positive total, refunded amount and grant")
        refunded = min(refunded, total)
        repo = BillingRepository(session)
        wallet = await repo.get_wallet(user_id, for_update=True)
        if wallet is None:
            raise WalletNotFound()
        key = _refund_key(source)
        rows = await repo.ledger_references(user_id, "refund", f"{key}:")
        before = max((_refunded_of(ref) for ref, _ in rows), default=0)
        if refunded <= before:
            return None
        taken_before = -sum(amount for _, amount in rows)
        claimed_total = granted_micro * refunded // total
        claimed = claimed_total - granted_micro * before // total
        room = min(_bucket_micro(wallet, bucket), max(wallet.available_micro, 0))
        taken = min(claimed, room)
        description = (
            f"Refund of {label}: {refunded}/{total} refunded; "
            f"{to_credits(taken)} credits taken back"
        )
        if claimed > taken:
            description += f", {to_credits(claimed - taken)} not recovered (already spent)"
        daily, bonus, purchased = _split(bucket, -taken)
        entry = _post(
            repo,
            wallet,
            kind="refund",
            daily=daily,
            bonus=bonus,
            purchased=purchased,
            reference_type="refund",
            reference_id=f"{key}:{refunded}",
            description=description[:255],
            now=utcnow(),
        )
        await repo.flush()
        return RefundTakeBack(
            entry=entry,
            claimed_micro=claimed,
            taken_micro=taken,
            claimed_total_micro=claimed_total,
            taken_total_micro=taken_before + taken,
        )

    async def find_user(self, session: AsyncSession, ident: str) -> User:
        """The one user named by a user id, a Firebase uid or an email."""
        users = await BillingRepository(session).find_users(ident.strip())
        if not users:
            raise UserNotFound(f"No user has the id, Firebase uid or email {ident!r}.")
        if len(users) > 1:
            raise UserAmbiguous(
                f"{len(users)} users have the email {ident!r}: name one by id or Firebase uid.",
                user_ids=[str(u.id) for u in users],
            )
        return users[0]

    async def adjust(
        self,
        session: AsyncSession,
        user: User,
        *,
        bucket: Bucket,
        amount_micro: int,
        reason: str,
        reference_id: str,
    ) -> LedgerEntry:
        """An operator's correction of one bucket: one `admin_adjustment` ledger row with the
        reason in its description. Refused (AdjustmentRefused) if the bucket would go negative,
        or if it would take credits that open holds reserve.

        Today's allowance is given first if it is due, so that an adjustment of the daily
        bucket is not wiped out by the lazy refresh of the next request.
        """
        if amount_micro == 0:
            raise ValueError("an adjustment changes the balance")
        tier = effective_tier(user.tier, user.tier_expires_at, utcnow())
        await self.ensure_daily(session, user.id, tier)
        repo = BillingRepository(session)
        wallet = await repo.get_wallet(user.id, for_update=True)
        if wallet is None:
            raise WalletNotFound()
        current = _bucket_micro(wallet, bucket)
        if current + amount_micro < 0:
            raise AdjustmentRefused(
                f"The {bucket} bucket holds {to_credits(current)} credits: removing "
                f"{to_credits(-amount_micro)} would leave {to_credits(current + amount_micro)}.",
                bucket=bucket,
                balance=str(to_credits(current)),
                amount=str(to_credits(amount_micro)),
            )
        if wallet.available_micro + amount_micro < 0:
            raise AdjustmentRefused(
                f"Open holds reserve {to_credits(wallet.held_micro)} credits: only "
                f"{to_credits(max(wallet.available_micro, 0))} can be removed now.",
                bucket=bucket,
                held=str(to_credits(wallet.held_micro)),
                amount=str(to_credits(amount_micro)),
            )
        daily, bonus, purchased = _split(bucket, amount_micro)
        entry = _post(
            repo,
            wallet,
            kind="admin_adjustment",
            daily=daily,
            bonus=bonus,
            purchased=purchased,
            reference_type="admin",
            reference_id=reference_id,
            description=f"Admin adjustment: {reason}"[:255],
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
