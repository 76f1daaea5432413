"""`python -m app.cli audit-ledger`: exit 0 when every wallet equals its ledger, holds included;
otherwise exit 1 naming the offending users and what is wrong. Runs on fresh databases (the
shared test databases hold other tests' users)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy.exc
from alembic import command
from sqlalchemy import update

from app.billing.tiers import MICRO
from app.models import UserWallet
from tests.conftest import (
    _pg_dsn,
    alembic_config,
    create_pg_database,
    drop_pg_database,
    postgres_available,
)
from tests.fixtures.env import service_missing
from tests.helpers import Api

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('audit') / 'audit.db'}"
        command.upgrade(alembic_config(url), "heads")
        yield url
        return
    problem = postgres_available()
    if problem:
        service_missing("PostgreSQL", problem)
    name = create_pg_database("test_audit")
    url = _pg_dsn(name).replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        command.upgrade(alembic_config(url), "heads")
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"AUTH_RATE_LIMIT_PER_MINUTE": 0}


async def audit(db_url: str) -> tuple[int, dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    env["DATABASE_URL"] = db_url
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "audit-ledger",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode in (0, 1), err.decode()
    report: dict[str, Any] = json.loads(out)
    return proc.returncode, report


async def test_audit_passes_on_consistent_wallets_and_names_the_offenders(
    api: Api, db_url: str
) -> None:
    users = [await api.new_user() for _ in range(3)]
    await api.set_balance(users[0], bonus=3 * MICRO, purchased=7 * MICRO)
    await api.client.post(
        "/api/v1/market/buy_credits",
        json={"product_id": "credits_10"},
        headers={**users[1].headers, "Idempotency-Key": "audit-1"},
    )
    code, report = await audit(db_url)
    assert (code, report) == (0, {"ok": True, "offenders": []})

    # Money that appeared without a ledger row, and a held amount without a hold.
    async with api.app.state.db.jobs_sessionmaker() as session:
        await session.execute(
            update(UserWallet)
            .where(UserWallet.user_id == users[0].id)
            .values(purchased_micro=UserWallet.purchased_micro + 5)
        )
        await session.execute(
            update(UserWallet).where(UserWallet.user_id == users[1].id).values(held_micro=1_000)
        )
        await session.commit()
    code, report = await audit(db_url)
    assert code == 1
    assert report["ok"] is False
    problems = {o["user_id"]: o["problems"] for o in report["offenders"]}
    assert problems == {str(users[0].id): ["ledger_mismatch"], str(users[1].id): ["held_mismatch"]}
    first = next(o for o in report["offenders"] if o["user_id"] == str(users[0].id))
    assert first["wallet"]["purchased"] == first["ledger"]["purchased"] + 5


async def test_the_database_itself_refuses_negative_buckets_and_overdrafts(api: Api) -> None:
    user = await api.new_user()

    async def write(values: dict[str, int]) -> None:
        async with api.app.state.db.jobs_sessionmaker() as session:
            await session.execute(
                update(UserWallet).where(UserWallet.user_id == user.id).values(**values)
            )
            await session.commit()

    for values in ({"daily_micro": -1}, {"held_micro": 11 * MICRO}):
        with pytest.raises(sqlalchemy.exc.IntegrityError):
            await write(values)
    await api.assert_ledger_matches(user)
