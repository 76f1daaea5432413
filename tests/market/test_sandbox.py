"""Buying credits and plans with the sandbox provider (the embedded default): confirmed at once,
granted exactly once per Idempotency-Key, whatever the client retries."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from app.billing.tiers import MICRO
from tests.helpers import Api, TestUser


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"PAYMENT_PROVIDER": "sandbox", "AUTH_RATE_LIMIT_PER_MINUTE": 0}


async def buy(
    api: Api, user: TestUser, product_id: str, key: str | None, path: str = "buy_credits"
) -> httpx.Response:
    headers = dict(user.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await api.client.post(
        f"/api/v1/market/{path}", json={"product_id": product_id}, headers=headers
    )


async def test_buying_credits_adds_them_to_the_purchased_bucket_once(api: Api) -> None:
    user = await api.new_user()
    before = await api.wallet(user)
    r = await buy(api, user, "credits_100", "k-1")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["payment"]["status"] == "succeeded"
    assert body["payment"]["product_id"] == "credits_100"
    assert body["payment"]["amount"] == "8.99"
    assert body["credits_granted"] == "100.000000"
    assert body["next_action"] is None
    assert body["balance"]["purchased"] == "100.000000"
    wallet = await api.assert_ledger_matches(user)
    assert wallet.purchased_micro == before.purchased_micro + 100 * MICRO
    r = await api.client.get("/api/v1/wallet/transactions", headers=user.headers)
    purchases = [t for t in r.json()["items"] if t["kind"] == "purchase"]
    assert len(purchases) == 1
    assert purchases[0]["reference_id"] == body["payment"]["id"]
    assert purchases[0]["buckets"] == {
        "daily": "0.000000",
        "bonus": "0.000000",
        "purchased": "100.000000",
    }


async def test_the_idempotency_key_is_required(api: Api) -> None:
    user = await api.new_user()
    for path, product in (("buy_credits", "credits_10"), ("subscribe", "premium_monthly")):
        r = await buy(api, user, product, None, path)
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "idempotency_key_required"
        for bad in ("two words", "x" * 256):
            r = await buy(api, user, product, bad, path)
            assert r.status_code == 400
            assert r.json()["error"]["code"] == "idempotency_key_invalid"
    r = await api.client.get("/api/v1/market/payments", headers=user.headers)
    assert r.json()["items"] == []
    await api.assert_ledger_matches(user)


async def test_a_replay_returns_the_first_response_and_grants_nothing_more(api: Api) -> None:
    user = await api.new_user()
    first = await buy(api, user, "credits_50", "same-key")
    assert first.status_code == 201
    wallet = await api.wallet(user)
    for _ in range(3):
        again = await buy(api, user, "credits_50", "same-key")
        assert again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
    assert (await api.wallet(user)).purchased_micro == wallet.purchased_micro
    # The same key with another body is refused, and changes nothing either.
    r = await buy(api, user, "credits_100", "same-key")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "idempotency_key_reused"
    r = await buy(api, user, "premium_monthly", "same-key", "subscribe")
    assert r.json()["error"]["code"] == "idempotency_key_reused"
    assert (await api.wallet(user)).purchased_micro == wallet.purchased_micro
    r = await api.client.get("/api/v1/market/payments", headers=user.headers)
    assert [p["id"] for p in r.json()["items"]] == [first.json()["payment"]["id"]]
    # Keys are per user: another user's identical key is a new purchase.
    other = await api.new_user()
    r = await buy(api, other, "credits_50", "same-key")
    assert r.status_code == 201
    assert r.json()["payment"]["id"] != first.json()["payment"]["id"]
    await api.assert_ledger_matches(user)
    await api.assert_ledger_matches(other)


async def test_concurrent_replays_grant_once(api: Api) -> None:
    user = await api.new_user()
    before = await api.wallet(user)
    responses = await asyncio.gather(*(buy(api, user, "credits_500", "burst") for _ in range(12)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["payment"]["id"] for r in responses}) == 1
    assert len({r.content for r in responses}) == 1  # byte-for-byte the first response
    wallet = await api.assert_ledger_matches(user)
    assert wallet.purchased_micro == before.purchased_micro + 550 * MICRO


async def test_unknown_or_misplaced_products_are_refused_without_a_trace(api: Api) -> None:
    user = await api.new_user()
    r = await buy(api, user, "credits_7", "a")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "product_not_found"
    r = await buy(api, user, "vip_monthly", "b")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "wrong_product_kind"
    r = await buy(api, user, "credits_10", "c", "subscribe")
    assert r.json()["error"]["code"] == "wrong_product_kind"
    r = await api.client.post(
        "/api/v1/market/buy_credits",
        json={"product_id": "credits_10", "quantity": 3},
        headers={**user.headers, "Idempotency-Key": "d"},
    )
    assert r.status_code == 422
    r = await api.client.get("/api/v1/market/payments", headers=user.headers)
    assert r.json()["items"] == []
    # The keys were not used up: they work for a valid request.
    assert (await buy(api, user, "credits_10", "a")).status_code == 201


async def test_payment_history_is_paginated_and_private(api: Api) -> None:
    user = await api.new_user()
    ids = []
    for i, product in enumerate(["credits_10", "credits_50", "credits_100", "credits_10"]):
        r = await buy(api, user, product, f"key-{i}")
        ids.append(r.json()["payment"]["id"])
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        r = await api.client.get("/api/v1/market/payments", params=params, headers=user.headers)
        assert r.status_code == 200
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert [p["id"] for p in seen] == list(reversed(ids))
    assert [p["product_id"] for p in seen] == [
        "credits_10",
        "credits_100",
        "credits_50",
        "credits_10",
    ]
    assert all(p["status"] == "succeeded" for p in seen)
    r = await api.client.get(f"/api/v1/market/payments/{ids[1]}", headers=user.headers)
    assert r.status_code == 200
    assert r.json()["credits"] == "50.000000"
    intruder = await api.new_user()
    r = await api.client.get(f"/api/v1/market/payments/{ids[1]}", headers=intruder.headers)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "payment_not_found"
    r = await api.client.get(f"/api/v1/market/payments/{uuid.uuid4()}", headers=user.headers)
    assert r.status_code == 404
    r = await api.client.get("/api/v1/market/payments", headers=intruder.headers)
    assert r.json()["items"] == []
    r = await api.client.get("/api/v1/market/payments")
    assert r.status_code == 401
