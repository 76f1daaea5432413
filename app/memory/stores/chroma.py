"""ChromaDB: embedded (a persistent folder, the default) or a `chroma run` server (CHROMA_URL).

One collection per user, named `user_{user_id}`, cosine space. The collection's metadata names
the embedding model and dimension that made its vectors; a write or query with another model
or dimension raises EmbeddingMismatch instead of mixing them. Chroma is handed our vectors
(embedding_function=None): its default embedding function would download a model at run time.
The client is synchronous, so every call runs on a small dedicated thread pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlparse

from app.memory.errors import EmbeddingMismatch
from app.memory.records import QueryFilter, VectorHit, VectorRecord, namespace_for
from app.memory.stores.base import own_hits

T = TypeVar("T")
MAX_CACHED_COLLECTIONS = 2048


# Over-fetch for filtering here (see ChromaStore.query).
OVERFETCH = 4
MIN_FETCH = 120
ENOUGH_MATCHES = 10


def _matches(hit: VectorHit, flt: QueryFilter) -> bool:
    meta = hit.metadata
    if flt.character_id is not None and meta.get("character_id") != flt.character_id:
        return False
    if flt.kinds is not None and meta.get("kind", "message") not in flt.kinds:
        return False
    return flt.session_id is None or meta.get("session_id") == str(flt.session_id)


def chroma_where(flt: QueryFilter) -> dict[str, Any] | None:
    """The metadata filter of a query. The user and the model are not in it: the collection is
    the user's alone and records its model (checked on open, and every hit is checked again),
    and each extra condition costs Chroma about a millisecond per query."""
    conds: list[dict[str, Any]] = []
    if flt.character_id is not None:
        conds.append({"character_id": {"$eq": flt.character_id}})
    if flt.kinds is not None:
        conds.append({"kind": {"$in": list(flt.kinds)}})
    if flt.session_id is not None:
        conds.append({"session_id": {"$eq": str(flt.session_id)}})
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else {"$and": conds}


class ChromaStore:
    def __init__(self, *, path: str | None, url: str | None, embedding_model: str) -> None:
        if (path is None) == (url is None):
            raise ValueError("give exactly one of path (embedded) or url (server)")
        self.kind = "chromadb" if url is None else "chromadb-server"
        self.embedding_model = embedding_model
        self._path = path
        self._url = url
        self._client: Any = None
        self._collections: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="chroma")

    # ------------------------------------------------------------------ plumbing
    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                import chromadb
                from chromadb.config import Settings as ChromaSettings

                chroma_settings = ChromaSettings(anonymized_telemetry=False)
                if self._url is None:
                    assert self._path is not None
                    self._client = chromadb.PersistentClient(
                        path=self._path, settings=chroma_settings
                    )
                else:
                    parsed = urlparse(self._url)
                    ssl = parsed.scheme == "https"
                    self._client = chromadb.HttpClient(
                        host=parsed.hostname or "localhost",
                        port=parsed.port or (443 if ssl else 8000),
                        ssl=ssl,
                        settings=chroma_settings,
                    )
            return self._client

    def _collection(self, user_id: uuid.UUID, *, dimensions: int | None) -> Any:
        """The user's collection; created when `dimensions` is given (a write), else None
        when it does not exist yet."""
        from chromadb.errors import NotFoundError

        name = namespace_for(user_id)
        with self._lock:
            col = self._collections.get(name)
            if col is not None:
                self._collections.move_to_end(name)
        if col is None:
            client = self._get_client()
            try:
                col = client.get_collection(name, embedding_function=None)
            except NotFoundError:
                if dimensions is None:
                    return None
                col = client.create_collection(
                    name,
                    metadata={"embedding_model": self.embedding_model, "dimensions": dimensions},
                    configuration={"hnsw": {"space": "cosine"}},
                    embedding_function=None,
                    get_or_create=True,
                )
            with self._lock:
                self._collections[name] = col
                while len(self._collections) > MAX_CACHED_COLLECTIONS:
                    self._collections.popitem(last=False)
        self._check(col, dimensions)
        return col

    def _check(self, col: Any, dimensions: int | None) -> None:
        meta = col.metadata or {}
        model = meta.get("embedding_model")
        dims = meta.get("dimensions")
        if model != self.embedding_model or (dimensions is not None and dims != dimensions):
            raise EmbeddingMismatch(
                f"collection {col.name} holds {dims}-dimensional vectors of {model!r}; "
                f"refusing {dimensions or '?'}-dimensional vectors of {self.embedding_model!r}"
            )

    def _forget_cached(self, user_id: uuid.UUID) -> None:
        with self._lock:
            self._collections.pop(namespace_for(user_id), None)

    # ------------------------------------------------------------------ operations
    async def upsert(self, user_id: uuid.UUID, records: Sequence[VectorRecord]) -> None:
        if not records:
            return
        for r in records:
            if r.user_id != user_id:
                raise ValueError("a record of another user in this namespace")

        def run() -> None:
            col = self._collection(user_id, dimensions=len(records[0].vector))
            metas = []
            for r in records:
                meta = r.metadata()
                meta.pop("content")  # kept once, as the document
                metas.append(meta)
            col.upsert(
                ids=[r.id for r in records],
                embeddings=[r.vector for r in records],
                metadatas=metas,
                documents=[r.content for r in records],
            )

        await self._run(run)

    async def query(
        self,
        user_id: uuid.UUID,
        vector: Sequence[float],
        *,
        top_k: int,
        flt: QueryFilter,
        include_vectors: bool = False,
        min_score: float | None = None,
    ) -> list[VectorHit]:
        """Over-fetch without a metadata filter, filter here, and query with Chroma's filter
        only when that could change the answer.

        Chroma evaluates a `where` against every record of the collection before searching:
        at 100k memories a query took ~400 ms with a character filter and ~3 ms without. The
        unfiltered top `fetch` holds every match the filtered search would return above the
        last score it saw; so the filtered search runs only when the collection is bigger
        than `fetch`, too few matches survived, and the last unfiltered score still clears
        `min_score` (a user with one dominant character talking to a rare one).
        """
        if flt.embedding_model != self.embedding_model:
            return []  # this store only ever holds vectors of its own model (see _check)
        fetch = max(top_k * OVERFETCH, MIN_FETCH)
        floor = -1.0 if min_score is None else min_score
        enough = min(top_k, ENOUGH_MATCHES)

        def run() -> list[VectorHit]:
            col = self._collection(user_id, dimensions=None)
            if col is None:
                return []
            self._check(col, len(vector))
            raw = self._search(col, vector, fetch, None, include_vectors)
            hits = [h for h in raw if _matches(h, flt)]
            good = sum(1 for h in hits if h.score >= floor)
            if len(raw) == fetch and good < enough and raw[-1].score >= floor:
                hits = self._search(col, vector, top_k, chroma_where(flt), include_vectors)
            return hits[:top_k]

        return own_hits(user_id, await self._run(run), self.kind)

    @staticmethod
    def _search(
        col: Any,
        vector: Sequence[float],
        n: int,
        where: dict[str, Any] | None,
        include_vectors: bool,
    ) -> list[VectorHit]:
        include = ["metadatas", "documents", "distances"]
        if include_vectors:
            include.append("embeddings")
        res = col.query(query_embeddings=[list(vector)], n_results=n, where=where, include=include)
        ids = res["ids"][0]
        metas = (res.get("metadatas") or [[]])[0]
        docs = (res.get("documents") or [[]])[0]
        dists = (res.get("distances") or [[]])[0]
        embs = res.get("embeddings")
        hits = []
        for i, vid in enumerate(ids):
            meta = dict(metas[i] or {})
            meta["content"] = docs[i] or ""
            vec = [float(x) for x in embs[0][i]] if include_vectors and embs is not None else None
            hits.append(VectorHit(id=vid, score=1.0 - float(dists[i]), metadata=meta, vector=vec))
        return hits

    async def delete_ids(self, user_id: uuid.UUID, ids: Sequence[str]) -> None:
        if not ids:
            return

        def run() -> None:
            col = self._collection(user_id, dimensions=None)
            if col is not None:
                col.delete(ids=list(ids))

        await self._run(run)

    async def delete_session(self, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        def run() -> None:
            col = self._collection(user_id, dimensions=None)
            if col is not None:
                col.delete(where={"session_id": {"$eq": str(session_id)}})

        await self._run(run)

    async def delete_user(self, user_id: uuid.UUID, *, before: float | None = None) -> None:
        from chromadb.errors import NotFoundError

        if before is not None:

            def older() -> None:
                col = self._collection(user_id, dimensions=None)
                if col is not None:
                    col.delete(where={"timestamp": {"$lte": before}})

            await self._run(older)
            return

        def run() -> None:
            self._forget_cached(user_id)
            with contextlib.suppress(NotFoundError, ValueError):
                self._get_client().delete_collection(namespace_for(user_id))
            self._forget_cached(user_id)

        await self._run(run)

    async def count(self, user_id: uuid.UUID, *, session_id: uuid.UUID | None = None) -> int:
        def run() -> int:
            col = self._collection(user_id, dimensions=None)
            if col is None:
                return 0
            if session_id is None:
                return int(col.count())
            got = col.get(where={"session_id": {"$eq": str(session_id)}}, include=[])
            return len(got["ids"])

        return await self._run(run)

    async def ids(self, user_id: uuid.UUID) -> set[str]:
        def run() -> set[str]:
            col = self._collection(user_id, dimensions=None)
            if col is None:
                return set()
            return set(col.get(include=[])["ids"])

        return await self._run(run)

    async def health(self) -> str:
        def run() -> str:
            self._get_client().heartbeat()
            where = f"folder {self._path}" if self._url is None else f"server {self._url}"
            return f"{self.kind} ({where})"

        return await self._run(run)

    async def aclose(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            self._collections.clear()
            self._client = None
