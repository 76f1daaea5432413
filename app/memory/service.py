"""Long-term memory for Premium and VIP: the interface the rest of the app uses.

    memory = create_memory_service(settings, db.sessionmaker, llm=llm)   # no heavy import
    await memory.start()                       # the in-process worker (cheap)
    ...
    ctx = await memory.build_context(user_id=..., tier=..., session_id=..., character_id=...,
                                     query=text, recent_texts=[...], token_budget=600)
    if ctx is not None: extra_system = ctx.text          # add to the system prompt
    ...                                        # model call, settle (both messages stored)
    memory.enqueue_exchange(user_id=..., tier=..., session_id=..., character_id=...,
                            user_message_id=..., user_text=..., assistant_message_id=...,
                            assistant_text=..., created_at=...)        # non-blocking
    await memory.forget_session(user_id, session_id, db=session)  # chat session deleted
    await memory.aclose()

Tiers (app/billing/tiers.py `memory`): free -> nothing is stored and build_context returns None
without touching any store (cost and privacy: see docs/MEMORY.md); premium ("rag") -> top-k
relevant past messages; vip ("advanced") -> also durable facts with supersession, the session's
rolling summary, and re-ranking by relevance, recency and diversity (MMR).

Lazy by design: creating the service imports neither ChromaDB, Pinecone nor PyTorch; the store
opens on first use and the embedding model loads on the first embed (a build_context that finds
the model not yet loaded starts loading it in the background and returns None at once rather
than make a chat request wait seconds). Without the memory extras the service is disabled with
one log line, /health/detailed says why, and the app works without memory.

Background work and build_context use short transactions of their own (like the chat hot
path). The user-control methods (forget_session, forget_all, delete_item, update_fact) take the
caller's session as `db=` when called inside a request: on SQLite (one connection) a second
session opened inside the request would wait forever. They flush; the request commits.
Wiring steps for the chat path: docs/MEMORY.md, "Wiring into the chat path".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.clock import utcnow
from app.kit.pagination import Page, decode_keyset, encode_keyset
from app.llm.base import LLMProvider
from app.memory.embeddings import Embedder, create_embedder
from app.memory.errors import (
    FactNotEditable,
    MemoryConfigError,
    MemoryItemNotFound,
    MemoryStoreUnavailable,
)
from app.memory.facts import FactCandidate, FactExtractor, LLMFactExtractor, RuleFactExtractor
from app.memory.factstore import record_facts
from app.memory.indexer import Indexer, IndexResult, item_row, memory_mode
from app.memory.ranking import (
    StaleIndex,
    StaleValue,
    dedupe_against_recent,
    fit_block,
    rank_premium,
    rank_vip,
)
from app.memory.records import ContextItem, MemoryContext, MessageToIndex, QueryFilter, VectorHit
from app.memory.repository import ListedMemory, MemoryRepository
from app.memory.stores import VectorStore, create_vector_store
from app.memory.summary import LLMSummarizer, RuleSummarizer, Summarizer
from app.memory.worker import InProcessWorker, Processor
from app.models import MemoryFact, MemoryTombstone
from app.settings import Settings

log = logging.getLogger(__name__)

# Facts always in a VIP prompt, whatever the message is about.
PROFILE_KEYS = ("user.name",)
RECENCY_HALF_LIFE_DAYS = 30.0
MMR_LAMBDA = 0.75
# A pending message is retried by the sweep this many times, then marked failed.
MAX_SWEEP_ATTEMPTS = 10
TOMBSTONE_KEEP = dt.timedelta(days=7)
KINDS = ("fact", "message", "summary")


@dataclass(slots=True)
class _VipState:
    stale: StaleIndex
    current_fact_ids: set[str]
    profile: list[MemoryFact]
    summary: str | None


class LocalProcessor:
    name = "inprocess"

    def __init__(self, indexer: Indexer) -> None:
        self.indexer = indexer

    async def process(self, batch: Sequence[MessageToIndex]) -> None:
        await self.indexer.index(batch)


class CeleryProcessor:
    """Publishes to the Celery queue; indexes locally when the broker refuses."""

    name = "celery"

    def __init__(self, fallback: LocalProcessor) -> None:
        self.fallback = fallback
        self.published = 0

    async def process(self, batch: Sequence[MessageToIndex]) -> None:
        from app.tasks.celery_app import celery_app

        payload = [m.to_json() for m in batch]
        try:
            await asyncio.to_thread(celery_app.send_task, "memory.index_exchange", args=[payload])
            self.published += 1
        except Exception as exc:
            log.warning(
                "memory: Celery publish failed; indexing in process",
                extra={"error": f"{type(exc).__name__}: {exc}"[:300]},
            )
            await self.fallback.process(batch)


class MemoryService:
    def __init__(
        self,
        *,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        embedder: Embedder | None,
        store: VectorStore | None,
        extractor: FactExtractor | None = None,
        summarizer: Summarizer | None = None,
        worker_mode: str = "inprocess",
        owned_llm: LLMProvider | None = None,
        disabled_reason: str | None = None,
        jobs_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.settings = settings
        # Request-time reads (the caller's rows, under row-level security) use `sessionmaker`;
        # background work for many users at once (indexing, retries, sweeps) uses the jobs path.
        self.sessionmaker = sessionmaker
        self.jobs_sessionmaker = jobs_sessionmaker or sessionmaker
        self.disabled_reason = disabled_reason
        self.worker_mode = worker_mode
        self._owned_llm = owned_llm
        self._warming: asyncio.Task[None] | None = None
        self.embedder = embedder
        self.store = store
        self.indexer: Indexer | None = None
        self.worker: InProcessWorker | None = None
        if embedder is not None and store is not None and disabled_reason is None:
            self.indexer = Indexer(
                settings=settings,
                sessionmaker=self.jobs_sessionmaker,
                embedder=embedder,
                store=store,
                extractor=extractor or RuleFactExtractor(),
                summarizer=summarizer or RuleSummarizer(),
            )
            local = LocalProcessor(self.indexer)
            processor: Processor = CeleryProcessor(local) if worker_mode == "celery" else local
            self.worker = InProcessWorker(
                processor,
                persist_pending=self.persist_pending,
                # Under Celery the sweep is the beat task memory.retry_pending.
                sweep=None if worker_mode == "celery" else self.retry_pending,
                max_retries=settings.MEMORY_MAX_RETRIES,
            )

    @property
    def enabled(self) -> bool:
        return self.indexer is not None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self.worker is not None:
            await self.worker.start()

    async def aclose(self) -> None:
        if self.worker is not None:
            await self.worker.aclose()
        if self._warming is not None and not self._warming.done():
            await asyncio.wait([self._warming], timeout=10)
        if self.embedder is not None:
            await self.embedder.aclose()
        if self.store is not None:
            await self.store.aclose()
        if self._owned_llm is not None:
            await self._owned_llm.aclose()

    async def warm_up(self) -> None:
        """Load the model and open the store now (workers, benchmarks, tests)."""
        if self.embedder is None or self.store is None:
            return
        await self.embedder.embed(["warm up"])
        await self.store.health()

    async def drain(self, wait_seconds: float = 30.0) -> bool:
        """Wait for the in-process queue to be empty and idle (tests and shutdown)."""
        return True if self.worker is None else await self.worker.drain(wait_seconds)

    async def health_check(self) -> str:
        if not self.enabled:
            if not self.settings.MEMORY_ENABLED:
                return "disabled (MEMORY_ENABLED=false)"
            raise RuntimeError(f"disabled: {self.disabled_reason}")
        assert self.embedder is not None
        assert self.store is not None
        assert self.worker is not None
        store = await self.store.health()
        dims = self.embedder.dimensions
        state = "loaded" if self.embedder.loaded else "loads on first use"
        return (
            f"{store}; embeddings {self.embedder.model} ({dims or '?'}d, {state}); "
            f"worker {self.worker_mode}, {self.worker.queued} queued"
        )

    # ------------------------------------------------------------------ the read path

    async def build_context(
        self,
        *,
        user_id: uuid.UUID,
        tier: str,
        session_id: uuid.UUID,
        character_id: str,
        query: str,
        recent_texts: Sequence[str],
        token_budget: int,
        all_characters: bool | None = None,
    ) -> MemoryContext | None:
        """The memory block for the system prompt, or None (free tier, nothing relevant, memory
        disabled, the model still loading, or the store failing: the chat goes on without)."""
        mode = memory_mode(tier)
        if mode == "none" or not self.enabled or token_budget <= 0 or not query.strip():
            return None
        assert self.embedder is not None
        if not self.embedder.loaded:
            self._warm_in_background()
            return None
        try:
            async with asyncio.timeout(self.settings.MEMORY_QUERY_TIMEOUT_SECONDS):
                return await self._build(
                    user_id=user_id,
                    vip=mode == "advanced",
                    session_id=session_id,
                    character_id=character_id,
                    query=query,
                    recent_texts=recent_texts,
                    token_budget=token_budget,
                    all_characters=all_characters,
                )
        except Exception as exc:
            log.warning(
                "memory retrieval failed; answering without it",
                extra={"error": f"{type(exc).__name__}: {exc}"[:300]},
            )
            return None

    def _warm_in_background(self) -> None:
        if self._warming is None or self._warming.done():
            log.info("memory: embedding model loading; this request goes without memory")

            async def warm() -> None:
                try:
                    await self.warm_up()
                except Exception:
                    log.exception("memory: warm-up failed")

            self._warming = asyncio.get_running_loop().create_task(warm())

    async def _build(
        self,
        *,
        user_id: uuid.UUID,
        vip: bool,
        session_id: uuid.UUID,
        character_id: str,
        query: str,
        recent_texts: Sequence[str],
        token_budget: int,
        all_characters: bool | None,
    ) -> MemoryContext | None:
        assert self.embedder is not None
        assert self.store is not None
        s = self.settings
        t0 = time.perf_counter()
        cross = s.MEMORY_CROSS_CHARACTER if all_characters is None else all_characters
        scope = None if cross else character_id
        flt = QueryFilter(
            embedding_model=self.embedder.model,
            character_id=scope,
            kinds=None if vip else ("message",),
        )
        state_task = (
            asyncio.create_task(self._vip_state(user_id, session_id, scope)) if vip else None
        )
        try:
            vector = (await self.embedder.embed([query]))[0]
            t1 = time.perf_counter()
            hits = await self.store.query(
                user_id,
                vector,
                top_k=s.MEMORY_CANDIDATES,
                flt=flt,
                include_vectors=vip,
                min_score=s.MEMORY_MIN_SCORE,
            )
            t2 = time.perf_counter()
        except BaseException:
            if state_task is not None:
                state_task.cancel()
            raise
        hits = dedupe_against_recent(hits, recent_texts)
        profile: list[ContextItem] = []
        summary: str | None = None
        if state_task is not None:
            state = await state_task
            profile_ids = {str(f.id) for f in state.profile}
            hits = [
                h
                for h in hits
                if not state.stale.is_stale(h)
                and (
                    h.kind != "fact"
                    or (
                        h.metadata.get("fact_id") in state.current_fact_ids
                        and h.metadata.get("fact_id") not in profile_ids
                    )
                )
            ]
            ranked = rank_vip(
                hits,
                min_score=s.MEMORY_MIN_SCORE,
                top_k=s.MEMORY_TOP_K,
                now=utcnow().timestamp(),
                half_life_days=RECENCY_HALF_LIFE_DAYS,
                lambda_=MMR_LAMBDA,
            )
            items = [_item(h, score) for h, score in ranked]
            profile = [
                ContextItem(kind="profile", text=f.statement, score=1.0, id=str(f.id))
                for f in state.profile
            ]
            summary = state.summary
        else:
            premium = rank_premium(hits, min_score=s.MEMORY_MIN_SCORE, top_k=s.MEMORY_TOP_K)
            items = [_item(h, h.score) for h in premium]
        text, profile_used, items_used, summary_used, tokens = fit_block(
            profile=profile, summary=summary, items=items, token_budget=token_budget
        )
        t3 = time.perf_counter()
        if not text:
            return None
        return MemoryContext(
            text=text,
            items=items_used,
            token_estimate=tokens,
            profile=profile_used,
            summary=summary_used,
            timings_ms={
                "embed": round((t1 - t0) * 1000, 3),
                "query": round((t2 - t1) * 1000, 3),
                "rank": round((t3 - t2) * 1000, 3),
                "total": round((t3 - t0) * 1000, 3),
            },
        )

    async def _vip_state(
        self, user_id: uuid.UUID, session_id: uuid.UUID, character_id: str | None
    ) -> _VipState:
        async with self.sessionmaker() as session:
            repo = MemoryRepository(session)
            current = await repo.current_facts(user_id, character_id=character_id)
            stale_rows = await repo.stale_rows(user_id, character_id)
            summary_row = await repo.get_summary(user_id, session_id)
        current_by_key = {f.key: f.value for f in current}
        sources: dict[str, list[str]] = {}
        for r in stale_rows:
            if r.old_message_id is not None:
                now_value = current_by_key.get(r.key, "")
                sources.setdefault(str(r.old_message_id), []).append(now_value)
        stale = StaleIndex(
            sources=sources,
            values=[
                StaleValue(
                    key=r.key,
                    old_value=r.old_value,
                    current_value=current_by_key.get(r.key),
                    replaced_at=r.replaced_at.timestamp(),
                )
                for r in stale_rows
                if r.old_value.casefold() != (current_by_key.get(r.key) or "").casefold()
            ],
        )
        return _VipState(
            stale=stale,
            current_fact_ids={str(f.id) for f in current},
            profile=[f for f in current if f.key in PROFILE_KEYS and f.value != "none"],
            summary=summary_row.summary if summary_row is not None else None,
        )

    # ------------------------------------------------------------------ the write path

    def enqueue_exchange(
        self,
        *,
        user_id: uuid.UUID,
        tier: str,
        session_id: uuid.UUID,
        character_id: str,
        user_message_id: uuid.UUID,
        user_text: str,
        assistant_message_id: uuid.UUID,
        assistant_text: str,
        created_at: dt.datetime,
    ) -> None:
        """Queue both messages of an exchange for indexing; returns at once. Free tier: no-op.
        Call it after the messages are committed (a rolled-back exchange is never queued)."""
        if memory_mode(tier) == "none" or self.worker is None:
            return
        batch = [
            MessageToIndex(
                user_id=user_id,
                tier=tier,
                session_id=session_id,
                character_id=character_id,
                message_id=message_id,
                role=role,
                text=text,
                created_at=created_at,
            )
            for message_id, role, text in (
                (user_message_id, "user", user_text),
                (assistant_message_id, "assistant", assistant_text),
            )
        ]
        self.worker.submit(batch)

    async def index_now(self, messages: Sequence[MessageToIndex]) -> IndexResult:
        """Index synchronously (backfills, tests, benchmarks): what the worker does."""
        if self.indexer is None:
            return IndexResult(skipped=len(messages))
        return await self.indexer.index(messages)

    async def persist_pending(
        self, batch: Sequence[MessageToIndex], error: str, attempts: int
    ) -> None:
        """Keep messages whose indexing failed as `pending` rows for the retry sweep."""
        now = utcnow()
        delay = dt.timedelta(seconds=min(6 * 3600, 30 * 2 ** min(attempts, 12)))
        status = "failed" if attempts >= MAX_SWEEP_ATTEMPTS else "pending"
        rows = [
            item_row(
                m,
                status=status,
                now=now,
                attempts=attempts,
                error=error,
                next_attempt_at=now + delay,
            )
            for m in batch
            if memory_mode(m.tier) != "none"
        ]
        async with self.jobs_sessionmaker() as session:
            await MemoryRepository(session).upsert_items(rows)
            await session.commit()

    async def retry_pending(self, limit: int = 200) -> int:
        """The sweep: re-index due pending messages; finish vector deletions that failed."""
        if self.indexer is None:
            return 0
        now = utcnow()
        async with self.jobs_sessionmaker() as session:
            repo = MemoryRepository(session)
            due = await repo.due_items(now, limit)
            tombs = await repo.undeleted_tombstones(limit)
            await repo.prune_tombstones(now - TOMBSTONE_KEEP)
            await session.commit()
        for t in tombs:
            try:
                await self._sweep_forget(t)
            except Exception:
                log.warning("memory: vector deletion still failing; will retry")
        retried = 0
        for row in due:
            message = MessageToIndex(
                user_id=row.user_id,
                tier=row.tier,
                session_id=row.session_id,
                character_id=row.character_id,
                message_id=row.message_id,
                role=row.role,
                text=row.content,
                created_at=row.created_at,
            )
            try:
                await self.indexer.index([message])
                retried += 1
            except Exception as exc:
                await self.persist_pending(
                    [message], f"{type(exc).__name__}: {exc}", row.attempts + 1
                )
        return retried

    # ------------------------------------------------------------------ user control

    @asynccontextmanager
    async def _tx(self, db: AsyncSession | None) -> AsyncIterator[AsyncSession]:
        """The caller's transaction (flushed; the caller commits) or a short one of our own.

        Pass the request's session from a route: on the embedded default SQLite has one
        connection, and a second session opened inside the request would wait for it forever.
        """
        if db is not None:
            yield db
            await db.flush()
            return
        async with self.jobs_sessionmaker() as session:
            yield session
            await session.commit()

    async def _sweep_forget(self, tomb: MemoryTombstone) -> None:
        """Once more, after the forget committed: vectors an in-flight job wrote between the
        forget's deletion and its commit go too (only what is not newer than the forget)."""
        assert self.store is not None
        if tomb.session_id is None:
            await self.store.delete_user(tomb.user_id, before=tomb.forgotten_at.timestamp())
        else:
            await self.store.delete_session(tomb.user_id, tomb.session_id)
        async with self.jobs_sessionmaker() as session:
            await MemoryRepository(session).mark_vectors_deleted(tomb.id, utcnow())
            await session.commit()

    async def forget_session(
        self, user_id: uuid.UUID, session_id: uuid.UUID, *, db: AsyncSession | None = None
    ) -> None:
        """Remove everything memory holds from one chat session: its vectors (messages and the
        facts learned in it), its memory rows and its summary. Call it when a chat session is
        deleted, with the request's session as `db` when there is one. A job still in flight
        for the session is dropped (the tombstone), and the retry sweep deletes the session's
        vectors once more after the commit."""
        await self._forget(user_id, session_id, db)

    async def forget_all(self, user_id: uuid.UUID, *, db: AsyncSession | None = None) -> None:
        """Forget everything: the whole namespace and every memory row of the user."""
        await self._forget(user_id, None, db)

    async def _forget(
        self, user_id: uuid.UUID, session_id: uuid.UUID | None, db: AsyncSession | None
    ) -> None:
        async with self._tx(db) as session:
            repo = MemoryRepository(session)
            await repo.add_tombstone(user_id, session_id, utcnow())
            if session_id is None:
                await repo.delete_items(user_id, session_id=None)
                await repo.delete_all_facts(user_id)
                await repo.delete_summaries(user_id, session_id=None)
            else:
                facts = await repo.facts_of_session(user_id, session_id)
                await repo.delete_items(user_id, session_id=session_id)
                await repo.delete_facts([f.id for f in facts])
                await repo.delete_summaries(user_id, session_id=session_id)
        if self.store is None:
            return
        try:
            if session_id is None:
                await self.store.delete_user(user_id)
            else:
                await self.store.delete_session(user_id, session_id)
        except Exception as exc:  # the tombstone stays pending: the sweep deletes them later
            log.warning("memory: vector deletion failed; the sweep will finish it")
            raise MemoryStoreUnavailable() from exc

    async def delete_item(
        self, user_id: uuid.UUID, item_id: uuid.UUID, *, db: AsyncSession | None = None
    ) -> None:
        """Delete one memory: a fact, an indexed message (and the facts learned from it), or a
        session summary; from the vector store first, then the rows. Another user's id is
        "not found"."""
        async with self._tx(db) as session:
            repo = MemoryRepository(session)
            found = await repo.find_any(user_id, item_id)
            if found is None:
                raise MemoryItemNotFound()
            derived: list[MemoryFact] = []
            vector_ids: list[str] = []
            if found.kind == "message":
                row = found.row
                derived = [
                    f
                    for f in await repo.facts_of_session(user_id, row.session_id)
                    if f.source_message_id == row.message_id
                ]
                vector_ids = [f"{row.message_id}:{i}" for i in range(max(1, row.chunk_count))]
                vector_ids += [f"fact:{f.id}" for f in derived]
            elif found.kind == "fact":
                vector_ids = [f"fact:{found.row.id}"]
            if vector_ids and self.store is not None:
                try:
                    await self.store.delete_ids(user_id, vector_ids)
                except Exception as exc:
                    raise MemoryStoreUnavailable(
                        "The memory search index did not answer; nothing was deleted. Try again."
                    ) from exc
            if found.kind == "message":
                await repo.delete_item(found.row.id)
                await repo.delete_facts([f.id for f in derived])
            elif found.kind == "fact":
                await repo.delete_facts([found.row.id])
            else:
                await repo.delete_summary(found.row.id)

    async def update_fact(
        self,
        user_id: uuid.UUID,
        fact_id: uuid.UUID,
        *,
        value: str,
        statement: str | None,
        db: AsyncSession | None = None,
    ) -> MemoryFact:
        """The user corrects a fact: the correction becomes the current value (source "user")
        and the old value is superseded, exactly as if they had said it. The fact vectors are
        synced before the commit; a vector whose row then rolls back is never used (retrieval
        keeps only fact vectors whose fact is current)."""
        async with self._tx(db) as session:
            repo = MemoryRepository(session)
            fact = await repo.get_fact(user_id, fact_id)
            if fact is None:
                raise MemoryItemNotFound()
            if fact.status != "current":
                raise FactNotEditable()
            value = value.strip()
            if statement is None:
                statement = (
                    fact.statement.replace(fact.value, value)
                    if fact.value and fact.value in fact.statement
                    else f"{fact.key.replace('.', ' ')}: {value}"
                )
            changes = await record_facts(
                repo,
                user_id=user_id,
                character_id=fact.character_id,
                session_id=fact.source_session_id,
                message_id=None,
                observed_at=max(utcnow(), fact.observed_at),
                candidates=[FactCandidate(fact.key, fact.category, value, statement)],
                source="user",
            )
            if self.indexer is not None:
                await self.indexer.sync_fact_vectors(
                    user_id, changes.current, changes.superseded_ids
                )
        return changes.current[0]

    async def list_memory(
        self,
        session: AsyncSession,
        user_id: uuid.UUID,
        *,
        kinds: Sequence[str] = KINDS,
        cursor: str | None,
        limit: int,
    ) -> Page[ListedMemory]:
        before = decode_keyset(cursor) if cursor else None
        rows = await MemoryRepository(session).list_memory(
            user_id, kinds=kinds, before=before, limit=limit + 1
        )
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1].row
            next_cursor = encode_keyset(last.created_at, last.id)
        return Page(items=rows, next_cursor=next_cursor)


def _item(hit: VectorHit, score: float) -> ContextItem:
    return ContextItem(
        kind="fact" if hit.kind == "fact" else "message",
        text=hit.content,
        score=round(score, 4),
        id=hit.id,
        timestamp=hit.timestamp or None,
        role=str(hit.metadata.get("role") or "") or None,
    )


def _worker_mode(settings: Settings, store: VectorStore) -> str:
    if settings.MEMORY_WORKER != "auto":
        return settings.MEMORY_WORKER
    # An embedded Chroma folder belongs to one process: a Celery worker writing to it would not
    # be seen by the API's open client. Celery only with a shared store.
    if settings.REDIS_URL and store.kind != "chromadb":
        return "celery"
    return "inprocess"


def create_memory_service(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    llm: LLMProvider | None = None,
    jobs_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> MemoryService:
    """The memory service for these settings (see the module docstring). Never raises for a
    configuration problem: memory is then disabled, with one log line saying why."""
    if not settings.MEMORY_ENABLED:
        log.info("memory: disabled (MEMORY_ENABLED=false)")
        return MemoryService(
            settings=settings,
            sessionmaker=sessionmaker,
            embedder=None,
            store=None,
            disabled_reason="MEMORY_ENABLED=false",
        )
    try:
        embedder = create_embedder(settings)
        store = create_vector_store(settings, embedding_model=embedder.model)
    except MemoryConfigError as exc:
        log.warning("memory: disabled: %s. Premium/VIP chat works without long-term memory.", exc)
        return MemoryService(
            settings=settings,
            sessionmaker=sessionmaker,
            embedder=None,
            store=None,
            disabled_reason=str(exc),
        )
    use_llm = settings.MEMORY_FACT_EXTRACTOR == "llm" or (
        settings.MEMORY_FACT_EXTRACTOR == "auto" and settings.llm_mode == "openai_compatible"
    )
    owned: LLMProvider | None = None
    extractor: FactExtractor = RuleFactExtractor()
    summarizer: Summarizer = RuleSummarizer()
    if use_llm:
        if llm is None:
            from app.llm.factory import create_llm_provider

            llm = owned = create_llm_provider(settings)
        extractor = LLMFactExtractor(llm)
        summarizer = LLMSummarizer(llm)
    mode = _worker_mode(settings, store)
    log.info(
        "memory: %s store, %s embeddings (%s), %s worker, %s facts",
        store.kind,
        embedder.kind,
        embedder.model,
        mode,
        extractor.name,
    )
    return MemoryService(
        settings=settings,
        sessionmaker=sessionmaker,
        jobs_sessionmaker=jobs_sessionmaker,
        embedder=embedder,
        store=store,
        extractor=extractor,
        summarizer=summarizer,
        worker_mode=mode,
        owned_llm=owned,
    )
