from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def get_by_firebase_uid(self, firebase_uid: str) -> User | None:
        result = await self.session.execute(select(User).where(User.firebase_uid == firebase_uid))
        return result.scalar_one_or_none()

    def add(self, user: User) -> None:
        self.session.add(user)
