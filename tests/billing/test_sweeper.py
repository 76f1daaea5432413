"""Holds of crashed processes: released by the sweeper exactly once (even with sweepers racing),
and a settle that comes after the sweep charges only what the wallet still has."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from app.billing.jobs import sweep_expired_holds
from app.billing.tiers import MICRO
from app.kit.clock import utcnow
from app.llm.base import Usage
from app.models import CreditHold
from tests.billing.conftest import move_clock_to, prepare
from tests.helpers import Api


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"HOLD_TTL_SECONDS": 120, "AUTH_RATE_LIMIT_PER_MINUTE": 0}


async def hold_row(api: Api, hold_id: uuid.UUID) -> CreditHold:
    async with api.app.state.db.jobs_sessionmaker() as session:
        row = (
            await session.execute(select(CreditHold).where(CreditHold.id == hold_id))
        ).scalar_one()
        return row


async def test_a_crashed_hold_is_released_once_even_by_racing_sweepers(
    api: Api, no_chat_rate_limit: None
) -> None:
    user = await api.new_user(tier="vip")
    await api.set_balance(user, purchased=50 * MICRO)
    session = await api.new_session(user)
    crashed = await prepare(api, user, session["id"], "I will never be answered")
    crashed_hold = await hold_row(api, crashed.hold_id)
    assert crashed_hold.status == "open"
    assert (await api.wallet(user)).held_micro == crashed_hold.amount_micro

    # Not yet past its deadline: the sweeper leaves it alone.
    sm = api.app.state.db.jobs_sessionmaker
    await sweep_expired_holds(sm)
    assert (await hold_row(api, crashed.hold_id)).status == "open"

    # The process died; its deadline passes. Meanwhile another request holds credits too.
    move_clock_to(crashed_hold.expires_at + dt.timedelta(seconds=1))
    live = await prepare(api, user, session["id"], "I am being answered right now")
    live_hold = await hold_row(api, live.hold_id)

    results = await asyncio.gather(*(sweep_expired_holds(sm, batch_size=7) for _ in range(4)))
    assert sum(r.released for r in results) >= 1
    assert (await hold_row(api, crashed.hold_id)).status == "expired"
    assert (await hold_row(api, live.hold_id)).status == "open"
    # Released once: exactly the live hold is still held (twice would be negative or less).
    wallet = await api.assert_ledger_matches(user)
    assert wallet.held_micro == live_hold.amount_micro
    assert wallet.purchased_micro == 50 * MICRO  # a release charges nothing
    # Sweeping again finds nothing of this user's.
    await sweep_expired_holds(sm)
    assert (await api.wallet(user)).held_micro == live_hold.amount_micro
    await api.app.state.chat.release(live)
    assert (await api.wallet(user)).held_micro == 0


async def test_a_late_settle_after_the_sweep_charges_only_what_is_left(
    api: Api, no_chat_rate_limit: None
) -> None:
    user = await api.new_user(tier="vip")
    await api.set_balance(user, daily=0, bonus=0, purchased=10 * MICRO)
    session = await api.new_session(user)
    turn = await prepare(api, user, session["id"], "A slow reply")
    hold = await hold_row(api, turn.hold_id)
    move_clock_to(hold.expires_at + dt.timedelta(seconds=1))
    await sweep_expired_holds(api.app.state.db.jobs_sessionmaker)
    assert (await api.wallet(user)).held_micro == 0
    # The released credits were spent elsewhere: only 0.002 credits are left.
    await api.set_balance(user, purchased=2_000)
    # The "crashed" process was only slow: it settles now, for far more than is left.
    usage = Usage(prompt_tokens=900, completion_tokens=600)  # 1500 tokens * 50 = 75_000 micro
    result = await api.app.state.chat.settle(
        turn,
        content="a reply that took too long",
        usage=usage,
        model="m",
        finish_reason="stop",
        status="complete",
    )
    assert result.settled.charged_micro == 2_000
    wallet = await api.assert_ledger_matches(user)
    assert (wallet.daily_micro, wallet.bonus_micro, wallet.purchased_micro) == (0, 0, 0)
    assert wallet.held_micro == 0
    closed = await hold_row(api, turn.hold_id)
    assert (closed.status, closed.charged_micro) == ("settled", 2_000)
    r = await api.client.get(
        f"/api/v1/chat/sessions/{session['id']}/messages", headers=user.headers
    )
    assert r.json()["items"][0]["content"] == "a reply that took too long"
    assert r.json()["items"][0]["credits_charged"] == "0.002000"
    assert closed.closed_at is not None and closed.closed_at <= utcnow()
