"""Pinecone (official SDK, asyncio data plane): one namespace per user in one index.

The index has one dimension, fixed at creation: the store reads it once (describe_index_stats)
and refuses vectors of another size with EmbeddingMismatch. Vectors also carry the model name,
and every query filters on it, so two models of the same size are never compared.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from typing import Any

from app.memory.errors import EmbeddingMismatch, VectorStoreError
from app.memory.records import QueryFilter, VectorHit, VectorRecord, namespace_for
from app.memory.stores.base import own_hits

UPSERT_BATCH = 100  # well inside the 2 MB / 1000 vectors request limits


def pinecone_filter(user_id: uuid.UUID, flt: QueryFilter | None) -> dict[str, Any]:
    out: dict[str, Any] = {"user_id": {"$eq": str(user_id)}}
    if flt is not None:
        out["embedding_model"] = {"$eq": flt.embedding_model}
        if flt.character_id is not None:
            out["character_id"] = {"$eq": flt.character_id}
        if flt.kinds is not None:
            out["kind"] = {"$in": list(flt.kinds)}
        if flt.session_id is not None:
            out["session_id"] = {"$eq": str(flt.session_id)}
    return out


class PineconeStore:
    kind = "pinecone"

    def __init__(
        self, *, api_key: str, index_name: str, host: str | None, embedding_model: str
    ) -> None:
        self.embedding_model = embedding_model
        self._api_key = api_key
        self._index_name = index_name
        self._host: str | None = host
        self._index: Any = None
        self._dimension: int | None = None
        self._lock = asyncio.Lock()

    async def _get_index(self) -> Any:
        async with self._lock:
            if self._index is None:
                from pinecone import AsyncIndex

                host = self._host
                if not host:
                    host = await asyncio.to_thread(self._resolve_host)
                index = AsyncIndex(host=host, api_key=self._api_key, timeout=10.0)
                stats = await index.describe_index_stats()
                self._dimension = stats.dimension
                self._host = host
                self._index = index
            return self._index

    def _resolve_host(self) -> str:
        from pinecone import Pinecone

        host = Pinecone(api_key=self._api_key).indexes.describe(self._index_name).host
        if not host:
            raise VectorStoreError(f"Pinecone index {self._index_name} has no host yet")
        return str(host)

    def _check(self, dimensions: int) -> None:
        if self._dimension is not None and self._dimension != dimensions:
            raise EmbeddingMismatch(
                f"Pinecone index {self._index_name} is {self._dimension}-dimensional; "
                f"refusing {dimensions}-dimensional vectors of {self.embedding_model!r}"
            )

    async def upsert(self, user_id: uuid.UUID, records: Sequence[VectorRecord]) -> None:
        if not records:
            return
        for r in records:
            if r.user_id != user_id:
                raise ValueError("a record of another user in this namespace")
        index = await self._get_index()
        self._check(len(records[0].vector))
        ns = namespace_for(user_id)
        for start in range(0, len(records), UPSERT_BATCH):
            batch = records[start : start + UPSERT_BATCH]
            await index.upsert(
                vectors=[{"id": r.id, "values": r.vector, "metadata": r.metadata()} for r in batch],
                namespace=ns,
            )

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
        index = await self._get_index()
        self._check(len(vector))
        res = await index.query(
            top_k=top_k,
            vector=list(vector),
            namespace=namespace_for(user_id),
            filter=pinecone_filter(user_id, flt),
            include_metadata=True,
            include_values=include_vectors,
        )
        hits = [
            VectorHit(
                id=m.id,
                score=float(m.score),
                metadata=dict(m.metadata or {}),
                vector=[float(x) for x in m.values] if include_vectors and m.values else None,
            )
            for m in res.matches
        ]
        return own_hits(user_id, hits, self.kind)

    async def delete_ids(self, user_id: uuid.UUID, ids: Sequence[str]) -> None:
        if not ids:
            return
        index = await self._get_index()
        for start in range(0, len(ids), 1000):
            await self._ignore_missing(
                index.delete(ids=list(ids[start : start + 1000]), namespace=namespace_for(user_id))
            )

    async def delete_session(self, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        index = await self._get_index()
        await self._ignore_missing(
            index.delete(
                filter={"session_id": {"$eq": str(session_id)}}, namespace=namespace_for(user_id)
            )
        )

    async def delete_user(self, user_id: uuid.UUID, *, before: float | None = None) -> None:
        index = await self._get_index()
        ns = namespace_for(user_id)
        if before is not None:
            await self._ignore_missing(
                index.delete(filter={"timestamp": {"$lte": before}}, namespace=ns)
            )
            return
        await self._ignore_missing(index.delete(delete_all=True, namespace=ns))

    @staticmethod
    async def _ignore_missing(call: Any) -> None:
        from pinecone.errors.exceptions import NotFoundError

        with contextlib.suppress(NotFoundError):  # no such namespace: nothing to delete
            await call

    async def count(self, user_id: uuid.UUID, *, session_id: uuid.UUID | None = None) -> int:
        if session_id is not None:
            return len(await self._list_ids(user_id, session_id=session_id))
        index = await self._get_index()
        stats = await index.describe_index_stats()
        summary = stats.namespaces.get(namespace_for(user_id))
        return int(summary.vector_count) if summary is not None else 0

    async def _list_ids(self, user_id: uuid.UUID, *, session_id: uuid.UUID | None) -> set[str]:
        index = await self._get_index()
        out: set[str] = set()
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"namespace": namespace_for(user_id), "limit": 100}
            if token:
                kwargs["pagination_token"] = token
            page = await index.list_paginated(**kwargs)
            ids = [v.id for v in page.vectors if v.id]
            if session_id is not None and ids:
                fetched = await index.fetch(ids=ids, namespace=namespace_for(user_id))
                ids = [
                    vid
                    for vid, vec in fetched.vectors.items()
                    if (vec.metadata or {}).get("session_id") == str(session_id)
                ]
            out.update(ids)
            token = page.pagination.next if page.pagination else None
            if not token:
                return out

    async def ids(self, user_id: uuid.UUID) -> set[str]:
        return await self._list_ids(user_id, session_id=None)

    async def health(self) -> str:
        try:
            index = await self._get_index()
            stats = await index.describe_index_stats()
        except Exception as exc:
            raise VectorStoreError(f"pinecone: {type(exc).__name__}: {exc}") from exc
        return (
            f"pinecone index {self._index_name} "
            f"({stats.dimension}d, {stats.total_vector_count} vectors)"
        )

    async def aclose(self) -> None:
        if self._index is not None:
            await self._index.close()
            self._index = None
