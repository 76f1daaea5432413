"""Test harness: every database test runs twice, on SQLite and on a fresh PostgreSQL database.

Services (PostgreSQL, Redis, the Firebase Auth Emulator) are real. Locally a missing service
skips its tests with the reason; in CI (CI=true) it fails the run instead.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from app.kit import clock
from app.settings import Settings
from tests.fakes.openai_server import FakeOpenAI
from tests.fixtures.env import PG_ADMIN_URL, service_missing
from tests.helpers import Api

# Fixture modules shared across test folders (a folder's own fixtures live in its conftest.py).
pytest_plugins = ["tests.fixtures.redis"]

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["skip_logging"] = True
    return cfg


def _seed(url: str) -> None:
    from app.characters.seed import seed_characters
    from app.kit.db import create_database

    async def run() -> None:
        db = await create_database(Settings(_env_file=None, DATABASE_URL=url, DB_POOL_SIZE=2))
        try:
            async with db.sessionmaker() as session:
                await seed_characters(session)
                await session.commit()
        finally:
            await db.dispose()

    asyncio.run(run())


def _pg_dsn(dbname: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{dbname}"


def create_pg_database(prefix: str = "test_companion") -> str:
    """A fresh PostgreSQL database; returns its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(run())
    return name


def drop_pg_database(name: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(run())


def postgres_available() -> str | None:
    async def probe() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("db") / "test.db"
    url = f"sqlite+aiosqlite:///{path}"
    command.upgrade(alembic_config(url), "heads")
    _seed(url)
    return url


APP_ROLE = "companion_app_test"
JOBS_ROLE = "companion_jobs_test"
_roles_ready = False


def ensure_test_roles() -> None:
    """Login roles for the tests, members of the group roles migration 0006 creates: the API
    connects as one (row-level security applies), jobs and test assertions as the other."""
    global _roles_ready
    if _roles_ready:
        return

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        try:
            await conn.execute(
                f"""
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                    CREATE ROLE {APP_ROLE} LOGIN IN ROLE companion_app;
                  END IF;
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{JOBS_ROLE}') THEN
                    CREATE ROLE {JOBS_ROLE} LOGIN IN ROLE companion_jobs;
                  END IF;
                END $$;
                """
            )
        finally:
            await conn.close()

    asyncio.run(run())
    _roles_ready = True


def as_role(url: str, role: str) -> str:
    return make_url(url).set(username=role).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    problem = postgres_available()
    if problem:
        service_missing("PostgreSQL", problem)
    name = create_pg_database()
    url = _pg_dsn(name).replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        command.upgrade(alembic_config(url), "heads")
        _seed(url)
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Every test that touches the database runs once per backend."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module (or parametrize) to change the app's settings."""
    return {}


@pytest.fixture
def settings(db_url: str, tmp_path: Path, settings_overrides: dict[str, Any]) -> Settings:
    database_urls = {"DATABASE_URL": db_url}
    if db_url.startswith("postgresql"):
        # The API as a role under row-level security; jobs (and the tests' own checks) as the
        # role that sees every row, as in production.
        ensure_test_roles()
        database_urls = {
            "DATABASE_URL": as_role(db_url, APP_ROLE),
            "JOBS_DATABASE_URL": as_role(db_url, JOBS_ROLE),
        }
    values: dict[str, Any] = {
        **database_urls,
        "DB_POOL_SIZE": 5,
        "DATA_DIR": str(tmp_path / "data"),
        "CHROMA_PATH": str(tmp_path / "data" / "chroma"),
        "DEV_AUTH_SECRET": "test-secret-" + uuid.uuid4().hex,
        "LOG_JSON": False,
        "XAI_API_KEY": None,
        "REDIS_URL": None,
        "FIREBASE_PROJECT_ID": None,
        "FIREBASE_AUTH_EMULATOR_HOST": None,
        # Tests create many users from one address; tests/ratelimit sets its own limit.
        "AUTH_RATE_LIMIT_PER_MINUTE": 10_000,
        # Memory's background work calls the model too (fact extraction, summaries) and would
        # take replies scripted for the chat; tests/memory turns it back on.
        "MEMORY_ENABLED": False,
    }
    values.update(settings_overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    from app.main import create_app

    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as c:
        yield c


@pytest.fixture
def api(client: httpx.AsyncClient, app: Any) -> Api:
    return Api(client, app)


@pytest.fixture
async def llm_server() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.set_offset(clock.get_offset() * 0)
