"""/api/v1/chat: sessions, their messages, and completions (the hot path)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from app.auth.dependencies import CurrentPrincipal, CurrentUser
from app.auth.errors import AccountDisabled, NotAuthenticated
from app.billing.errors import InsufficientCredits
from app.billing.tiers import to_credits
from app.characters.errors import CharacterNotFound, CharacterTierRequired
from app.characters.schemas import CharacterOut
from app.chat.errors import MessageTooLongForContext, SessionNotFound
from app.chat.schemas import (
    CompletionRequest,
    CompletionResponse,
    MessageOut,
    SessionCreate,
    SessionCreated,
    SessionOut,
    UsageOut,
)
from app.chat.service import ChatService, CompletionResult
from app.chat.streaming import ChatStream
from app.kit.db import DBSession
from app.kit.errors import error_responses
from app.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor, Page
from app.llm.errors import LLMTimeout, LLMUnavailable, LLMUpstreamError
from app.models import ChatMessage
from app.moderation import ContentBlocked
from app.ratelimit import RateLimited, rate_limit_headers
from app.skins.dependencies import CurrentSkin

router = APIRouter(prefix="/api/v1/chat", tags=["chat"])
AUTH_ERRORS = (NotAuthenticated, AccountDisabled)


async def get_chat_service(request: Request) -> ChatService:
    service: ChatService = request.app.state.chat
    return service


def _message_out(m: ChatMessage) -> MessageOut:
    out = MessageOut.model_validate(m)
    if m.role == "assistant":
        out.credits_charged = to_credits(m.credits_micro)
    return out


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionCreated,
    responses=error_responses(*AUTH_ERRORS, CharacterNotFound, CharacterTierRequired),
)
async def create_session(
    body: SessionCreate,
    session: DBSession,
    user: CurrentUser,
    skin: CurrentSkin,
    chat: ChatService = Depends(get_chat_service),
) -> SessionCreated:
    """Start a conversation with a character; its greeting is the first message."""
    created, character, greeting = await chat.create_session(
        session, user, character_id=body.character_id, title=body.title, skin=skin
    )
    return SessionCreated(
        **SessionOut.model_validate(created).model_dump(),
        character=CharacterOut.model_validate(character),
        greeting=_message_out(greeting),
    )


@router.get(
    "/sessions",
    response_model=Page[SessionOut],
    responses=error_responses(*AUTH_ERRORS, InvalidCursor),
)
async def list_sessions(
    session: DBSession,
    user: CurrentUser,
    cursor: str | None = Query(None, max_length=512),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    character_id: str | None = Query(None, max_length=64),
    chat: ChatService = Depends(get_chat_service),
) -> Page[SessionOut]:
    """The caller's sessions, most recently active first."""
    page = await chat.list_sessions(
        session, user, cursor=cursor, limit=limit, character_id=character_id
    )
    return Page(
        items=[SessionOut.model_validate(s) for s in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/sessions/{session_id}",
    response_model=SessionOut,
    responses=error_responses(*AUTH_ERRORS, SessionNotFound),
)
async def get_session(
    session_id: uuid.UUID,
    session: DBSession,
    user: CurrentUser,
    chat: ChatService = Depends(get_chat_service),
) -> SessionOut:
    """One of the caller's sessions."""
    return SessionOut.model_validate(await chat.get_session(session, user, session_id))


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(*AUTH_ERRORS, SessionNotFound),
)
async def delete_session(
    session_id: uuid.UUID,
    session: DBSession,
    user: CurrentUser,
    chat: ChatService = Depends(get_chat_service),
) -> Response:
    """Delete a session and its messages (the ledger keeps its charges)."""
    await chat.delete_session(session, user, session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/sessions/{session_id}/messages",
    response_model=Page[MessageOut],
    responses=error_responses(*AUTH_ERRORS, SessionNotFound, InvalidCursor),
)
async def list_messages(
    session_id: uuid.UUID,
    session: DBSession,
    user: CurrentUser,
    cursor: str | None = Query(None, max_length=512),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    chat: ChatService = Depends(get_chat_service),
) -> Page[MessageOut]:
    """A session's messages, newest first; follow `next_cursor` for older ones."""
    page = await chat.list_messages(session, user, session_id, cursor=cursor, limit=limit)
    return Page(items=[_message_out(m) for m in page.items], next_cursor=page.next_cursor)


def completion_response(r: CompletionResult) -> CompletionResponse:
    return CompletionResponse(
        session_id=r.session_id,
        user_message=MessageOut(
            id=r.user_message_id,
            role="user",
            content=r.user_content,
            status="complete",
            token_count=r.user_tokens,
            created_at=r.user_created_at,
        ),
        message=MessageOut(
            id=r.assistant_message_id,
            role="assistant",
            content=r.assistant_content,
            status=r.assistant_status,
            token_count=r.usage.completion_tokens,
            credits_charged=to_credits(r.settled.charged_micro),
            created_at=r.assistant_created_at,
        ),
        usage=UsageOut(
            prompt_tokens=r.usage.prompt_tokens,
            completion_tokens=r.usage.completion_tokens,
            total_tokens=r.usage.total_tokens,
        ),
        credits_charged=to_credits(r.settled.charged_micro),
        credits_charged_micro=r.settled.charged_micro,
        balance_available=to_credits(r.settled.available_micro),
        model=r.model,
        finish_reason=r.finish_reason,
    )


SSE_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": 'With `stream: true`: server-sent events `start`, `delta` ({"text"}), '
        "`done` (usage, credits charged, balance) and, if the model fails mid-way, `error`.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


@router.post(
    "/completions",
    response_model=CompletionResponse,
    responses=SSE_DOC
    | error_responses(
        *AUTH_ERRORS,
        SessionNotFound,
        InsufficientCredits,
        RateLimited,
        ContentBlocked,
        CharacterTierRequired,
        MessageTooLongForContext,
        LLMUpstreamError,
        LLMUnavailable,
        LLMTimeout,
    ),
)
async def create_completion(
    body: CompletionRequest,
    principal: CurrentPrincipal,
    chat: ChatService = Depends(get_chat_service),
) -> Response:
    """Send a message in a session and get the character's reply (JSON, or server-sent events
    with `stream: true`).

    Credits: a hold for the worst case is placed first (402 `insufficient_credits` if the
    balance cannot cover it), then settled to the exact tokens the model reported. If the model
    fails before answering, nothing is charged and nothing is stored. A stream cut short (the
    model failed mid-way, or the client went away) stores the partial reply as `incomplete` and
    charges exactly the tokens generated.
    """
    if body.stream:
        turn = await chat.prepare(
            principal, session_id=body.session_id, text=body.message, max_tokens=body.max_tokens
        )
        stream = ChatStream(chat, turn)
        await stream.open()
        return StreamingResponse(
            stream.events(),
            media_type="text/event-stream",
            headers={
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
                **rate_limit_headers(turn.rate_limit),
            },
        )
    result = await chat.complete(
        principal, session_id=body.session_id, text=body.message, max_tokens=body.max_tokens
    )
    # Serialised here, once: returning the model would have FastAPI validate it again against
    # response_model (which stays, for the documentation).
    return Response(
        completion_response(result).model_dump_json(),
        media_type="application/json",
        headers=rate_limit_headers(result.rate_limit),
    )
