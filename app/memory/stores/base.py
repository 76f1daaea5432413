"""The vector store interface, and the isolation rules every implementation follows.

Isolation is layered, so that no single mistake exposes one user's memory to another:
1. a namespace per user (`user_{user_id}`: a Chroma collection, a Pinecone namespace), named
   from a uuid.UUID object, never from a string a client sent;
2. every vector carries `user_id` in its metadata, and Pinecone queries filter on it (a Chroma
   collection holds one user's vectors only, so the filter would only cost time there);
3. every hit is checked again on the way out (`own_hits`): one that is not the user's is
   dropped and logged as an error.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Protocol

from app.memory.records import QueryFilter, VectorHit, VectorRecord

log = logging.getLogger(__name__)


class VectorStore(Protocol):
    kind: str  # chromadb | chromadb-server | pinecone
    embedding_model: str

    async def upsert(self, user_id: uuid.UUID, records: Sequence[VectorRecord]) -> None:
        """Insert or replace by id (idempotent: a retried job writes the same ids)."""
        ...

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
        """The user's nearest vectors, closest first, with cosine similarity scores.
        `min_score` is a hint: the caller drops anything below it."""
        ...

    async def delete_ids(self, user_id: uuid.UUID, ids: Sequence[str]) -> None: ...

    async def delete_session(self, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        """Every vector of one chat session (messages, and facts learned in it)."""
        ...

    async def delete_user(self, user_id: uuid.UUID, *, before: float | None = None) -> None:
        """The whole namespace; with `before`, only vectors not newer than it (POSIX s)."""
        ...

    async def count(self, user_id: uuid.UUID, *, session_id: uuid.UUID | None = None) -> int: ...

    async def ids(self, user_id: uuid.UUID) -> set[str]:
        """Every id in the user's namespace (tests and re-indexing; not for the hot path)."""
        ...

    async def health(self) -> str: ...

    async def aclose(self) -> None: ...


def own_hits(user_id: uuid.UUID, hits: list[VectorHit], store: str) -> list[VectorHit]:
    """Drop any hit that is not the user's. It never happens unless a store is broken or
    misconfigured; then the error log says so and the user still sees only their own."""
    uid = str(user_id)
    mine = [h for h in hits if h.metadata.get("user_id") == uid]
    if len(mine) != len(hits):
        log.error(
            "vector store returned another user's vectors; dropped",
            extra={"store": store, "dropped": len(hits) - len(mine)},
        )
    return mine
