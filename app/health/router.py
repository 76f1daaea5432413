"""Health: /health (the process is up) and /health/detailed (each component, with latency)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import func, select, text

from app.kit import metrics
from app.kit.clock import utcnow
from app.models import ChatSession

router = APIRouter(tags=["health"])

Status = Literal["ok", "degraded", "down", "not_configured"]


class ComponentHealth(BaseModel):
    status: Status
    required: bool
    latency_ms: float | None = None
    detail: str | None = None


class HealthDetailed(BaseModel):
    status: Literal["ok", "degraded", "down"]
    components: dict[str, ComponentHealth]


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus exposition (all worker processes merged when PROMETHEUS_MULTIPROC_DIR is set)."""
    since = utcnow() - dt.timedelta(minutes=15)
    try:
        async with request.app.state.db.jobs_sessionmaker() as session:  # all users
            active = await session.scalar(
                select(func.count())
                .select_from(ChatSession)
                .where(ChatSession.status == "active", ChatSession.last_message_at > since)
            )
    except Exception:  # the scrape must still answer when the database does not
        active = -1
    body, content_type = metrics.render(
        {
            "chat_active_sessions": (
                "Sessions with a message in the last 15 minutes.",
                float(active or 0),
            )
        }
    )
    return Response(body, media_type=content_type)


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


async def _timed(check: Any) -> tuple[float, str | None]:
    start = time.perf_counter()
    detail = await check()
    return round((time.perf_counter() - start) * 1000, 3), detail


@router.get(
    "/health/detailed",
    response_model=HealthDetailed,
    responses={503: {"model": HealthDetailed, "description": "A required component is down."}},
)
async def health_detailed(request: Request) -> JSONResponse:
    """Database, Redis (when configured), LLM provider, vector store: status and latency.
    503 when a required component is down."""
    state = request.app.state
    components: dict[str, ComponentHealth] = {}

    async def db_check() -> str:
        async with state.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return str(state.db.dialect)

    try:
        ms, detail = await _timed(db_check)
        components["database"] = ComponentHealth(
            status="ok", required=True, latency_ms=ms, detail=detail
        )
    except Exception as exc:
        components["database"] = ComponentHealth(
            status="down", required=True, detail=type(exc).__name__
        )

    if state.redis is None:
        components["redis"] = ComponentHealth(
            status="not_configured", required=False, detail="REDIS_URL unset: in-process"
        )
    else:

        async def redis_check() -> str | None:
            await state.redis.ping()
            return None

        try:
            ms, _ = await _timed(redis_check)
            components["redis"] = ComponentHealth(status="ok", required=True, latency_ms=ms)
        except Exception as exc:
            components["redis"] = ComponentHealth(
                status="down", required=True, detail=type(exc).__name__
            )

    llm = state.llm
    components["llm"] = ComponentHealth(
        status="ok", required=True, detail=f"{llm.name}: {llm.model}"
    )
    for name, check in getattr(state, "health_checks", {}).items():
        try:
            ms, detail = await _timed(check)
            components[name] = ComponentHealth(
                status="ok", required=False, latency_ms=ms, detail=detail
            )
        except Exception as exc:
            components[name] = ComponentHealth(
                status="degraded", required=False, detail=str(exc)[:200]
            )

    if any(c.status == "down" and c.required for c in components.values()):
        overall: Literal["ok", "degraded", "down"] = "down"
    elif any(c.status in ("down", "degraded") for c in components.values()):
        overall = "degraded"
    else:
        overall = "ok"
    body = HealthDetailed(status=overall, components=components)
    return JSONResponse(body.model_dump(mode="json"), status_code=503 if overall == "down" else 200)
