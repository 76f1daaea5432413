"""Bad input gets a clear 4xx with a machine code and changes nothing; no user can see or touch
another user's sessions, messages or wallet."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from app.models import ChatMessage, ChatSession, CreditHold, LedgerEntry, User, UserWallet
from tests.helpers import Api, TestUser


async def snapshot(api: Api) -> dict[str, Any]:
    async with api.app.state.db.jobs_sessionmaker() as s:
        counts = {
            m.__tablename__: await s.scalar(select(func.count()).select_from(m))
            for m in (User, ChatSession, ChatMessage, LedgerEntry, CreditHold)
        }
        wallets = (
            await s.execute(
                select(
                    UserWallet.user_id,
                    UserWallet.daily_micro,
                    UserWallet.bonus_micro,
                    UserWallet.purchased_micro,
                    UserWallet.held_micro,
                ).order_by(UserWallet.user_id)
            )
        ).all()
    return {"counts": counts, "wallets": [tuple(w) for w in wallets]}


@pytest.fixture
async def two_users(api: Api) -> tuple[TestUser, TestUser, str, str]:
    alice = await api.new_user()
    bob = await api.new_user()
    alice_session = (await api.new_session(alice))["id"]
    bob_session = (await api.new_session(bob))["id"]
    assert (await api.chat(bob, bob_session, "a private thought of Bob's")).status_code == 200
    return alice, bob, alice_session, bob_session


def expect(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str)


async def test_another_users_session_is_not_found_everywhere(
    api: Api, two_users: tuple[TestUser, TestUser, str, str]
) -> None:
    alice, _bob, _, bob_session = two_users
    before = await snapshot(api)
    c, h = api.client, alice.headers
    unknown = str(uuid.uuid4())
    for sid in (bob_session, unknown):
        expect(await c.get(f"/api/v1/chat/sessions/{sid}", headers=h), 404, "not_found")
        expect(await c.get(f"/api/v1/chat/sessions/{sid}/messages", headers=h), 404, "not_found")
        expect(await c.delete(f"/api/v1/chat/sessions/{sid}", headers=h), 404, "not_found")
        r = await c.post(
            "/api/v1/chat/completions",
            json={"session_id": sid, "message": "let me in"},
            headers=h,
        )
        expect(r, 404, "not_found")
        r = await c.post(
            "/api/v1/chat/completions",
            json={"session_id": sid, "message": "let me in", "stream": True},
            headers=h,
        )
        expect(r, 404, "not_found")
    # Listings show only the caller's own rows.
    r = await c.get("/api/v1/chat/sessions", headers=h)
    assert bob_session not in [s["id"] for s in r.json()["items"]]
    r = await c.get("/api/v1/wallet/transactions", headers=h)
    assert all(t["kind"] != "chat_charge" for t in r.json()["items"])
    assert await snapshot(api) == before


async def test_bad_chat_input_is_rejected_with_a_code_and_changes_nothing(
    api: Api, two_users: tuple[TestUser, TestUser, str, str]
) -> None:
    alice, _, session, _ = two_users
    before = await snapshot(api)
    c, h = api.client, alice.headers
    url = "/api/v1/chat/completions"
    cases: list[tuple[Any, str]] = [
        ({"session_id": session, "message": ""}, "message_empty"),
        ({"session_id": session, "message": "   \n\t "}, "message_empty"),
        ({"session_id": session, "message": "x" * 8001}, "message_too_long"),
        ({"session_id": session, "message": 42}, "message_not_text"),
        ({"session_id": session, "message": None}, "message_not_text"),
        ({"session_id": session, "message": ["hi"]}, "message_not_text"),
        ({"session_id": session, "message": "a\x00b"}, "message_invalid_characters"),
        ({"session_id": session}, "validation_error"),
        ({"message": "hi"}, "validation_error"),
        ({"session_id": "not-a-uuid", "message": "hi"}, "validation_error"),
        ({"session_id": session, "message": "hi", "max_tokens": 0}, "validation_error"),
        ({"session_id": session, "message": "hi", "max_tokens": 100000}, "validation_error"),
        ({"session_id": session, "message": "hi", "stream": "maybe"}, "validation_error"),
        ({"session_id": session, "message": "hi", "temperature": 2}, "validation_error"),
        ([1, 2, 3], "validation_error"),
    ]
    for body, code in cases:
        expect(await c.post(url, json=body, headers=h), 422, code)
    r = await c.post(
        url, content=b'{"session_id": ', headers={**h, "content-type": "application/json"}
    )
    expect(r, 422, "invalid_json")
    r = await c.post(url, content=b"x" * 300_000, headers={**h, "content-type": "application/json"})
    expect(r, 413, "payload_too_large")
    assert await snapshot(api) == before


async def test_bad_session_and_listing_input(
    api: Api, two_users: tuple[TestUser, TestUser, str, str]
) -> None:
    alice, _, session, _ = two_users
    before = await snapshot(api)
    c, h = api.client, alice.headers
    expect(await c.post("/api/v1/chat/sessions", json={}, headers=h), 422, "validation_error")
    expect(
        await c.post("/api/v1/chat/sessions", json={"character_id": 7}, headers=h),
        422,
        "validation_error",
    )
    expect(
        await c.post(
            "/api/v1/chat/sessions", json={"character_id": "luna", "mood": "happy"}, headers=h
        ),
        422,
        "validation_error",
    )
    expect(
        await c.post("/api/v1/chat/sessions", json={"character_id": "x" * 65}, headers=h),
        422,
        "validation_error",
    )
    expect(await c.get("/api/v1/chat/sessions/not-a-uuid", headers=h), 422, "validation_error")
    for url in (
        "/api/v1/chat/sessions",
        f"/api/v1/chat/sessions/{session}/messages",
        "/api/v1/wallet/transactions",
    ):
        expect(await c.get(url, params={"limit": 0}, headers=h), 422, "validation_error")
        expect(await c.get(url, params={"limit": 1000}, headers=h), 422, "validation_error")
        expect(await c.get(url, params={"cursor": "%%%garbage"}, headers=h), 422, "invalid_cursor")
        expect(await c.get(url, params={"cursor": "WyJ4Il0"}, headers=h), 422, "invalid_cursor")
    assert await snapshot(api) == before


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/wallet/balance"),
        ("GET", "/api/v1/wallet/transactions"),
        ("GET", "/api/v1/chat/sessions"),
        ("POST", "/api/v1/chat/sessions"),
        ("GET", f"/api/v1/chat/sessions/{uuid.UUID(int=1)}"),
        ("DELETE", f"/api/v1/chat/sessions/{uuid.UUID(int=1)}"),
        ("GET", f"/api/v1/chat/sessions/{uuid.UUID(int=1)}/messages"),
        ("POST", "/api/v1/chat/completions"),
    ],
)
async def test_user_endpoints_need_a_token(api: Api, method: str, url: str) -> None:
    r = await api.client.request(method, url, json={})
    expect(r, 401, "not_authenticated")
    assert r.headers["www-authenticate"] == "Bearer"
    r = await api.client.request(method, url, json={}, headers={"Authorization": "Bearer nonsense"})
    expect(r, 401, "invalid_token")


async def test_unknown_route_and_method_use_the_error_shape(api: Api) -> None:
    expect(await api.client.get("/api/v1/nope"), 404, "not_found")
    expect(await api.client.put("/api/v1/market/products"), 405, "method_not_allowed")
