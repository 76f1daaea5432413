"""/api/v1/memory: what the companions remember about the caller, and forgetting it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.auth.dependencies import CurrentUser
from app.auth.errors import AccountDisabled, NotAuthenticated
from app.kit.db import DBSession
from app.kit.errors import error_responses
from app.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor, Page
from app.memory.errors import FactNotEditable, MemoryItemNotFound, MemoryStoreUnavailable
from app.memory.repository import ListedMemory
from app.memory.schemas import FactUpdate, MemoryItemOut, MemoryKind
from app.memory.service import KINDS, MemoryService

router = APIRouter(prefix="/api/v1/memory", tags=["memory"])
AUTH_ERRORS = (NotAuthenticated, AccountDisabled)


async def get_memory_service(request: Request) -> MemoryService:
    service: MemoryService = request.app.state.memory
    return service


@router.get(
    "",
    response_model=Page[MemoryItemOut],
    responses=error_responses(*AUTH_ERRORS, InvalidCursor),
)
async def list_memory(
    session: DBSession,
    user: CurrentUser,
    kind: MemoryKind | None = Query(None, description="Only this kind (default: all)."),
    cursor: str | None = Query(None, max_length=512),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    memory: MemoryService = Depends(get_memory_service),
) -> Page[MemoryItemOut]:
    """Everything memory holds about you, newest first: facts (current and superseded), the
    messages kept for retrieval, and conversation summaries. Free accounts store none."""
    page = await memory.list_memory(
        session, user.id, kinds=(kind,) if kind else KINDS, cursor=cursor, limit=limit
    )
    return Page(
        items=[MemoryItemOut.from_listed(m) for m in page.items], next_cursor=page.next_cursor
    )


@router.patch(
    "/{memory_id}",
    response_model=MemoryItemOut,
    responses=error_responses(*AUTH_ERRORS, MemoryItemNotFound, FactNotEditable),
)
async def update_fact(
    memory_id: uuid.UUID,
    body: FactUpdate,
    session: DBSession,
    user: CurrentUser,
    memory: MemoryService = Depends(get_memory_service),
) -> MemoryItemOut:
    """Correct a current fact. The correction becomes the current value; the old one is kept
    as superseded (delete it to remove it) and is never used as current again."""
    fact = await memory.update_fact(
        user.id, memory_id, value=body.value, statement=body.statement, db=session
    )
    return MemoryItemOut.from_listed(ListedMemory("fact", fact))


@router.delete(
    "/{memory_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(*AUTH_ERRORS, MemoryItemNotFound, MemoryStoreUnavailable),
)
async def delete_memory_item(
    memory_id: uuid.UUID,
    session: DBSession,
    user: CurrentUser,
    memory: MemoryService = Depends(get_memory_service),
) -> Response:
    """Delete one memory (a message also takes the facts learned from it). Removed from the
    search index at once, not just hidden."""
    await memory.delete_item(user.id, memory_id, db=session)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(*AUTH_ERRORS, MemoryStoreUnavailable),
)
async def forget_everything(
    session: DBSession,
    user: CurrentUser,
    memory: MemoryService = Depends(get_memory_service),
) -> Response:
    """Forget everything: every memory of every conversation, at once. Your chat sessions
    stay; what you say from now on is remembered again (Premium and VIP)."""
    await memory.forget_all(user.id, db=session)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
