"""Isolation and deletion on every vector store: ChromaDB embedded, a real `chroma run` server,
and Pinecone over HTTP (the official SDK against a loopback data plane)."""

from __future__ import annotations

import uuid

import pytest

from app.kit.ids import uuid7
from app.memory.errors import EmbeddingMismatch
from app.memory.records import QueryFilter, VectorRecord, namespace_for
from app.memory.service import MemoryService
from tests.memory.conftest import STORES, ServiceFactory
from tests.memory.helpers import Conversation, make_user

pytestmark = pytest.mark.parametrize("store", STORES)

# Both users say nearly the same things, in sessions with the same character.
ALICE = [
    "My cat is called Pepper and she hates the vacuum cleaner.",
    "I live in Lisbon, near the river.",
    "My sister Marta is getting married in June.",
]
BOB = [
    "My cat is called Shadow and he hates the vacuum cleaner.",
    "I live in Oslo, near the harbour.",
    "My sister Ingrid is getting married in June.",
]
QUESTIONS = [
    "What is my cat called?",
    "Where do I live?",
    "Who is getting married in June?",
    "Tell me everything you remember about me.",
]


async def _two_users(
    make_memory: ServiceFactory, store: str, tier: str = "vip"
) -> tuple[MemoryService, Conversation, Conversation]:
    memory = await make_memory(store)
    alice = Conversation(await make_user(memory.sessionmaker, tier), tier=tier)
    bob = Conversation(await make_user(memory.sessionmaker, tier), tier=tier)
    bob.session_id = alice.session_id  # the same session id on purpose: ids name nothing
    for a, b in zip(ALICE, BOB, strict=True):
        await memory.index_now(alice.exchange(a) + bob.exchange(b))
    return memory, alice, bob


def _words(lines: list[str]) -> set[str]:
    return {"Pepper", "Lisbon", "Marta"} if lines is ALICE else {"Shadow", "Oslo", "Ingrid"}


async def test_no_query_of_one_user_returns_the_others_memory(
    make_memory: ServiceFactory, store: str
) -> None:
    memory, alice, bob = await _two_users(make_memory, store)
    assert memory.store is not None
    for me, mine, theirs, other in ((alice, ALICE, BOB, bob), (bob, BOB, ALICE, alice)):
        seen_own = set()
        # Whatever session or character ids are sent: mine, theirs, unknown, crafted.
        variants = [
            (me.session_id, "luna", False),
            (other.session_id, "luna", True),
            (uuid7(), "' OR 1=1 --", True),
            (uuid.UUID(int=0), "kai", False),
        ]
        for question in QUESTIONS:
            for session_id, character_id, all_characters in variants:
                ctx = await memory.build_context(
                    user_id=me.user_id,
                    tier="vip",
                    session_id=session_id,
                    character_id=character_id,
                    query=question,
                    recent_texts=[],
                    token_budget=800,
                    all_characters=all_characters,
                )
                text = ctx.text if ctx else ""
                assert not any(w in text for w in _words(theirs)), (question, text)
                seen_own |= {w for w in _words(mine) if w in text}
        assert seen_own == _words(mine)  # retrieval works: the test could fail
        # The store itself, asked for everything near an overlapping sentence.
        vector = (await memory.embedder.embed([theirs[0]]))[0]  # type: ignore[union-attr]
        hits = await memory.store.query(
            me.user_id,
            vector,
            top_k=100,
            flt=QueryFilter(embedding_model=memory.embedder.model),  # type: ignore[union-attr]
        )
        assert hits
        assert {h.metadata["user_id"] for h in hits} == {str(me.user_id)}
        assert not any(w in h.content for h in hits for w in _words(theirs))


async def test_deleting_one_users_memory_leaves_the_others_intact(
    make_memory: ServiceFactory, store: str
) -> None:
    memory, alice, bob = await _two_users(make_memory, store)
    assert memory.store is not None
    bob_ids = await memory.store.ids(bob.user_id)
    assert len(bob_ids) >= 6  # messages and facts

    # A crafted forget: Alice's id with the session id they share.
    await memory.forget_session(alice.user_id, bob.session_id)
    assert await memory.store.count(alice.user_id) == 0
    assert await memory.store.ids(bob.user_id) == bob_ids

    await memory.forget_all(alice.user_id)
    assert await memory.store.count(alice.user_id) == 0
    assert await memory.store.ids(bob.user_id) == bob_ids
    ctx = await memory.build_context(
        user_id=bob.user_id,
        tier="vip",
        session_id=uuid7(),
        character_id="luna",
        query="What is my cat called?",
        recent_texts=[],
        token_budget=800,
    )
    assert ctx is not None
    assert "Shadow" in ctx.text


async def test_forget_session_removes_only_that_sessions_vectors(
    make_memory: ServiceFactory, store: str
) -> None:
    memory = await make_memory(store)
    assert memory.store is not None
    conv = Conversation(await make_user(memory.sessionmaker, "premium"))
    first = conv.session_id
    await memory.index_now(conv.exchange("I adopted a greyhound last spring."))
    second = conv.new_session()
    await memory.index_now(conv.exchange("My favourite pasta is cacio e pepe."))
    assert await memory.store.count(conv.user_id, session_id=first) == 2
    assert await memory.store.count(conv.user_id, session_id=second) == 2

    await memory.forget_session(conv.user_id, first)
    assert await memory.store.count(conv.user_id, session_id=first) == 0
    assert await memory.store.count(conv.user_id, session_id=second) == 2
    remaining = await memory.store.ids(conv.user_id)
    assert all(not i.startswith("fact:") for i in remaining)
    assert len(remaining) == 2


async def test_the_store_refuses_vectors_of_another_size(
    make_memory: ServiceFactory, store: str
) -> None:
    memory = await make_memory(store)
    assert memory.store is not None
    conv = Conversation(await make_user(memory.sessionmaker, "premium"))
    await memory.index_now(conv.exchange("Hello there, I like trains."))
    wrong = VectorRecord(
        id="x:0",
        vector=[0.5] * 8,
        user_id=conv.user_id,
        session_id=conv.session_id,
        message_id=uuid7(),
        character_id="luna",
        role="user",
        content="eight dimensions",
        timestamp=0.0,
        kind="message",
        embedding_model=memory.store.embedding_model,
    )
    with pytest.raises(EmbeddingMismatch):
        await memory.store.upsert(conv.user_id, [wrong])
    with pytest.raises(EmbeddingMismatch):
        await memory.store.query(
            conv.user_id, [0.5] * 8, top_k=3, flt=QueryFilter(embedding_model="all-MiniLM-L6-v2")
        )
    assert await memory.store.count(conv.user_id) == 2


async def test_vectors_record_their_model_and_namespace(
    make_memory: ServiceFactory, store: str, request: pytest.FixtureRequest
) -> None:
    memory = await make_memory(store)
    assert memory.store is not None
    conv = Conversation(await make_user(memory.sessionmaker, "premium"))
    await memory.index_now(conv.exchange("I collect vintage postcards."))
    vector = (await memory.embedder.embed(["postcards"]))[0]  # type: ignore[union-attr]
    hits = await memory.store.query(
        conv.user_id, vector, top_k=5, flt=QueryFilter(embedding_model="all-MiniLM-L6-v2")
    )
    meta = hits[0].metadata
    assert meta["embedding_model"] == "all-MiniLM-L6-v2"
    assert {
        "user_id",
        "session_id",
        "message_id",
        "character_id",
        "role",
        "content",
        "timestamp",
    } <= set(meta)
    # Vectors of another model are never compared with these.
    other = await memory.store.query(
        conv.user_id, vector, top_k=5, flt=QueryFilter(embedding_model="text-embedding-3-small")
    )
    assert other == []
    if store == "pinecone":
        server = request.getfixturevalue("pinecone_server")
        assert len(server.ids(namespace_for(conv.user_id))) == 2
        upserts = [r for r in server.requests if r["path"] == "/vectors/upsert"]
        assert upserts[-1]["body"]["namespace"] == namespace_for(conv.user_id)
