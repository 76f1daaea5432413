"""usage_daily: per UTC day, billed tier and character, the messages users sent, the tokens and
credits of the replies, and the active users; equal to what the API reported for each chat;
rebuilt idempotently (again, concurrently, after late or deleted messages)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from pathlib import Path

from sqlalchemy import delete, func, select

from app.analytics.jobs import AggregateResult, aggregate_usage, default_days
from app.billing.tiers import MICRO
from app.llm.base import Usage
from app.models import CreditHold, LedgerEntry
from tests.analytics.helpers import ExpectedUsage, Tally, usage_rows
from tests.billing.conftest import prepare
from tests.helpers import Api
from tests.tasks.conftest import move_clock_to

UTC = dt.UTC
ROOT = Path(__file__).resolve().parents[2]


async def ledger_charges(api: Api, day: dt.date) -> int:
    start = dt.datetime(day.year, day.month, day.day, tzinfo=UTC)
    async with api.app.state.db.jobs_sessionmaker() as session:
        total = await session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_micro), 0)).where(
                LedgerEntry.kind == "chat_charge",
                LedgerEntry.created_at >= start,
                LedgerEntry.created_at < start + dt.timedelta(days=1),
            )
        )
    return -int(total or 0)


async def test_usage_by_day_tier_and_character(api: Api, no_chat_rate_limit: None) -> None:
    before, day = dt.date(2032, 4, 9), dt.date(2032, 4, 10)
    expected = ExpectedUsage()
    move_clock_to(dt.datetime(2032, 4, 9, 23, 30, tzinfo=UTC))
    alice = await api.new_user()
    luna = await api.new_session(alice, "luna")
    await expected.chat(api, alice, "free", luna)  # the day before: not in `day`'s rows

    move_clock_to(dt.datetime(2032, 4, 10, 8, 0, tzinfo=UTC))
    kai = await api.new_session(alice, "kai")
    for session in (luna, luna, kai):
        await expected.chat(api, alice, "free", session)
    carol = await api.new_user()
    await expected.chat(api, carol, "free", await api.new_session(carol, "luna"))
    bob = await api.new_user(tier="premium")
    mira = await api.new_session(bob, "mira")
    await expected.chat(api, bob, "premium", mira)
    await api.set_tier(bob, "vip")  # upgraded mid-day: his next message is a VIP one
    await expected.chat(api, bob, "vip", mira)

    result = await aggregate_usage(api.app.state.db.jobs_sessionmaker, days=[before, day])
    assert await usage_rows(api, before) == expected.rows(before)
    assert await usage_rows(api, day) == expected.rows(day)
    assert result == AggregateResult(
        days=["2032-04-09", "2032-04-10"],
        rows=len(expected.rows(before)) + len(expected.rows(day)),
    )
    free_luna = next(r for r in expected.rows(day) if r[:2] == ("free", "luna"))
    assert (free_luna[2], free_luna[6]) == (3, 2)  # alice twice, carol once: 2 active users
    assert {r[:2] for r in expected.rows(day)} == {
        ("free", "luna"),
        ("free", "kai"),
        ("premium", "mira"),
        ("vip", "mira"),
    }
    # The credits of a day are what the ledger charged that day.
    for d in (before, day):
        assert sum(r[5] for r in await usage_rows(api, d)) == await ledger_charges(api, d)


async def test_a_turn_across_midnight_counts_its_reply_the_next_day_at_its_billed_tier(
    api: Api,
) -> None:
    day, next_day = dt.date(2032, 5, 20), dt.date(2032, 5, 21)
    move_clock_to(dt.datetime(2032, 5, 20, 23, 59, 58, tzinfo=UTC))
    user = await api.new_user(tier="premium")
    await api.set_balance(user, purchased=50 * MICRO)
    session = await api.new_session(user, "kai")
    turn = await prepare(api, user, session["id"], "A long story, please")
    move_clock_to(dt.datetime(2032, 5, 21, 0, 0, 3, tzinfo=UTC))
    await api.set_tier(user, "vip")  # the reply was still billed at premium: its hold says so
    usage = Usage(prompt_tokens=321, completion_tokens=123)
    settled = await api.app.state.chat.settle(
        turn,
        content="Once upon a time...",
        usage=usage,
        model="m",
        finish_reason="stop",
        status="complete",
    )
    assert settled.settled.charged_micro == 444 * 70

    await aggregate_usage(api.app.state.db.jobs_sessionmaker, days=[day, next_day])
    assert await usage_rows(api, day) == [("premium", "kai", 1, 0, 0, 0, 1)]
    assert await usage_rows(api, next_day) == [("premium", "kai", 0, 321, 123, 444 * 70, 0)]


async def test_runs_again_and_together_give_the_same_rows_and_follow_changes(
    api: Api, no_chat_rate_limit: None
) -> None:
    day = dt.date(2032, 6, 1)
    move_clock_to(dt.datetime(2032, 6, 1, 14, 0, tzinfo=UTC))
    expected = ExpectedUsage()
    user = await api.new_user()
    luna, mira = await api.new_session(user, "luna"), await api.new_session(user, "mira")
    await expected.chat(api, user, "free", luna)
    await expected.chat(api, user, "free", mira)
    sm = api.app.state.db.jobs_sessionmaker

    first = await aggregate_usage(sm, days=[day])
    assert await usage_rows(api, day) == expected.rows(day)
    assert await aggregate_usage(sm, days=[day]) == first
    assert await usage_rows(api, day) == expected.rows(day)

    # A late message: counted by the next runs (four at once here), never twice.
    await expected.chat(api, user, "free", luna)
    results = await asyncio.gather(*(aggregate_usage(sm, days=[day]) for _ in range(4)))
    assert {r.rows for r in results} == {2}
    assert await usage_rows(api, day) == expected.rows(day)

    # A deleted conversation leaves the statistics of the day it is recomputed.
    r = await api.client.delete(f"/api/v1/chat/sessions/{mira['id']}", headers=user.headers)
    assert r.status_code == 204
    await aggregate_usage(sm, days=[day])
    del expected.days[day][("free", "mira")]
    assert await usage_rows(api, day) == expected.rows(day)


async def test_a_message_without_its_hold_counts_at_the_users_current_tier(
    api: Api, no_chat_rate_limit: None
) -> None:
    day = dt.date(2032, 7, 7)
    move_clock_to(dt.datetime(2032, 7, 7, 10, 0, tzinfo=UTC))
    user = await api.new_user(tier="premium")
    session = await api.new_session(user, "luna")
    body = await ExpectedUsage().chat(api, user, "premium", session)
    async with api.app.state.db.jobs_sessionmaker() as s:
        await s.execute(delete(CreditHold).where(CreditHold.user_id == user.id))
        await s.commit()
    await api.set_tier(user, "vip")
    await aggregate_usage(api.app.state.db.jobs_sessionmaker, days=[day])
    tally = Tally(
        messages=1,
        prompt=body["usage"]["prompt_tokens"],
        completion=body["usage"]["completion_tokens"],
        credits=body["credits_charged_micro"],
    )
    assert await usage_rows(api, day) == [
        ("vip", "luna", 1, tally.prompt, tally.completion, tally.credits, 1)
    ]


async def test_the_hourly_run_covers_yesterday_and_today_by_the_apps_clock(api: Api) -> None:
    now = dt.datetime(2032, 3, 1, 0, 5, tzinfo=UTC)
    assert default_days(now) == [dt.date(2032, 2, 29), dt.date(2032, 3, 1)]
    move_clock_to(now)
    result = await aggregate_usage(api.app.state.db.jobs_sessionmaker)
    assert result.days == ["2032-02-29", "2032-03-01"]


async def test_the_cli_prints_a_days_rows(api: Api, no_chat_rate_limit: None, db_url: str) -> None:
    move_clock_to(dt.datetime(2032, 8, 8, 9, 0, tzinfo=UTC))
    user = await api.new_user()
    expected = ExpectedUsage()
    body = await expected.chat(api, user, "free", await api.new_session(user, "kai"))

    async def cli(*args: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.cli",
            *args,
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": db_url, "LOG_JSON": "false"},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        return proc.returncode or 0, out.decode(), err.decode()

    code, out, _ = await cli("usage", "--day", "2032-08-08")
    assert (code, out.strip()) == (
        0,
        "no usage rows for 2032-08-08 (--aggregate computes them from the messages)",
    )
    code, out, _ = await cli("usage", "--day", "2032-08-08", "--aggregate")
    assert code == 0
    header, *lines = out.strip().splitlines()
    assert header.split() == [
        "day",
        "tier",
        "character",
        "messages",
        "users",
        "prompt",
        "completion",
        "credits",
    ]
    credits = f"{body['credits_charged_micro'] / MICRO:.6f}"
    assert [line.split() for line in lines] == [
        [
            "2032-08-08",
            "free",
            "kai",
            "1",
            "1",
            str(body["usage"]["prompt_tokens"]),
            str(body["usage"]["completion_tokens"]),
            credits,
        ]
    ]
    code, _, err = await cli("usage", "--day", "08/08/2032")
    assert code == 2 and "YYYY-MM-DD" in err
