"""SQL of the market: payment attempts and provider events (ORM and Core, off the hot path).

Two inserts are `ON CONFLICT DO NOTHING` on a unique key, so concurrent duplicates resolve in
the database: a replayed Idempotency-Key (payment_transactions (user_id, idempotency_key)) and a
redelivered provider event (webhook_events (provider, event_id)). On PostgreSQL the second
inserter waits for the first transaction and then sees its row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import PaymentTransaction, WebhookEvent


class MarketRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self, table: Any) -> Any:
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        return insert(table)

    async def flush(self) -> None:
        await self.session.flush()

    # ------------------------------------------------------------------ payments

    async def insert_payment_if_absent(self, values: dict[str, Any]) -> bool:
        """Create the attempt unless this user already used the idempotency key."""
        table: Table = PaymentTransaction.__table__  # type: ignore[assignment]
        stmt = (
            self._insert(table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"])
            .returning(table.c.id)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def get_by_key(
        self, user_id: uuid.UUID, key: str, *, for_update: bool = False
    ) -> PaymentTransaction | None:
        stmt = select(PaymentTransaction).where(
            PaymentTransaction.user_id == user_id, PaymentTransaction.idempotency_key == key
        )
        if for_update:
            stmt = stmt.with_for_update()
        result = await self.session.execute(stmt.execution_options(populate_existing=True))
        return result.scalar_one_or_none()

    async def get(
        self, payment_id: uuid.UUID, *, user_id: uuid.UUID | None = None, for_update: bool = False
    ) -> PaymentTransaction | None:
        stmt = select(PaymentTransaction).where(PaymentTransaction.id == payment_id)
        if user_id is not None:
            stmt = stmt.where(PaymentTransaction.user_id == user_id)
        if for_update:
            stmt = stmt.with_for_update()
        result = await self.session.execute(stmt.execution_options(populate_existing=True))
        return result.scalar_one_or_none()

    async def get_by_provider_id(
        self, provider: str, provider_payment_id: str, *, for_update: bool = False
    ) -> PaymentTransaction | None:
        stmt = select(PaymentTransaction).where(
            PaymentTransaction.provider == provider,
            PaymentTransaction.provider_payment_id == provider_payment_id,
        )
        if for_update:
            stmt = stmt.with_for_update()
        result = await self.session.execute(stmt.execution_options(populate_existing=True))
        return result.scalar_one_or_none()

    async def list_for_user(
        self,
        user_id: uuid.UUID,
        *,
        limit: int,
        before: tuple[dt.datetime, uuid.UUID] | None = None,
    ) -> Sequence[PaymentTransaction]:
        stmt = select(PaymentTransaction).where(PaymentTransaction.user_id == user_id)
        if before is not None:
            stmt = stmt.where(tuple_(PaymentTransaction.created_at, PaymentTransaction.id) < before)
        stmt = stmt.order_by(
            PaymentTransaction.created_at.desc(), PaymentTransaction.id.desc()
        ).limit(limit)
        return (await self.session.execute(stmt)).scalars().all()

    # ------------------------------------------------------------------ provider events

    async def insert_event_if_absent(self, values: dict[str, Any]) -> bool:
        """Store a provider event by its id; False if it was stored before (a redelivery)."""
        table: Table = WebhookEvent.__table__  # type: ignore[assignment]
        stmt = (
            self._insert(table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(table.c.id)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def finish_event(
        self, provider: str, event_id: str, *, status: str, now: dt.datetime
    ) -> None:
        await self.session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.provider == provider, WebhookEvent.event_id == event_id)
            .values(status=status, processed_at=now)
            .execution_options(synchronize_session=False)
        )

    async def get_event(self, provider: str, event_id: str) -> WebhookEvent | None:
        stmt = select(WebhookEvent).where(
            WebhookEvent.provider == provider, WebhookEvent.event_id == event_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
