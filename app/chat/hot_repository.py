"""The chat hot path's storage: two statements per message, each one round trip.

1. begin_turn: the user's tier, the wallet's day, the session and its last N messages, and the
   hold for the turn's worst case, placed only if the balance covers it (a conditional UPDATE).
   Its two halves, load_context and place_hold, also stand alone: the first message of a UTC
   day refreshes the daily allowance between them.
2. settle: charge the exact usage by bucket order, close the hold, store both messages, write
   the ledger row, bump the session (one statement, one transaction).
   (release_hold gives a hold back when the model failed before any token or the turn was
   refused after the hold: rate limit, moderation of the reply.)

Two implementations with one contract: PostgresHotPath calls PL/pgSQL functions over asyncpg
(migrations 0006 and 0007: ~0.1-0.2 ms of CPU per call, against ~2 ms for the same work on the
ORM: ../shared/DESIGN.md); PortableHotPath runs the same steps as SQLAlchemy Core statements
(SQLite, the embedded default). The test suite runs both against the same assertions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Protocol, cast

import orjson
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.billing.tiers import effective_tier
from app.chat.prompt import HistoryRow
from app.kit.ids import uuid7
from app.llm.tokens import MESSAGE_OVERHEAD_TOKENS
from app.models import ChatMessage, ChatSession, CreditHold, LedgerEntry, User, UserWallet


@dataclass(slots=True)
class ChatContext:
    tier: str
    tier_expires_at: dt.datetime | None
    is_active: bool
    daily_date: dt.date | None
    character_id: str
    session_status: str
    history: list[HistoryRow]  # newest first


@dataclass(slots=True)
class TurnRequest:
    """The first statement of a turn: read the context and place the hold for its worst case."""

    session_id: uuid.UUID
    user_id: uuid.UUID
    history_limit: int
    hold_id: uuid.UUID
    base_tokens: int  # system prompt (the largest of any character) + the message + framing
    memory_tokens: int  # what memory may add (premium/vip only)
    max_out: int
    context_tokens: int
    rates: dict[str, int]  # micro-credits per token by tier
    today: dt.date
    now: dt.datetime
    expires_at: dt.datetime


@dataclass(slots=True)
class TurnStart:
    context: ChatContext
    tier: str  # effective (a lapsed paid tier is free)
    rate: int
    hold_micro: int
    placed: bool  # False: not enough credits (see available), or a stale day (refresh first)
    available: int | None


def hold_tokens(
    *,
    base_tokens: int,
    history: list[HistoryRow],
    memory_tokens: int,
    tier: str,
    max_out: int,
    context_tokens: int,
) -> int:
    """The worst case of a turn in tokens: all the prompt could hold, capped at the context
    window, plus the longest reply. (chat_begin_turn computes the same in SQL.)"""
    history_tokens = sum((tokens or 0) + MESSAGE_OVERHEAD_TOKENS for _, _, tokens in history)
    prompt = base_tokens + history_tokens + (0 if tier == "free" else memory_tokens)
    return min(context_tokens - max_out, prompt) + max_out


@dataclass(slots=True)
class HoldRequest:
    hold_id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID
    tier: str
    rate_micro_per_token: int
    amount_micro: int
    now: dt.datetime
    expires_at: dt.datetime


@dataclass(slots=True)
class SettleRequest:
    hold_id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID
    charge_micro: int  # what the usage costs; capped to what the wallet can pay
    user_message_id: uuid.UUID
    user_content: str
    user_tokens: int
    user_created_at: dt.datetime
    assistant_message_id: uuid.UUID
    assistant_content: str
    assistant_status: str  # complete | incomplete
    prompt_tokens: int
    completion_tokens: int
    model: str
    now: dt.datetime


@dataclass(slots=True)
class SettleResult:
    charged_micro: int
    daily_micro: int
    bonus_micro: int
    purchased_micro: int
    held_micro: int

    @property
    def available_micro(self) -> int:
        return self.daily_micro + self.bonus_micro + self.purchased_micro - self.held_micro


class HotPathRepository(Protocol):
    async def begin_turn(self, req: TurnRequest) -> TurnStart | None:
        """The context and, when the wallet's day is current and the balance covers it, the
        hold; None when the session is not the user's."""
        ...

    async def load_context(
        self, user_id: uuid.UUID, session_id: uuid.UUID, history_limit: int
    ) -> ChatContext | None: ...

    async def place_hold(self, req: HoldRequest) -> int | None:
        """None when placed; otherwise the available balance that was not enough."""
        ...

    async def settle(self, req: SettleRequest) -> SettleResult:
        """Idempotent per hold: raises HoldAlreadyClosed (writing nothing) the second time."""
        ...

    async def release_hold(
        self, hold_id: uuid.UUID, user_id: uuid.UUID, now: dt.datetime
    ) -> bool: ...


class HoldAlreadyClosed(Exception):
    """settle() on a hold that was already settled or released: nothing was written."""


def split_charge(charge: int, daily: int, bonus: int, purchased: int) -> tuple[int, int, int]:
    """Take `charge` from the buckets in order daily -> bonus -> purchased."""
    d = min(daily, charge)
    b = min(bonus, charge - d)
    return d, b, charge - d - b


# --------------------------------------------------------------------------- PostgreSQL
# The four statements live in the database as PL/pgSQL functions (migration 0006, the only
# place to change them: a new migration replaces them). Each first sets the transaction-local
# `app.user_id` that row-level security checks, then runs one statement, so the user setting
# costs no extra round trip. The functions' SQL is the same CTE logic as PortableHotPath below.

_PG_BEGIN_TURN = (
    "SELECT * FROM chat_begin_turn($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
)
_PG_LOAD_CONTEXT = "SELECT * FROM chat_load_context($1, $2, $3)"
_PG_PLACE_HOLD = "SELECT chat_place_hold($1, $2, $3, $4, $5, $6, $7, $8)"
# Only when a hold is refused: a fresh statement sees the balance as it is now (the refused
# statement's snapshot may predate holds that other requests have since settled).
_PG_AVAILABLE = "SELECT chat_available($1)"
_PG_SETTLE = (
    "SELECT * FROM chat_settle($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
    "$15, $16)"
)
_PG_RELEASE = "SELECT chat_release_hold($1, $2, $3)"


def _context(row: Any) -> ChatContext:
    """The first seven columns of chat_load_context / chat_begin_turn."""
    return ChatContext(
        tier=row[0],
        tier_expires_at=row[1],
        is_active=row[2],
        daily_date=row[3],
        character_id=row[4],
        session_status=row[5],
        history=[tuple(m) for m in orjson.loads(row[6])],  # type: ignore[misc]
    )


class PostgresHotPath:
    def __init__(self, pool: Any) -> None:
        self._pool = pool  # asyncpg.Pool

    async def begin_turn(self, req: TurnRequest) -> TurnStart | None:
        row = await self._pool.fetchrow(
            _PG_BEGIN_TURN,
            req.session_id,
            req.user_id,
            req.history_limit,
            req.hold_id,
            req.base_tokens,
            req.memory_tokens,
            req.max_out,
            req.context_tokens,
            req.rates["free"],
            req.rates["premium"],
            req.rates["vip"],
            req.today,
            req.now,
            req.expires_at,
        )
        if row is None:
            return None
        return TurnStart(_context(row), row[7], row[8], row[9], row[10], row[11])

    async def load_context(
        self, user_id: uuid.UUID, session_id: uuid.UUID, history_limit: int
    ) -> ChatContext | None:
        row = await self._pool.fetchrow(_PG_LOAD_CONTEXT, session_id, user_id, history_limit)
        if row is None:
            return None
        return _context(row)

    async def place_hold(self, req: HoldRequest) -> int | None:
        row = await self._pool.fetchrow(
            _PG_PLACE_HOLD,
            req.hold_id,
            req.user_id,
            req.amount_micro,
            req.session_id,
            req.tier,
            req.rate_micro_per_token,
            req.now,
            req.expires_at,
        )
        if row[0]:
            return None
        return int(await self._pool.fetchval(_PG_AVAILABLE, req.user_id) or 0)

    async def settle(self, req: SettleRequest) -> SettleResult:
        row = await self._pool.fetchrow(
            _PG_SETTLE,
            req.hold_id,
            req.user_id,
            req.charge_micro,
            req.now,
            req.user_message_id,
            req.session_id,
            req.user_content,
            req.user_tokens,
            req.user_created_at,
            req.assistant_message_id,
            req.assistant_content,
            req.assistant_status,
            req.completion_tokens,
            req.prompt_tokens,
            req.model,
            uuid7(),
        )
        if row is None:
            raise HoldAlreadyClosed(req.hold_id)
        return SettleResult(row[0], row[1], row[2], row[3], row[4])

    async def release_hold(self, hold_id: uuid.UUID, user_id: uuid.UUID, now: dt.datetime) -> bool:
        return bool(await self._pool.fetchval(_PG_RELEASE, hold_id, user_id, now))


# --------------------------------------------------------------------------- portable

_wallet = cast(Table, UserWallet.__table__)
_holds = cast(Table, CreditHold.__table__)
_messages = cast(Table, ChatMessage.__table__)
_sessions = cast(Table, ChatSession.__table__)
_ledger = cast(Table, LedgerEntry.__table__)
_users = cast(Table, User.__table__)


class PortableHotPath:
    """The same four steps as SQLAlchemy Core statements, one transaction each (SQLite).

    On SQLite the engine has one connection, so each transaction runs alone: the conditional
    UPDATE and the read-then-write of settle cannot interleave with another request's.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def begin_turn(self, req: TurnRequest) -> TurnStart | None:
        ctx = await self.load_context(req.user_id, req.session_id, req.history_limit)
        if ctx is None:
            return None
        tier = effective_tier(ctx.tier, ctx.tier_expires_at, req.now)
        rate = req.rates[tier]
        amount = rate * hold_tokens(
            base_tokens=req.base_tokens,
            history=ctx.history,
            memory_tokens=req.memory_tokens,
            tier=tier,
            max_out=req.max_out,
            context_tokens=req.context_tokens,
        )
        placed, available = False, None
        if ctx.is_active and ctx.daily_date == req.today:
            available = await self.place_hold(
                HoldRequest(
                    hold_id=req.hold_id,
                    user_id=req.user_id,
                    session_id=req.session_id,
                    tier=tier,
                    rate_micro_per_token=rate,
                    amount_micro=amount,
                    now=req.now,
                    expires_at=req.expires_at,
                )
            )
            placed = available is None
        return TurnStart(ctx, tier, rate, amount, placed, available)

    async def load_context(
        self, user_id: uuid.UUID, session_id: uuid.UUID, history_limit: int
    ) -> ChatContext | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        _users.c.tier,
                        _users.c.tier_expires_at,
                        _users.c.is_active,
                        _wallet.c.daily_date,
                        _sessions.c.character_id,
                        _sessions.c.status,
                    )
                    .select_from(
                        _sessions.join(_users, _users.c.id == _sessions.c.user_id).join(
                            _wallet, _wallet.c.user_id == _sessions.c.user_id
                        )
                    )
                    .where(_sessions.c.id == session_id, _sessions.c.user_id == user_id)
                )
            ).first()
            if row is None:
                return None
            history = (
                await conn.execute(
                    select(_messages.c.role, _messages.c.content, _messages.c.token_count)
                    .where(_messages.c.session_id == session_id)
                    .order_by(_messages.c.id.desc())
                    .limit(history_limit)
                )
            ).all()
        return ChatContext(
            tier=row[0],
            tier_expires_at=row[1],
            is_active=row[2],
            daily_date=row[3],
            character_id=row[4],
            session_status=row[5],
            history=[(r[0], r[1], r[2]) for r in history],
        )

    async def place_hold(self, req: HoldRequest) -> int | None:
        available = (
            _wallet.c.daily_micro
            + _wallet.c.bonus_micro
            + _wallet.c.purchased_micro
            - _wallet.c.held_micro
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_wallet)
                .where(_wallet.c.user_id == req.user_id, available >= req.amount_micro)
                .values(held_micro=_wallet.c.held_micro + req.amount_micro)
            )
            if result.rowcount == 0:
                value = await conn.scalar(select(available).where(_wallet.c.user_id == req.user_id))
                return int(value or 0)
            await conn.execute(
                _holds.insert().values(
                    id=req.hold_id,
                    user_id=req.user_id,
                    session_id=req.session_id,
                    tier=req.tier,
                    rate_micro_per_token=req.rate_micro_per_token,
                    amount_micro=req.amount_micro,
                    charged_micro=0,
                    status="open",
                    created_at=req.now,
                    expires_at=req.expires_at,
                )
            )
        return None

    async def settle(self, req: SettleRequest) -> SettleResult:
        async with self._engine.begin() as conn:
            hold = (
                await conn.execute(
                    select(_holds.c.amount_micro, _holds.c.status).where(
                        _holds.c.id == req.hold_id, _holds.c.status.in_(("open", "expired"))
                    )
                )
            ).first()
            if hold is None:
                raise HoldAlreadyClosed(req.hold_id)
            hold_amt = hold[0] if hold[1] == "open" else 0
            w = (
                await conn.execute(
                    select(
                        _wallet.c.daily_micro,
                        _wallet.c.bonus_micro,
                        _wallet.c.purchased_micro,
                        _wallet.c.held_micro,
                    ).where(_wallet.c.user_id == req.user_id)
                )
            ).one()
            daily, bonus, purchased, held = w
            payable = daily + bonus + purchased - held + hold_amt
            charge = max(0, min(req.charge_micro, payable))
            dd, db, dp = split_charge(charge, daily, bonus, purchased)
            daily, bonus, purchased, held = daily - dd, bonus - db, purchased - dp, held - hold_amt
            await conn.execute(
                update(_wallet)
                .where(_wallet.c.user_id == req.user_id)
                .values(
                    daily_micro=daily,
                    bonus_micro=bonus,
                    purchased_micro=purchased,
                    held_micro=held,
                    updated_at=req.now,
                )
            )
            await conn.execute(
                update(_holds)
                .where(_holds.c.id == req.hold_id)
                .values(status="settled", charged_micro=charge, closed_at=req.now)
            )
            await conn.execute(
                _messages.insert(),
                [
                    {
                        "id": req.user_message_id,
                        "session_id": req.session_id,
                        "user_id": req.user_id,
                        "role": "user",
                        "content": req.user_content,
                        "token_count": req.user_tokens,
                        "status": "complete",
                        "prompt_tokens": None,
                        "completion_tokens": None,
                        "credits_micro": 0,
                        "model": None,
                        "created_at": req.user_created_at,
                    },
                    {
                        "id": req.assistant_message_id,
                        "session_id": req.session_id,
                        "user_id": req.user_id,
                        "role": "assistant",
                        "content": req.assistant_content,
                        "token_count": req.completion_tokens,
                        "status": req.assistant_status,
                        "prompt_tokens": req.prompt_tokens,
                        "completion_tokens": req.completion_tokens,
                        "credits_micro": charge,
                        "model": req.model,
                        "created_at": req.now,
                    },
                ],
            )
            if charge:
                await conn.execute(
                    _ledger.insert().values(
                        id=uuid7(),
                        user_id=req.user_id,
                        kind="chat_charge",
                        amount_micro=-charge,
                        delta_daily_micro=-dd,
                        delta_bonus_micro=-db,
                        delta_purchased_micro=-dp,
                        balance_after_micro=daily + bonus + purchased,
                        reference_type="message",
                        reference_id=str(req.assistant_message_id),
                        description="Chat reply",
                        created_at=req.now,
                    )
                )
            await conn.execute(
                update(_sessions)
                .where(_sessions.c.id == req.session_id)
                .values(
                    message_count=_sessions.c.message_count + 2,
                    last_message_at=req.now,
                    updated_at=req.now,
                    status="active",
                )
            )
        return SettleResult(charge, daily, bonus, purchased, held)

    async def release_hold(self, hold_id: uuid.UUID, user_id: uuid.UUID, now: dt.datetime) -> bool:
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    update(_holds)
                    .where(
                        _holds.c.id == hold_id,
                        _holds.c.user_id == user_id,
                        _holds.c.status == "open",
                    )
                    .values(status="released", closed_at=now)
                    .returning(_holds.c.user_id, _holds.c.amount_micro)
                )
            ).first()
            if row is None:
                return False
            await conn.execute(
                update(_wallet)
                .where(_wallet.c.user_id == row[0])
                .values(held_micro=_wallet.c.held_micro - row[1])
            )
        return True


def create_hot_path(engine: AsyncEngine, raw_pool: Any) -> HotPathRepository:
    if raw_pool is not None:
        return PostgresHotPath(raw_pool)
    return PortableHotPath(engine)


__all__ = [
    "ChatContext",
    "HoldAlreadyClosed",
    "HoldRequest",
    "HotPathRepository",
    "PortableHotPath",
    "PostgresHotPath",
    "SettleRequest",
    "SettleResult",
    "TurnRequest",
    "TurnStart",
    "create_hot_path",
    "hold_tokens",
    "split_charge",
]
