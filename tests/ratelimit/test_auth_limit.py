"""The per-IP limit on the auth endpoints, through the API (real Redis and in process)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from app.kit import clock
from app.models import User
from tests.helpers import Api

LIMIT = 3


@pytest.fixture(params=["redis", "in_process"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    values: dict[str, Any] = {"AUTH_RATE_LIMIT_PER_MINUTE": LIMIT}
    if request.param == "redis":
        request.getfixturevalue("redis_client")  # removes the test's keys afterwards
        values["REDIS_URL"] = request.getfixturevalue("redis_url")
        values["REDIS_KEY_PREFIX"] = request.getfixturevalue("redis_prefix")
    return values


def _refusals() -> float:
    labels = {"scope": "auth", "tier": "none"}
    return REGISTRY.get_sample_value("ratelimit_refusals_total", labels) or 0.0


def _token(api: Api, email: str) -> str:
    token, _ = api.app.state.auth.verifier.inner.issue("dev-" + uuid.uuid4().hex, email=email)
    return str(token)


async def _user_exists(api: Api, email: str) -> bool:
    async with api.app.state.db.jobs_sessionmaker() as session:
        found = await session.execute(select(User.id).where(User.email == email))
        return found.first() is not None


async def test_login_is_limited_per_ip_and_a_refused_login_changes_nothing(api: Api) -> None:
    for remaining in range(LIMIT - 1, -1, -1):
        email = f"u-{uuid.uuid4().hex[:8]}@example.com"
        r = await api.client.post("/api/v1/auth/login", json={"id_token": _token(api, email)})
        assert r.status_code == 200, r.text
        assert r.headers["X-RateLimit-Limit"] == str(LIMIT)
        assert r.headers["X-RateLimit-Remaining"] == str(remaining)
        assert 0 < int(r.headers["X-RateLimit-Reset"]) <= 60

    before = _refusals()
    email = f"refused-{uuid.uuid4().hex[:8]}@example.com"
    token = _token(api, email)
    r = await api.client.post("/api/v1/auth/login", json={"id_token": token})
    assert r.status_code == 429
    body = r.json()["error"]
    assert body["code"] == "rate_limited"
    retry_after = int(r.headers["Retry-After"])
    assert 1 <= retry_after <= 60 // LIMIT
    assert body["details"] == {"limit": LIMIT, "retry_after": retry_after}
    assert r.headers["X-RateLimit-Limit"] == str(LIMIT)
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(r.headers["X-RateLimit-Reset"]) <= 60
    assert not await _user_exists(api, email)
    assert _refusals() == before + 1

    # one request's worth of the window later, that very login goes through
    clock.set_offset(dt.timedelta(seconds=60 / LIMIT))
    r = await api.client.post("/api/v1/auth/login", json={"id_token": token})
    assert r.status_code == 200, r.text
    assert r.json()["created"] is True
    assert await _user_exists(api, email)


async def test_dev_tokens_have_their_own_limit_and_forwarded_for_does_not_dodge_it(
    api: Api,
) -> None:
    for i in range(LIMIT):
        r = await api.client.post(
            "/api/v1/auth/dev/token",
            json={"email": f"d{i}@example.com"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        )
        assert r.status_code == 200, r.text
    r = await api.client.post(
        "/api/v1/auth/dev/token",
        json={"email": "d9@example.com"},
        headers={"X-Forwarded-For": "203.0.113.99"},  # no trusted proxy: ignored
    )
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert int(r.headers["Retry-After"]) >= 1
    # the login endpoint's bucket is untouched
    r = await api.client.post(
        "/api/v1/auth/login", json={"id_token": _token(api, "fresh@example.com")}
    )
    assert r.status_code == 200
    assert r.headers["X-RateLimit-Remaining"] == str(LIMIT - 1)
