"""Redis down: requests still pass (fail open) and /health/detailed says the limiter is degraded."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY

from tests.fixtures.live_server import free_port
from tests.helpers import Api


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "AUTH_RATE_LIMIT_PER_MINUTE": 1}


async def test_auth_fails_open_and_health_reports_the_limiter_degraded(api: Api) -> None:
    before = REGISTRY.get_sample_value("ratelimit_redis_errors_total") or 0.0
    r = await api.client.get("/health/detailed")
    assert r.json()["components"]["ratelimit"] == {
        "status": "ok",
        "required": False,
        "latency_ms": r.json()["components"]["ratelimit"]["latency_ms"],
        "detail": "redis GCRA",
    }
    for i in range(3):  # over the limit of 1: nothing can be enforced without Redis
        r = await api.client.post("/api/v1/auth/dev/token", json={"email": f"x{i}@example.com"})
        assert r.status_code == 200, r.text
        assert r.headers["X-RateLimit-Limit"] == "1"
    assert (REGISTRY.get_sample_value("ratelimit_redis_errors_total") or 0.0) >= before + 1
    r = await api.client.get("/health/detailed")
    component = r.json()["components"]["ratelimit"]
    assert component["status"] == "degraded"
    assert component["detail"].startswith("failing open since")
    assert r.json()["status"] == "down"  # Redis itself is a required component
