"""Redis connection (rate limits, caches, Celery broker). Unset REDIS_URL: in-process instead."""

from __future__ import annotations

from typing import Any

from app.settings import Settings


def create_redis(settings: Settings) -> Any | None:
    if not settings.REDIS_URL:
        return None
    import redis.asyncio as redis

    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        health_check_interval=30,
        decode_responses=False,
    )
