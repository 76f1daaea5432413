"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a task and a queue per request)."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.kit.ids import uuid7
from app.kit.logging import request_id_var
from app.kit.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger("app.request")

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def user_hash(user_id: Any) -> str:
    """A stable pseudonym for logs: enough to follow one user, not to identify them."""
    return hashlib.blake2b(str(user_id).encode(), digest_size=8).hexdigest()


@functools.cache
def _series(method: str, route: str, status: str) -> tuple[Any, Any]:
    """The labelled metric children of one (method, route, status), looked up once: routes and
    statuses are bounded, and .labels() costs a lock and a dict walk per call."""
    return (
        HTTP_REQUESTS.labels(method, route, status),
        HTTP_LATENCY.labels(method, route, status),
    )


class RequestContextMiddleware:
    """Request id (from X-Request-ID or new), echoed in the response; one log line per request."""

    def __init__(self, app: ASGIApp, *, log_requests: bool = True, metrics: bool = True) -> None:
        self.app = app
        self.log_requests = log_requests  # REQUEST_LOG (off only to measure what it costs)
        self.metrics = metrics  # HTTP_METRICS (likewise)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if _VALID_REQUEST_ID.match(candidate):
                    rid = candidate
                break
        if rid is None:
            rid = uuid7().hex  # buffered randomness: no system call per request (uuid4's)
        token = request_id_var.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        start = time.perf_counter()
        status_code = 500
        header = (b"x-request-id", rid.encode())

        async def send_wrapper(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            status = str(status_code)
            if self.metrics:
                counter, histogram = _series(method, route, status)
                counter.inc()
                histogram.observe(elapsed)
            principal = scope.get("state", {}).get("principal")
            if self.log_requests:
                log.info(
                    "request",
                    extra={
                        "request_id": rid,
                        "method": method,
                        "route": route,
                        "status": status_code,
                        "latency_ms": round(elapsed * 1000, 3),
                        "user": user_hash(principal.user_id) if principal is not None else None,
                    },
                )
            request_id_var.reset(token)


class BodySizeLimitMiddleware:
    """Refuse request bodies over `max_bytes` with 413 before they are read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.max_bytes:
                    await _too_large(send)
                    return
                break
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _too_large(send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = (
        b'{"error":{"code":"payload_too_large",'
        b'"message":"The request body is too large.","details":{}}}'
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
