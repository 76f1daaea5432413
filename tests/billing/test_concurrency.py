"""No overdraft under concurrency: 50 simultaneous completions by one user whose balance covers
exactly 10 holds. Exactly 10 are answered, 40 get 402 with what was needed and what was there,
the balance never goes below zero and the ledger matches the wallet. In one process (SQLite and
PostgreSQL), then across two real uvicorn processes sharing one PostgreSQL database.

The loopback model holds every request at a gate until the 40 refusals are back, so all 50
holds are decided while the first 10 are still open (a settle would release part of a hold and
let an 11th in): the outcome is exact without depending on timing.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from aiohttp import web
from alembic import command

from app.kit.db import create_database
from app.settings import Settings
from tests.conftest import (
    _pg_dsn,
    _seed,
    alembic_config,
    create_pg_database,
    drop_pg_database,
    postgres_available,
)
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fixtures.env import service_missing
from tests.fixtures.live_server import free_port
from tests.helpers import Api, TestUser

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 50
AFFORDABLE = 10


class GatedOpenAI(FakeOpenAI):
    """Chat requests wait at a gate; the test opens it."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.arrived = 0
        self.default = Reply(text="A short answer for you.", delay=0.01)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        self.arrived += 1
        await self.gate.wait()
        return await super()._chat(request)


@pytest.fixture
async def gated_llm() -> AsyncIterator[GatedOpenAI]:
    server = GatedOpenAI()
    await server.start()
    try:
        yield server
    finally:
        server.gate.set()
        await server.stop()


def llm_env(llm: FakeOpenAI) -> dict[str, Any]:
    return {
        "XAI_API_KEY": "test-key",
        "XAI_BASE_URL": llm.base_url,
        "LLM_MAX_RETRIES": 0,
        "AUTH_RATE_LIMIT_PER_MINUTE": 0,
    }


async def hold_size(api: Api, user: TestUser, session_id: str, client: httpx.AsyncClient) -> int:
    """What one request holds: ask with an empty wallet and read the 402's `needed_micro`."""
    await api.set_balance(user, daily=0, bonus=0, purchased=0)
    r = await chat(client, user, session_id)
    assert r.status_code == 402, r.text
    needed: int = r.json()["error"]["details"]["needed_micro"]
    return needed


def chat(client: httpx.AsyncClient, user: TestUser, session_id: str) -> Awaitable[httpx.Response]:
    return client.post(
        "/api/v1/chat/completions",
        json={"session_id": session_id, "message": "Tell me something nice."},
        headers=user.headers,
    )


async def run_burst(
    api: Api, user: TestUser, llm: GatedOpenAI, requests: list[Awaitable[httpx.Response]]
) -> list[httpx.Response]:
    tasks = [asyncio.ensure_future(r) for r in requests]
    # Until every refusal is back and every affordable request waits at the model.
    for _ in range(6000):
        done = sum(t.done() for t in tasks)
        assert done <= REQUESTS - AFFORDABLE, "more requests finished than could be refused"
        assert llm.arrived <= AFFORDABLE, "more requests reached the model than were affordable"
        if done == REQUESTS - AFFORDABLE and llm.arrived == AFFORDABLE:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError(f"stuck: {done} finished, {llm.arrived} at the model")
    wallet = await api.assert_ledger_matches(user)  # nothing negative while the holds are open
    assert wallet.daily_micro + wallet.bonus_micro + wallet.purchased_micro >= wallet.held_micro
    llm.gate.set()
    return list(await asyncio.gather(*tasks))


async def check_outcome(
    api: Api, user: TestUser, responses: list[httpx.Response], hold: int, funded: int
) -> None:
    ok = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 402]
    assert (len(ok), len(refused)) == (AFFORDABLE, REQUESTS - AFFORDABLE), [
        r.text for r in responses if r.status_code not in (200, 402)
    ]
    for r in refused:
        error = r.json()["error"]
        assert error["code"] == "insufficient_credits"
        assert error["details"]["needed_micro"] == hold
        # (What `available_micro` says under contention: tests/billing/test_hot_path_locks.py.)
        assert error["details"]["available_micro"] >= 0
    charged = 0
    for r in ok:
        body = r.json()
        assert body["credits_charged_micro"] == body["usage"]["total_tokens"] * 50  # vip rate
        charged += body["credits_charged_micro"]
    wallet = await api.assert_ledger_matches(user)
    assert wallet.held_micro == 0
    assert wallet.daily_micro == wallet.bonus_micro == 0
    assert wallet.purchased_micro == funded - charged >= 0


async def test_fifty_concurrent_completions_exactly_ten_affordable(
    gated_llm: GatedOpenAI, api: Api
) -> None:
    user = await api.new_user(tier="vip")
    session = await api.new_session(user)
    gated_llm.gate.set()
    hold = await hold_size(api, user, session["id"], api.client)
    gated_llm.gate.clear()
    funded = AFFORDABLE * hold + hold // 2
    await api.set_balance(user, purchased=funded)
    responses = await run_burst(
        api, user, gated_llm, [chat(api.client, user, session["id"]) for _ in range(REQUESTS)]
    )
    await check_outcome(api, user, responses, hold, funded)


@pytest.fixture
def settings_overrides(gated_llm: GatedOpenAI) -> dict[str, Any]:
    return llm_env(gated_llm)


# --------------------------------------------------------------------------- two processes


class ApiProcess:
    def __init__(self, port: int, env: dict[str, str], log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "app.main:app"),
                *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    async def wait_ready(self, client: httpx.AsyncClient) -> None:
        for _ in range(600):
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.proc.returncode}")
            try:
                if (await client.get(f"{self.url}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError("uvicorn did not become ready")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture
def shared_database() -> Iterator[str]:
    problem = postgres_available()
    if problem:
        service_missing("PostgreSQL", problem)
    name = create_pg_database("test_two_procs")
    url = _pg_dsn(name).replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        command.upgrade(alembic_config(url), "heads")
        _seed(url)
        yield url
    finally:
        drop_pg_database(name)


@pytest.mark.slow
async def test_fifty_concurrent_completions_across_two_api_processes(
    shared_database: str, gated_llm: GatedOpenAI, tmp_path: Path
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REDIS_", "STRIPE_", "FIREBASE_", "XAI_", "DATABASE_"))
    }
    env.update({k: str(v) for k, v in llm_env(gated_llm).items()})
    env.update(
        {
            "DATABASE_URL": shared_database,
            "DB_POOL_SIZE": "4",
            "DEV_AUTH_SECRET": "two-procs-" + uuid.uuid4().hex,
            "DATA_DIR": str(tmp_path / "data"),
            "CHROMA_PATH": str(tmp_path / "data" / "chroma"),
            "APP_ENV": "development",
            "PAYMENT_PROVIDER": "sandbox",
            "LOG_JSON": "false",
        }
    )
    procs = [ApiProcess(free_port(), env, tmp_path / f"uvicorn-{i}.log") for i in range(2)]
    db = await create_database(Settings(_env_file=None, DATABASE_URL=shared_database))
    try:
        async with (
            httpx.AsyncClient(timeout=60) as probe,
            httpx.AsyncClient(base_url=procs[0].url, timeout=60) as a,
            httpx.AsyncClient(base_url=procs[1].url, timeout=60) as b,
        ):
            for p in procs:
                await p.wait_ready(probe)
            api = Api(a, SimpleNamespace(state=SimpleNamespace(db=db)))
            user = await api.new_user(tier="vip")
            session = await api.new_session(user)
            gated_llm.gate.set()
            hold = await hold_size(api, user, session["id"], b)
            gated_llm.gate.clear()
            funded = AFFORDABLE * hold + hold // 2
            await api.set_balance(user, purchased=funded)
            clients = [a, b]
            responses = await run_burst(
                api,
                user,
                gated_llm,
                [chat(clients[i % 2], user, session["id"]) for i in range(REQUESTS)],
            )
            await check_outcome(api, user, responses, hold, funded)
    finally:
        for p in procs:
            p.stop()
        await db.dispose()
