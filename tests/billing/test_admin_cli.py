"""`python -m app.cli adjust-credits`: an operator's correction of one bucket, as one
`admin_adjustment` ledger row, on the jobs path. Run as a subprocess against the test database
(on PostgreSQL with the API's row-level-security role as DATABASE_URL, so only the jobs path can
see the user), then `audit-ledger` checks that the ledger still matches every wallet."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import cli
from app.billing.tiers import MICRO
from app.models import LedgerEntry, User, UserWallet
from tests.billing.conftest import prepare
from tests.helpers import Api, TestUser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"AUTH_RATE_LIMIT_PER_MINUTE": 0}


async def run_cli(api: Api, *args: str) -> tuple[int, str, str]:
    settings = api.app.state.settings
    env = {k: v for k, v in os.environ.items() if "DATABASE_URL" not in k}
    env["DATABASE_URL"] = settings.DATABASE_URL
    if settings.JOBS_DATABASE_URL:
        env["JOBS_DATABASE_URL"] = settings.JOBS_DATABASE_URL
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def adjust(
    api: Api, user: str, bucket: str, amount: str, reason: str
) -> tuple[int, str, str]:
    return await run_cli(
        api,
        "adjust-credits",
        "--user",
        user,
        "--bucket",
        bucket,
        "--amount",
        amount,
        "--reason",
        reason,
    )


async def adjustments(api: Api, user: TestUser) -> list[LedgerEntry]:
    async with api.app.state.db.jobs_sessionmaker() as session:
        rows = await session.execute(
            select(LedgerEntry)
            .where(LedgerEntry.user_id == user.id, LedgerEntry.kind == "admin_adjustment")
            .order_by(LedgerEntry.created_at, LedgerEntry.id)
        )
        return list(rows.scalars().all())


async def audit_ok(api: Api) -> None:
    code, out, err = await run_cli(api, "audit-ledger")
    assert code == 0, out + err
    assert json.loads(out) == {"ok": True, "offenders": []}


async def test_adjustments_by_email_firebase_uid_and_id_each_write_one_ledger_row(
    api: Api,
) -> None:
    user = await api.new_user()
    async with api.app.state.db.jobs_sessionmaker() as session:
        row = await session.get(User, user.id)
        assert row is not None
        firebase_uid = row.firebase_uid
    before = await api.wallet(user)
    assert before.daily_micro == 10 * MICRO

    code, out, err = await adjust(
        api, user.email.upper(), "purchased", "12.5", "goodwill for the outage, ticket 42"
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["user_id"] == str(user.id)
    assert (report["amount"], report["amount_micro"]) == ("12.500000", 12_500_000)
    assert report["balance"]["purchased"] == "12.500000"
    code, _, err = await adjust(api, firebase_uid, "bonus", "0.000001", "one micro-credit")
    assert code == 0, err
    code, _, err = await adjust(api, str(user.id), "purchased", "-2.5", "partly reversed")
    assert code == 0, err
    code, _, err = await adjust(api, str(user.id), "daily", "-10", "abuse: no allowance today")
    assert code == 0, err

    wallet = await api.assert_ledger_matches(user)
    assert (wallet.daily_micro, wallet.bonus_micro, wallet.purchased_micro) == (
        0,
        1,
        10 * MICRO,
    )
    rows = await adjustments(api, user)
    assert [(r.delta_daily_micro, r.delta_bonus_micro, r.delta_purchased_micro) for r in rows] == [
        (0, 0, 12_500_000),
        (0, 1, 0),
        (0, 0, -2_500_000),
        (-10 * MICRO, 0, 0),
    ]
    assert rows[0].reference_id == report["reference_id"]
    assert rows[0].id.hex == report["ledger_id"].replace("-", "")
    assert rows[0].description == "Admin adjustment: goodwill for the outage, ticket 42"
    assert len({r.reference_id for r in rows}) == 4
    assert all(r.reference_type == "admin" for r in rows)
    await audit_ok(api)


async def test_adjustments_that_would_go_negative_are_refused_and_change_nothing(
    api: Api,
) -> None:
    user = await api.new_user()
    await api.set_balance(user, daily=0, bonus=0, purchased=1 * MICRO)
    rows_before = len(await adjustments(api, user))

    code, out, err = await adjust(api, user.email, "purchased", "-1.000001", "too much")
    assert (code, out) == (2, "")
    assert "would leave -0.000001" in err
    code, _, err = await adjust(api, user.email, "bonus", "-0.000001", "empty bucket")
    assert code == 2
    assert "The bonus bucket holds 0.000000 credits" in err

    # A reply being generated reserves part of the credit: it cannot be taken away under it.
    chat = await api.new_session(user)
    await prepare(api, user, chat["id"], "Hello")
    held = (await api.wallet(user)).held_micro
    assert 0 < held < MICRO
    code, _, err = await adjust(api, user.email, "purchased", "-1", "all of it")
    assert code == 2
    assert "Open holds reserve" in err

    code, _, err = await adjust(api, "nobody@example.com", "purchased", "1", "typo")
    assert code == 2
    assert "No user" in err

    wallet = await api.assert_ledger_matches(user)
    assert (wallet.purchased_micro, wallet.held_micro) == (MICRO, held)
    assert len(await adjustments(api, user)) == rows_before

    # Removing exactly what is free of the hold is allowed.
    code, _, err = await adjust(api, user.email, "purchased", f"-0.{MICRO - held:06d}", "rest")
    assert code == 0, err
    assert (await api.assert_ledger_matches(user)).purchased_micro == held
    await audit_ok(api)


async def test_an_email_shared_by_two_users_is_ambiguous(api: Api) -> None:
    user = await api.new_user()
    async with api.app.state.db.jobs_sessionmaker() as session:
        session.add(User(firebase_uid=f"other-{user.id.hex}", email=user.email))
        await session.commit()
    code, _, err = await adjust(api, user.email, "purchased", "1", "which one?")
    assert code == 2
    assert "2 users have the email" in err
    async with api.app.state.db.jobs_sessionmaker() as session:
        wallet = (
            await session.execute(select(UserWallet).where(UserWallet.user_id == user.id))
        ).scalar_one()
    assert wallet.purchased_micro == 0


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("1.0000001", "r", "at most 6 decimal places"),
        ("0", "r", "must not be zero"),
        ("-0.0", "r", "must not be zero"),
        ("abc", "r", "expected a decimal number"),
        ("NaN", "r", "expected a finite number"),
        ("1e30", "r", "too large"),
        ("1", "   ", "--reason must say why"),
    ],
)
def test_bad_input_is_refused_before_the_database(
    amount: str, reason: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["adjust-credits", "--user", "x", "--bucket", "bonus", "--amount", amount]
    assert cli.main([*argv, "--reason", reason]) == 2
    assert message in capsys.readouterr().err
