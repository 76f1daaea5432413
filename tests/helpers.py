"""Helpers that drive the product through its own API (and, where a test must arrange state the
API cannot, through its services)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from app.models import LedgerEntry, User, UserWallet


@dataclass
class TestUser:
    __test__ = False

    id: uuid.UUID
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    __test__ = False

    def __init__(self, client: httpx.AsyncClient, app: Any) -> None:
        self.client = client
        self.app = app

    async def new_user(self, *, email: str | None = None, tier: str = "free") -> TestUser:
        email = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
        r = await self.client.post("/api/v1/auth/dev/token", json={"email": email})
        assert r.status_code == 200, r.text
        token = r.json()["id_token"]
        r = await self.client.post("/api/v1/auth/login", json={"id_token": token})
        assert r.status_code == 200, r.text
        user = TestUser(id=uuid.UUID(r.json()["user"]["id"]), email=email, token=token)
        if tier != "free":
            await self.set_tier(user, tier)
        return user

    async def set_tier(
        self, user: TestUser, tier: str, *, expires_at: dt.datetime | None = None
    ) -> None:
        async with self.app.state.db.jobs_sessionmaker() as session:
            row = await session.get(User, user.id)
            assert row is not None
            row.tier = tier
            row.tier_expires_at = expires_at
            await session.commit()

    async def set_balance(
        self, user: TestUser, *, daily: int = 0, bonus: int = 0, purchased: int = 0
    ) -> None:
        """Arrange a wallet through an admin adjustment: wallet and ledger move together."""
        async with self.app.state.db.jobs_sessionmaker() as session:
            wallet = (
                await session.execute(
                    select(UserWallet).where(UserWallet.user_id == user.id).with_for_update()
                )
            ).scalar_one()
            deltas = (
                daily - wallet.daily_micro,
                bonus - wallet.bonus_micro,
                purchased - wallet.purchased_micro,
            )
            wallet.daily_micro, wallet.bonus_micro, wallet.purchased_micro = daily, bonus, purchased
            session.add(
                LedgerEntry(
                    user_id=user.id,
                    kind="admin_adjustment",
                    amount_micro=sum(deltas),
                    delta_daily_micro=deltas[0],
                    delta_bonus_micro=deltas[1],
                    delta_purchased_micro=deltas[2],
                    balance_after_micro=daily + bonus + purchased,
                    reference_type="test",
                    reference_id=f"test:{uuid.uuid4().hex}",
                )
            )
            await session.commit()

    async def wallet(self, user: TestUser) -> UserWallet:
        async with self.app.state.db.jobs_sessionmaker() as session:
            return (
                await session.execute(select(UserWallet).where(UserWallet.user_id == user.id))
            ).scalar_one()

    async def ledger_sum(self, user: TestUser) -> tuple[int, int, int]:
        async with self.app.state.db.jobs_sessionmaker() as session:
            rows = (
                (await session.execute(select(LedgerEntry).where(LedgerEntry.user_id == user.id)))
                .scalars()
                .all()
            )
        return (
            sum(r.delta_daily_micro for r in rows),
            sum(r.delta_bonus_micro for r in rows),
            sum(r.delta_purchased_micro for r in rows),
        )

    async def assert_ledger_matches(self, user: TestUser) -> UserWallet:
        wallet = await self.wallet(user)
        assert await self.ledger_sum(user) == (
            wallet.daily_micro,
            wallet.bonus_micro,
            wallet.purchased_micro,
        )
        assert (
            min(wallet.daily_micro, wallet.bonus_micro, wallet.purchased_micro, wallet.held_micro)
            >= 0
        )
        assert wallet.daily_micro + wallet.bonus_micro + wallet.purchased_micro >= wallet.held_micro
        return wallet

    async def new_session(self, user: TestUser, character_id: str = "luna") -> dict[str, Any]:
        r = await self.client.post(
            "/api/v1/chat/sessions", json={"character_id": character_id}, headers=user.headers
        )
        assert r.status_code == 201, r.text
        data: dict[str, Any] = r.json()
        return data

    async def chat(
        self, user: TestUser, session_id: str, message: str = "Hello there!", **extra: Any
    ) -> httpx.Response:
        return await self.client.post(
            "/api/v1/chat/completions",
            json={"session_id": session_id, "message": message, **extra},
            headers=user.headers,
        )
