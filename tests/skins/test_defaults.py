"""The skin of a request that names none: the configured default, none at all (400 where a skin
matters), or the embedded default (no skins configured: everything, as before skins existed).

The database plays no part in this, so these run on SQLite only (tests/skins/test_api.py covers
both backends)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import Api

DEV = "http://localhost:5173"
WEB = "https://web.example.com"
NO_DEFAULT = {
    "skins": [
        {
            "id": "web",
            "name": "Web",
            "allowed_origins": [WEB],
            "characters": ["luna"],
            "products": ["credits_10"],
        }
    ]
}


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.mark.parametrize("settings_overrides", [{"SKINS_JSON": json.dumps(NO_DEFAULT)}])
async def test_without_a_default_a_request_must_name_its_app(api: Api) -> None:
    user = await api.new_user()  # sign-in needs no app
    for method, path, body in (
        ("GET", "/api/v1/config/characters", None),
        ("GET", "/api/v1/config/characters/luna", None),
        ("GET", "/api/v1/market/products", None),
        ("POST", "/api/v1/chat/sessions", {"character_id": "luna"}),
        ("POST", "/api/v1/market/buy_credits", {"product_id": "credits_10"}),
    ):
        headers = user.headers | {"Idempotency-Key": f"k-{path}"}
        r = await api.client.request(method, path, json=body, headers=headers)
        assert r.status_code == 400, path
        assert r.json()["error"]["code"] == "app_id_required"
        r = await api.client.request(method, path, json=body, headers=headers | {"X-App-Id": "web"})
        assert r.status_code in (200, 201), (path, r.text)
    assert (await api.client.get("/health")).status_code == 200
    assert (await api.client.get("/api/v1/wallet/balance", headers=user.headers)).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"CORS_ORIGINS": [DEV]}])
async def test_the_embedded_default_shows_everything_and_allows_only_cors_origins(
    api: Api,
) -> None:
    plain = await api.client.get("/api/v1/config/characters")
    assert plain.status_code == 200
    assert len(plain.json()["items"]) >= 6
    r = await api.client.get("/api/v1/config/characters", headers={"X-App-Id": "any-app"})
    assert r.json() == plain.json()  # X-App-Id means nothing without skins
    products = (await api.client.get("/api/v1/market/products")).json()
    assert len(products["credit_packages"]) == 5
    assert len(products["plans"]) == 4

    r = await api.client.get("/api/v1/config/characters", headers={"Origin": DEV})
    assert r.headers["access-control-allow-origin"] == DEV
    assert r.headers["access-control-allow-credentials"] == "true"
    r = await api.client.options(
        "/api/v1/chat/sessions", headers={"Origin": DEV, "Access-Control-Request-Method": "POST"}
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == DEV
    for origin in (WEB, "null", "*"):
        r = await api.client.get("/api/v1/config/characters", headers={"Origin": origin})
        assert not [h for h in r.headers if h.startswith("access-control-")]
        assert r.json() == plain.json()


async def test_with_nothing_configured_no_origin_is_allowed(api: Api) -> None:
    r = await api.client.options(
        "/api/v1/chat/sessions", headers={"Origin": DEV, "Access-Control-Request-Method": "POST"}
    )
    assert r.status_code == 405
    assert not [h for h in r.headers if h.startswith("access-control-")]
    r = await api.client.get("/api/v1/config/characters", headers={"Origin": DEV})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
