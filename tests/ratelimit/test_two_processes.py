"""Two real `uvicorn app.main:app` processes on one PostgreSQL database and one Redis share every
limit: N requests spread over both pass, the next is refused whichever process gets it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis as sync_redis

from tests.conftest import (
    ROOT,
    _pg_dsn,
    _seed,
    alembic_config,
    create_pg_database,
    drop_pg_database,
    postgres_available,
)
from tests.fixtures.env import service_missing
from tests.fixtures.live_server import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

AUTH_LIMIT = 4
STARTUP_DEADLINE_S = 90  # a failure deadline for a cold start on a busy machine, not a measure


@dataclass
class Servers:
    urls: list[str]
    secret: str

    def post(self, i: int, path: str, **kwargs: object) -> httpx.Response:
        """POST to process i % 2."""
        return httpx.post(self.urls[i % 2] + path, timeout=30, **kwargs)  # type: ignore[arg-type]


def _wait_until_up(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not answer at {url}:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def servers(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    problem = postgres_available()
    if problem:
        service_missing("PostgreSQL", problem)
    tmp = tmp_path_factory.mktemp("two_processes")
    dbname = create_pg_database("test_ratelimit")
    prefix = f"test:{uuid.uuid4().hex[:12]}:"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        url = _pg_dsn(dbname).replace("postgresql://", "postgresql+asyncpg://", 1)
        from alembic import command

        command.upgrade(alembic_config(url), "heads")
        _seed(url)
        secret = "two-processes-" + uuid.uuid4().hex
        env = {
            **os.environ,
            "APP_ENV": "development",
            "DATABASE_URL": url,
            "DB_POOL_SIZE": "2",
            "REDIS_URL": redis_url,
            "REDIS_KEY_PREFIX": prefix,
            "DEV_AUTH_SECRET": secret,
            "DATA_DIR": str(tmp / "data"),
            "CHROMA_PATH": str(tmp / "data" / "chroma"),
            "AUTH_RATE_LIMIT_PER_MINUTE": str(AUTH_LIMIT),
            # each test speaks for its own client address through X-Forwarded-For
            "TRUSTED_PROXIES": "127.0.0.1",
            "XAI_API_KEY": "",
            "FIREBASE_PROJECT_ID": "",
            "FIREBASE_AUTH_EMULATOR_HOST": "",
            "LOG_LEVEL": "WARNING",
        }
        urls = []
        logs = []
        for n in range(2):
            port = free_port()
            log = tmp / f"uvicorn-{n}.log"
            cmd = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
            cmd += ["--port", str(port), "--log-level", "warning"]
            with log.open("wb") as out:
                procs.append(
                    subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
                )
            urls.append(f"http://127.0.0.1:{port}")
            logs.append(log)
        for proc, base, log in zip(procs, urls, logs, strict=True):
            _wait_until_up(proc, base, log)
        assert len({p.pid for p in procs}) == 2
        yield Servers(urls=urls, secret=secret)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        client = sync_redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
        drop_pg_database(dbname)


def _client(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


def test_the_auth_limit_per_ip_is_shared_by_both_processes(servers: Servers) -> None:
    ip = _client("203.0.113.10")
    for i in range(AUTH_LIMIT):
        r = servers.post(
            i, "/api/v1/auth/dev/token", json={"email": f"a{i}@example.com"}, headers=ip
        )
        assert r.status_code == 200, r.text
        assert r.headers["X-RateLimit-Remaining"] == str(AUTH_LIMIT - 1 - i)
    for i in range(2):  # the next one, on either process
        r = servers.post(
            i, "/api/v1/auth/dev/token", json={"email": "late@example.com"}, headers=ip
        )
        assert r.status_code == 429, r.text
        assert r.json()["error"]["code"] == "rate_limited"
        assert int(r.headers["Retry-After"]) >= 1
        assert r.headers["X-RateLimit-Limit"] == str(AUTH_LIMIT)
        assert r.headers["X-RateLimit-Remaining"] == "0"
    # another client address has its own untouched limit, on both processes
    other = _client("203.0.113.11")
    r = servers.post(1, "/api/v1/auth/dev/token", json={"email": "b@example.com"}, headers=other)
    assert r.status_code == 200
    assert r.headers["X-RateLimit-Remaining"] == str(AUTH_LIMIT - 1)


def test_the_free_tier_chat_limit_is_shared_by_both_processes(servers: Servers) -> None:
    ip = _client("203.0.113.20")
    r = servers.post(0, "/api/v1/auth/dev/token", json={"email": "chat@example.com"}, headers=ip)
    assert r.status_code == 200, r.text
    auth = {"Authorization": f"Bearer {r.json()['id_token']}"}
    r = servers.post(1, "/api/v1/auth/login", json={"id_token": r.json()["id_token"]}, headers=ip)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["tier"] == "free"
    r = servers.post(0, "/api/v1/chat/sessions", json={"character_id": "luna"}, headers=auth)
    assert r.status_code == 201, r.text
    session_id = r.json()["id"]
    body = {"session_id": session_id, "message": "Hi!"}
    for i in range(5):
        r = servers.post(i, "/api/v1/chat/completions", json=body, headers=auth)
        assert r.status_code == 200, r.text
        assert r.headers["X-RateLimit-Limit"] == "5"
        assert r.headers["X-RateLimit-Remaining"] == str(4 - i)
    for i in range(2):  # the 6th in the minute, on either process
        r = servers.post(i, "/api/v1/chat/completions", json=body, headers=auth)
        assert r.status_code == 429, r.text
        assert r.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= 12
        assert r.headers["X-RateLimit-Remaining"] == "0"
    # refused requests cost nothing: still 5 user messages + 5 replies + the greeting
    r = httpx.get(f"{servers.urls[0]}/api/v1/chat/sessions/{session_id}", headers=auth, timeout=30)
    assert r.json()["message_count"] == 11
