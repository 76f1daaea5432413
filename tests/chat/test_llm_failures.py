"""Chat completions against an OpenAI-compatible model over real HTTP (the loopback server):
the exact request the backend sends, the exact charge, and what a user sees when the model
fails (an error with a stable code, and nothing charged, held or stored)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from app.models import LedgerEntry
from tests.fakes.openai_server import Action, Fail, FakeOpenAI, Hang, Reply
from tests.helpers import Api, TestUser

XAI_KEY = "xai-test-key-0123456789"
XAI_MODEL = "grok-test-mini"
MAX_OUTPUT = 256


@pytest.fixture
def settings_overrides(llm_server: FakeOpenAI) -> dict[str, Any]:
    return {
        "XAI_API_KEY": XAI_KEY,
        "XAI_BASE_URL": llm_server.base_url,
        "XAI_MODEL": XAI_MODEL,
        "LLM_TIMEOUT_SECONDS": 0.5,
        "LLM_MAX_RETRIES": 1,
        "LLM_RETRY_BASE_SECONDS": 0.01,
        "LLM_RETRY_MAX_SECONDS": 1.0,
        "LLM_TEMPERATURE": 0.8,
        "CHAT_MAX_OUTPUT_TOKENS": MAX_OUTPUT,
    }


async def ledger_rows(api: Api, user: TestUser) -> list[tuple[str, int]]:
    async with api.app.state.db.jobs_sessionmaker() as session:
        rows = (
            await session.execute(
                select(LedgerEntry)
                .where(LedgerEntry.user_id == user.id)
                .order_by(LedgerEntry.created_at, LedgerEntry.id)
            )
        ).scalars()
        return [(r.kind, r.amount_micro) for r in rows]


async def messages(api: Api, user: TestUser, session_id: str) -> list[dict[str, Any]]:
    r = await api.client.get(f"/api/v1/chat/sessions/{session_id}/messages", headers=user.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def balance(api: Api, user: TestUser) -> dict[str, Any]:
    r = await api.client.get("/api/v1/wallet/balance", headers=user.headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


# ---------------------------------------------------------------------------- the request


async def test_the_request_carries_persona_history_and_the_message(
    api: Api, llm_server: FakeOpenAI
) -> None:
    user = await api.new_user()
    session = await api.new_session(user, "luna")
    persona = await api.app.state.characters.prompt("luna")

    llm_server.push(Reply("Orion's belt never gets old."))
    r = await api.chat(user, session["id"], "I saw Orion from the rooftop tonight.")
    assert r.status_code == 200, r.text
    assert r.json()["message"]["content"] == "Orion's belt never gets old."

    (request,) = llm_server.requests
    assert request["headers"]["Authorization"] == f"Bearer {XAI_KEY}"
    body = request["body"]
    assert body == {
        "model": XAI_MODEL,
        "messages": [
            {"role": "system", "content": persona.system_message},
            {"role": "assistant", "content": session["greeting"]["content"]},
            {"role": "user", "content": "I saw Orion from the rooftop tonight."},
        ],
        "max_tokens": MAX_OUTPUT,
        "temperature": 0.8,
        "stream": False,
    }
    system = body["messages"][0]["content"]
    # The persona card is in the system prompt, in the layout the model is told to follow.
    for part in ("Name: Luna Vale", "Age: 27", "Personality: Warm, witty", "Example dialogue:"):
        assert part in system
    assert "Luna: Betelgeuse." in system

    llm_server.push(Reply("Next time bring a telescope."))
    r = await api.chat(user, session["id"], "What should I look for next?", max_tokens=40)
    assert r.status_code == 200, r.text
    second = llm_server.chat_requests[1]
    assert [(m["role"], m["content"]) for m in second["messages"][1:]] == [
        ("assistant", session["greeting"]["content"]),
        ("user", "I saw Orion from the rooftop tonight."),
        ("assistant", "Orion's belt never gets old."),
        ("user", "What should I look for next?"),
    ]
    assert second["max_tokens"] == 40  # the request's smaller cap


async def test_a_larger_max_tokens_than_the_server_allows_is_capped(
    api: Api, llm_server: FakeOpenAI
) -> None:
    user = await api.new_user()
    session = await api.new_session(user, "kai")
    r = await api.chat(user, session["id"], "Write me an epic poem.", max_tokens=4000)
    assert r.status_code == 200, r.text
    assert llm_server.chat_requests[0]["max_tokens"] == MAX_OUTPUT


# ---------------------------------------------------------------------------- the charge


@pytest.mark.parametrize(
    ("tier", "micro_per_token"),
    # Product rules: 0.1 / 0.07 / 0.05 credits per 1k tokens.
    [("free", 100), ("premium", 70), ("vip", 50)],
)
async def test_the_charge_is_the_reported_tokens_at_the_tier_rate(
    api: Api, llm_server: FakeOpenAI, tier: str, micro_per_token: int
) -> None:
    user = await api.new_user()
    if tier != "free":
        await api.set_tier(user, tier)
    session = await api.new_session(user, "luna")
    before = await balance(api, user)

    llm_server.push(Reply("Cheers to that.", prompt_tokens=321, completion_tokens=29))
    r = await api.chat(user, session["id"], "Let's toast to the stars.")
    assert r.status_code == 200, r.text
    body = r.json()

    expected = 350 * micro_per_token
    assert body["usage"] == {"prompt_tokens": 321, "completion_tokens": 29, "total_tokens": 350}
    assert body["credits_charged_micro"] == expected
    after = await balance(api, user)
    assert before["available_micro"] - after["available_micro"] == expected
    assert Decimal(body["balance_available"]) == Decimal(after["available"])
    assert after["held"] == "0.000000"
    rows = await ledger_rows(api, user)
    assert [row for row in rows if row[0] == "chat_charge"] == [("chat_charge", -expected)]
    wallet = await api.assert_ledger_matches(user)
    assert wallet.held_micro == 0
    stored = await messages(api, user, session["id"])
    assert stored[0]["role"] == "assistant"
    assert stored[0]["content"] == "Cheers to that."
    assert Decimal(stored[0]["credits_charged"]) == Decimal(expected) / 1_000_000


# ---------------------------------------------------------------------------- failures

FAILURES: dict[str, tuple[list[Action], int, str]] = {
    # 500 twice: the first try and its one retry.
    "upstream_error": ([Fail(500), Fail(500)], 502, "llm_upstream_error"),
    # A model that used the whole deadline is not asked again (the user would wait twice).
    "timeout": ([Hang(1.0)], 504, "llm_timeout"),
    # The provider asks for a wait far beyond what a chatting user should sit through.
    "rate_limited_long": ([Fail(429, {"Retry-After": "30"})], 503, "llm_unavailable"),
}


@pytest.mark.parametrize("failure", list(FAILURES))
async def test_a_failed_model_call_charges_holds_and_stores_nothing(
    api: Api, llm_server: FakeOpenAI, failure: str
) -> None:
    actions, status, code = FAILURES[failure]
    user = await api.new_user()
    session = await api.new_session(user, "luna")
    wallet_before = await api.wallet(user)
    ledger_before = await ledger_rows(api, user)
    messages_before = await messages(api, user, session["id"])

    llm_server.push(*actions)
    r = await api.chat(user, session["id"], "Are you there?")

    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code
    assert "Nothing was charged" in error["message"]
    if failure == "rate_limited_long":
        assert r.headers["Retry-After"] == "30"
    assert len(llm_server.chat_requests) == len(actions)

    wallet_after = await api.assert_ledger_matches(user)
    assert (
        wallet_after.daily_micro,
        wallet_after.bonus_micro,
        wallet_after.purchased_micro,
        wallet_after.held_micro,
    ) == (
        wallet_before.daily_micro,
        wallet_before.bonus_micro,
        wallet_before.purchased_micro,
        0,
    )
    assert await ledger_rows(api, user) == ledger_before
    assert await messages(api, user, session["id"]) == messages_before
    r = await api.client.get(f"/api/v1/chat/sessions/{session['id']}", headers=user.headers)
    assert r.json()["message_count"] == 1

    # The released hold leaves the whole balance usable: the next message goes through.
    llm_server.push(Reply("Sorry, I'm here now."))
    r = await api.chat(user, session["id"], "Are you there?")
    assert r.status_code == 200, r.text
    assert len(await messages(api, user, session["id"])) == 3
