"""SQL of the billing domain (wallets, ledger, holds, subscriptions) on the ORM.

The chat hot path's hold and settle statements live in chat/hot_repository.py: they write the
wallet, the hold, the ledger and the messages in one statement.

Concurrency: every money write here either holds the wallet's row lock (SELECT ... FOR UPDATE,
then the ORM writes the new values in the same transaction) or is a relative UPDATE
(`held_micro = held_micro - x`). On SQLite FOR UPDATE is a no-op: the engine has one connection,
so transactions run one at a time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CreditHold, LedgerEntry, Subscription, User, UserWallet


@dataclass(frozen=True, slots=True)
class ExpiredHold:
    id: uuid.UUID
    user_id: uuid.UUID
    amount_micro: int


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

    async def ledger_has(self, user_id: uuid.UUID, kind: str, reference_id: str) -> bool:
        """Whether this grant (kind, reference) was already written for the user."""
        stmt = select(
            exists().where(
                LedgerEntry.user_id == user_id,
                LedgerEntry.kind == kind,
                LedgerEntry.reference_id == reference_id,
            )
        )
        return bool(await self.session.scalar(stmt))

    async def ledger_entry(
        self, user_id: uuid.UUID, kind: str, reference_id: str
    ) -> LedgerEntry | None:
        stmt = select(LedgerEntry).where(
            LedgerEntry.user_id == user_id,
            LedgerEntry.kind == kind,
            LedgerEntry.reference_id == reference_id,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def ledger_references(
        self, user_id: uuid.UUID, kind: str, prefix: str
    ) -> list[tuple[str, int]]:
        """(reference_id, amount_micro) of the user's rows of `kind` whose reference starts with
        `prefix` (LIKE wildcards in the prefix are escaped: Stripe ids contain `_`)."""
        stmt = select(LedgerEntry.reference_id, LedgerEntry.amount_micro).where(
            LedgerEntry.user_id == user_id,
            LedgerEntry.kind == kind,
            LedgerEntry.reference_id.startswith(prefix, autoescape=True),
        )
        return [(str(r[0]), int(r[1])) for r in (await self.session.execute(stmt)).all()]

    async def find_users(self, ident: str) -> list[User]:
        """Users named by `ident`: the user id, else the Firebase uid, else the email
        (case-insensitive; several users may share one)."""
        try:
            user_id: uuid.UUID | None = uuid.UUID(ident)
        except ValueError:
            user_id = None
        if user_id is not None:
            user = await self.get_user(user_id)
            if user is not None:
                return [user]
        by_uid = (
            (await self.session.execute(select(User).where(User.firebase_uid == ident)))
            .scalars()
            .all()
        )
        if by_uid:
            return list(by_uid)
        stmt = (
            select(User)
            .where(func.lower(User.email) == ident.lower())
            .order_by(User.created_at, User.id)
            .limit(10)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def get_user(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        stmt = select(User).where(User.id == user_id)
        if for_update:
            # FOR NO KEY UPDATE: inserting a row that references the user (a payment, a ledger
            # row) takes KEY SHARE on it; plain FOR UPDATE would conflict with that and two
            # concurrent purchases of one user would deadlock.
            stmt = stmt.with_for_update(key_share=True)
        result = await self.session.execute(stmt.execution_options(populate_existing=True))
        return result.scalar_one_or_none()

    # ------------------------------------------------------------------ daily refresh job

    async def wallets_due(
        self, today: dt.date, *, after: uuid.UUID | None, limit: int
    ) -> list[uuid.UUID]:
        """Users whose daily bucket was not refreshed today, by user id (keyset, no lock)."""
        stmt = select(UserWallet.user_id).where(
            or_(UserWallet.daily_date.is_(None), UserWallet.daily_date < today)
        )
        if after is not None:
            stmt = stmt.where(UserWallet.user_id > after)
        stmt = stmt.order_by(UserWallet.user_id).limit(limit)
        return list((await self.session.execute(stmt)).scalars().all())

    async def lock_wallets_due(
        self, user_ids: Sequence[uuid.UUID], today: dt.date
    ) -> list[tuple[UserWallet, str, dt.datetime | None]]:
        """Lock the wallets of `user_ids` still due today, in user id order (a fixed lock order:
        two jobs, or a job and a request, never wait on each other in a cycle)."""
        stmt = (
            select(UserWallet, User.tier, User.tier_expires_at)
            .join(User, User.id == UserWallet.user_id)
            .where(
                UserWallet.user_id.in_(user_ids),
                or_(UserWallet.daily_date.is_(None), UserWallet.daily_date < today),
            )
            .order_by(UserWallet.user_id)
            .with_for_update(of=UserWallet)
            .execution_options(populate_existing=True)
        )
        return [(w, tier, exp) for w, tier, exp in (await self.session.execute(stmt)).all()]

    # ------------------------------------------------------------------ hold sweeper

    async def lock_expired_holds(self, now: dt.datetime, *, limit: int) -> list[ExpiredHold]:
        """Open holds past their deadline, locked; holds another transaction is settling or
        releasing right now are skipped (SKIP LOCKED: the sweeper never waits on a lock)."""
        stmt = (
            select(CreditHold.id, CreditHold.user_id, CreditHold.amount_micro)
            .where(CreditHold.status == "open", CreditHold.expires_at <= now)
            .order_by(CreditHold.expires_at, CreditHold.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = (await self.session.execute(stmt)).all()
        return [ExpiredHold(r[0], r[1], r[2]) for r in rows]

    async def try_lock_wallets(self, user_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Lock the wallets that are free right now; the others are left for the next sweep."""
        stmt = (
            select(UserWallet.user_id)
            .where(UserWallet.user_id.in_(user_ids))
            .order_by(UserWallet.user_id)
            .with_for_update(skip_locked=True)
        )
        return set((await self.session.execute(stmt)).scalars().all())

    async def expire_holds(
        self, hold_ids: Sequence[uuid.UUID], now: dt.datetime
    ) -> list[tuple[uuid.UUID, int]]:
        """Close the still-open holds among `hold_ids`; returns (user_id, amount) per hold."""
        stmt = (
            update(CreditHold)
            .where(CreditHold.id.in_(hold_ids), CreditHold.status == "open")
            .values(status="expired", closed_at=now)
            .returning(CreditHold.user_id, CreditHold.amount_micro)
            .execution_options(synchronize_session=False)
        )
        return [(r[0], r[1]) for r in (await self.session.execute(stmt)).all()]

    async def release_held(self, user_id: uuid.UUID, amount_micro: int, now: dt.datetime) -> None:
        stmt = (
            update(UserWallet)
            .where(UserWallet.user_id == user_id)
            .values(held_micro=UserWallet.held_micro - amount_micro, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def open_holds_micro(self, user_id: uuid.UUID) -> int:
        stmt = select(func.coalesce(func.sum(CreditHold.amount_micro), 0)).where(
            CreditHold.user_id == user_id, CreditHold.status == "open"
        )
        return int(await self.session.scalar(stmt) or 0)

    # ------------------------------------------------------------------ subscriptions

    async def get_subscription(
        self, provider: str, provider_subscription_id: str, *, for_update: bool = False
    ) -> Subscription | None:
        stmt = select(Subscription).where(
            Subscription.provider == provider,
            Subscription.provider_subscription_id == provider_subscription_id,
        )
        if for_update:
            stmt = stmt.with_for_update()
        result = await self.session.execute(stmt.execution_options(populate_existing=True))
        return result.scalar_one_or_none()

    async def insert_subscription_if_absent(self, values: dict[str, object]) -> None:
        """INSERT ... ON CONFLICT (provider, provider_subscription_id) DO NOTHING: two events
        that both create the same provider subscription make one row."""
        table = Subscription.__table__
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(table).values(**values)  # type: ignore[arg-type]
        stmt = stmt.on_conflict_do_nothing(index_elements=["provider", "provider_subscription_id"])
        await self.session.execute(stmt)

    async def latest_subscription(self, user_id: uuid.UUID) -> Subscription | None:
        stmt = (
            select(Subscription)
            .where(Subscription.user_id == user_id)
            .order_by(Subscription.current_period_end.desc(), Subscription.id.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def has_current_subscription(self, user_id: uuid.UUID, now: dt.datetime) -> bool:
        stmt = select(
            exists().where(
                Subscription.user_id == user_id,
                Subscription.status.in_(("active", "canceled")),
                Subscription.current_period_end > now,
            )
        )
        return bool(await self.session.scalar(stmt))

    async def expire_subscriptions(self, now: dt.datetime, *, limit: int) -> int:
        """Mark subscriptions whose period ended as expired (a batch; locked rows are skipped
        and picked up by the next run)."""
        ids = (
            (
                await self.session.execute(
                    select(Subscription.id)
                    .where(
                        Subscription.status.in_(("active", "canceled")),
                        Subscription.current_period_end <= now,
                    )
                    .order_by(Subscription.current_period_end, Subscription.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        if not ids:
            return 0
        await self.session.execute(
            update(Subscription)
            .where(Subscription.id.in_(ids))
            .values(status="expired", updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return len(ids)

    async def downgrade_expired_users(self, now: dt.datetime, *, limit: int) -> int:
        """Return users whose paid tier ran out to free (a batch). The condition is re-checked
        by the UPDATE itself, so a renewal committed meanwhile is not undone."""
        ids = (
            (
                await self.session.execute(
                    select(User.id)
                    .where(User.tier != "free", User.tier_expires_at <= now)
                    .order_by(User.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        if not ids:
            return 0
        result = await self.session.execute(
            update(User)
            .where(User.id.in_(ids), User.tier != "free", User.tier_expires_at <= now)
            .values(tier="free", tier_expires_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ audit

    async def audit(self) -> list[dict[str, object]]:
        """Users whose ledger sums differ from their wallet, with a negative bucket or an
        overdraft, or whose held amount is not the sum of their open holds."""
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
        holds = (
            select(
                CreditHold.user_id.label("user_id"),
                func.sum(CreditHold.amount_micro).label("held"),
            )
            .where(CreditHold.status == "open")
            .group_by(CreditHold.user_id)
            .subquery()
        )
        stmt = (
            select(
                UserWallet.user_id,
                UserWallet.daily_micro,
                UserWallet.bonus_micro,
                UserWallet.purchased_micro,
                UserWallet.held_micro,
                func.coalesce(sums.c.daily, 0),
                func.coalesce(sums.c.bonus, 0),
                func.coalesce(sums.c.purchased, 0),
                func.coalesce(holds.c.held, 0),
            )
            .outerjoin(sums, sums.c.user_id == UserWallet.user_id)
            .outerjoin(holds, holds.c.user_id == UserWallet.user_id)
        )
        offenders: list[dict[str, object]] = []
        for row in (await self.session.execute(stmt)).all():
            # SUM(bigint) is numeric on PostgreSQL: back to int (JSON has no Decimal).
            uid, *amounts = row
            daily, bonus, purchased, held, l_daily, l_bonus, l_purchased, open_held = map(
                int, amounts
            )
            problems = []
            if (daily, bonus, purchased) != (l_daily, l_bonus, l_purchased):
                problems.append("ledger_mismatch")
            if min(daily, bonus, purchased, held) < 0 or daily + bonus + purchased < held:
                problems.append("negative_balance")
            if held != open_held:
                problems.append("held_mismatch")
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
                        "open_holds": open_held,
                    }
                )
        return offenders
