"""Database plumbing: the declarative base, engines, the request session.

Two ways in, one database:
- the ORM (`AsyncSession`) for everything but the chat hot path;
- on PostgreSQL, a raw asyncpg pool for the hot path's few statements (see chat/hot_path.py):
  the ORM costs ~2 ms of CPU per statement group there, asyncpg ~0.2 ms (../shared/DESIGN.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, event, pool, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session
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


# --------------------------------------------------------------------------- row-level security
# On PostgreSQL every user-owned table has FORCE ROW LEVEL SECURITY (migration 0006): the API's
# role sees only the rows of the user named by the transaction-local setting `app.user_id`.
# The authenticated request sets `current_user_id`; every ORM transaction begun while it is set
# (the request's session and any a service opens for it) starts by applying it. Jobs that need
# every row use the jobs path (Database.jobs_sessionmaker, JOBS_DATABASE_URL's role).

current_user_id: ContextVar[uuid.UUID | None] = ContextVar("current_user_id", default=None)

_SET_USER = text("SELECT set_config('app.user_id', :user_id, true)")


class AppSession(Session):
    """The ORM session of the API: carries the acting user into each PostgreSQL transaction."""


@event.listens_for(AppSession, "after_begin")
def _apply_user(session: Session, transaction: Any, connection: Any) -> None:
    user_id = session.info.get("user_id") or current_user_id.get()
    if user_id is not None and connection.dialect.name == "postgresql":
        connection.execute(_SET_USER, {"user_id": str(user_id)})


async def act_as(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Make `session` act for `user_id` from now on (its current transaction included): for
    code that learns the user mid-transaction, such as the first login creating the user."""
    session.info["user_id"] = user_id
    bind = session.bind
    if session.in_transaction() and bind is not None and bind.dialect.name == "postgresql":
        await session.execute(_SET_USER, {"user_id": str(user_id)})


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    raw_pool: Any = None  # asyncpg.Pool on PostgreSQL, None on SQLite
    # Background jobs and webhooks (every user's rows): JOBS_DATABASE_URL's role on PostgreSQL;
    # the same engine when it is not set.
    jobs_engine: AsyncEngine | None = None
    jobs_sessionmaker: async_sessionmaker[AsyncSession] = field(default=None)  # type: ignore[arg-type]
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.jobs_sessionmaker is None:
            self.jobs_sessionmaker = self.sessionmaker

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def dispose(self) -> None:
        if self.raw_pool is not None:
            await self.raw_pool.close()
        if self.jobs_engine is not None:
            await self.jobs_engine.dispose()
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


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=False, sync_session_class=AppSession
    )


async def create_database(settings: Settings) -> Database:
    engine = create_engine(settings)
    db = Database(engine=engine, sessionmaker=make_sessionmaker(engine))
    if settings.JOBS_DATABASE_URL and settings.JOBS_DATABASE_URL != settings.DATABASE_URL:
        jobs_settings = settings.model_copy(
            update={"DATABASE_URL": settings.JOBS_DATABASE_URL, "DB_POOL_SIZE": 2}
        )
        db.jobs_engine = create_engine(jobs_settings)
        db.jobs_sessionmaker = make_sessionmaker(db.jobs_engine)
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


async def get_jobs_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session on the jobs path (every user's rows), for system callers such as the payment
    provider's webhooks; committed when the endpoint returns."""
    db: Database = request.app.state.db
    async with db.jobs_sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


JobsDBSession = Annotated[AsyncSession, Depends(get_jobs_db_session, scope="function")]


async def row_level_security_status(db: Database) -> str:
    """Whether the API's database role is held to row-level security (PostgreSQL): raises when
    it is not (a superuser, BYPASSRLS, or a member of companion_jobs sees every row)."""
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT current_user, r.rolsuper OR r.rolbypassrls,"
                    " pg_has_role(current_user, 'companion_jobs', 'MEMBER'),"
                    " pg_has_role(current_user, 'companion_app', 'MEMBER')"
                    " FROM pg_roles r WHERE r.rolname = current_user"
                )
            )
        ).one()
    role, bypass, jobs_member, app_member = row
    if bypass or jobs_member or not app_member:
        raise RuntimeError(
            f"row-level security is not enforced for role {role}: connect the API as a member of "
            "companion_app only (docs/OPERATIONS.md)"
        )
    return f"enforced for role {role}"
