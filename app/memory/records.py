"""Plain data passed between the memory components (no I/O here)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

ItemKind = Literal["message", "fact"]


def namespace_for(user_id: uuid.UUID) -> str:
    """The user's namespace in every vector store. Built from a UUID object, never from a
    string a client sent, so no crafted id can name another user's namespace."""
    if not isinstance(user_id, uuid.UUID):
        raise TypeError("user_id must be a uuid.UUID")
    return f"user_{user_id}"


@dataclass(slots=True, frozen=True)
class VectorRecord:
    """One vector and its metadata, as every store keeps it."""

    id: str
    vector: list[float]
    user_id: uuid.UUID
    session_id: uuid.UUID | None
    message_id: uuid.UUID | None
    character_id: str
    role: str  # user | assistant | fact
    content: str
    timestamp: float  # POSIX seconds, UTC
    kind: ItemKind
    embedding_model: str
    fact_id: uuid.UUID | None = None

    def metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "user_id": str(self.user_id),
            "session_id": str(self.session_id) if self.session_id else "",
            "message_id": str(self.message_id) if self.message_id else "",
            "character_id": self.character_id,
            "role": self.role,
            "content": self.content,
            "timestamp": self.timestamp,
            "kind": self.kind,
            "embedding_model": self.embedding_model,
        }
        if self.fact_id is not None:
            meta["fact_id"] = str(self.fact_id)
        return meta


@dataclass(slots=True)
class VectorHit:
    id: str
    score: float  # cosine similarity, higher is closer
    metadata: dict[str, Any]
    vector: list[float] | None = None

    @property
    def content(self) -> str:
        return str(self.metadata.get("content", ""))

    @property
    def kind(self) -> str:
        return str(self.metadata.get("kind", "message"))

    @property
    def timestamp(self) -> float:
        return float(self.metadata.get("timestamp", 0.0))

    @property
    def message_id(self) -> str:
        return str(self.metadata.get("message_id", ""))


@dataclass(slots=True, frozen=True)
class QueryFilter:
    """What a query may see inside the user's namespace (the namespace itself is the user)."""

    embedding_model: str
    character_id: str | None = None  # None: every character
    kinds: tuple[ItemKind, ...] | None = None
    session_id: uuid.UUID | None = None


@dataclass(slots=True, frozen=True)
class MessageToIndex:
    """One chat message to embed: the job's unit, JSON-serialisable through to_json()."""

    user_id: uuid.UUID
    tier: str
    session_id: uuid.UUID
    character_id: str
    message_id: uuid.UUID
    role: str
    text: str
    created_at: dt.datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "user_id": str(self.user_id),
            "tier": self.tier,
            "session_id": str(self.session_id),
            "character_id": self.character_id,
            "message_id": str(self.message_id),
            "role": self.role,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MessageToIndex:
        created = dt.datetime.fromisoformat(data["created_at"])
        if created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
        return cls(
            user_id=uuid.UUID(data["user_id"]),
            tier=str(data["tier"]),
            session_id=uuid.UUID(data["session_id"]),
            character_id=str(data["character_id"]),
            message_id=uuid.UUID(data["message_id"]),
            role=str(data["role"]),
            text=str(data["text"]),
            created_at=created,
        )


@dataclass(slots=True)
class ContextItem:
    """One memory put in the prompt."""

    kind: str  # fact | message | summary | profile
    text: str
    score: float
    id: str
    timestamp: float | None = None
    role: str | None = None


@dataclass(slots=True)
class MemoryContext:
    """What build_context returns: the text block for the system prompt and what is in it."""

    text: str
    items: list[ContextItem]  # the ranked retrieval results that made it into `text`
    token_estimate: int
    profile: list[ContextItem] = field(default_factory=list)  # VIP: always-on core facts
    summary: str | None = None  # VIP: the session's rolling summary, when it has one
    timings_ms: dict[str, float] = field(default_factory=dict)
