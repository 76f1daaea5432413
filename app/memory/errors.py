"""Errors of the memory domain."""

from __future__ import annotations

from app.kit.errors import InvalidInput, NotFound, ServiceUnavailable


class MemoryItemNotFound(NotFound):
    """Unknown, deleted, or another user's memory: the answer is the same, by design."""

    code = "not_found"
    message = "No such memory item."


class MemoryConfigError(RuntimeError):
    """The memory configuration cannot work (named in the message); memory is disabled."""


class EmbeddingMismatch(RuntimeError):
    """A vector store holds vectors of another embedding model or dimension.

    Vectors of two models are not comparable: the store refuses to mix them rather than return
    meaningless neighbours. Re-index (MemoryService.reindex_user) after changing the model.
    """


class VectorStoreError(RuntimeError):
    """The vector store failed or answered something unexpected."""


class MemoryStoreUnavailable(ServiceUnavailable):
    code = "memory_unavailable"
    message = (
        "Your memory was removed from our records, but the search index did not answer; "
        "the removal completes automatically when it is back."
    )


class FactNotEditable(InvalidInput):
    code = "fact_not_editable"
    message = "Only current facts can be edited."
