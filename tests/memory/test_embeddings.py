"""Embeddings: the OpenAI-compatible endpoint (over HTTP, with `dimensions`), the bundled
MiniLM (micro-batched, off the event loop), long messages in chunks, and a store that refuses
vectors of another model."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.memory.embeddings import LocalEmbedder, OpenAIEmbedder, chunk_text, create_embedder
from app.memory.errors import EmbeddingMismatch, MemoryConfigError
from app.memory.records import QueryFilter
from app.settings import Settings
from tests.fakes.openai_server import FakeOpenAI
from tests.memory.conftest import ServiceFactory
from tests.memory.helpers import Conversation, make_user


def openai_settings(server: FakeOpenAI, **extra: Any) -> dict[str, Any]:
    return {
        "EMBEDDING_MODEL": "text-embedding-3-small",
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": server.base_url,
        **extra,
    }


async def test_openai_compatible_embeddings_over_http(llm_server: FakeOpenAI) -> None:
    embedder = create_embedder(
        Settings(
            _env_file=None,
            **openai_settings(llm_server, EMBEDDING_DIMENSIONS=64, EMBEDDING_BATCH_SIZE=2),
        )
    )
    assert isinstance(embedder, OpenAIEmbedder)
    try:
        vectors = await embedder.embed(["one", "two", "three"])
    finally:
        await embedder.aclose()
    assert [len(v) for v in vectors] == [64, 64, 64]
    assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-6) for v in vectors)
    sent = [r["body"] for r in llm_server.requests if r["path"] == "/v1/embeddings"]
    assert [b["input"] for b in sent] == [["one", "two"], ["three"]]
    assert {b["model"] for b in sent} == {"text-embedding-3-small"}
    assert {b["dimensions"] for b in sent} == {64}
    assert llm_server.requests[0]["headers"]["Authorization"] == "Bearer sk-test"


def test_configuration_errors_are_named() -> None:
    with pytest.raises(MemoryConfigError, match="OPENAI_API_KEY"):
        create_embedder(Settings(_env_file=None, EMBEDDING_MODEL="text-embedding-3-small"))
    with pytest.raises(MemoryConfigError, match="384"):
        create_embedder(Settings(_env_file=None, EMBEDDING_DIMENSIONS=512))


async def test_concurrent_requests_share_model_calls(minilm: LocalEmbedder) -> None:
    texts = [f"Sentence number {i} about my garden and my cat." for i in range(24)]
    alone = [(await minilm.embed([t]))[0] for t in texts[:3]]
    calls = 0
    encode = minilm._encode

    def counting(batch: list[str]) -> list[list[float]]:
        nonlocal calls
        calls += 1
        return encode(batch)

    minilm._encode = counting  # type: ignore[method-assign]
    try:
        together = await asyncio.gather(*(minilm.embed([t]) for t in texts))
    finally:
        del minilm._encode
    assert calls < len(texts)  # batched: far fewer model calls than requests
    assert np.allclose(np.array([v[0] for v in together[:3]]), np.array(alone), atol=1e-5)


async def test_the_event_loop_stays_free_while_the_model_runs(minilm: LocalEmbedder) -> None:
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    await minilm.embed([f"a long batch of sentences, number {i}" for i in range(256)])
    done = True
    await task
    assert ticks > 5


async def test_long_messages_are_embedded_in_chunks(make_memory: ServiceFactory) -> None:
    words = " ".join(f"word{i}" for i in range(400))
    chunks = chunk_text(words)
    assert len(chunks) == 4  # windows of 150 words every 120
    assert chunks[0].split()[-30:] == chunks[1].split()[:30]  # overlapping windows
    assert {w for c in chunks for w in c.split()} == set(words.split())  # nothing lost
    memory = await make_memory()
    conv = Conversation(await make_user(memory.sessionmaker, "premium"))
    msgs = conv.exchange(words + " My locker code is 4417.", "Noted.")
    await memory.index_now(msgs)
    ids = await memory.store.ids(conv.user_id)  # type: ignore[union-attr]
    n = len(chunk_text(msgs[0].text))
    assert {f"{msgs[0].message_id}:{i}" for i in range(n)} | {f"{msgs[1].message_id}:0"} == ids
    conv.new_session()
    ctx = await memory.build_context(
        user_id=conv.user_id,
        tier="premium",
        session_id=conv.session_id,
        character_id="luna",
        query="What is my locker code?",
        recent_texts=[],
        token_budget=2000,
    )
    assert ctx is not None
    assert "4417" in ctx.items[0].text  # the chunk that holds it, not the whole wall of text


async def test_a_store_refuses_a_second_embedding_model(
    make_memory: ServiceFactory, llm_server: FakeOpenAI, tmp_path: Path
) -> None:
    folder = str(tmp_path / "shared-chroma")
    openai = await make_memory(
        CHROMA_PATH=folder, **openai_settings(llm_server, EMBEDDING_DIMENSIONS=64)
    )
    conv = Conversation(await make_user(openai.sessionmaker, "premium"))
    messages = conv.exchange("I collect antique maps.")
    await openai.index_now(messages)
    hits = await openai.store.query(  # type: ignore[union-attr]
        conv.user_id,
        (await openai.embedder.embed(["I collect antique maps."]))[0],  # type: ignore[union-attr]
        top_k=1,
        flt=QueryFilter(embedding_model="text-embedding-3-small"),
    )
    assert hits[0].id == f"{messages[0].message_id}:0"
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)

    minilm_service = await make_memory(CHROMA_PATH=folder)
    with pytest.raises(EmbeddingMismatch):
        await minilm_service.index_now(conv.exchange("And old postcards."))
    assert (
        await minilm_service.build_context(
            user_id=conv.user_id,
            tier="premium",
            session_id=conv.session_id,
            character_id="luna",
            query="What do I collect?",
            recent_texts=[],
            token_budget=500,
        )
        is None
    )
    assert await openai.store.count(conv.user_id) == 2  # type: ignore[union-attr]
