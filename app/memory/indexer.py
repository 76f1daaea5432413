"""The write path of memory (runs in the background: the in-process worker or a Celery task).

index() takes chat messages and, for each Premium/VIP one:
1. drops it if the user asked to forget it meanwhile (tombstones);
2. embeds it (long messages in chunks; everything of the batch in one model call);
3. upserts the vectors into the user's namespace (ids `{message_id}:{chunk}`: idempotent, so a
   retry rewrites the same vectors), then records the message in memory_items;
4. checks the tombstones again (a forget that raced the job wins: its vectors are removed);
5. VIP: extracts durable facts from the user's message (new values replace old ones, fact
   vectors follow) and refreshes the session's rolling summary when history outgrew the prompt.
Every step can be retried from the start without duplicating anything.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.billing.tiers import TIERS
from app.kit.clock import utcnow
from app.kit.ids import uuid7
from app.llm.tokens import MESSAGE_OVERHEAD_TOKENS, estimate_tokens
from app.memory.embeddings import Embedder, chunk_text
from app.memory.facts import FactExtractor
from app.memory.factstore import FactChanges, record_facts
from app.memory.records import MessageToIndex, VectorRecord
from app.memory.repository import MemoryRepository
from app.memory.stores.base import VectorStore
from app.memory.summary import Summarizer
from app.models import MemoryFact, MemorySessionSummary
from app.settings import Settings

log = logging.getLogger(__name__)

# Tokens of the prompt that are not history (system prompt, persona, memory block).
PROMPT_RESERVE_TOKENS = 1500


def memory_mode(tier: str) -> str:
    rules = TIERS.get(tier)
    return rules.memory if rules is not None else "none"


@dataclass(slots=True)
class IndexResult:
    indexed: int = 0
    skipped: int = 0
    forgotten: int = 0
    facts: int = 0
    summaries: int = 0


def fact_record(fact: MemoryFact, vector: list[float], model: str) -> VectorRecord:
    return VectorRecord(
        id=f"fact:{fact.id}",
        vector=vector,
        user_id=fact.user_id,
        session_id=fact.source_session_id,
        message_id=fact.source_message_id,
        character_id=fact.character_id,
        role="fact",
        content=fact.statement,
        timestamp=fact.observed_at.timestamp(),
        kind="fact",
        embedding_model=model,
        fact_id=fact.id,
    )


class Indexer:
    def __init__(
        self,
        *,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        embedder: Embedder,
        store: VectorStore,
        extractor: FactExtractor,
        summarizer: Summarizer,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.embedder = embedder
        self.store = store
        self.extractor = extractor
        self.summarizer = summarizer

    # ------------------------------------------------------------------ messages

    async def index(self, messages: Sequence[MessageToIndex]) -> IndexResult:
        result = IndexResult()
        todo = [
            m
            for m in messages
            if memory_mode(m.tier) != "none" and m.role in ("user", "assistant") and m.text.strip()
        ]
        result.skipped = len(messages) - len(todo)
        todo = await self._not_forgotten(todo)
        result.forgotten = len(messages) - result.skipped - len(todo)
        if not todo:
            return result

        chunks = [chunk_text(m.text) for m in todo]
        vectors = await self.embedder.embed([c for group in chunks for c in group])
        model = self.embedder.model
        by_user: dict[uuid.UUID, list[VectorRecord]] = defaultdict(list)
        at = 0
        for m, group in zip(todo, chunks, strict=True):
            for i, chunk in enumerate(group):
                by_user[m.user_id].append(
                    VectorRecord(
                        id=f"{m.message_id}:{i}",
                        vector=vectors[at],
                        user_id=m.user_id,
                        session_id=m.session_id,
                        message_id=m.message_id,
                        character_id=m.character_id,
                        role=m.role,
                        content=chunk,
                        timestamp=m.created_at.timestamp(),
                        kind="message",
                        embedding_model=model,
                    )
                )
                at += 1
        for user_id, records in by_user.items():
            await self.store.upsert(user_id, records)

        now = utcnow()
        async with self.sessionmaker() as session:
            await MemoryRepository(session).upsert_items(
                [
                    item_row(m, status="indexed", chunk_count=len(group), model=model, now=now)
                    for m, group in zip(todo, chunks, strict=True)
                ]
            )
            await session.commit()

        still = await self._not_forgotten(todo)
        if len(still) != len(todo):
            await self._undo(
                [m for m in todo if m not in still],
                chunks_of=dict(
                    zip([m.message_id for m in todo], [len(g) for g in chunks], strict=True)
                ),
            )
            result.forgotten += len(todo) - len(still)
        result.indexed = len(still)

        vip = [m for m in still if memory_mode(m.tier) == "advanced"]
        for m in vip:
            if m.role == "user":
                changes = await self.apply_facts(m)
                result.facts += len(changes.current)
        for user_id, session_id, character_id in sorted(
            {(m.user_id, m.session_id, m.character_id) for m in vip}, key=str
        ):
            if await self.maybe_summarize(user_id, session_id, character_id):
                result.summaries += 1
        return result

    async def _not_forgotten(self, messages: Sequence[MessageToIndex]) -> list[MessageToIndex]:
        if not messages:
            return []
        async with self.sessionmaker() as session:
            tombs = await MemoryRepository(session).tombstones([m.user_id for m in messages])
        if not tombs:
            return list(messages)

        def forgotten(m: MessageToIndex) -> bool:
            for key in ((m.user_id, None), (m.user_id, m.session_id)):
                at = tombs.get(key)
                if at is not None and m.created_at <= at:
                    return True
            return False

        return [m for m in messages if not forgotten(m)]

    async def _undo(
        self, messages: Sequence[MessageToIndex], *, chunks_of: dict[uuid.UUID, int]
    ) -> None:
        by_user: dict[uuid.UUID, list[str]] = defaultdict(list)
        for m in messages:
            by_user[m.user_id] += [f"{m.message_id}:{i}" for i in range(chunks_of[m.message_id])]
        for user_id, ids in by_user.items():
            await self.store.delete_ids(user_id, ids)
        async with self.sessionmaker() as session:
            repo = MemoryRepository(session)
            for m in messages:
                for item in await repo.items_by_message(m.user_id, [m.message_id]):
                    await repo.delete_item(item.id)
            await session.commit()

    # ------------------------------------------------------------------ VIP: facts

    async def apply_facts(self, m: MessageToIndex) -> FactChanges:
        async with self.sessionmaker() as session:
            known = await MemoryRepository(session).current_fact_keys(m.user_id)
        candidates = await self.extractor.extract(m.text, known_keys=known)
        if not candidates:
            return FactChanges()
        async with self.sessionmaker() as session:
            changes = await record_facts(
                MemoryRepository(session),
                user_id=m.user_id,
                character_id=m.character_id,
                session_id=m.session_id,
                message_id=m.message_id,
                observed_at=m.created_at,
                candidates=candidates,
                source=self.extractor.name,
            )
            await session.commit()
        await self.sync_fact_vectors(m.user_id, changes.current, changes.superseded_ids)
        return changes

    async def sync_fact_vectors(
        self,
        user_id: uuid.UUID,
        current: Sequence[MemoryFact],
        removed: Sequence[uuid.UUID],
    ) -> None:
        """Current facts are in the store (re-written: idempotent); replaced ones are not."""
        if removed:
            await self.store.delete_ids(user_id, [f"fact:{fid}" for fid in removed])
        if current:
            vectors = await self.embedder.embed([f.statement for f in current])
            await self.store.upsert(
                user_id,
                [
                    fact_record(f, v, self.embedder.model)
                    for f, v in zip(current, vectors, strict=True)
                ],
            )

    # ------------------------------------------------------------------ VIP: summaries

    def _out_of_window(
        self, messages: Sequence[tuple[uuid.UUID, str, str, int]]
    ) -> list[tuple[uuid.UUID, str, str, int]]:
        """The messages the chat prompt no longer shows (older than its history window)."""
        s = self.settings
        budget = max(0, s.CHAT_CONTEXT_TOKENS - s.CHAT_MAX_OUTPUT_TOKENS - PROMPT_RESERVE_TOKENS)
        used = 0
        kept = 0
        for _, _, content, tokens in reversed(messages):
            cost = (tokens or estimate_tokens(content)) + MESSAGE_OVERHEAD_TOKENS
            if kept >= s.CHAT_HISTORY_MESSAGES or used + cost > budget:
                break
            used += cost
            kept += 1
        return list(messages[: len(messages) - kept])

    async def maybe_summarize(
        self, user_id: uuid.UUID, session_id: uuid.UUID, character_id: str
    ) -> bool:
        async with self.sessionmaker() as session:
            repo = MemoryRepository(session)
            messages = await repo.session_messages(user_id, session_id)
            existing = await repo.get_summary(user_id, session_id)
        outside = self._out_of_window(messages)
        if existing is not None:
            outside = [m for m in outside if m[0] > existing.covered_through_message_id]
        if len(outside) < self.settings.MEMORY_SUMMARY_MIN_MESSAGES:
            return False
        text = await self.summarizer.summarize(
            existing.summary if existing else None,
            [(role, content) for _, role, content, _ in outside],
            max_tokens=self.settings.MEMORY_SUMMARY_MAX_TOKENS,
        )
        now = utcnow()
        async with self.sessionmaker() as session:
            repo = MemoryRepository(session)
            row = await repo.get_summary(user_id, session_id)
            if row is None:
                row = MemorySessionSummary(
                    id=uuid7(),
                    user_id=user_id,
                    session_id=session_id,
                    character_id=character_id,
                    messages_covered=0,
                    created_at=now,
                )
                repo.add(row)
            elif row.covered_through_message_id >= outside[-1][0]:
                return False  # a concurrent job got there first
            row.summary = text
            row.messages_covered = (row.messages_covered or 0) + len(outside)
            row.covered_through_message_id = outside[-1][0]
            row.token_estimate = estimate_tokens(text)
            row.updated_at = now
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                return False
        return True


def item_row(
    m: MessageToIndex,
    *,
    status: str,
    chunk_count: int = 0,
    model: str | None = None,
    now: dt.datetime,
    attempts: int = 0,
    error: str | None = None,
    next_attempt_at: dt.datetime | None = None,
) -> dict[str, object]:
    return {
        "id": uuid7(),
        "user_id": m.user_id,
        "session_id": m.session_id,
        "character_id": m.character_id,
        "message_id": m.message_id,
        "role": m.role,
        "content": m.text,
        "tier": m.tier,
        "chunk_count": chunk_count,
        "embedding_model": model,
        "status": status,
        "attempts": attempts,
        "last_error": error[:500] if error else None,
        "next_attempt_at": next_attempt_at,
        "created_at": m.created_at,
        "indexed_at": now if status == "indexed" else None,
    }
