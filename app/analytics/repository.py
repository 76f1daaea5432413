"""SQL of the analytics domain: usage per UTC day, tier and character.

Which tier a turn counts under: the tier it was billed at, read from its credit hold. A turn's
hold and its two messages are written by the same settle with the same timestamps
(chat/service.py): the user message's created_at is the hold's created_at, the reply's
created_at is the hold's closed_at. Both lookups go through ix_credit_holds_user_id_created_at.
A message whose hold cannot be found (none today: every stored turn has one) counts under the
user's current tier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, distinct, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ChatMessage, ChatSession, CreditHold, UsageDaily, User

# pg_advisory_xact_lock(class, day): one aggregation of a given day at a time, all processes.
_LOCK_CLASS = 0x55534147  # "USAG"

# A reply settles at most this long after its hold was placed (model timeouts are far
# shorter); bounds the hold lookup of a reply to an index range.
MAX_TURN = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class UsageRow:
    tier: str
    character_id: str
    messages: int = 0
    active_users: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    credits_micro: int = 0


class UsageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_day(self, day: dt.date) -> None:
        """Serialise aggregations of `day` until the transaction ends. PostgreSQL: an advisory
        lock. SQLite: the DELETE that follows takes the database's single write lock (a second
        writer waits on busy_timeout), which serialises them just the same."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:cls, :day)"),
                {"cls": _LOCK_CLASS, "day": day.toordinal()},
            )

    async def delete_day(self, day: dt.date) -> None:
        await self.session.execute(delete(UsageDaily).where(UsageDaily.day == day))

    async def sent_messages(self, start: dt.datetime, end: dt.datetime) -> list[UsageRow]:
        """Messages users sent in [start, end) and who sent them, by billed tier and character."""
        hold_tier = (
            select(CreditHold.tier)
            .where(
                CreditHold.user_id == ChatMessage.user_id,
                CreditHold.created_at == ChatMessage.created_at,
                CreditHold.session_id == ChatMessage.session_id,
                CreditHold.status == "settled",
            )
            .limit(1)
            .scalar_subquery()
        )
        turns = (
            select(
                func.coalesce(hold_tier, User.tier).label("tier"),
                ChatSession.character_id,
                ChatMessage.user_id,
            )
            .join(ChatSession, ChatSession.id == ChatMessage.session_id)
            .join(User, User.id == ChatMessage.user_id)
            .where(
                ChatMessage.role == "user",
                ChatMessage.created_at >= start,
                ChatMessage.created_at < end,
            )
            .subquery()
        )
        stmt = select(
            turns.c.tier,
            turns.c.character_id,
            func.count(),
            func.count(distinct(turns.c.user_id)),
        ).group_by(turns.c.tier, turns.c.character_id)
        return [
            UsageRow(tier=r[0], character_id=r[1], messages=r[2], active_users=r[3])
            for r in (await self.session.execute(stmt)).all()
        ]

    async def settled_replies(self, start: dt.datetime, end: dt.datetime) -> list[UsageRow]:
        """Tokens and credits of the replies settled in [start, end), by billed tier and
        character (greetings, which have no usage, are not replies)."""
        hold_tier = (
            select(CreditHold.tier)
            .where(
                CreditHold.user_id == ChatMessage.user_id,
                CreditHold.created_at >= start - MAX_TURN,
                CreditHold.created_at <= ChatMessage.created_at,
                CreditHold.closed_at == ChatMessage.created_at,
                CreditHold.session_id == ChatMessage.session_id,
                CreditHold.status == "settled",
            )
            .limit(1)
            .scalar_subquery()
        )
        replies = (
            select(
                func.coalesce(hold_tier, User.tier).label("tier"),
                ChatSession.character_id,
                ChatMessage.prompt_tokens,
                ChatMessage.completion_tokens,
                ChatMessage.credits_micro,
            )
            .join(ChatSession, ChatSession.id == ChatMessage.session_id)
            .join(User, User.id == ChatMessage.user_id)
            .where(
                ChatMessage.role == "assistant",
                ChatMessage.prompt_tokens.is_not(None),
                ChatMessage.created_at >= start,
                ChatMessage.created_at < end,
            )
            .subquery()
        )
        stmt = select(
            replies.c.tier,
            replies.c.character_id,
            func.sum(replies.c.prompt_tokens),
            func.sum(func.coalesce(replies.c.completion_tokens, 0)),
            func.sum(replies.c.credits_micro),
        ).group_by(replies.c.tier, replies.c.character_id)
        return [
            UsageRow(
                tier=r[0],
                character_id=r[1],
                prompt_tokens=int(r[2]),
                completion_tokens=int(r[3]),
                credits_micro=int(r[4]),
            )
            for r in (await self.session.execute(stmt)).all()
        ]

    async def insert_day(
        self, day: dt.date, rows: Sequence[UsageRow], aggregated_at: dt.datetime
    ) -> None:
        if not rows:
            return
        await self.session.execute(
            insert(UsageDaily),
            [
                {
                    "day": day,
                    "tier": r.tier,
                    "character_id": r.character_id,
                    "messages": r.messages,
                    "prompt_tokens": r.prompt_tokens,
                    "completion_tokens": r.completion_tokens,
                    "credits_micro": r.credits_micro,
                    "active_users": r.active_users,
                    "aggregated_at": aggregated_at,
                }
                for r in rows
            ],
        )

    async def read_day(self, day: dt.date) -> Sequence[UsageDaily]:
        stmt = (
            select(UsageDaily)
            .where(UsageDaily.day == day)
            .order_by(UsageDaily.tier, UsageDaily.character_id)
        )
        return (await self.session.execute(stmt)).scalars().all()
