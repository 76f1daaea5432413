"""Start-up checks of the skins against the database."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.characters.repository import CharacterRepository
from app.skins.registry import SkinRegistry

log = logging.getLogger(__name__)


async def check_skin_characters(
    registry: SkinRegistry, sessionmaker: async_sessionmaker[AsyncSession]
) -> dict[str, list[str]]:
    """Log a warning per skin that lists characters the catalogue has no active entry for.

    A warning, not a refusal: characters live in the database and may be seeded or activated
    after the configuration is deployed; until then the skin simply does not show them. Returns
    {skin id: missing character ids} (skins with none missing are left out).
    """
    listed = [s for s in registry.skins.values() if s.characters is not None]
    if not listed:
        log.info("skins: %s", registry.describe())
        return {}
    async with sessionmaker() as session:
        active = {c.id for c in await CharacterRepository(session).list_active()}
    missing: dict[str, list[str]] = {}
    for skin in listed:
        assert skin.characters is not None
        absent = sorted(skin.characters - active)
        if absent:
            missing[skin.id] = absent
            log.warning(
                "skin %s lists characters that are not active in the catalogue: %s "
                "(it does not show them until they are)",
                skin.id,
                ", ".join(absent),
                extra={"skin": skin.id, "characters": absent},
            )
    log.info("skins: %s", registry.describe())
    return missing
