from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CharacterConfig


class CharacterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list_active(self) -> Sequence[CharacterConfig]:
        stmt = (
            select(CharacterConfig)
            .where(CharacterConfig.is_active.is_(True))
            .order_by(CharacterConfig.sort_order, CharacterConfig.id)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def list_all(self) -> Sequence[CharacterConfig]:
        """Every character, active or not (a session may outlive its character's listing)."""
        return (await self.session.execute(select(CharacterConfig))).scalars().all()

    async def get(self, character_id: str) -> CharacterConfig | None:
        return await self.session.get(CharacterConfig, character_id)

    def add(self, character: CharacterConfig) -> None:
        self.session.add(character)
