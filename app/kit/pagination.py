"""Keyset (cursor) pagination: opaque cursors that encode the last row's sort key."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, Field

from app.kit.errors import InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
    message = "The pagination cursor is malformed or belongs to another listing."


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise InvalidCursor() from exc
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidCursor()
    return values


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page."
    )


def encode_keyset(at: Any, row_id: Any) -> str:
    """Cursor for listings ordered by (timestamp, id)."""
    return encode_cursor(at.isoformat(), str(row_id))


def decode_keyset(cursor: str) -> tuple[Any, Any]:
    import datetime as dt
    import uuid

    at, row_id = decode_cursor(cursor, 2)
    try:
        parsed = dt.datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, uuid.UUID(row_id)
    except (TypeError, ValueError, AttributeError) as exc:
        raise InvalidCursor() from exc
