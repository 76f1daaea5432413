"""Subscriptions: a plan's tier for a period, its bonus credits once per period, and the return
to free when the period ends (docs/BILLING.md, "Subscriptions").

Choices:
- A higher daily allowance applies at once: activating a plan tops the daily bucket up by the
  difference between the new tier's allowance and the one in force (one ledger row, once per
  subscription and day); from the next refresh the new allowance applies in full.
- Bonus credits do not expire with the plan (like purchased credits); the tier does, at the end
  of the paid period. Expiry is checked lazily (`effective_tier`) and written by a job.
- A period is identified by its start: its bonus is granted under the reference
  `<subscription id>:<period start, epoch seconds>`, so whichever event of a period arrives
  first (checkout completed, invoice paid, a redelivery) grants, and the others find the row.

Lock order: subscription row, then the user row, then the wallet row (the expiry job takes
subscriptions then users, skipping locked rows; the hot path only takes wallet then hold).
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.repository import BillingRepository
from app.billing.service import wallet_service
from app.billing.tiers import TIERS, effective_tier
from app.kit.clock import utcnow
from app.kit.ids import uuid7
from app.models import Subscription

TIER_RANK = {"free": 0, "premium": 1, "vip": 2}


@dataclass(frozen=True, slots=True)
class Plan:
    """What a subscription gives (the market's catalog maps its plans to this)."""

    id: str
    tier: str
    bonus_micro: int
    period: Literal["month", "year"]


@dataclass(frozen=True, slots=True)
class Activation:
    subscription: Subscription
    bonus_granted_micro: int  # 0 when this period's bonus had been granted already
    topped_up_micro: int  # the daily top-up of an upgrade (0 if none)


def add_period(start: dt.datetime, period: Literal["month", "year"]) -> dt.datetime:
    """The end of a calendar period (Jan 31 + 1 month = Feb 28/29), as Stripe bills."""
    months = 1 if period == "month" else 12
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return start.replace(year=year, month=month0 + 1, day=day)


def bonus_reference(sub: Subscription, period_start: dt.datetime) -> str:
    """The ledger reference of a period's bonus: the subscription and the period's start."""
    return f"{sub.id}:{int(period_start.timestamp())}"


class SubscriptionService:
    async def activate_period(
        self,
        session: AsyncSession,
        *,
        user_id: uuid.UUID,
        plan: Plan,
        provider: str,
        provider_subscription_id: str,
        period_start: dt.datetime,
        period_end: dt.datetime,
    ) -> Activation:
        """Record a paid period of a subscription: tier and expiry, the daily top-up of an
        upgrade, the period's bonus. Idempotent per period; safe under concurrent events."""
        repo = BillingRepository(session)
        now = utcnow()
        sub = await repo.get_subscription(provider, provider_subscription_id, for_update=True)
        if sub is None:
            await repo.insert_subscription_if_absent(
                {
                    "id": uuid7(),
                    "user_id": user_id,
                    "plan_id": plan.id,
                    "tier": plan.tier,
                    "status": "active",
                    "provider": provider,
                    "provider_subscription_id": provider_subscription_id,
                    "current_period_start": period_start,
                    "current_period_end": period_end,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            sub = await repo.get_subscription(provider, provider_subscription_id, for_update=True)
            assert sub is not None
        # Events may arrive out of order: a period never moves backwards.
        if period_end > sub.current_period_end:
            sub.current_period_start, sub.current_period_end = period_start, period_end
        if sub.status == "expired" and sub.current_period_end > now:
            sub.status = "active"
        sub.updated_at = now
        await repo.flush()

        topped_up = 0
        if sub.current_period_end > now:
            topped_up = await self._apply_tier(session, repo, sub, now)
        entry = await wallet_service.grant(
            session,
            sub.user_id,
            kind="subscription_bonus",
            bonus=plan.bonus_micro,
            reference_type="subscription",
            reference_id=bonus_reference(sub, period_start),
            description=f"{plan.id} bonus credits",
        )
        return Activation(
            subscription=sub,
            bonus_granted_micro=entry.amount_micro if entry is not None else 0,
            topped_up_micro=topped_up,
        )

    async def _apply_tier(
        self, session: AsyncSession, repo: BillingRepository, sub: Subscription, now: dt.datetime
    ) -> int:
        user = await repo.get_user(sub.user_id, for_update=True)
        assert user is not None
        before = effective_tier(user.tier, user.tier_expires_at, now)
        if TIER_RANK[sub.tier] < TIER_RANK[before]:
            return 0  # a higher tier (granted otherwise) stays in force
        if (
            before != sub.tier
            or user.tier_expires_at is None
            or user.tier_expires_at < sub.current_period_end
        ):
            user.tier = sub.tier
            user.tier_expires_at = sub.current_period_end
            user.updated_at = now
        # Today's allowance at the old tier first (if the wallet has not had it yet), then the
        # difference to the new tier's: the raise applies at once, and only once a day.
        await wallet_service.ensure_daily(session, sub.user_id, before)
        extra = TIERS[sub.tier].daily_micro - TIERS[before].daily_micro
        if extra <= 0:
            return 0
        entry = await wallet_service.grant(
            session,
            sub.user_id,
            kind="daily_refresh",
            daily=extra,
            reference_type="subscription",
            reference_id=f"upgrade:{sub.id}:{now.date().isoformat()}",
            description=f"Daily allowance raised to {sub.tier}",
        )
        return entry.amount_micro if entry is not None else 0

    async def mark_canceled(
        self, session: AsyncSession, *, provider: str, provider_subscription_id: str
    ) -> Subscription | None:
        """The provider ended the subscription: no renewal; the tier lasts to the period end."""
        repo = BillingRepository(session)
        sub = await repo.get_subscription(provider, provider_subscription_id, for_update=True)
        if sub is not None and sub.status == "active":
            sub.status = "canceled"
            sub.updated_at = utcnow()
            await repo.flush()
        return sub

    async def end_for_refund(
        self,
        session: AsyncSession,
        *,
        provider: str,
        provider_subscription_id: str,
        period_end: dt.datetime,
    ) -> bool:
        """The payment of the period ending at `period_end` was refunded in full: if that is
        the period in force, the subscription ends now and the user returns to free, as expiry
        does (the subscription `expired`, its period ending now; the tier free, unless a tier
        from elsewhere outlasts this subscription). Returns whether it ended now.

        A refund of an earlier period's payment ends nothing: that period is over, and the one
        in force was paid by another payment. Bonus credits are the caller's business.
        """
        repo = BillingRepository(session)
        now = utcnow()
        sub = await repo.get_subscription(provider, provider_subscription_id, for_update=True)
        if sub is None or period_end < sub.current_period_end or sub.current_period_end <= now:
            return False
        ended_at = sub.current_period_end
        sub.status = "expired"
        sub.current_period_end = now
        sub.updated_at = now
        user = await repo.get_user(sub.user_id, for_update=True)
        assert user is not None
        if (
            user.tier == sub.tier
            and user.tier_expires_at is not None
            and user.tier_expires_at <= ended_at
        ):
            user.tier = "free"
            user.tier_expires_at = None
            user.updated_at = now
        await repo.flush()
        return True

    async def has_current(
        self, session: AsyncSession, user_id: uuid.UUID, *, lock_user: bool = False
    ) -> bool:
        """Whether the user has a subscription for the current period. With `lock_user`, the
        user row is locked first, so two concurrent subscribe requests decide one after the
        other (the second sees the first's subscription)."""
        repo = BillingRepository(session)
        if lock_user:
            await repo.get_user(user_id, for_update=True)
        return await repo.has_current_subscription(user_id, utcnow())

    async def latest(self, session: AsyncSession, user_id: uuid.UUID) -> Subscription | None:
        return await BillingRepository(session).latest_subscription(user_id)

    async def expire_due_batch(self, session: AsyncSession, *, limit: int) -> tuple[int, int]:
        """The expiry job's unit of work: (subscriptions expired, users returned to free)."""
        repo = BillingRepository(session)
        now = utcnow()
        subs = await repo.expire_subscriptions(now, limit=limit)
        users = await repo.downgrade_expired_users(now, limit=limit)
        return subs, users


subscription_service = SubscriptionService()
