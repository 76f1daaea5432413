"""SkinMiddleware on its own (no database): the request's skin and CORS per skin."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.settings import Settings
from app.skins.config import load_skins
from app.skins.context import skin_var
from app.skins.middleware import ALLOW_HEADERS, SkinMiddleware
from app.skins.registry import UNRESTRICTED, SkinRegistry

WEB = "https://web.example.com"
LITE = "https://lite.example.com"
DEV = "http://localhost:5173"
EVIL = "https://evil.example.net"

SKINS = {
    "default": "web",
    "skins": [
        {
            "id": "web",
            "name": "Web",
            "allowed_origins": [WEB],
            "characters": "*",
            "products": "*",
        },
        {
            "id": "lite",
            "name": "Lite",
            "allowed_origins": [LITE],
            "characters": ["luna"],
            "products": [],
        },
        {"id": "ios", "name": "iOS", "characters": "*", "products": []},
    ],
}


async def probe(request: Request) -> JSONResponse:
    """What the application sees: the skin in the request state and in the context."""
    state = getattr(request.state, "skin", "missing")
    context = skin_var.get()
    return JSONResponse(
        {
            "state": state.id if state is not None else None,
            "context": context.id if context is not None else None,
        },
        headers={"X-Request-ID": "rid-1"},
    )


def registry(config: dict[str, Any] | None = SKINS, **values: Any) -> SkinRegistry:
    if config is not None:
        values["SKINS_JSON"] = json.dumps(config)
    return load_skins(Settings(_env_file=None, **values))


def client_for(reg: SkinRegistry) -> httpx.AsyncClient:
    inner = Starlette(routes=[Route("/probe", probe, methods=["GET", "POST"])])
    app = SkinMiddleware(inner, registry=reg)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(registry(CORS_ORIGINS=[DEV])) as c:
        yield c


def cors_headers(r: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k.startswith("access-control-")}


def preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, x-app-id",
    }


@pytest.mark.parametrize("origin", [WEB, LITE, DEV])
async def test_a_preflight_from_a_configured_origin_is_answered(
    client: httpx.AsyncClient, origin: str
) -> None:
    r = await client.options("/probe", headers=preflight(origin))
    assert r.status_code == 204
    assert r.content == b""
    assert cors_headers(r) == {
        "access-control-allow-origin": origin,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET, POST, PATCH, DELETE",
        "access-control-allow-headers": ALLOW_HEADERS,
        "access-control-max-age": "600",
    }
    for name in ("Authorization", "Content-Type", "X-App-Id", "Idempotency-Key", "X-Request-ID"):
        assert name in r.headers["access-control-allow-headers"]
    assert "Origin" in r.headers["vary"]


@pytest.mark.parametrize(
    "origin",
    [EVIL, "http://web.example.com", "https://web.example.com:8443", "https://WEB.example.com"],
)
async def test_a_preflight_from_any_other_origin_is_left_to_the_application(
    client: httpx.AsyncClient, origin: str
) -> None:
    r = await client.options("/probe", headers=preflight(origin))
    plain = await client.options("/probe", headers={"Access-Control-Request-Method": "POST"})
    assert cors_headers(r) == {}
    assert (r.status_code, r.content) == (plain.status_code, plain.content) == (405, r.content)


async def test_the_request_skin_comes_from_x_app_id_or_the_default(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/probe", headers={"X-App-Id": "lite"})
    assert r.json() == {"state": "lite", "context": "lite"}
    r = await client.get("/probe")
    assert r.json() == {"state": "web", "context": "web"}
    assert skin_var.get() is UNRESTRICTED  # reset after the request
    assert r.headers["vary"] == "Origin, X-App-Id"  # responses differ per app


async def test_without_a_default_an_absent_x_app_id_leaves_no_skin() -> None:
    async with client_for(registry({"skins": SKINS["skins"]})) as c:
        r = await c.get("/probe")
    assert r.json() == {"state": None, "context": None}


async def test_an_unknown_app_is_400_and_the_application_is_not_called(
    client: httpx.AsyncClient,
) -> None:
    for app_id in ("android", "WEB", ""):
        r = await client.get("/probe", headers={"X-App-Id": app_id})
        assert r.status_code == 400
        assert r.headers["content-type"] == "application/json"
        assert r.json() == {
            "error": {
                "code": "unknown_app",
                "message": "The X-App-Id header names no configured app.",
                "details": {"app_id": app_id},
            }
        }
        assert "x-request-id" not in r.headers  # the probe never ran
        assert cors_headers(r) == {}


async def test_an_unknown_app_error_is_readable_by_a_configured_origin(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post("/probe", headers={"X-App-Id": "android", "Origin": LITE})
    assert r.status_code == 400
    assert r.headers["access-control-allow-origin"] == LITE
    assert r.headers["access-control-allow-credentials"] == "true"
    r = await client.post("/probe", headers={"X-App-Id": "android", "Origin": EVIL})
    assert r.status_code == 400
    assert cors_headers(r) == {}


@pytest.mark.parametrize("credentials", [{}, {"Authorization": "Bearer t", "Cookie": "s=1"}])
async def test_an_actual_request_from_its_skins_origin_may_read_the_response(
    client: httpx.AsyncClient, credentials: dict[str, str]
) -> None:
    r = await client.post("/probe", headers={"X-App-Id": "lite", "Origin": LITE, **credentials})
    assert r.status_code == 200
    assert r.json()["state"] == "lite"
    assert r.headers["access-control-allow-origin"] == LITE
    assert r.headers["access-control-allow-credentials"] == "true"
    exposed = [h.strip() for h in r.headers["access-control-expose-headers"].split(",")]
    for name in (
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "Retry-After",
        "X-Request-ID",
    ):
        assert name in exposed
    assert "Origin" in r.headers["vary"]
    assert r.headers["x-request-id"] == "rid-1"  # the application's headers are kept


async def test_the_default_skin_allows_its_origin_without_x_app_id(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/probe", headers={"Origin": WEB})
    assert r.json()["state"] == "web"
    assert r.headers["access-control-allow-origin"] == WEB


async def test_another_skins_origin_gets_no_cors_headers_and_the_same_response(
    client: httpx.AsyncClient,
) -> None:
    plain = await client.get("/probe", headers={"X-App-Id": "ios"})
    for origin in (WEB, LITE, EVIL, "null"):
        r = await client.get("/probe", headers={"X-App-Id": "ios", "Origin": origin})
        assert cors_headers(r) == {}
        assert (r.status_code, r.json()) == (plain.status_code, plain.json())
        assert "Origin" in r.headers["vary"]


async def test_development_origins_are_allowed_for_every_skin(client: httpx.AsyncClient) -> None:
    for app_id in ("web", "lite", "ios"):
        r = await client.get("/probe", headers={"X-App-Id": app_id, "Origin": DEV})
        assert r.headers["access-control-allow-origin"] == DEV


async def test_the_embedded_default_ignores_x_app_id_and_allows_only_cors_origins() -> None:
    async with client_for(registry(None, CORS_ORIGINS=[DEV])) as c:
        r = await c.get("/probe", headers={"X-App-Id": "anything", "Origin": DEV})
        assert r.json() == {"state": "default", "context": "default"}
        assert r.headers["access-control-allow-origin"] == DEV
        assert r.headers["vary"] == "Origin"
        r = await c.get("/probe", headers={"Origin": WEB})
        assert cors_headers(r) == {}
        r = await c.get("/probe")
        assert "vary" not in r.headers  # no Origin, no skins: the response is left as it is
        assert (await c.options("/probe", headers=preflight(DEV))).status_code == 204
        assert cors_headers(await c.options("/probe", headers=preflight(WEB))) == {}


async def test_no_response_ever_allows_any_origin_or_an_origin_it_does_not_own(
    client: httpx.AsyncClient,
) -> None:
    allowed = {"web": {WEB, DEV}, "lite": {LITE, DEV}, "ios": {DEV}}
    origins = [WEB, LITE, DEV, EVIL, "*", "null", "https://web.example.com.evil.net", None]
    app_ids = ["web", "lite", "ios", None]
    for origin, app_id, method in itertools.product(origins, app_ids, ["GET", "POST", "OPTIONS"]):
        headers = {}
        if origin is not None:
            headers["Origin"] = origin
        if app_id is not None:
            headers["X-App-Id"] = app_id
        if method == "OPTIONS":
            headers["Access-Control-Request-Method"] = "POST"
        r = await client.request(method, "/probe", headers=headers)
        acao = r.headers.get_list("access-control-allow-origin")
        assert "*" not in r.headers.get("access-control-allow-origin", "")
        if method == "OPTIONS":  # a preflight names no app: any configured origin
            expected = origin in {WEB, LITE, DEV}
        else:
            expected = origin in allowed[app_id or "web"]  # "web" is the default
        assert acao == ([origin] if expected else []), (origin, app_id, method)
        if expected:
            assert r.headers["access-control-allow-credentials"] == "true"
