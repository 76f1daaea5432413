"""One migration history for SQLite and PostgreSQL: it upgrades, matches the models, and every
step downgrades."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import (
    _pg_dsn,
    alembic_config,
    create_pg_database,
    drop_pg_database,
    postgres_available,
)
from tests.fixtures.env import service_missing


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('mig') / 'm.db'}"
        return
    problem = postgres_available()
    if problem:
        service_missing("PostgreSQL", problem)
    name = create_pg_database("test_migrations")
    try:
        yield _pg_dsn(name).replace("postgresql://", "postgresql+asyncpg://", 1)
    finally:
        drop_pg_database(name)


def tables(url: str) -> set[str]:
    async def run() -> set[str]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        await engine.dispose()
        return names

    return asyncio.run(run())


def test_upgrade_check_and_downgrade_every_step(empty_db_url: str) -> None:
    cfg = alembic_config(empty_db_url)
    script = ScriptDirectory.from_config(cfg)
    assert len(script.get_heads()) == 1, "the migration history must be linear"
    command.upgrade(cfg, "head")
    assert {
        "users",
        "user_wallet",
        "transaction_history",
        "character_config",
        "chat_sessions",
        "chat_messages",
        "payment_transactions",
        "credit_holds",
        "webhook_events",
    } <= tables(empty_db_url)
    command.check(cfg)  # the models and the migrations describe the same schema
    revisions = list(script.walk_revisions())  # head first
    for _ in revisions:
        command.downgrade(cfg, "-1")
    assert tables(empty_db_url) <= {"alembic_version"}
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "-1")
    command.upgrade(cfg, "head")


def test_constraint_names_follow_the_convention(empty_db_url: str) -> None:
    cfg = alembic_config(empty_db_url)
    command.upgrade(cfg, "head")

    async def run() -> list[str]:
        engine = create_async_engine(empty_db_url)
        async with engine.connect() as conn:

            def names(c: object) -> list[str]:
                insp = inspect(c)
                out = []
                for t in insp.get_table_names():
                    out += [i["name"] or "" for i in insp.get_indexes(t)]
                    out += [u["name"] or "" for u in insp.get_unique_constraints(t)]
                    out += [f["name"] or "" for f in insp.get_foreign_keys(t)]
                return out

            result = await conn.run_sync(names)
        await engine.dispose()
        return result

    names = [n for n in asyncio.run(run()) if n and not n.startswith("sqlite_autoindex")]
    assert names
    assert all(n.startswith(("ix_", "uq_", "fk_")) for n in names), names
