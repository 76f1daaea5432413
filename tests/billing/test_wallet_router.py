from __future__ import annotations

from tests.helpers import Api


async def test_new_user_wallet_holds_the_free_daily_allowance(api: Api) -> None:
    user = await api.new_user()
    r = await api.client.get("/api/v1/wallet/balance", headers=user.headers)
    assert r.status_code == 200
    b = r.json()
    assert (b["tier"], b["available"], b["daily"], b["available_micro"]) == (
        "free",
        "10.000000",
        "10.000000",
        10_000_000,
    )
    assert b["credits_per_1k_tokens"] == "0.100000"
    r = await api.client.get("/api/v1/wallet/transactions", headers=user.headers)
    [entry] = r.json()["items"]
    assert (entry["kind"], entry["amount_micro"], entry["balance_after"]) == (
        "daily_refresh",
        10_000_000,
        "10.000000",
    )


async def test_chat_debits_at_the_tier_rate_with_a_ledger_row(api: Api) -> None:
    for tier, rate in (("free", 100), ("premium", 70), ("vip", 50)):
        user = await api.new_user(tier=tier)
        session = await api.new_session(user)
        r = await api.chat(user, session["id"], "How was your day?")
        body = r.json()
        charge = body["usage"]["total_tokens"] * rate
        assert body["credits_charged_micro"] == charge
        t = (await api.client.get("/api/v1/wallet/transactions", headers=user.headers)).json()[
            "items"
        ]
        assert t[0]["kind"] == "chat_charge"
        assert t[0]["amount_micro"] == -charge
        assert t[0]["reference_id"] == body["message"]["id"]
        await api.assert_ledger_matches(user)


async def test_transactions_paginate(api: Api) -> None:
    user = await api.new_user()
    session = await api.new_session(user)
    for i in range(4):
        await api.chat(user, session["id"], f"message {i}")
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (
            await api.client.get("/api/v1/wallet/transactions", params=params, headers=user.headers)
        ).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [t["kind"] for t in seen] == ["chat_charge"] * 4 + ["daily_refresh"]
    assert len({t["id"] for t in seen}) == 5
