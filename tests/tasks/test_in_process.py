"""The in-process scheduler (the embedded default, no Redis): it runs a job when the app's
clock says its time has come, once, on the same schedule as beat; a failing job does not stop
the others; and in the app's lifespan it keeps holds right with nothing else running."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from app.billing.tiers import MICRO, TIERS
from app.models import CreditHold, LedgerEntry
from app.settings import Settings
from app.tasks.inprocess import InProcessScheduler
from app.tasks.registry import JOBS, PeriodicJob
from app.tasks.schedule import Cron
from tests.billing.conftest import prepare
from tests.helpers import Api
from tests.tasks.conftest import JOB_TEST_SETTINGS, job_runs, move_clock_to

UTC = dt.UTC


def test_in_process_jobs_are_on_only_for_the_served_app_without_redis() -> None:
    def served(**values: Any) -> bool | None:
        return Settings(_env_file=None, **values).for_serving().JOBS_IN_PROCESS

    assert served(REDIS_URL=None) is True  # `make run`: nothing else would run them
    assert served(REDIS_URL="redis://127.0.0.1:6379/0") is False  # Celery beat does
    assert served(REDIS_URL=None, APP_ENV="production") is False
    assert served(REDIS_URL=None, JOBS_IN_PROCESS=False) is False
    assert served(REDIS_URL="redis://127.0.0.1:6379/0", JOBS_IN_PROCESS=True) is True
    assert Settings(_env_file=None).JOBS_IN_PROCESS is None  # create_app(): off unless asked


async def test_an_app_made_by_create_app_runs_no_jobs_unless_asked(app: Any) -> None:
    assert app.state.settings.JOBS_IN_PROCESS is False
    assert app.state.jobs is None


async def daily_refresh_rows(api: Api, day: dt.date) -> int:
    async with api.app.state.db.jobs_sessionmaker() as session:
        return int(
            await session.scalar(
                select(func.count()).where(
                    LedgerEntry.kind == "daily_refresh",
                    LedgerEntry.reference_id == f"daily:{day.isoformat()}",
                )
            )
        )


async def test_a_job_runs_when_its_time_comes_by_the_apps_clock(api: Api) -> None:
    move_clock_to(dt.datetime(2031, 1, 10, 23, 58, tzinfo=UTC))
    user = await api.new_user(tier="premium")
    await api.set_balance(user, daily=MICRO)
    refresh, sweep = JOBS["billing.refresh_daily"], JOBS["billing.sweep_holds"]
    scheduler = InProcessScheduler(
        api.app.state.db.jobs_sessionmaker, api.app.state.settings, jobs=[refresh, sweep]
    )
    assert await scheduler.run_due() == []  # nothing is due yet
    assert scheduler.next_due == {
        refresh.name: dt.datetime(2031, 1, 11, 0, 0, tzinfo=UTC),
        sweep.name: dt.datetime(2031, 1, 10, 23, 59, tzinfo=UTC),
    }
    runs = job_runs(refresh.name, "ok")

    move_clock_to(dt.datetime(2031, 1, 11, 0, 0, 5, tzinfo=UTC))  # midnight has passed
    assert await scheduler.run_due() == [refresh.name, sweep.name]
    assert job_runs(refresh.name, "ok") == runs + 1
    wallet = await api.assert_ledger_matches(user)
    assert (wallet.daily_micro, wallet.daily_date) == (
        TIERS["premium"].daily_micro,
        dt.date(2031, 1, 11),
    )
    assert await daily_refresh_rows(api, dt.date(2031, 1, 11)) >= 1
    assert await scheduler.run_due() == []  # once: next at 00:01 (sweep) and tomorrow
    assert scheduler.next_due[refresh.name] == dt.datetime(2031, 1, 12, 0, 0, tzinfo=UTC)

    # The clock went back (NTP, or a test): plan again from the new now, do not wait for the
    # old future.
    move_clock_to(dt.datetime(2031, 1, 5, 12, 0, 30, tzinfo=UTC))
    assert await scheduler.run_due() == []
    assert scheduler.next_due[refresh.name] == dt.datetime(2031, 1, 6, 0, 0, tzinfo=UTC)
    assert scheduler.next_due[sweep.name] == dt.datetime(2031, 1, 5, 12, 1, tzinfo=UTC)


async def test_a_failing_job_does_not_stop_the_others(api: Api) -> None:
    async def broken(*_: Any) -> dict[str, Any]:
        raise RuntimeError("broken job")

    failing = PeriodicJob("test.broken", Cron("*"), broken, "always fails")
    sweep = JOBS["billing.sweep_holds"]
    move_clock_to(dt.datetime(2031, 2, 1, 8, 0, 30, tzinfo=UTC))
    scheduler = InProcessScheduler(
        api.app.state.db.jobs_sessionmaker, api.app.state.settings, jobs=[failing, sweep]
    )
    await scheduler.run_due()
    errors, sweeps = job_runs("test.broken", "error"), job_runs(sweep.name, "ok")
    move_clock_to(dt.datetime(2031, 2, 1, 8, 1, 1, tzinfo=UTC))
    assert await scheduler.run_due() == [failing.name, sweep.name]
    assert (job_runs("test.broken", "error"), job_runs(sweep.name, "ok")) == (
        errors + 1,
        sweeps + 1,
    )


@pytest.mark.parametrize("settings_overrides", [JOB_TEST_SETTINGS | {"JOBS_IN_PROCESS": True}])
async def test_the_app_alone_releases_a_dead_processs_hold(
    api: Api, settings_overrides: dict[str, Any]
) -> None:
    """`make run` with nothing else running: the app's own scheduler sweeps the hold."""
    assert api.app.state.jobs is not None
    move_clock_to(dt.datetime(2031, 3, 3, 12, 0, tzinfo=UTC))
    user = await api.new_user(tier="vip")
    await api.set_balance(user, purchased=20 * MICRO)
    session = await api.new_session(user)
    turn = await prepare(api, user, session["id"], "Nobody will ever answer this")
    async with api.app.state.db.jobs_sessionmaker() as s:
        hold = await s.get(CreditHold, turn.hold_id)
    assert hold is not None and hold.status == "open"

    move_clock_to(hold.expires_at + dt.timedelta(seconds=1))
    deadline = asyncio.get_running_loop().time() + 30  # the scheduler wakes every second
    while (await api.wallet(user)).held_micro and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    async with api.app.state.db.jobs_sessionmaker() as s:
        swept = await s.get(CreditHold, turn.hold_id)
    assert swept is not None and swept.status == "expired"
    wallet = await api.assert_ledger_matches(user)
    assert (wallet.held_micro, wallet.purchased_micro) == (0, 20 * MICRO)
