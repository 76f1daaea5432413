from __future__ import annotations

from typing import Any

from tests.helpers import Api


async def test_health_is_up(api: Api) -> None:
    r = await api.client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_detailed_health_reports_each_component(api: Api) -> None:
    r = await api.client.get("/health/detailed")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    db = body["components"]["database"]
    assert db["status"] == "ok"
    assert db["latency_ms"] >= 0
    assert db["detail"] in ("sqlite", "postgresql")
    assert body["components"]["redis"]["status"] == "not_configured"
    assert body["components"]["llm"]["detail"].startswith("offline")


async def test_detailed_health_is_503_when_the_database_is_down(api: Api, app: Any) -> None:
    await app.state.db.engine.dispose()
    original = app.state.db.engine.url
    app.state.db.engine = __import__("sqlalchemy.ext.asyncio", fromlist=["x"]).create_async_engine(
        "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    )
    try:
        r = await api.client.get("/health/detailed")
    finally:
        await app.state.db.engine.dispose()
    assert original
    assert r.status_code == 503
    assert r.json()["status"] == "down"
    assert r.json()["components"]["database"]["status"] == "down"
