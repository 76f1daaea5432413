"""SkinMiddleware: the request's skin (X-App-Id) and CORS per skin, in one pure ASGI pass.

Per request: one scan of the headers, one dict lookup, a context variable; responses to
requests that carry an Origin (or, with skins configured, every response) get their headers
appended in the `http.response.start` message. Nothing else is touched.

CORS (docs/SKINS.md):
- a preflight (OPTIONS with Origin and Access-Control-Request-Method) cannot carry the X-App-Id
  value, so it is answered (204) for an origin of any skin, or of CORS_ORIGINS; each origin
  belongs to one skin (validated at start-up), so this is the skin the page belongs to;
- an actual request gets Access-Control-Allow-Origin (the Origin echoed, never `*`) only if the
  Origin is one of its skin's (from X-App-Id, or the default skin) or of CORS_ORIGINS;
- a disallowed origin gets no CORS headers and the request is otherwise unchanged (a preflight
  falls through to the application, which answers it as any OPTIONS request).
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.skins.context import skin_var
from app.skins.errors import UnknownApp
from app.skins.registry import SkinRegistry

ALLOW_METHODS = "GET, POST, PATCH, DELETE"
ALLOW_HEADERS = "Authorization, Content-Type, X-App-Id, Idempotency-Key, X-Request-ID"
EXPOSE_HEADERS = (
    "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, X-Request-ID, "
    "Idempotent-Replayed"
)
PREFLIGHT_MAX_AGE_SECONDS = 600

Headers = list[tuple[bytes, bytes]]


class SkinMiddleware:
    def __init__(self, app: ASGIApp, registry: SkinRegistry) -> None:
        self.app = app
        self.registry = registry
        # The responses depend on the Origin (CORS) and, with skins, on X-App-Id (what is shown):
        # shared caches must keep them apart.
        self._vary: tuple[bytes, bytes] = (
            b"vary",
            b"Origin, X-App-Id" if registry.configured else b"Origin",
        )
        self._allowed: Headers = [
            (b"access-control-allow-credentials", b"true"),
            (b"access-control-expose-headers", EXPOSE_HEADERS.encode()),
        ]
        self._preflight: Headers = [
            (b"access-control-allow-credentials", b"true"),
            (b"access-control-allow-methods", ALLOW_METHODS.encode()),
            (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
            (b"access-control-max-age", str(PREFLIGHT_MAX_AGE_SECONDS).encode()),
            self._vary,
            (b"content-length", b"0"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin: str | None = None
        app_id: bytes | None = None
        preflight = False
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"x-app-id":
                app_id = value
            elif name == b"access-control-request-method":
                preflight = scope["method"] == "OPTIONS"
        registry = self.registry

        if preflight and origin is not None and registry.preflight_allows(origin):
            await self._answer_preflight(origin, send)
            return

        if not registry.skins:
            skin = registry.default  # the embedded default: X-App-Id is not looked at
        elif app_id is None:
            skin = registry.default  # None when no default: 400 where a skin matters
        else:
            skin = registry.skins.get(app_id.decode("latin-1"))
            if skin is None:
                await self._unknown_app(app_id, origin, send)
                return

        extra: Headers = []
        if origin is not None:
            extra.append(self._vary)
            if registry.cors_allows(origin, skin):
                extra += self._allow(origin)
        elif registry.skins:
            extra.append(self._vary)

        scope.setdefault("state", {})["skin"] = skin
        token = skin_var.set(skin)
        try:
            if not extra:
                await self.app(scope, receive, send)
                return

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", ()), *extra]
                await send(message)

            await self.app(scope, receive, send_with_headers)
        finally:
            skin_var.reset(token)

    def _allow(self, origin: str) -> Headers:
        # The Origin echoed exactly as received (never `*`: credentials are allowed).
        return [(b"access-control-allow-origin", origin.encode("latin-1")), *self._allowed]

    async def _answer_preflight(self, origin: str, send: Send) -> None:
        headers = [(b"access-control-allow-origin", origin.encode("latin-1")), *self._preflight]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _unknown_app(self, app_id: bytes, origin: str | None, send: Send) -> None:
        """400 `unknown_app`, readable by a page of a configured origin (its owner skin's)."""
        error = UnknownApp(app_id=app_id.decode("latin-1")[:64])
        payload = {"code": error.code, "message": error.detail_message, "details": error.details}
        body = orjson.dumps({"error": payload})
        headers: Headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            self._vary,
        ]
        if origin is not None and self.registry.cors_allows(
            origin, self.registry.origin_owner.get(origin)
        ):
            headers += self._allow(origin)
        await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": body})
