"""Request and response models of /api/v1/memory."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.memory.repository import ListedMemory

MemoryKind = Literal["fact", "message", "summary"]


class MemoryItemOut(BaseModel):
    id: uuid.UUID
    kind: MemoryKind = Field(
        description="`fact`: a durable fact about you; `message`: one of your messages (or "
        "the character's) kept for retrieval; `summary`: the summary of a long conversation."
    )
    text: str
    status: str = Field(
        description="fact: `current` or `superseded` (replaced by a newer value, never used "
        "as current); message: `indexed`, `pending` (retrying) or `failed`; summary: `current`."
    )
    session_id: uuid.UUID | None = None
    character_id: str | None = None
    role: str | None = Field(None, description="message: `user` or `assistant`.")
    key: str | None = Field(None, description="fact: what it is about, e.g. `pet.cat.name`.")
    value: str | None = None
    category: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime | None = None

    @classmethod
    def from_listed(cls, m: ListedMemory) -> MemoryItemOut:
        r = m.row
        if m.kind == "fact":
            return cls(
                id=r.id,
                kind="fact",
                text=r.statement,
                status=r.status,
                session_id=r.source_session_id,
                character_id=r.character_id,
                key=r.key,
                value=r.value,
                category=r.category,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
        if m.kind == "message":
            return cls(
                id=r.id,
                kind="message",
                text=r.content,
                status=r.status,
                session_id=r.session_id,
                character_id=r.character_id,
                role=r.role,
                created_at=r.created_at,
                updated_at=r.indexed_at,
            )
        return cls(
            id=r.id,
            kind="summary",
            text=r.summary,
            status="current",
            session_id=r.session_id,
            character_id=r.character_id,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )


class FactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1, max_length=500)
    statement: str | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="How the fact reads to the character; derived from the value when omitted.",
    )
