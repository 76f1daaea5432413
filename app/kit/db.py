"""Database plumbing: the declarative base, engines, the request session.

Two ways in, one database:
- the ORM (`AsyncSession`) for everything but the chat hot path;
- on PostgreSQL, a raw asyncpg pool for the hot path's few statements (see chat/hot_path.py):
  the ORM costs ~2 ms of CPU per statement group there, asyncpg ~0.2 ms (../shared/DESIGN.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, event, pool
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from app.settings import Settings

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    raw_pool: Any = None  # asyncpg.Pool on PostgreSQL, None on SQLite
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def dispose(self) -> None:
        if self.raw_pool is not None:
            await self.raw_pool.close()
        await self.engine.dispose()


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def ensure_sqlite_dir(url: str) -> str | None:
    """Create the folder of a SQLite file URL; returns the path (None if not SQLite)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return path


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.DATABASE_URL
    path = ensure_sqlite_dir(url)
    if path is not None:
        # One connection: SQLite has one writer; serialising in the pool keeps every money
        # operation correct within the process without "database is locked" retries.
        engine = create_async_engine(
            url,
            echo=settings.DB_ECHO,
            poolclass=pool.StaticPool if path == ":memory:" else pool.AsyncAdaptedQueuePool,
            **({} if path == ":memory:" else {"pool_size": 1, "max_overflow": 0}),
            connect_args={"timeout": 30},
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_async_engine(
        url,
        echo=settings.DB_ECHO,
        pool_size=settings.DB_POOL_SIZE,
        max_overflow=settings.DB_MAX_OVERFLOW,
        pool_pre_ping=True,
    )


async def _no_reset(connection: Any) -> None:
    return None


async def create_database(settings: Settings) -> Database:
    engine = create_engine(settings)
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    db = Database(engine=engine, sessionmaker=sessionmaker)
    if engine.dialect.name == "postgresql":
        import asyncpg

        db.raw_pool = await asyncpg.create_pool(
            asyncpg_dsn(settings.DATABASE_URL),
            min_size=1,
            max_size=settings.DB_POOL_SIZE,
            # The hot path's statements are prepared once per connection and reused.
            statement_cache_size=256,
            # The hot path runs single statements and leaves no session state behind (its user
            # setting is transaction-local), so the default reset query (RESET ALL; UNLISTEN
            # ...: one more round trip per statement) is skipped. asyncpg still rolls back a
            # connection released inside a transaction.
            reset=_no_reset,
        )
    return db


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the endpoint returns, rolled back on error.

    Used with scope="function" so the commit happens before the response is sent: a client
    never sees a success whose write was then lost.
    """
    db: Database = request.app.state.db
    async with db.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


DBSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
