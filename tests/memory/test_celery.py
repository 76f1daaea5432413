"""Memory writes through a real Celery worker on real Redis, into a shared vector store
(Pinecone over HTTP): published by the API side, indexed by the worker, retried on failure."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import select

from app.kit.db import Database
from app.kit.ids import uuid7
from app.memory import tasks
from app.memory.embeddings import LocalEmbedder
from app.memory.service import create_memory_service
from app.models import MemoryFact, MemoryItem
from app.settings import Settings, get_settings
from app.tasks.celery_app import celery_app, configure_celery
from tests.fakes.pinecone_server import FakePinecone
from tests.memory.conftest import PINECONE_KEY
from tests.memory.helpers import Conversation, make_user

pytestmark = pytest.mark.redis


@pytest.fixture
def worker_settings(
    redis_url: str,
    redis_prefix: str,
    redis_client: Any,  # removes the test's keys (queues, bindings) afterwards
    pinecone_server: FakePinecone,
    memory_db: Database,
) -> Iterator[Settings]:
    settings = Settings(
        _env_file=None,
        DATABASE_URL=str(memory_db.engine.url),
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=redis_prefix,
        VECTOR_DB_PROVIDER="pinecone",
        PINECONE_API_KEY=PINECONE_KEY,
        PINECONE_HOST=pinecone_server.url,
        XAI_API_KEY=None,
        MEMORY_MAX_RETRIES=2,
    )
    configure_celery(celery_app, settings)
    celery_app.conf.task_default_queue = f"memory-test-{uuid.uuid4().hex[:8]}"
    try:
        yield settings
    finally:
        tasks.shutdown_runtime()
        configure_celery(celery_app, get_settings())
        celery_app.conf.task_default_queue = "celery"


class FailOnce:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.failures = 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def upsert(self, *args: Any, **kwargs: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("store outage")
        await self.inner.upsert(*args, **kwargs)


async def test_exchanges_are_indexed_by_a_celery_worker(
    worker_settings: Settings,
    memory_db: Database,
    pinecone_server: FakePinecone,
    minilm: LocalEmbedder,
) -> None:
    runtime = tasks.configure_runtime(worker_settings)
    assert runtime.memory.worker_mode == "inprocess"  # the worker indexes, never republishes
    flaky = FailOnce(runtime.memory.store)
    runtime.memory.store = runtime.memory.indexer.store = flaky  # type: ignore[union-attr,assignment]

    memory = create_memory_service(worker_settings, memory_db.sessionmaker)
    assert memory.worker_mode == "celery"
    await memory.start()
    conv = Conversation(await make_user(memory.sessionmaker, "vip"), tier="vip")
    user_message, reply = uuid7(), uuid7()
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            memory.enqueue_exchange(
                user_id=conv.user_id,
                tier="vip",
                session_id=conv.session_id,
                character_id="luna",
                user_message_id=user_message,
                user_text="My sister Ophelia moved to Lisbon.",
                assistant_message_id=reply,
                assistant_text="Lisbon! She'll love it.",
                created_at=conv.start,
            )
            assert await memory.drain(60)
            ns = f"user_{conv.user_id}"
            for _ in range(200):  # the first attempt fails; Celery retries after ~2 s
                if {f"{user_message}:0", f"{reply}:0"} <= pinecone_server.ids(ns):
                    break
                await asyncio.sleep(0.05)
            assert {f"{user_message}:0", f"{reply}:0"} <= pinecone_server.ids(ns)
            assert flaky.failures == 0
    finally:
        await memory.aclose()
    async with memory_db.sessionmaker() as session:
        items = (
            (await session.execute(select(MemoryItem).where(MemoryItem.user_id == conv.user_id)))
            .scalars()
            .all()
        )
        facts = (
            (await session.execute(select(MemoryFact).where(MemoryFact.user_id == conv.user_id)))
            .scalars()
            .all()
        )
    assert {i.status for i in items} == {"indexed"}
    assert {(f.key, f.value) for f in facts} == {("relation.sister.name", "Ophelia")}
    assert any(i.startswith("fact:") for i in pinecone_server.ids(f"user_{conv.user_id}"))


async def test_a_broker_outage_falls_back_to_indexing_in_process(
    memory_db: Database, pinecone_server: FakePinecone, minilm: LocalEmbedder
) -> None:
    settings = Settings(
        _env_file=None,
        DATABASE_URL=str(memory_db.engine.url),
        REDIS_URL="redis://127.0.0.1:1/0",  # nothing listens there
        VECTOR_DB_PROVIDER="pinecone",
        PINECONE_API_KEY=PINECONE_KEY,
        PINECONE_HOST=pinecone_server.url,
        XAI_API_KEY=None,
    )
    configure_celery(celery_app, settings)
    celery_app.conf.broker_connection_timeout = 0.5
    celery_app.conf.broker_transport_options = {"max_retries": 0}
    try:
        memory = create_memory_service(settings, memory_db.sessionmaker)
        assert memory.worker_mode == "celery"
        await memory.start()
        conv = Conversation(await make_user(memory.sessionmaker, "premium"))
        messages = conv.exchange("I keep bees on my roof.")
        memory.worker.submit(messages)  # type: ignore[union-attr]
        assert await memory.drain(30)
        ids = pinecone_server.ids(f"user_{conv.user_id}")
        assert {f"{m.message_id}:0" for m in messages} <= ids
        await memory.aclose()
    finally:
        configure_celery(celery_app, get_settings())
