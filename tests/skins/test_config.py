"""Skins configuration: what starts, and what refuses to start with a message naming the problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.settings import ConfigurationError, Settings
from app.skins.config import canonical_origin, load_skins
from app.skins.registry import UNRESTRICTED

ROOT = Path(__file__).resolve().parents[2]


def skin(skin_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "id": skin_id,
        "name": skin_id.title(),
        "allowed_origins": [f"https://{skin_id}.example.com"],
        "characters": "*",
        "products": "*",
    } | overrides


def settings_with(config: Any = None, **values: Any) -> Settings:
    if config is not None:
        values["SKINS_JSON"] = config if isinstance(config, str) else json.dumps(config)
    return Settings(_env_file=None, **values)


def refused(config: Any = None, **values: Any) -> str:
    with pytest.raises(ConfigurationError) as info:
        load_skins(settings_with(config, **values))
    return str(info.value)


def test_no_skins_is_one_implicit_skin_showing_everything() -> None:
    registry = load_skins(settings_with())
    assert not registry.configured
    assert registry.default is UNRESTRICTED
    assert registry.default.shows_character("anyone")
    assert registry.default.shows_product("credits_10")
    assert not registry.preflight_allows("https://evil.example")
    assert not registry.cors_allows("http://localhost:5173", registry.default)


def test_cors_origins_are_the_development_origins_of_the_embedded_default() -> None:
    registry = load_skins(settings_with(CORS_ORIGINS=["http://localhost:5173"]))
    assert registry.preflight_allows("http://localhost:5173")
    assert registry.cors_allows("http://localhost:5173", registry.default)
    assert not registry.cors_allows("http://localhost:5174", registry.default)


def test_the_example_file_is_valid_and_maps_each_origin_to_its_skin() -> None:
    registry = load_skins(settings_with(SKINS_FILE=str(ROOT / "config/skins.example.json")))
    assert registry.configured
    assert registry.default is not None
    assert registry.default.id == "web"
    assert set(registry.skins) == {"web", "ios", "partner-lite"}
    assert registry.origin_owner["https://companion.partner.example"].id == "partner-lite"
    partner = registry.skins["partner-lite"]
    assert partner.shows_character("luna")
    assert not partner.shows_character("valentina")
    assert partner.shows_product("premium_monthly")
    assert not partner.shows_product("vip_yearly")
    ios = registry.skins["ios"]
    assert not ios.shows_product("credits_10")  # [] sells nothing
    assert ios.allowed_origins == frozenset()


def test_a_skin_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "skins.json"
    path.write_text(json.dumps({"skins": [skin("web")]}))
    registry = load_skins(settings_with(SKINS_FILE=str(path)))
    assert list(registry.skins) == ["web"]
    assert registry.default is None  # no default named: X-App-Id is then required


def test_an_origin_belongs_to_exactly_one_skin() -> None:
    shared = "https://shared.example.com"
    message = refused(
        {
            "skins": [
                skin("web", allowed_origins=[shared]),
                skin("lite", allowed_origins=["https://lite.example.com", shared]),
            ]
        }
    )
    assert message.startswith("SKINS_JSON is invalid")
    assert "'https://shared.example.com' is listed by skins 'web' and 'lite'" in message


@pytest.mark.parametrize(
    "origin",
    ["*", "https://*.example.com", "https://app.example.*", "null"],
)
def test_wildcards_and_null_are_refused(origin: str) -> None:
    message = refused({"skins": [skin("web", allowed_origins=[origin])]})
    assert "skins[0].allowed_origins" in message
    assert repr(origin) in message


@pytest.mark.parametrize(
    ("origin", "canonical"),
    [
        ("https://App.Example.com", "https://app.example.com"),
        ("https://app.example.com/", "https://app.example.com"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("http://localhost:80", "http://localhost"),
    ],
)
def test_an_origin_must_be_written_as_browsers_send_it(origin: str, canonical: str) -> None:
    message = refused({"skins": [skin("web", allowed_origins=[origin])]})
    assert f"write it as {canonical!r}" in message


@pytest.mark.parametrize(
    "origin",
    ["app.example.com", "ftp://app.example.com", "https://app.example.com/path", "https://u@a.com"],
)
def test_what_is_not_an_origin_is_refused(origin: str) -> None:
    with pytest.raises(ValueError, match="origin"):
        canonical_origin(origin)


def test_origins_that_browsers_send_are_accepted() -> None:
    for origin in (
        "https://app.example.com",
        "http://localhost:5173",
        "http://127.0.0.1:8080",
        "http://[::1]:3000",
        "https://example.com:8443",
    ):
        assert canonical_origin(origin) == origin


def test_production_requires_https_origins() -> None:
    config = {"skins": [skin("web", allowed_origins=["http://app.example.com"])]}
    assert load_skins(settings_with(config)).skins["web"]  # fine in development
    message = refused(config, APP_ENV="production")
    assert "APP_ENV=production requires https origins" in message
    message = refused(APP_ENV="production", CORS_ORIGINS=["http://localhost:5173"])
    assert message.startswith("CORS_ORIGINS is invalid")


def test_cors_origins_never_allow_a_wildcard() -> None:
    assert "wildcards are not allowed" in refused(CORS_ORIGINS=["*"])


def test_a_development_origin_cannot_also_belong_to_a_skin() -> None:
    message = refused(
        {"skins": [skin("web", allowed_origins=["http://localhost:5173"])]},
        CORS_ORIGINS=["http://localhost:5173"],
    )
    assert "http://localhost:5173" in message
    assert "CORS_ORIGINS" in message


def test_unknown_product_ids_are_refused() -> None:
    message = refused({"skins": [skin("web", products=["credits_10", "credits_7"])]})
    assert "skins[0].products: unknown product id(s) 'credits_7'" in message


def test_character_ids_must_be_ids_and_a_star_in_a_list_is_refused() -> None:
    message = refused({"skins": [skin("web", characters=["luna", "*"])]})
    assert "skins[0].characters: not character ids: '*'" in message
    assert 'write "*" (all characters)' in refused({"skins": [skin("web", characters="luna")]})
    assert "at least one character" in refused({"skins": [skin("web", characters=[])]})


def test_duplicate_ids_unknown_default_and_typos_are_refused() -> None:
    message = refused(
        {
            "default": "mobile",
            "skins": [skin("web"), skin("web", allowed_origins=["https://other.example.com"])],
        }
    )
    assert "skin id 'web' is used twice" in message
    assert "default 'mobile' is not the id of a skin" in message
    typo = skin("web")
    typo["allowed_origin"] = typo.pop("allowed_origins")
    assert "skins[0].allowed_origin: Extra inputs are not permitted" in refused({"skins": [typo]})
    assert "skins[0].id" in refused({"skins": [skin("web") | {"id": "web app"}]})


def test_an_empty_or_unreadable_configuration_is_refused(tmp_path: Path) -> None:
    assert "skins: List should have at least 1 item" in refused({"skins": []})
    assert "Invalid JSON" in refused("{not json")
    missing = tmp_path / "nowhere.json"
    assert refused(SKINS_FILE=str(missing)).startswith(f"SKINS_FILE={missing} cannot be read")
    path = tmp_path / "skins.json"
    path.write_text(json.dumps({"skins": [skin("web")]}))
    assert "not both" in refused({"skins": [skin("web")]}, SKINS_FILE=str(path))


def test_the_app_refuses_to_start_with_a_bad_configuration() -> None:
    from app.main import create_app

    bad = {"skins": [skin("web", allowed_origins=["*"])]}
    with pytest.raises(ConfigurationError, match=r"SKINS_JSON is invalid.*wildcards"):
        create_app(settings_with(bad))
