from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from app.characters.schemas import CharacterOut

MAX_MESSAGE_CHARS = 8000


def _message_text(value: Any) -> str:
    """A user message: text, not empty, at most MAX_MESSAGE_CHARS, no NUL characters.

    Custom error types become the response's machine code (see kit/handlers.py).
    """
    if not isinstance(value, str):
        raise PydanticCustomError("message_not_text", "The message must be a string of text.")
    text = value.strip()
    if not text:
        raise PydanticCustomError("message_empty", "The message is empty.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise PydanticCustomError(
            "message_too_long",
            "The message has {length} characters; the limit is {limit}.",
            {"length": len(text), "limit": MAX_MESSAGE_CHARS},
        )
    if "\x00" in text:
        raise PydanticCustomError("message_invalid_characters", "The message contains NUL bytes.")
    return text


MessageText = Annotated[str, BeforeValidator(_message_text)]


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    character_id: str = Field(min_length=1, max_length=64)
    title: str | None = Field(None, max_length=200)


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: str
    content: str
    status: str = Field(description="`complete`, or `incomplete` for a reply cut short.")
    token_count: int
    credits_charged: Decimal | None = None
    created_at: dt.datetime


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    character_id: str
    title: str | None
    status: str
    message_count: int
    created_at: dt.datetime
    last_message_at: dt.datetime


class SessionCreated(SessionOut):
    character: CharacterOut
    greeting: MessageOut


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: uuid.UUID
    message: MessageText
    max_tokens: int | None = Field(
        None, ge=1, le=4096, description="Cap on the reply's tokens (default: the server's)."
    )
    stream: bool = Field(False, description="Answer as server-sent events.")


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class CompletionResponse(BaseModel):
    session_id: uuid.UUID
    user_message: MessageOut
    message: MessageOut
    usage: UsageOut
    credits_charged: Decimal
    credits_charged_micro: int
    balance_available: Decimal
    model: str
    finish_reason: str | None
