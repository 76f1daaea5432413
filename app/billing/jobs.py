"""Billing's background jobs, as plain async functions over a sessionmaker.

Celery beat (or the in-process scheduler, or a CLI) calls them; each works in batches, one
transaction per batch, so a run over millions of users holds no lock for long and a crash loses
at most one uncommitted batch. All three are idempotent: running one twice, or two copies at
once, or alongside the lazy checks of the request path, changes nothing more.

| job                      | when                              | what                            |
|--------------------------|-----------------------------------|---------------------------------|
| refresh_daily_allowances | 00:00 UTC (and again a bit later) | daily bucket -> tier allowance  |
| expire_subscriptions     | every few minutes                 | ended periods -> free tier      |
| sweep_expired_holds      | every minute                      | release holds of dead processes |
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.billing.service import wallet_service
from app.billing.subscriptions import subscription_service

log = logging.getLogger(__name__)

DEFAULT_BATCH = 500


@dataclass(frozen=True, slots=True)
class SweepResult:
    released: int
    released_micro: int
    skipped: int  # expired holds whose wallet was busy: the next sweep takes them


async def refresh_daily_allowances(
    sessionmaker: async_sessionmaker[AsyncSession], *, batch_size: int = DEFAULT_BATCH
) -> int:
    """Reset every wallet's daily bucket to its tier's allowance for today (UTC); returns how
    many wallets were refreshed by this run. Wallets already refreshed today (lazily on first
    use, or by another run) are left alone."""
    refreshed = 0
    after: uuid.UUID | None = None
    while True:
        async with sessionmaker() as session:
            batch = await wallet_service.refresh_due_batch(session, after=after, limit=batch_size)
            await session.commit()
        refreshed += batch.refreshed
        if batch.last_user_id is None or batch.scanned < batch_size:
            break
        after = batch.last_user_id
    log.info("daily refresh done", extra={"refreshed": refreshed})
    return refreshed


async def expire_subscriptions(
    sessionmaker: async_sessionmaker[AsyncSession], *, batch_size: int = DEFAULT_BATCH
) -> int:
    """Mark ended subscriptions expired and return their users to the free tier; returns how
    many users were returned to free. (Requests already treat an ended tier as free.)"""
    downgraded = 0
    while True:
        async with sessionmaker() as session:
            subs, users = await subscription_service.expire_due_batch(session, limit=batch_size)
            await session.commit()
        downgraded += users
        if subs < batch_size and users < batch_size:
            break
    if downgraded:
        log.info("subscriptions expired", extra={"users": downgraded})
    return downgraded


async def sweep_expired_holds(
    sessionmaker: async_sessionmaker[AsyncSession], *, batch_size: int = DEFAULT_BATCH
) -> SweepResult:
    """Release credit holds past their deadline (HOLD_TTL_SECONDS after they were placed): the
    process that placed them died before settling. Each hold is released exactly once, even
    with several sweepers running; a settle that comes after the sweep charges only what the
    wallet can pay (chat/hot_repository.py)."""
    released = released_micro = skipped = 0
    while True:
        async with sessionmaker() as session:
            batch = await wallet_service.sweep_expired_holds(session, limit=batch_size)
            await session.commit()
        released += batch.released
        released_micro += batch.released_micro
        if batch.found < batch_size or batch.released == 0:
            skipped = batch.found - batch.released
            break
    if released:
        log.warning(
            "expired holds released",
            extra={"holds": released, "micro": released_micro, "skipped": skipped},
        )
    return SweepResult(released=released, released_micro=released_micro, skipped=skipped)
