"""Memory test fixtures: the MiniLM model (loaded once per session), a real `chroma run` server
on loopback, a loopback Pinecone data plane, and standalone memory services on any store."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.kit.db import Database, create_database
from app.memory.embeddings import LocalEmbedder, create_embedder
from app.memory.service import MemoryService, create_memory_service
from app.settings import Settings
from tests.fakes.pinecone_server import FakePinecone
from tests.fixtures.env import service_missing

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PINECONE_KEY = "pc-test-key"
STORES = ("chroma", "chroma_server", "pinecone")


@pytest.fixture(scope="session")
def minilm() -> LocalEmbedder:
    """The bundled all-MiniLM-L6-v2, loaded once for the whole test session (every service in
    the process shares the loaded model)."""
    embedder = create_embedder(Settings(_env_file=None))
    assert isinstance(embedder, LocalEmbedder)
    embedder.warm_up()
    return embedder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ChromaDB server (`chroma run`) on loopback; yields its URL."""
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(exe).exists():
        service_missing("chroma CLI", "not installed")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            service_missing("chroma server", "did not start")
        time.sleep(0.1)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def pinecone_server() -> Iterator[FakePinecone]:
    """The loopback Pinecone data plane, on an event loop of its own (a thread), so any test,
    loop or worker thread can reach it over HTTP."""
    server = FakePinecone(dimension=384, api_key=PINECONE_KEY)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-pinecone", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def store_settings(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Settings overrides that select one vector store implementation."""
    if kind == "chroma":
        return {"VECTOR_DB_PROVIDER": "chromadb", "CHROMA_PATH": str(tmp_path / "chroma")}
    if kind == "chroma_server":
        url = request.getfixturevalue("chroma_server")
        return {"VECTOR_DB_PROVIDER": "chromadb", "CHROMA_URL": url}
    if kind == "pinecone":
        server: FakePinecone = request.getfixturevalue("pinecone_server")
        return {
            "VECTOR_DB_PROVIDER": "pinecone",
            "PINECONE_API_KEY": PINECONE_KEY,
            "PINECONE_HOST": server.url,
        }
    raise ValueError(kind)


ServiceFactory = Callable[..., Awaitable[MemoryService]]


@pytest.fixture
async def memory_db(sqlite_url: str) -> AsyncIterator[Database]:
    """The session's migrated SQLite database, for services used without the app."""
    db = await create_database(Settings(_env_file=None, DATABASE_URL=sqlite_url))
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def make_memory(
    memory_db: Database, minilm: LocalEmbedder, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[ServiceFactory]:
    """Build standalone memory services (SQLite + a store of your choice); closed at the end."""
    made: list[MemoryService] = []

    async def factory(store: str = "chroma", **overrides: Any) -> MemoryService:
        values: dict[str, Any] = {
            "DATABASE_URL": str(memory_db.engine.url),
            "REDIS_URL": None,
            "XAI_API_KEY": None,
            "LOG_JSON": False,
            **store_settings(store, request, tmp_path / uuid.uuid4().hex[:8]),
            **overrides,
        }
        service = create_memory_service(Settings(_env_file=None, **values), memory_db.sessionmaker)
        assert service.enabled, service.disabled_reason
        await service.start()
        made.append(service)
        return service

    yield factory
    for service in made:
        await service.aclose()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Memory on for these tests (the root harness turns it off for the others)."""
    return settings.model_copy(update={"MEMORY_ENABLED": True})
