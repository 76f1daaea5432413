"""A periodic task that meets a transient database error is retried by Celery with backoff (and
counted as such); any other error fails it at once; retries stop at JOBS_MAX_RETRIES. Through
the real worker on real Redis, with the job made to fail the way the database would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import exc

from app.chat import tasks as chat_tasks
from app.settings import Settings
from app.tasks import registry
from app.tasks.runner import backoff_seconds, is_transient
from tests.billing.conftest import fresh_database
from tests.tasks.conftest import job_runs, send

pytestmark = [pytest.mark.redis, pytest.mark.usefixtures("worker")]

JOB = "chat.archive_idle_sessions"


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # The retry logic does not depend on the backend: production's is enough here.
    yield from fresh_database("postgres", tmp_path_factory, "retries")


def connection_lost() -> exc.OperationalError:
    return exc.OperationalError(
        "UPDATE chat_sessions ...", {}, ConnectionResetError("server closed the connection")
    )


class FailingJob:
    """The real job, failing its first `failures` runs with `error()`."""

    def __init__(self, failures: int, error: Any) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0
        self.job = registry.JOBS[JOB]

    async def __call__(self, sm: Any, settings: Settings) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error()
        return await self.job.run(sm, settings)


def counts() -> tuple[float, float, float]:
    return job_runs(JOB, "ok"), job_runs(JOB, "retry"), job_runs(JOB, "error")


def delta(before: tuple[float, ...], after: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(b - a for a, b in zip(before, after, strict=True))


async def test_a_lost_connection_is_retried_and_the_job_completes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failing = FailingJob(2, connection_lost)
    monkeypatch.setitem(registry.JOBS, JOB, replace(registry.JOBS[JOB], run=failing))
    before = counts()
    result = await send(chat_tasks.archive_idle_sessions)
    assert set(result) == {"archived"}
    assert failing.calls == 3
    assert delta(before, counts()) == (1, 2, 0)  # ok, retry, error


async def test_a_bug_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    failing = FailingJob(1, lambda: ValueError("not a database hiccup"))
    monkeypatch.setitem(registry.JOBS, JOB, replace(registry.JOBS[JOB], run=failing))
    before = counts()
    with pytest.raises(ValueError, match="not a database hiccup"):
        await send(chat_tasks.archive_idle_sessions)
    assert failing.calls == 1
    assert delta(before, counts()) == (0, 0, 1)


async def test_retries_stop_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    failing = FailingJob(100, connection_lost)
    monkeypatch.setitem(registry.JOBS, JOB, replace(registry.JOBS[JOB], run=failing))
    before = counts()
    with pytest.raises(Exception, match="server closed the connection"):
        await send(chat_tasks.archive_idle_sessions)
    assert failing.calls == 4  # the run and JOBS_MAX_RETRIES=3 retries
    assert delta(before, counts()) == (0, 3, 1)


def test_what_counts_as_transient() -> None:
    class Orig(Exception):
        def __init__(self, sqlstate: str) -> None:
            self.sqlstate = sqlstate

    def dbapi(sqlstate: str) -> exc.DBAPIError:
        return exc.DBAPIError("SELECT 1", {}, Orig(sqlstate))

    assert is_transient(dbapi("40P01"))  # deadlock detected
    assert is_transient(dbapi("40001"))  # serialization failure
    assert is_transient(dbapi("08006"))  # connection failure
    assert is_transient(dbapi("57P03"))  # cannot connect now (server starting)
    assert is_transient(connection_lost())
    assert is_transient(exc.OperationalError("INSERT", {}, Exception("database is locked")))
    assert is_transient(ConnectionRefusedError())
    assert not is_transient(dbapi("23505"))  # unique violation: a bug, not bad luck
    assert not is_transient(exc.IntegrityError("INSERT", {}, Orig("23505")))
    assert not is_transient(exc.ProgrammingError("SELEC", {}, Orig("42601")))
    assert not is_transient(ValueError("bad"))


def test_backoff_doubles_with_jitter_up_to_a_cap() -> None:
    for retries, nominal in ((0, 5.0), (1, 10.0), (3, 40.0), (20, 300.0)):
        for _ in range(50):
            assert 0.8 * nominal <= backoff_seconds(5.0, retries) <= 1.2 * nominal
