"""Every SQL statement of the memory domain."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.models import (
    ChatMessage,
    MemoryFact,
    MemoryItem,
    MemorySessionSummary,
    MemoryTombstone,
)


@dataclass(slots=True, frozen=True)
class StaleRow:
    key: str
    old_value: str
    old_message_id: uuid.UUID | None
    new_value: str
    replaced_at: dt.datetime


@dataclass(slots=True, frozen=True)
class ListedMemory:
    kind: str  # fact | message | summary
    row: Any  # MemoryFact | MemoryItem | MemorySessionSummary

    @property
    def sort_key(self) -> tuple[dt.datetime, uuid.UUID]:
        return (self.row.created_at, self.row.id)


class MemoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, *objects: object) -> None:
        self.session.add_all(objects)

    async def flush(self) -> None:
        await self.session.flush()

    # ------------------------------------------------------------------ indexed messages

    async def upsert_items(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert or update by (user_id, message_id): a retried job rewrites the same rows."""
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(MemoryItem).values(list(rows))
        updated = (
            "content",
            "tier",
            "chunk_count",
            "embedding_model",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "indexed_at",
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "message_id"],
            set_={name: stmt.excluded[name] for name in updated},
        )
        await self.session.execute(stmt)

    async def items_by_message(
        self, user_id: uuid.UUID, message_ids: Sequence[uuid.UUID]
    ) -> list[MemoryItem]:
        if not message_ids:
            return []
        stmt = select(MemoryItem).where(
            MemoryItem.user_id == user_id, MemoryItem.message_id.in_(list(message_ids))
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def due_items(self, now: dt.datetime, limit: int) -> list[MemoryItem]:
        stmt = (
            select(MemoryItem)
            .where(MemoryItem.status == "pending", MemoryItem.next_attempt_at <= now)
            .order_by(MemoryItem.next_attempt_at)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def get_item(self, user_id: uuid.UUID, item_id: uuid.UUID) -> MemoryItem | None:
        stmt = select(MemoryItem).where(MemoryItem.id == item_id, MemoryItem.user_id == user_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def delete_item(self, item_id: uuid.UUID) -> None:
        await self.session.execute(delete(MemoryItem).where(MemoryItem.id == item_id))

    async def delete_items(self, user_id: uuid.UUID, *, session_id: uuid.UUID | None) -> int:
        stmt = delete(MemoryItem).where(MemoryItem.user_id == user_id)
        if session_id is not None:
            stmt = stmt.where(MemoryItem.session_id == session_id)
        result = await self.session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    # ------------------------------------------------------------------ facts

    async def current_facts(
        self,
        user_id: uuid.UUID,
        *,
        keys: Sequence[str] | None = None,
        character_id: str | None = None,
        for_update: bool = False,
    ) -> list[MemoryFact]:
        stmt = select(MemoryFact).where(
            MemoryFact.user_id == user_id, MemoryFact.status == "current"
        )
        if keys is not None:
            stmt = stmt.where(MemoryFact.key.in_(list(keys)))
        if character_id is not None:
            stmt = stmt.where(MemoryFact.character_id == character_id)
        if for_update:
            stmt = stmt.with_for_update()
        stmt = stmt.order_by(MemoryFact.key)
        return list((await self.session.execute(stmt)).scalars().all())

    async def current_fact_keys(self, user_id: uuid.UUID) -> list[str]:
        stmt = select(MemoryFact.key).where(
            MemoryFact.user_id == user_id, MemoryFact.status == "current"
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def stale_rows(self, user_id: uuid.UUID, character_id: str | None) -> list[StaleRow]:
        """Each replaced value with what replaced it and when (the stale-memory filter)."""
        new = aliased(MemoryFact)
        stmt = (
            select(
                MemoryFact.key,
                MemoryFact.value,
                MemoryFact.source_message_id,
                new.value,
                new.observed_at,
            )
            .join(new, new.id == MemoryFact.superseded_by_id)
            .where(MemoryFact.user_id == user_id, MemoryFact.status == "superseded")
        )
        if character_id is not None:
            stmt = stmt.where(MemoryFact.character_id == character_id)
        rows = (await self.session.execute(stmt)).all()
        return [StaleRow(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def get_fact(self, user_id: uuid.UUID, fact_id: uuid.UUID) -> MemoryFact | None:
        stmt = select(MemoryFact).where(MemoryFact.id == fact_id, MemoryFact.user_id == user_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def facts_of_session(self, user_id: uuid.UUID, session_id: uuid.UUID) -> list[MemoryFact]:
        stmt = select(MemoryFact).where(
            MemoryFact.user_id == user_id, MemoryFact.source_session_id == session_id
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def delete_facts(self, fact_ids: Sequence[uuid.UUID]) -> None:
        if not fact_ids:
            return
        ids = list(fact_ids)
        # Rows that pointed at a deleted fact no longer have a successor to name.
        await self.session.execute(
            update(MemoryFact)
            .where(MemoryFact.superseded_by_id.in_(ids))
            .values(superseded_by_id=None)
        )
        await self.session.execute(delete(MemoryFact).where(MemoryFact.id.in_(ids)))

    async def delete_all_facts(self, user_id: uuid.UUID) -> None:
        await self.session.execute(delete(MemoryFact).where(MemoryFact.user_id == user_id))

    # ------------------------------------------------------------------ summaries

    async def get_summary(
        self, user_id: uuid.UUID, session_id: uuid.UUID
    ) -> MemorySessionSummary | None:
        stmt = select(MemorySessionSummary).where(
            MemorySessionSummary.session_id == session_id,
            MemorySessionSummary.user_id == user_id,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_summary_by_id(
        self, user_id: uuid.UUID, summary_id: uuid.UUID
    ) -> MemorySessionSummary | None:
        stmt = select(MemorySessionSummary).where(
            MemorySessionSummary.id == summary_id, MemorySessionSummary.user_id == user_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def delete_summaries(self, user_id: uuid.UUID, *, session_id: uuid.UUID | None) -> None:
        stmt = delete(MemorySessionSummary).where(MemorySessionSummary.user_id == user_id)
        if session_id is not None:
            stmt = stmt.where(MemorySessionSummary.session_id == session_id)
        await self.session.execute(stmt)

    async def delete_summary(self, summary_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(MemorySessionSummary).where(MemorySessionSummary.id == summary_id)
        )

    async def session_messages(
        self, user_id: uuid.UUID, session_id: uuid.UUID
    ) -> list[tuple[uuid.UUID, str, str, int]]:
        """(id, role, content, token_count) of a chat session, oldest first (summaries)."""
        stmt = (
            select(ChatMessage.id, ChatMessage.role, ChatMessage.content, ChatMessage.token_count)
            .where(ChatMessage.session_id == session_id, ChatMessage.user_id == user_id)
            .order_by(ChatMessage.id)
        )
        return [(r[0], r[1], r[2], r[3]) for r in (await self.session.execute(stmt)).all()]

    # ------------------------------------------------------------------ tombstones

    async def add_tombstone(
        self, user_id: uuid.UUID, session_id: uuid.UUID | None, at: dt.datetime
    ) -> MemoryTombstone:
        row = MemoryTombstone(user_id=user_id, session_id=session_id, forgotten_at=at)
        self.session.add(row)
        await self.session.flush()
        return row

    async def mark_vectors_deleted(self, tombstone_id: uuid.UUID, at: dt.datetime) -> None:
        await self.session.execute(
            update(MemoryTombstone)
            .where(MemoryTombstone.id == tombstone_id)
            .values(vectors_deleted_at=at)
        )

    async def undeleted_tombstones(self, limit: int) -> list[MemoryTombstone]:
        """Forgets whose vector deletion failed (the store was down): the sweep retries them."""
        stmt = (
            select(MemoryTombstone)
            .where(MemoryTombstone.vectors_deleted_at.is_(None))
            .order_by(MemoryTombstone.forgotten_at)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def tombstones(
        self, user_ids: Sequence[uuid.UUID]
    ) -> dict[tuple[uuid.UUID, uuid.UUID | None], dt.datetime]:
        """The latest forget time per (user, session), and per (user, None) for "everything"."""
        if not user_ids:
            return {}
        stmt = (
            select(
                MemoryTombstone.user_id,
                MemoryTombstone.session_id,
                func.max(MemoryTombstone.forgotten_at),
            )
            .where(MemoryTombstone.user_id.in_(list(set(user_ids))))
            .group_by(MemoryTombstone.user_id, MemoryTombstone.session_id)
        )
        out: dict[tuple[uuid.UUID, uuid.UUID | None], dt.datetime] = {}
        for user_id, session_id, at in (await self.session.execute(stmt)).all():
            if isinstance(at, dt.datetime) and at.tzinfo is None:
                at = at.replace(tzinfo=dt.UTC)  # func.max() bypasses the column's type on SQLite
            elif isinstance(at, str):
                at = dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC)
            out[(user_id, session_id)] = at
        return out

    async def prune_tombstones(self, before: dt.datetime) -> None:
        await self.session.execute(
            delete(MemoryTombstone).where(
                MemoryTombstone.forgotten_at < before,
                MemoryTombstone.vectors_deleted_at.is_not(None),
            )
        )

    # ------------------------------------------------------------------ listing

    async def list_memory(
        self,
        user_id: uuid.UUID,
        *,
        kinds: Sequence[str],
        before: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[ListedMemory]:
        """The user's memory newest first across facts, messages and summaries (keyset)."""
        out: list[ListedMemory] = []
        models: list[tuple[str, Any]] = [
            ("fact", MemoryFact),
            ("message", MemoryItem),
            ("summary", MemorySessionSummary),
        ]
        for kind, model in models:
            if kind not in kinds:
                continue
            stmt = select(model).where(model.user_id == user_id)
            if before is not None:
                stmt = stmt.where(tuple_(model.created_at, model.id) < before)
            stmt = stmt.order_by(model.created_at.desc(), model.id.desc()).limit(limit)
            out += [ListedMemory(kind, r) for r in (await self.session.execute(stmt)).scalars()]
        out.sort(key=lambda m: m.sort_key, reverse=True)
        return out[:limit]

    async def find_any(self, user_id: uuid.UUID, memory_id: uuid.UUID) -> ListedMemory | None:
        fact = await self.get_fact(user_id, memory_id)
        if fact is not None:
            return ListedMemory("fact", fact)
        item = await self.get_item(user_id, memory_id)
        if item is not None:
            return ListedMemory("message", item)
        summary = await self.get_summary_by_id(user_id, memory_id)
        if summary is not None:
            return ListedMemory("summary", summary)
        return None
