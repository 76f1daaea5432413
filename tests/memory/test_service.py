"""MemoryService behaviour: tiers, retrieval rules, supersession, forgetting, the background
worker and its retries (embedded ChromaDB and the bundled MiniLM)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select

from app.kit.clock import utcnow
from app.kit.ids import uuid7
from app.memory.errors import MemoryStoreUnavailable
from app.memory.ranking import mmr
from app.memory.records import MemoryContext, VectorHit, VectorRecord
from app.memory.service import MemoryService
from app.models import MemoryFact, MemoryItem
from tests.memory.conftest import ServiceFactory
from tests.memory.helpers import Conversation, make_user


class SpyStore:
    """Wraps a real store: counts calls, and fails the next `fail` write calls on demand."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()
        self.fail = 0
        self.fail_deletes = False
        self.delay = 0.0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            if self.delay:
                await asyncio.sleep(self.delay)
            if name == "upsert" and self.fail > 0:
                self.fail -= 1
                raise ConnectionError("vector store unavailable")
            if name.startswith("delete") and self.fail_deletes:
                raise ConnectionError("vector store unavailable")
            return await attr(*args, **kwargs)

        return call


def spy(memory: MemoryService) -> SpyStore:
    wrapped = SpyStore(memory.store)
    memory.store = wrapped  # type: ignore[assignment]
    assert memory.indexer is not None
    memory.indexer.store = wrapped  # type: ignore[assignment]
    return wrapped


async def context(
    memory: MemoryService,
    conv: Conversation,
    query: str,
    *,
    character_id: str | None = None,
    recent: Sequence[str] = (),
    budget: int = 800,
    all_characters: bool | None = None,
) -> MemoryContext | None:
    return await memory.build_context(
        user_id=conv.user_id,
        tier=conv.tier,
        session_id=conv.session_id,
        character_id=character_id or conv.character_id,
        query=query,
        recent_texts=list(recent),
        token_budget=budget,
        all_characters=all_characters,
    )


async def ask(memory: MemoryService, conv: Conversation, query: str, **kw: Any) -> str:
    ctx = await context(memory, conv, query, **kw)
    return ctx.text if ctx else ""


async def test_free_tier_stores_nothing_and_never_touches_the_store(
    make_memory: ServiceFactory,
) -> None:
    memory = await make_memory()
    store = spy(memory)
    conv = Conversation(await make_user(memory.sessionmaker, "free"), tier="free")
    memory.enqueue_exchange(
        user_id=conv.user_id,
        tier="free",
        session_id=conv.session_id,
        character_id="luna",
        user_message_id=uuid7(),
        user_text="My cat is called Pepper.",
        assistant_message_id=uuid7(),
        assistant_text="Pepper! Cute.",
        created_at=conv.start,
    )
    assert await memory.drain(60)
    result = await memory.index_now(conv.exchange("My cat is called Pepper."))
    assert result.indexed == 0
    assert result.skipped == 2
    assert (
        await memory.build_context(
            user_id=conv.user_id,
            tier="free",
            session_id=conv.session_id,
            character_id="luna",
            query="What is my cat called?",
            recent_texts=[],
            token_budget=800,
        )
        is None
    )
    assert sum(store.calls.values()) == 0
    async with memory.sessionmaker() as session:
        rows = (
            await session.execute(select(MemoryItem).where(MemoryItem.user_id == conv.user_id))
        ).all()
    assert rows == []


async def test_premium_remembers_across_sessions_with_the_same_character(
    make_memory: ServiceFactory,
) -> None:
    memory = await make_memory()
    conv = Conversation(await make_user(memory.sessionmaker, "premium"), character_id="luna")
    await memory.index_now(conv.exchange("My grandmother Rosa taught me to bake bread."))
    await memory.index_now(conv.exchange("The weather is awful today."))
    conv.new_session()
    text = await ask(memory, conv, "Who taught me how to bake?")
    assert "Rosa" in text
    assert "Long-term memory" in text
    # Another character does not see it unless memory is shared across characters.
    assert "Rosa" not in await ask(memory, conv, "Who taught me how to bake?", character_id="kai")
    assert "Rosa" in await ask(
        memory, conv, "Who taught me how to bake?", character_id="kai", all_characters=True
    )


async def test_recent_history_is_not_repeated_and_the_budget_holds(
    make_memory: ServiceFactory,
) -> None:
    memory = await make_memory()
    conv = Conversation(await make_user(memory.sessionmaker, "premium"))
    lines = [
        "I play the cello in a community orchestra.",
        "Our orchestra rehearses every Tuesday evening.",
        "I bought a new bow for my cello last month.",
        "My cello teacher is called Ingrid.",
    ]
    for line in lines:
        await memory.index_now(conv.exchange(line, "How lovely."))
    full = await context(memory, conv, "Tell me about my cello.", budget=2000)
    assert full is not None
    assert len(full.items) <= 5  # MEMORY_TOP_K
    assert {it.text for it in full.items} >= set(lines)
    assert [it.text for it in full.items].count("How lovely.") <= 1  # repeats collapse
    recent = ["My cello teacher is called Ingrid.", "I bought a new bow for my cello last month."]
    deduped = await ask(memory, conv, "Tell me about my cello.", recent=recent)
    assert "Ingrid" not in deduped and "new bow" not in deduped
    assert "community orchestra" in deduped
    small = await context(memory, conv, "Tell me about my cello.", budget=110)
    assert small is not None
    assert small.token_estimate <= 110
    assert 0 < len(small.items) < len(full.items)


async def test_vip_replaced_facts_never_reach_the_prompt(make_memory: ServiceFactory) -> None:
    memory = await make_memory()
    conv = Conversation(await make_user(memory.sessionmaker, "vip"), tier="vip")
    await memory.index_now(conv.exchange("I live in Lyon with my boyfriend Marc."))
    await memory.index_now(conv.exchange("My cat is called Pepper."))
    conv.new_session()
    await memory.index_now(conv.exchange("Big news: we finally moved to Berlin!"))
    await memory.index_now(conv.exchange("We renamed the cat, she's Mochi now."))
    conv.new_session()
    for question, now, old in (
        ("Where do I live?", "Berlin", "Lyon"),
        ("What's my cat called?", "Mochi", "Pepper"),
    ):
        text = await ask(memory, conv, question)
        assert now in text, text
        assert old not in text, text
    assert "Marc" in await ask(memory, conv, "Who is my boyfriend?")
    async with memory.sessionmaker() as session:
        facts = (
            (await session.execute(select(MemoryFact).where(MemoryFact.user_id == conv.user_id)))
            .scalars()
            .all()
        )
    status = {(f.key, f.value): f.status for f in facts}
    assert status[("location.home", "Lyon")] == "superseded"
    assert status[("location.home", "Berlin")] == "current"
    assert status[("pet.cat.name", "Pepper")] == "superseded"
    assert status[("relation.partner.name", "Marc")] == "current"
    # Premium has no fact store: the same history shows both cities, dated.
    premium = Conversation(await make_user(memory.sessionmaker, "premium"))
    await memory.index_now(premium.exchange("I live in Lyon with my boyfriend Marc."))
    await memory.index_now(premium.exchange("Big news: we finally moved to Berlin!"))
    premium.new_session()
    text = await ask(memory, premium, "Where do I live?")
    assert "Lyon" in text and "Berlin" in text


def test_mmr_trades_relevance_for_diversity() -> None:
    def hit(name: str, vector: list[float]) -> VectorHit:
        return VectorHit(id=name, score=0.0, metadata={"content": name}, vector=vector)

    a, a2, b = hit("a", [1.0, 0.0]), hit("a-again", [0.995, 0.0998]), hit("b", [0.0, 1.0])
    picked = mmr([(a, 0.9), (a2, 0.89), (b, 0.8)], 2, 0.75)
    assert [h.id for h, _ in picked] == ["a", "b"]
    assert [h.id for h, _ in mmr([(a, 0.9), (a2, 0.89), (b, 0.8)], 2, 1.0)] == ["a", "a-again"]


async def test_the_worker_indexes_in_the_background_and_retries(
    make_memory: ServiceFactory,
) -> None:
    memory = await make_memory(MEMORY_MAX_RETRIES=3)
    assert memory.worker is not None
    memory.worker._retry_base = 0.01
    store = spy(memory)
    store.fail = 2  # the first two attempts meet a store outage
    conv = Conversation(await make_user(memory.sessionmaker, "premium"))
    user_id, assistant_id = uuid7(), uuid7()
    memory.enqueue_exchange(
        user_id=conv.user_id,
        tier="premium",
        session_id=conv.session_id,
        character_id="luna",
        user_message_id=user_id,
        user_text="I'm learning to play the harp.",
        assistant_message_id=assistant_id,
        assistant_text="A harp! How elegant.",
        created_at=conv.start,
    )
    assert store.calls["upsert"] == 0  # nothing was done in the caller's path
    assert await memory.drain(60)
    assert store.calls["upsert"] == 3
    assert await memory.store.ids(conv.user_id) == {f"{user_id}:0", f"{assistant_id}:0"}  # type: ignore[union-attr]


async def test_spent_retries_are_kept_and_the_sweep_finishes_them(
    make_memory: ServiceFactory,
) -> None:
    memory = await make_memory(MEMORY_MAX_RETRIES=1)
    assert memory.worker is not None
    memory.worker._retry_base = 0.01
    store = spy(memory)
    store.fail = 10
    conv = Conversation(await make_user(memory.sessionmaker, "vip"), tier="vip")
    messages = conv.exchange("My dog is called Rex.")
    memory.worker.submit(messages)
    assert await memory.drain(60)
    async with memory.sessionmaker() as session:
        rows = (
            (await session.execute(select(MemoryItem).where(MemoryItem.user_id == conv.user_id)))
            .scalars()
            .all()
        )
    assert {r.status for r in rows} == {"pending"}
    assert {r.attempts for r in rows} == {2}
    assert all("vector store unavailable" in (r.last_error or "") for r in rows)
    assert await memory.store.count(conv.user_id) == 0  # type: ignore[union-attr]

    store.fail = 0
    async with memory.sessionmaker() as session:
        for r in rows:
            (await session.get(MemoryItem, r.id)).next_attempt_at = conv.start  # type: ignore[union-attr]
        await session.commit()
    assert await memory.retry_pending() == 2
    ids = await memory.store.ids(conv.user_id)  # type: ignore[union-attr]
    assert {f"{m.message_id}:0" for m in messages} <= ids
    assert any(i.startswith("fact:") for i in ids)  # VIP work (facts) ran on the retry too
    async with memory.sessionmaker() as session:
        statuses = (
            await session.execute(
                select(MemoryItem.status).where(MemoryItem.user_id == conv.user_id)
            )
        ).scalars()
        assert set(statuses) == {"indexed"}


async def test_stopping_keeps_unfinished_work_for_later(make_memory: ServiceFactory) -> None:
    memory = await make_memory()
    assert memory.worker is not None
    store = spy(memory)
    store.delay = 0.5
    conv = Conversation(await make_user(memory.sessionmaker, "premium"))
    for i in range(3):
        memory.worker.submit(conv.exchange(f"Line number {i} about my garden."))
    await asyncio.sleep(0.05)
    await memory.worker.aclose(wait_seconds=0.1)
    async with memory.sessionmaker() as session:
        rows = (
            (await session.execute(select(MemoryItem).where(MemoryItem.user_id == conv.user_id)))
            .scalars()
            .all()
        )
    assert len(rows) >= 2
    assert {r.status for r in rows} <= {"pending", "indexed"}
    assert any(r.status == "pending" for r in rows)


async def test_a_forget_wins_over_a_job_still_in_flight(make_memory: ServiceFactory) -> None:
    memory = await make_memory()
    conv = Conversation(await make_user(memory.sessionmaker, "premium"))
    before = conv.exchange("I secretly hate my job.")
    await memory.forget_session(conv.user_id, conv.session_id)
    # The job for the forgotten messages arrives late: dropped.
    result = await memory.index_now(before)
    assert result.forgotten == 2
    assert await memory.store.count(conv.user_id) == 0  # type: ignore[union-attr]
    # What the user says after forgetting is remembered again.
    conv.start = conv.start.replace(year=conv.start.year + 1)
    result = await memory.index_now(conv.exchange("I started painting again."))
    assert result.indexed == 2


async def test_deleting_a_message_takes_its_vectors_and_the_facts_learned_from_it(
    make_memory: ServiceFactory,
) -> None:
    memory = await make_memory()
    conv = Conversation(await make_user(memory.sessionmaker, "vip"), tier="vip")
    said = conv.exchange("My sister Ophelia is a marine biologist.")
    await memory.index_now(said)
    await memory.index_now(conv.exchange("I like rainy days."))
    async with memory.sessionmaker() as session:
        item = (
            await session.execute(
                select(MemoryItem).where(MemoryItem.message_id == said[0].message_id)
            )
        ).scalar_one()
    await memory.delete_item(conv.user_id, item.id)
    ids = await memory.store.ids(conv.user_id)  # type: ignore[union-attr]
    assert f"{said[0].message_id}:0" not in ids
    assert not any(i.startswith("fact:") for i in ids)
    conv.new_session()
    assert "Ophelia" not in await ask(memory, conv, "What does my sister do?")


async def test_retrieval_failures_never_break_the_chat(make_memory: ServiceFactory) -> None:
    memory = await make_memory()
    conv = Conversation(await make_user(memory.sessionmaker, "premium"))
    await memory.index_now(conv.exchange("I run every morning."))

    class Broken:
        async def query(self, *args: Any, **kwargs: Any) -> list[VectorHit]:
            raise ConnectionError("down")

    real, memory.store = memory.store, Broken()  # type: ignore[assignment]
    try:
        assert await ask(memory, conv, "What do I do in the mornings?") == ""
    finally:
        memory.store = real
    assert "run every morning" in await ask(memory, conv, "What do I do in the mornings?")


async def test_a_cold_model_does_not_make_the_request_wait(make_memory: ServiceFactory) -> None:
    memory = await make_memory()
    conv = Conversation(await make_user(memory.sessionmaker, "premium"))
    await memory.index_now(conv.exchange("My favourite tea is oolong."))
    real = memory.embedder

    class Cold:
        model = real.model  # type: ignore[union-attr]
        loaded = False
        dimensions = 384
        warmed = 0

        async def embed(self, texts: Sequence[str]) -> list[list[float]]:
            Cold.warmed += 1
            Cold.loaded = True
            return await real.embed(texts)  # type: ignore[union-attr]

        async def aclose(self) -> None:
            return None

    memory.embedder = Cold()  # type: ignore[assignment]
    assert await ask(memory, conv, "Which tea do I like?") == ""  # at once, no memory
    await asyncio.sleep(0.2)
    assert Cold.warmed >= 1  # ...while the model loads in the background
    assert "oolong" in await ask(memory, conv, "Which tea do I like?")


async def test_the_sweep_finishes_forgetting_what_a_racing_job_wrote(
    make_memory: ServiceFactory,
) -> None:
    memory = await make_memory()
    assert memory.store is not None and memory.embedder is not None
    conv = Conversation(await make_user(memory.sessionmaker, "premium"))
    old = conv.exchange("My old secret is that I hate jazz.")
    await memory.index_now(old)
    await memory.forget_all(conv.user_id)
    assert await memory.store.count(conv.user_id) == 0
    # A job that passed its checks before the forget lands its vectors just after it.
    vectors = await memory.embedder.embed([m.text for m in old])
    await memory.store.upsert(
        conv.user_id,
        [
            VectorRecord(
                id=f"{m.message_id}:0",
                vector=v,
                user_id=m.user_id,
                session_id=m.session_id,
                message_id=m.message_id,
                character_id=m.character_id,
                role=m.role,
                content=m.text,
                timestamp=m.created_at.timestamp(),
                kind="message",
                embedding_model=memory.embedder.model,
            )
            for m, v in zip(old, vectors, strict=True)
        ],
    )
    # What the user says after the forget is kept.
    conv.start = utcnow()
    new = conv.exchange("I started learning the saxophone.")
    await memory.index_now(new)
    await memory.retry_pending()
    assert await memory.store.ids(conv.user_id) == {f"{m.message_id}:0" for m in new}


async def test_a_forget_the_store_refuses_is_finished_by_the_sweep(
    make_memory: ServiceFactory,
) -> None:
    memory = await make_memory()
    conv = Conversation(await make_user(memory.sessionmaker, "premium"))
    await memory.index_now(conv.exchange("I keep a diary in French."))
    store = spy(memory)
    store.fail_deletes = True
    with pytest.raises(MemoryStoreUnavailable):
        await memory.forget_session(conv.user_id, conv.session_id)
    assert await store.inner.count(conv.user_id) == 2  # the store was down
    async with memory.sessionmaker() as session:
        rows = (
            await session.execute(select(MemoryItem).where(MemoryItem.user_id == conv.user_id))
        ).all()
    assert rows == []  # the rows went at once: nothing lists or retrieves them
    store.fail_deletes = False
    await memory.retry_pending()
    assert await store.inner.count(conv.user_id) == 0


async def test_a_rare_characters_memories_are_found_among_many_others(
    make_memory: ServiceFactory,
) -> None:
    """Chroma is queried without its (slow) metadata filter first: the filtered search must
    still run when the unfiltered top results are all another character's."""
    memory = await make_memory()
    conv = Conversation(await make_user(memory.sessionmaker, "premium"), character_id="kai")
    batch = [conv.message(f"My cat Pepper loves tuna, story number {i}.") for i in range(130)]
    await memory.index_now(batch)
    conv.new_session("luna")
    await memory.index_now(conv.exchange("My cat once got stuck on the neighbour's roof."))
    conv.new_session()
    store: Any = memory.store
    searches: list[Any] = []
    search = store._search

    def counting(col: Any, vector: Any, n: int, where: Any, include: bool) -> Any:
        searches.append(where)
        return search(col, vector, n, where, include)

    store._search = counting
    text = await ask(memory, conv, "Tell me a story about my cat.", character_id="luna")
    assert "stuck on the neighbour's roof" in text
    assert "tuna" not in text  # kai's memories stay with kai
    assert searches[0] is None and searches[-1] is not None  # the fallback did run
    searches.clear()
    await ask(memory, conv, "Tell me a story about my cat.", character_id="kai")
    assert searches == [None]  # plenty of kai's above the threshold: no filtered search
