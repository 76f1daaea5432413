"""What usage_daily should hold, tallied from what the API told the client for each chat (the
tier is the one the test gave the user at the time): independent of the aggregation's SQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.models import UsageDaily
from tests.helpers import Api, TestUser

Row = tuple[str, str, int, int, int, int, int]  # tier, character, messages, prompt, completion,
# credits, active users


@dataclass
class Tally:
    messages: int = 0
    prompt: int = 0
    completion: int = 0
    credits: int = 0
    users: set[uuid.UUID] = field(default_factory=set)


# Small talk the offline model answers without tripping output moderation.
TEXTS = (
    "How was your day?",
    "What are you reading lately?",
    "Tell me about the stars tonight.",
    "What is your favourite song?",
    "Any plans for the weekend?",
)


class ExpectedUsage:
    def __init__(self) -> None:
        self.days: dict[dt.date, dict[tuple[str, str], Tally]] = defaultdict(dict)
        self._turns = 0

    async def chat(
        self, api: Api, user: TestUser, tier: str, session: dict[str, Any], text: str = ""
    ) -> dict[str, Any]:
        """One chat turn; the message counts on the day the user sent it, the usage on the day
        the reply was settled (both as the API reported them)."""
        self._turns += 1
        r = await api.chat(user, session["id"], text or TEXTS[self._turns % len(TEXTS)])
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        key = (tier, session["character_id"])
        sent = dt.datetime.fromisoformat(body["user_message"]["created_at"]).date()
        sent_tally = self.days[sent].setdefault(key, Tally())
        sent_tally.messages += 1
        sent_tally.users.add(user.id)
        settled = dt.datetime.fromisoformat(body["message"]["created_at"]).date()
        reply_tally = self.days[settled].setdefault(key, Tally())
        reply_tally.prompt += body["usage"]["prompt_tokens"]
        reply_tally.completion += body["usage"]["completion_tokens"]
        reply_tally.credits += body["credits_charged_micro"]
        return body

    def rows(self, day: dt.date) -> list[Row]:
        return sorted(
            (tier, character, t.messages, t.prompt, t.completion, t.credits, len(t.users))
            for (tier, character), t in self.days.get(day, {}).items()
        )


async def usage_rows(api: Api, day: dt.date) -> list[Row]:
    async with api.app.state.db.jobs_sessionmaker() as session:
        rows = (
            (await session.execute(select(UsageDaily).where(UsageDaily.day == day))).scalars().all()
        )
    return sorted(
        (
            r.tier,
            r.character_id,
            r.messages,
            r.prompt_tokens,
            r.completion_tokens,
            r.credits_micro,
            r.active_users,
        )
        for r in rows
    )
