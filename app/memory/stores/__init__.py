"""Vector stores behind one interface (base.VectorStore): ChromaDB embedded or server, Pinecone.

create_vector_store() picks one from the settings without importing any vector database client:
each store imports its SDK on first use.
"""

from __future__ import annotations

import importlib.util

from app.memory.errors import MemoryConfigError
from app.memory.stores.base import VectorStore
from app.settings import Settings


def create_vector_store(settings: Settings, *, embedding_model: str) -> VectorStore:
    if settings.VECTOR_DB_PROVIDER == "pinecone":
        if importlib.util.find_spec("pinecone") is None:
            raise MemoryConfigError("VECTOR_DB_PROVIDER=pinecone needs the pinecone package")
        if not settings.PINECONE_API_KEY:
            raise MemoryConfigError("VECTOR_DB_PROVIDER=pinecone and PINECONE_API_KEY is not set")
        from app.memory.stores.pinecone import PineconeStore

        return PineconeStore(
            api_key=settings.PINECONE_API_KEY,
            index_name=settings.PINECONE_INDEX,
            host=settings.PINECONE_HOST,
            embedding_model=embedding_model,
        )
    if importlib.util.find_spec("chromadb") is None:
        raise MemoryConfigError(
            "VECTOR_DB_PROVIDER=chromadb needs the memory extras (pip install '.[memory]')"
        )
    from app.memory.stores.chroma import ChromaStore

    return ChromaStore(
        path=None if settings.CHROMA_URL else settings.CHROMA_PATH,
        url=settings.CHROMA_URL,
        embedding_model=embedding_model,
    )


__all__ = ["VectorStore", "create_vector_store"]
