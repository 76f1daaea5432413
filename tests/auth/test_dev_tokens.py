"""Development tokens (the embedded default's sign-in) and the production guard that refuses
them and every other development-only part."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from app.auth.verifier import DEV_ISSUER
from app.settings import ConfigurationError, Settings
from tests.auth.conftest import emulator_token

ROOT = Path(__file__).resolve().parents[2]


async def dev_token(client: httpx.AsyncClient, email: str, **extra: Any) -> str:
    r = await client.post("/api/v1/auth/dev/token", json={"email": email, **extra})
    assert r.status_code == 200, r.text
    token: str = r.json()["id_token"]
    return token


async def login(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"id_token": token})


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def signed(claims: dict[str, Any], secret: str) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def dev_claims(sub: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": DEV_ISSUER, "aud": DEV_ISSUER, "sub": sub, "iat": now, "exp": now + 600}
    claims.update(changes)
    return claims


async def assert_refused(client: httpx.AsyncClient, token: str, code: str) -> None:
    for r in (await login(client, token), await me(client, token)):
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == code


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FIREBASE_", "APP_ENV", "DEV_AUTH", "DATA_DIR", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        cwd=cwd,  # no .env there: only the environment given here counts
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# ---------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize(
    "settings_overrides",
    [{}, {"DEV_AUTH_SECRET": None}],
    ids=["secret-in-env", "secret-in-data-dir"],
)
async def test_the_cli_prints_a_token_the_app_accepts(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, tmp_path: Path
) -> None:
    env = {"DATA_DIR": settings.DATA_DIR}
    if settings.DEV_AUTH_SECRET:
        env["DEV_AUTH_SECRET"] = settings.DEV_AUTH_SECRET
    else:
        # The app generated its secret into DATA_DIR at start; the CLI must find the same one.
        assert Path(settings.DATA_DIR, "dev_auth_secret").exists()

    email = f"cli.{uuid.uuid4().hex[:10]}@example.com"
    done = run_cli("dev-token", "--email", email, "--name", "Cli User", env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    r = await login(client, token)
    assert r.status_code == 200, r.text
    assert r.json()["created"] is True
    assert r.json()["user"]["email"] == email
    assert r.json()["user"]["display_name"] == "Cli User"
    # The endpoint derives the same identity from the same email (any case): one account.
    again = await login(client, await dev_token(client, email.upper()))
    assert again.json()["created"] is False
    assert again.json()["user"]["id"] == r.json()["user"]["id"]


def test_the_cli_refuses_when_firebase_or_production_is_configured(tmp_path: Path) -> None:
    for env in (
        {"FIREBASE_PROJECT_ID": "demo-companion", "DEV_AUTH_SECRET": "s"},
        {"APP_ENV": "production", "DEV_AUTH_SECRET": "s"},
    ):
        done = run_cli("dev-token", "--email", "x@example.com", env=env, cwd=tmp_path)
        assert done.returncode == 2
        assert done.stdout == ""
        assert "dev tokens are refused" in done.stderr


# ---------------------------------------------------------------------------- refusals


async def test_a_tampered_token_is_invalid(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await dev_token(client, "alice@example.com")
    bob = await dev_token(client, "bob@example.com")
    assert (await login(client, bob)).status_code == 200

    header, _payload, signature = alice.split(".")
    _, bob_payload, _ = bob.split(".")
    # Alice's signature on Bob's claims: taking over Bob's account must not work.
    await assert_refused(client, f"{header}.{bob_payload}.{signature}", "invalid_token")
    # One character of the signature changed.
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    await assert_refused(client, f"{header}.{_payload}.{flipped}", "invalid_token")
    # Well formed, signed with another secret.
    other = signed(dev_claims("dev-alice"), "not-the-server-secret-but-just-as-long-as-it")
    await assert_refused(client, other, "invalid_token")
    # Unsigned ("alg": "none"), as the Firebase emulator issues them: never a dev token.
    await assert_refused(client, emulator_token(dev_claims("dev-alice")), "invalid_token")
    # Signed correctly but without a subject.
    assert settings.DEV_AUTH_SECRET
    no_sub = dev_claims("x")
    del no_sub["sub"]
    await assert_refused(client, signed(no_sub, settings.DEV_AUTH_SECRET), "invalid_token")


async def test_an_expired_dev_token_is_token_expired(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert settings.DEV_AUTH_SECRET
    now = int(time.time())
    token = signed(
        dev_claims("dev-expired", iat=now - 7200, exp=now - 60), settings.DEV_AUTH_SECRET
    )
    await assert_refused(client, token, "token_expired")


@pytest.mark.parametrize(
    "changes",
    [{"aud": "another-app"}, {"iss": "another-issuer"}],
    ids=["audience", "issuer"],
)
async def test_a_dev_token_for_another_audience_or_issuer_is_wrong_project(
    client: httpx.AsyncClient, settings: Settings, changes: dict[str, str]
) -> None:
    assert settings.DEV_AUTH_SECRET
    token = signed(dev_claims("dev-elsewhere", **changes), settings.DEV_AUTH_SECRET)
    await assert_refused(client, token, "token_wrong_project")


# ---------------------------------------------------------------------------- the endpoint


async def test_the_dev_endpoint_issues_a_bearer_token_with_its_expiry(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    r = await client.post(
        "/api/v1/auth/dev/token", json={"email": "carol@example.com", "display_name": "Carol"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer"
    expires = dt.datetime.fromisoformat(body["expires_at"])
    expected = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=settings.DEV_TOKEN_TTL_SECONDS)
    assert abs((expires - expected).total_seconds()) < 5
    r = await me(client, body["id_token"])
    assert r.status_code == 200, r.text
    assert r.json()["user"]["display_name"] == "Carol"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b@example.com"}, "email"),
        ({}, "email"),
        ({"email": "d@example.com", "uid": "has spaces"}, "uid"),
        ({"email": "d@example.com", "uid": ""}, "uid"),
        ({"email": "d@example.com", "display_name": "x" * 101}, "display_name"),
        ({"email": "d@example.com", "role": "admin"}, "role"),
    ],
    ids=["no-at", "two-ats", "missing", "uid-spaces", "uid-empty", "name-too-long", "extra-field"],
)
async def test_the_dev_endpoint_validates_its_body(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    r = await client.post("/api/v1/auth/dev/token", json=body)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert any(e["loc"][-1] == field for e in error["details"]["errors"]), error


async def test_the_dev_endpoint_rejects_a_body_that_is_not_json(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/auth/dev/token",
        content=b"email=alice@example.com",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_json"


# ---------------------------------------------------------------------------- production guard

PRODUCTION: dict[str, Any] = {
    "APP_ENV": "production",
    "FIREBASE_PROJECT_ID": "companion-prod",
    "FIREBASE_AUTH_EMULATOR_HOST": None,
    "XAI_API_KEY": "xai-live-key",
    "PAYMENT_PROVIDER": "stripe",
    "STRIPE_SECRET_KEY": "sk_live_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
    "DATABASE_URL": "postgresql://companion@db.internal:5432/companion",
    "REDIS_URL": "redis://cache.internal:6379/0",
}
NAMES = (
    "FIREBASE_PROJECT_ID",
    "FIREBASE_AUTH_EMULATOR_HOST",
    "XAI_API_KEY",
    "PAYMENT_PROVIDER",
    "STRIPE_WEBHOOK_SECRET",
    "DATABASE_URL",
    "REDIS_URL",
)


def production(**changes: Any) -> Settings:
    return Settings(_env_file=None, **(PRODUCTION | changes))  # type: ignore[call-arg]


def test_a_complete_production_configuration_starts() -> None:
    production().check_production()


def test_production_with_the_embedded_defaults_names_every_missing_setting() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        APP_ENV="production",
        FIREBASE_PROJECT_ID=None,
        FIREBASE_AUTH_EMULATOR_HOST=None,
        XAI_API_KEY=None,
        PAYMENT_PROVIDER="sandbox",
        DATABASE_URL="sqlite+aiosqlite:///./data/companion.db",
        REDIS_URL=None,
    )
    with pytest.raises(ConfigurationError) as info:
        settings.check_production()
    message = str(info.value)
    for name in ("FIREBASE_PROJECT_ID", "XAI_API_KEY", "PAYMENT_PROVIDER", "DATABASE_URL"):
        assert name in message
    assert "REDIS_URL" in message
    assert "development tokens" in message
    assert "offline LLM" in message


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"FIREBASE_PROJECT_ID": None}, "FIREBASE_PROJECT_ID"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"}, "FIREBASE_AUTH_EMULATOR_HOST"),
        ({"XAI_API_KEY": None}, "XAI_API_KEY"),
        ({"PAYMENT_PROVIDER": "sandbox"}, "PAYMENT_PROVIDER"),
        ({"STRIPE_WEBHOOK_SECRET": None}, "STRIPE_WEBHOOK_SECRET"),
        ({"DATABASE_URL": "sqlite:///./prod.db"}, "DATABASE_URL"),
        ({"REDIS_URL": None}, "REDIS_URL"),
    ],
    ids=["dev-tokens", "emulator", "offline-llm", "sandbox", "stripe-keys", "sqlite", "redis"],
)
def test_production_names_exactly_what_is_missing(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        production(**changes).check_production()
    message = str(info.value)
    assert named in message
    assert [n for n in NAMES if n in message and n != named] == []


def test_development_mode_accepts_the_embedded_defaults() -> None:
    Settings(_env_file=None, APP_ENV="development").check_production()  # type: ignore[call-arg]


async def test_create_app_refuses_to_start_in_production_without_them() -> None:
    from app.main import create_app

    with pytest.raises(ConfigurationError, match="XAI_API_KEY"):
        create_app(production(XAI_API_KEY=None))
    with pytest.raises(ConfigurationError, match="FIREBASE_PROJECT_ID"):
        create_app(production(FIREBASE_PROJECT_ID=None))

    # Complete: it builds, and its API offers no development sign-in.
    paths = set(create_app(production()).openapi()["paths"])
    assert "/api/v1/auth/login" in paths
    assert not [p for p in paths if p.startswith("/api/v1/auth/dev")]
    assert "/api/v1/auth/dev/token" in create_app(Settings(_env_file=None)).openapi()["paths"]  # type: ignore[call-arg]
