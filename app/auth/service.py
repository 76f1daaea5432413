"""Who is calling: token -> principal -> user, creating the user (and wallet) on first sight."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from cachetools import TTLCache
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.errors import AccountDisabled
from app.auth.repository import UserRepository
from app.auth.verifier import CachedVerifier, VerifiedToken
from app.billing.service import wallet_service
from app.kit.clock import utcnow
from app.kit.db import act_as
from app.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, as the hot path needs it (no ORM object)."""

    user_id: uuid.UUID
    firebase_uid: str


class AuthService:
    def __init__(
        self,
        verifier: CachedVerifier,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        principal_ttl: float = 3600.0,
    ) -> None:
        self.verifier = verifier
        self._sessionmaker = sessionmaker
        # firebase uid -> user id never changes. A disabled or deleted account is refused by
        # the checks that read the user row on every request (the chat path's load_context,
        # get_current_user), so this cache may live long; its TTL only bounds memory.
        self._principals: TTLCache[str, Principal] = TTLCache(maxsize=100_000, ttl=principal_ttl)

    async def authenticate(self, token: str) -> Principal:
        verified = await self.verifier.verify(token)
        principal = self._principals.get(verified.uid)
        if principal is not None:
            return principal
        async with self._sessionmaker() as session:
            user, _ = await self.get_or_create_user(session, verified)
            await session.commit()
        if not user.is_active:
            raise AccountDisabled()
        principal = Principal(user_id=user.id, firebase_uid=user.firebase_uid)
        self._principals[verified.uid] = principal
        return principal

    async def get_or_create_user(
        self, session: AsyncSession, verified: VerifiedToken
    ) -> tuple[User, bool]:
        """The user for this identity; on first sight, a new user with a funded wallet."""
        repo = UserRepository(session)
        user = await repo.get_by_firebase_uid(verified.uid)
        if user is not None:
            await act_as(session, user.id)
            return user, False
        try:
            async with session.begin_nested():
                user = User(
                    firebase_uid=verified.uid,
                    email=verified.email,
                    display_name=(verified.name or "")[:100] or None,
                    tier="free",
                )
                repo.add(user)
                await session.flush()
                await act_as(session, user.id)  # the wallet and its ledger row are the user's
                await wallet_service.open_wallet(session, user)
        except IntegrityError:
            # Two first requests raced; the other one created the user.
            user = await repo.get_by_firebase_uid(verified.uid)
            if user is None:
                raise
            await act_as(session, user.id)
            return user, False
        log.info("user created", extra={"user_id": str(user.id)})
        return user, True

    async def login(self, session: AsyncSession, token: str) -> tuple[User, bool]:
        verified = await self.verifier.verify(token)
        user, created = await self.get_or_create_user(session, verified)
        if not user.is_active:
            raise AccountDisabled()
        user.last_login_at = utcnow()
        if verified.email and user.email != verified.email:
            user.email = verified.email
        if verified.name and not user.display_name:
            user.display_name = verified.name[:100]
        await session.flush()
        return user, created

    def forget(self, firebase_uid: str) -> None:
        """Drop cached verification for a user (after logout / revocation)."""
        self._principals.pop(firebase_uid, None)
        self.verifier.forget_uid(firebase_uid)
