"""Pricing: the provider-reported total tokens times the tier's rate, exactly; buckets spent in
order daily -> bonus -> purchased; an unaffordable request is refused before the model is
called."""

from __future__ import annotations

from typing import Any

import pytest

from app.billing.tiers import MICRO
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.helpers import Api


@pytest.fixture
def settings_overrides(llm_settings: dict[str, Any]) -> dict[str, Any]:
    return llm_settings


@pytest.mark.parametrize(
    ("tier", "micro", "credits"),
    [("free", 180_100, "0.180100"), ("premium", 126_070, "0.126070"), ("vip", 90_050, "0.090050")],
)
async def test_a_reply_costs_its_reported_tokens_at_the_tier_rate(
    api: Api, llm_server: FakeOpenAI, tier: str, micro: int, credits: str
) -> None:
    user = await api.new_user(tier=tier)
    session = await api.new_session(user)
    before = await api.wallet(user)
    llm_server.push(Reply(text="Hi!", prompt_tokens=1234, completion_tokens=567))
    r = await api.chat(user, session["id"], "How are you?")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["usage"] == {"prompt_tokens": 1234, "completion_tokens": 567, "total_tokens": 1801}
    assert body["credits_charged_micro"] == micro  # 0.1 / 0.07 / 0.05 credits per 1k tokens
    assert body["credits_charged"] == credits
    wallet = await api.assert_ledger_matches(user)
    assert wallet.total_micro == before.total_micro - micro
    assert wallet.held_micro == 0


async def test_buckets_are_spent_daily_then_bonus_then_purchased(
    api: Api, llm_server: FakeOpenAI
) -> None:
    user = await api.new_user()
    await api.set_balance(user, daily=50_000, bonus=50_000, purchased=MICRO)
    session = await api.new_session(user)
    llm_server.push(Reply(text="Sure.", prompt_tokens=1000, completion_tokens=800))
    r = await api.chat(user, session["id"], "Spend it")
    assert r.status_code == 200, r.text
    assert r.json()["credits_charged_micro"] == 180_000
    wallet = await api.assert_ledger_matches(user)
    assert (wallet.daily_micro, wallet.bonus_micro, wallet.purchased_micro) == (0, 0, 920_000)
    r = await api.client.get("/api/v1/wallet/transactions", headers=user.headers)
    charge = r.json()["items"][0]
    assert charge["kind"] == "chat_charge"
    assert charge["amount"] == "-0.180000"
    assert charge["buckets"] == {
        "daily": "-0.050000",
        "bonus": "-0.050000",
        "purchased": "-0.080000",
    }
    assert charge["balance_after"] == "0.920000"
    assert charge["reference_id"] == r.json()["items"][0]["reference_id"]


async def test_an_unaffordable_request_is_402_and_never_reaches_the_model(
    api: Api, llm_server: FakeOpenAI
) -> None:
    user = await api.new_user()
    await api.set_balance(user, daily=0, bonus=1_000, purchased=2_000)
    session = await api.new_session(user)
    r = await api.chat(user, session["id"], "Am I broke?")
    assert r.status_code == 402
    error = r.json()["error"]
    assert error["code"] == "insufficient_credits"
    details = error["details"]
    assert details["available_micro"] == 3_000
    assert details["available"] == "0.003000"
    assert details["needed_micro"] > 3_000
    assert details["needed"] == f"{details['needed_micro'] / MICRO:.6f}"
    assert llm_server.chat_requests == []
    wallet = await api.assert_ledger_matches(user)
    assert (wallet.bonus_micro, wallet.purchased_micro, wallet.held_micro) == (1_000, 2_000, 0)
