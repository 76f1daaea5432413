"""Sign-in with Firebase ID tokens, verified by firebase-admin against the real Auth Emulator."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.models import LedgerEntry, User, UserWallet
from app.settings import Settings
from tests.auth.conftest import (
    Emulator,
    FirebaseAdmin,
    FirebaseUser,
    IdentityToolkit,
    decode_unverified,
    emulator_token,
    free_port,
)

pytestmark = pytest.mark.firebase

RECHECK_SECONDS = 2


@pytest.fixture
def settings_overrides(firebase_emulator: Emulator) -> dict[str, Any]:
    return {
        "FIREBASE_PROJECT_ID": firebase_emulator.project_id,
        "FIREBASE_AUTH_EMULATOR_HOST": firebase_emulator.host,
        "AUTH_REVOCATION_CHECK_SECONDS": RECHECK_SECONDS,
    }


async def login(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"id_token": token})


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def error_code(r: httpx.Response) -> str:
    code: str = r.json()["error"]["code"]
    return code


async def rows_for(app: FastAPI, firebase_uid: str) -> tuple[int, int, list[tuple[str, int]]]:
    """(users, wallets, ledger rows) held for one Firebase identity."""
    async with app.state.db.jobs_sessionmaker() as session:
        ids = (
            (await session.execute(select(User.id).where(User.firebase_uid == firebase_uid)))
            .scalars()
            .all()
        )
        wallets = await session.scalar(
            select(func.count()).select_from(UserWallet).where(UserWallet.user_id.in_(ids))
        )
        ledger = (
            await session.execute(
                select(LedgerEntry.kind, LedgerEntry.amount_micro).where(
                    LedgerEntry.user_id.in_(ids)
                )
            )
        ).all()
    return len(ids), int(wallets or 0), [(k, a) for k, a in ledger]


async def wait_until_the_next_second(issued_at: int) -> None:
    """Revocation compares whole seconds (a token issued in the second of the revocation stays
    valid), so revoke only once the clock has passed the token's `iat` second."""
    await asyncio.sleep(max(0.0, issued_at + 1.05 - time.time()))


# ---------------------------------------------------------------------------- sign-in


async def test_first_login_creates_the_user_with_the_free_daily_credits(
    client: httpx.AsyncClient, app: FastAPI, identity: IdentityToolkit
) -> None:
    fb = await identity.sign_up(display_name="Ada Lovelace")

    r = await login(client, fb.id_token)

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["created"] is True
    assert body["user"]["email"] == fb.email
    assert body["user"]["display_name"] == "Ada Lovelace"
    assert body["user"]["tier"] == "free"
    assert body["user"]["last_login_at"] is not None
    assert body["balance"]["daily"] == "10.000000"
    assert body["balance"]["available_micro"] == 10_000_000
    assert await rows_for(app, fb.uid) == (1, 1, [("daily_refresh", 10_000_000)])

    # Later sign-ins (a fresh token from the client SDK) find the same account.
    second = await login(client, await identity.sign_in(fb))
    assert second.status_code == 200, second.text
    assert second.json()["created"] is False
    assert second.json()["user"]["id"] == body["user"]["id"]
    assert await rows_for(app, fb.uid) == (1, 1, [("daily_refresh", 10_000_000)])


async def test_me_returns_the_profile_and_balance(
    client: httpx.AsyncClient, identity: IdentityToolkit
) -> None:
    fb = await identity.sign_up(display_name="Grace Hopper")
    created = (await login(client, fb.id_token)).json()

    r = await me(client, fb.id_token)

    assert r.status_code == 200, r.text
    assert r.json()["user"]["id"] == created["user"]["id"]
    assert r.json()["user"]["email"] == fb.email
    assert r.json()["balance"]["available_micro"] == 10_000_000


async def test_concurrent_first_logins_create_one_user_and_one_wallet(
    client: httpx.AsyncClient, app: FastAPI, identity: IdentityToolkit
) -> None:
    """A client that retries, or opens several screens at once, on its very first sign-in."""
    fb = await identity.sign_up()

    responses = await asyncio.gather(
        *(login(client, fb.id_token) for _ in range(4)),
        *(me(client, fb.id_token) for _ in range(3)),
    )

    assert [r.status_code for r in responses] == [200] * 7, [r.text for r in responses]
    assert len({r.json()["user"]["id"] for r in responses}) == 1
    assert [r.json()["created"] for r in responses[:4]].count(True) <= 1
    assert await rows_for(app, fb.uid) == (1, 1, [("daily_refresh", 10_000_000)])
    assert all(r.json()["balance"]["available_micro"] == 10_000_000 for r in responses)


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/auth/me", None),
        ("GET", "/api/v1/wallet/balance", None),
        ("GET", "/api/v1/wallet/transactions", None),
        ("GET", "/api/v1/chat/sessions", None),
        ("POST", "/api/v1/chat/sessions", {"character_id": "luna"}),
        ("POST", "/api/v1/chat/completions", {"session_id": str(uuid.uuid4()), "message": "hi"}),
    ],
)
async def test_user_endpoints_without_a_token_are_401_not_authenticated(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
        r = await client.request(method, path, json=body, headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert error_code(r) == "not_authenticated"
        assert r.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        "a.b.c",
        "eyJhbGciOiJub25lIn0.bm90IGpzb24.",  # header ok, payload not JSON
        emulator_token({"sub": "x"}).replace(".", "", 1),
    ],
    ids=["garbage", "three-parts", "payload-not-json", "two-parts"],
)
async def test_a_malformed_token_is_401_invalid_token(
    client: httpx.AsyncClient, token: str
) -> None:
    r = await login(client, token)
    assert r.status_code == 401, r.text
    assert error_code(r) == "invalid_token"
    r = await me(client, token)
    assert r.status_code == 401, r.text
    assert error_code(r) == "invalid_token"


async def test_an_expired_token_is_401_token_expired(
    client: httpx.AsyncClient, identity: IdentityToolkit
) -> None:
    fb = await identity.sign_up()
    _, claims = decode_unverified(fb.id_token)
    now = int(time.time())
    # The emulator's own claims (uid, email, firebase.identities ...) issued two hours ago: an
    # ID token lives one hour. Unsigned, as every emulator token is (see emulator_token).
    expired = emulator_token(
        claims | {"iat": now - 7200, "auth_time": now - 7200, "exp": now - 3600}
    )

    for r in (await login(client, expired), await me(client, expired)):
        assert r.status_code == 401, r.text
        assert error_code(r) == "token_expired"
        assert "fresh" in r.json()["error"]["message"]


async def test_a_token_from_another_project_is_401_token_wrong_project(
    settings: Settings, identity: IdentityToolkit, firebase_emulator: Emulator
) -> None:
    from app.main import create_app

    fb = await identity.sign_up()  # a genuine token of demo-companion
    elsewhere = create_app(settings.model_copy(update={"FIREBASE_PROJECT_ID": "demo-elsewhere"}))
    async with (
        elsewhere.router.lifespan_context(elsewhere),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=elsewhere), base_url="http://test"
        ) as other,
    ):
        for r in (await login(other, fb.id_token), await me(other, fb.id_token)):
            assert r.status_code == 401, r.text
            assert error_code(r) == "token_wrong_project"
        # Right audience, issued by another project's token service.
        _, claims = decode_unverified(fb.id_token)
        wrong_issuer = emulator_token(
            claims
            | {
                "aud": "demo-elsewhere",
                "iss": f"https://securetoken.google.com/{firebase_emulator.project_id}",
            }
        )
        r = await login(other, wrong_issuer)
        assert r.status_code == 401, r.text
        assert error_code(r) == "token_wrong_project"


async def test_a_revoked_token_is_401_token_revoked(
    client: httpx.AsyncClient, identity: IdentityToolkit, firebase_admin_client: FirebaseAdmin
) -> None:
    fb = await identity.sign_up()
    _, claims = decode_unverified(fb.id_token)
    await wait_until_the_next_second(claims["iat"])
    firebase_admin_client.revoke(fb.uid)

    r = await login(client, fb.id_token)
    assert r.status_code == 401, r.text
    assert error_code(r) == "token_revoked"
    r = await me(client, fb.id_token)
    assert error_code(r) == "token_revoked"

    # Signing in again gives a token that works.
    r = await login(client, await identity.sign_in(fb))
    assert r.status_code == 200, r.text


async def test_a_cached_token_is_refused_once_the_revocation_recheck_is_due(
    client: httpx.AsyncClient, identity: IdentityToolkit, firebase_admin_client: FirebaseAdmin
) -> None:
    fb = await identity.sign_up()
    _, claims = decode_unverified(fb.id_token)
    r = await me(client, fb.id_token)  # verified and cached for RECHECK_SECONDS
    cached_at = time.monotonic()
    assert r.status_code == 200, r.text

    await wait_until_the_next_second(claims["iat"])
    firebase_admin_client.revoke(fb.uid)
    r = await me(client, fb.id_token)
    if time.monotonic() - cached_at < RECHECK_SECONDS - 0.3:
        # Inside the window the cache answers without asking Firebase (the documented bound).
        assert r.status_code == 200, r.text

    await asyncio.sleep(max(0.0, cached_at + RECHECK_SECONDS + 0.1 - time.monotonic()))
    r = await me(client, fb.id_token)
    assert r.status_code == 401, r.text
    assert error_code(r) == "token_revoked"


async def test_a_disabled_account_is_403_account_disabled(
    client: httpx.AsyncClient, identity: IdentityToolkit, firebase_admin_client: FirebaseAdmin
) -> None:
    fb = await identity.sign_up()
    assert (await login(client, fb.id_token)).status_code == 200  # an existing account
    never_signed_in: FirebaseUser = await identity.sign_up()
    # A token issued in the same second has the same claims, hence the same bytes as the one
    # the app just verified and cached: get a new one, one second later.
    await wait_until_the_next_second(decode_unverified(fb.id_token)[1]["iat"])
    fresh = await identity.sign_in(fb)
    firebase_admin_client.disable(fb.uid)
    firebase_admin_client.disable(never_signed_in.uid)

    for r in (
        await login(client, fresh),
        await me(client, fresh),
        await login(client, never_signed_in.id_token),
        await me(client, never_signed_in.id_token),
    ):
        assert r.status_code == 403, r.text
        assert error_code(r) == "account_disabled"


async def test_a_deleted_account_is_401_token_revoked(
    client: httpx.AsyncClient, identity: IdentityToolkit, firebase_admin_client: FirebaseAdmin
) -> None:
    fb = await identity.sign_up()
    firebase_admin_client.delete(fb.uid)
    r = await login(client, fb.id_token)
    assert r.status_code == 401, r.text
    assert error_code(r) == "token_revoked"


async def test_an_unreachable_identity_provider_is_503_not_500(
    settings: Settings, identity: IdentityToolkit
) -> None:
    """Revocation checks need Firebase: when it cannot be reached the caller is told to retry."""
    from app.main import create_app

    fb = await identity.sign_up()
    down = create_app(
        settings.model_copy(update={"FIREBASE_AUTH_EMULATOR_HOST": f"127.0.0.1:{free_port()}"})
    )
    async with (
        down.router.lifespan_context(down),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=down), base_url="http://test") as c,
    ):
        r = await login(c, fb.id_token)
    assert r.status_code == 503, r.text
    assert error_code(r) == "auth_unavailable"


async def test_the_dev_token_endpoint_is_absent_with_firebase(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post("/api/v1/auth/dev/token", json={"email": "dev@example.com"})
    assert r.status_code == 404
    assert error_code(r) == "not_found"


async def test_the_emulator_setting_does_not_leak_after_shutdown(
    settings: Settings,
) -> None:
    """firebase-admin is pointed at the emulator through the process environment; an app that
    shuts down must leave the environment as it found it (later apps may use real Firebase)."""
    import os

    from app.main import create_app

    before = os.environ.get("FIREBASE_AUTH_EMULATOR_HOST")
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        assert os.environ["FIREBASE_AUTH_EMULATOR_HOST"] == settings.FIREBASE_AUTH_EMULATOR_HOST
    assert os.environ.get("FIREBASE_AUTH_EMULATOR_HOST") == before
