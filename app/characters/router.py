"""/api/v1/config/characters: the character catalogue (public: clients show it before sign-in)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request

from app.characters.errors import CharacterNotFound
from app.characters.schemas import CharacterList, CharacterOut
from app.characters.service import CharacterService
from app.kit.db import DBSession
from app.kit.errors import error_responses
from app.skins.dependencies import CurrentSkin
from app.skins.errors import AppIdRequired

router = APIRouter(prefix="/api/v1/config/characters", tags=["characters"])


def _service(request: Request) -> CharacterService:
    service: CharacterService = request.app.state.characters
    return service


@router.get("", response_model=CharacterList, responses=error_responses(AppIdRequired))
async def list_characters(session: DBSession, request: Request, skin: CurrentSkin) -> CharacterList:
    """Every active character the calling app (X-App-Id) shows, in catalogue order."""
    characters = await _service(request).list(session, skin=skin)
    return CharacterList(items=[CharacterOut.model_validate(c) for c in characters])


@router.get(
    "/{character_id}",
    response_model=CharacterOut,
    responses=error_responses(CharacterNotFound, AppIdRequired),
)
async def get_character(
    session: DBSession,
    request: Request,
    skin: CurrentSkin,
    character_id: str = Path(max_length=64),
) -> CharacterOut:
    """One character by id (one the calling app does not show is not found)."""
    character = await _service(request).get(session, character_id, skin=skin)
    return CharacterOut.model_validate(character)
