"""What each skin shows and sells, through the whole application, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import httpx
import pytest

from app.skins.service import check_skin_characters
from tests.helpers import Api, TestUser

WEB = "https://web.example.com"
EVIL = "https://evil.example.net"

SKINS = {
    "default": "web",
    "skins": [
        {
            "id": "web",
            "name": "Companion Web",
            "allowed_origins": [WEB],
            "characters": ["luna", "kai", "ghost"],  # ghost: not in the catalogue
            "products": ["credits_10", "premium_monthly"],
        },
        {"id": "ios", "name": "Companion iOS", "characters": "*", "products": []},
    ],
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"SKINS_JSON": json.dumps(SKINS), "AUTH_RATE_LIMIT_PER_MINUTE": 0}


def on(app_id: str | None, user: TestUser | None = None, **extra: str) -> dict[str, str]:
    headers = dict(user.headers) if user else {}
    if app_id is not None:
        headers["X-App-Id"] = app_id
    return headers | extra


async def character_ids(api: Api, app_id: str | None) -> list[str]:
    r = await api.client.get("/api/v1/config/characters", headers=on(app_id))
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["items"]]


async def test_each_skin_lists_and_shows_only_its_characters(api: Api) -> None:
    everyone = await character_ids(api, "ios")
    assert {"luna", "kai", "mira", "aria", "sebastian", "valentina"} <= set(everyone)
    assert await character_ids(api, "web") == [c for c in everyone if c in {"luna", "kai"}]
    assert await character_ids(api, None) == await character_ids(api, "web")  # the default
    for app_id, character, status in (
        ("web", "kai", 200),
        ("web", "mira", 404),
        (None, "mira", 404),
        ("ios", "mira", 200),
        ("web", "ghost", 404),
    ):
        r = await api.client.get(f"/api/v1/config/characters/{character}", headers=on(app_id))
        assert r.status_code == status, (app_id, character)
        if status == 404:
            assert r.json()["error"]["code"] == "character_not_found"


async def test_each_skin_lists_only_its_products(api: Api) -> None:
    r = await api.client.get("/api/v1/market/products", headers=on("web"))
    body = r.json()
    assert [p["id"] for p in body["credit_packages"]] == ["credits_10"]
    assert [p["id"] for p in body["plans"]] == ["premium_monthly"]
    assert (await api.client.get("/api/v1/market/products")).json() == body  # the default
    r = await api.client.get("/api/v1/market/products", headers=on("ios"))
    assert r.json() == {"credit_packages": [], "plans": []}


async def test_a_session_only_starts_with_a_character_of_the_skin(api: Api) -> None:
    user = await api.new_user()
    r = await api.client.post(
        "/api/v1/chat/sessions", json={"character_id": "mira"}, headers=on("web", user)
    )
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "character_not_found"
    r = await api.client.post(
        "/api/v1/chat/sessions", json={"character_id": "mira"}, headers=on(None, user)
    )
    assert r.status_code == 404  # the default skin (web) does not show mira either
    r = await api.client.get("/api/v1/chat/sessions", headers=user.headers)
    assert r.json()["items"] == []
    r = await api.client.post(
        "/api/v1/chat/sessions", json={"character_id": "kai"}, headers=on("web", user)
    )
    assert r.status_code == 201, r.text
    assert r.json()["character_id"] == "kai"


async def test_an_existing_session_keeps_working_from_any_skin(api: Api) -> None:
    user = await api.new_user()
    r = await api.client.post(
        "/api/v1/chat/sessions", json={"character_id": "mira"}, headers=on("ios", user)
    )
    assert r.status_code == 201, r.text
    session_id = r.json()["id"]
    r = await api.client.post(
        "/api/v1/chat/completions",
        json={"session_id": session_id, "message": "Hello from the web app!"},
        headers=on("web", user),
    )
    assert r.status_code == 200, r.text
    assert r.json()["message"]["role"] == "assistant"
    r = await api.client.get(
        f"/api/v1/chat/sessions/{session_id}/messages", headers=on("web", user)
    )
    assert r.status_code == 200
    assert len(r.json()["items"]) == 3  # greeting, question, reply


async def buy(api: Api, user: TestUser, app_id: str, path: str, product: str) -> httpx.Response:
    return await api.client.post(
        f"/api/v1/market/{path}",
        json={"product_id": product},
        headers=on(app_id, user, **{"Idempotency-Key": uuid.uuid4().hex}),
    )


async def test_a_product_outside_the_skin_cannot_be_bought(api: Api) -> None:
    user = await api.new_user()
    before = await api.wallet(user)
    for app_id, path, product in (
        ("web", "buy_credits", "credits_50"),
        ("web", "subscribe", "vip_monthly"),
        ("ios", "buy_credits", "credits_10"),
        ("ios", "subscribe", "premium_monthly"),
    ):
        r = await buy(api, user, app_id, path, product)
        assert r.status_code == 404, (app_id, product, r.text)
        assert r.json()["error"]["code"] == "product_not_found"
    r = await api.client.get("/api/v1/market/payments", headers=user.headers)
    assert r.json()["items"] == []  # nothing was attempted
    wallet = await api.assert_ledger_matches(user)
    assert wallet.purchased_micro == before.purchased_micro
    r = await buy(api, user, "web", "buy_credits", "credits_10")
    assert r.status_code == 201, r.text
    assert r.json()["credits_granted"] == "10.000000"
    r = await buy(api, user, "web", "subscribe", "premium_monthly")
    assert r.status_code == 201, r.text
    assert r.json()["subscription"]["tier"] == "premium"
    await api.assert_ledger_matches(user)


async def test_an_unknown_app_is_400_everywhere(api: Api) -> None:
    user = await api.new_user()
    for method, path in (
        ("GET", "/api/v1/config/characters"),
        ("GET", "/api/v1/market/products"),
        ("GET", "/api/v1/wallet/balance"),
        ("POST", "/api/v1/chat/sessions"),
    ):
        r = await api.client.request(
            method, path, headers=on("android", user), json={"character_id": "luna"}
        )
        assert r.status_code == 400, path
        assert r.json()["error"]["code"] == "unknown_app"
        assert r.json()["error"]["details"] == {"app_id": "android"}
        assert r.headers["x-request-id"]  # logged like any request
    r = await api.client.get("/api/v1/chat/sessions", headers=user.headers)
    assert r.json()["items"] == []


async def test_cors_through_the_application(api: Api) -> None:
    r = await api.client.options(
        "/api/v1/chat/completions",
        headers={
            "Origin": WEB,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-app-id",
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == WEB
    assert "X-App-Id" in r.headers["access-control-allow-headers"]
    assert r.headers["x-request-id"]

    user = await api.new_user()
    r = await api.client.get("/api/v1/wallet/balance", headers=on("web", user, Origin=WEB))
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == WEB
    assert r.headers["access-control-allow-credentials"] == "true"
    assert "X-Request-ID" in r.headers["access-control-expose-headers"]
    # Errors are readable too: the handlers' responses pass through the middleware.
    r = await api.client.get("/api/v1/wallet/balance", headers=on("web", Origin=WEB))
    assert r.status_code == 401
    assert r.headers["access-control-allow-origin"] == WEB
    r = await api.client.post(
        "/api/v1/chat/completions",
        content=b"x" * (300 * 1024),
        headers=on("web", user, Origin=WEB),
    )
    assert r.status_code == 413
    assert r.headers["access-control-allow-origin"] == WEB

    plain = await api.client.get("/api/v1/config/characters", headers=on("web"))
    for origin, app_id in ((EVIL, "web"), (WEB, "ios")):
        r = await api.client.get("/api/v1/config/characters", headers=on(app_id, Origin=origin))
        assert not [h for h in r.headers if h.startswith("access-control-")]
        if app_id == "web":
            assert (r.status_code, r.json()) == (plain.status_code, plain.json())
    r = await api.client.options(
        "/api/v1/chat/completions",
        headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 405
    assert not [h for h in r.headers if h.startswith("access-control-")]


async def test_characters_a_skin_lists_but_the_catalogue_lacks_are_a_warning(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    started = [r.getMessage() for r in caplog.get_records("setup") if r.levelno == logging.WARNING]
    assert any("skin web lists characters" in m and "ghost" in m for m in started)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="app.skins.service"):
        missing = await check_skin_characters(
            api.app.state.skins, api.app.state.db.jobs_sessionmaker
        )
    assert missing == {"web": ["ghost"]}
    assert len(caplog.records) == 1
