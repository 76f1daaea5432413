"""/api/v1/memory through the API (SQLite and PostgreSQL): listing, correcting, deleting,
forgetting everything; and memory built from real chat exchanges (summaries included)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from app.memory.embeddings import LocalEmbedder
from app.memory.service import MemoryService
from tests.helpers import Api, TestUser


@pytest.fixture(autouse=True)
def _model(minilm: LocalEmbedder) -> None:
    """The app's memory service shares the session's loaded model."""


def memory_of(api: Api) -> MemoryService:
    service: MemoryService = api.app.state.memory
    return service


async def chat_and_remember(
    api: Api, user: TestUser, session: dict[str, Any], text: str, tier: str
) -> dict[str, Any]:
    """One chat exchange through the API, then what the chat path will do after settling:
    hand the exchange to memory (the lead wires this call into app/chat)."""
    r = await api.chat(user, session["id"], text)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    memory_of(api).enqueue_exchange(
        user_id=user.id,
        tier=tier,
        session_id=uuid.UUID(session["id"]),
        character_id=session["character_id"],
        user_message_id=uuid.UUID(body["user_message"]["id"]),
        user_text=body["user_message"]["content"],
        assistant_message_id=uuid.UUID(body["message"]["id"]),
        assistant_text=body["message"]["content"],
        created_at=dt.datetime.fromisoformat(body["user_message"]["created_at"]),
    )
    return body


async def list_all(api: Api, user: TestUser, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 3, **params} | ({"cursor": cursor} if cursor else {})
        r = await api.client.get("/api/v1/memory", params=query, headers=user.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


async def test_the_user_sees_corrects_and_deletes_their_memory(api: Api) -> None:
    memory = memory_of(api)
    vip = await api.new_user(tier="vip")
    other = await api.new_user(tier="vip")
    session = await api.new_session(vip, "luna")
    await chat_and_remember(api, vip, session, "My cat is called Pepper.", "vip")
    await chat_and_remember(api, vip, session, "I live in Lisbon near the river.", "vip")
    await chat_and_remember(
        api, other, await api.new_session(other), "My dog is called Rex.", "vip"
    )
    assert await memory.drain(60)

    items = await list_all(api, vip)
    kinds = sorted(i["kind"] for i in items)
    assert kinds == ["fact", "fact", "message", "message", "message", "message"]
    assert [i["created_at"] for i in items] == sorted(
        (i["created_at"] for i in items), reverse=True
    )
    facts = {i["key"]: i for i in items if i["kind"] == "fact"}
    assert facts["pet.cat.name"]["value"] == "Pepper"
    assert facts["location.home"]["value"] == "Lisbon"
    assert all(i["status"] == "indexed" for i in items if i["kind"] == "message")
    assert [i["kind"] for i in await list_all(api, vip, kind="fact")] == ["fact", "fact"]
    assert not any("Rex" in i["text"] for i in items)

    # Another user's ids are "not found", for every verb.
    theirs = (await list_all(api, other))[0]["id"]
    assert (
        await api.client.delete(f"/api/v1/memory/{theirs}", headers=vip.headers)
    ).status_code == 404
    r = await api.client.patch(f"/api/v1/memory/{theirs}", json={"value": "x"}, headers=vip.headers)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"

    # Correct a fact: the correction is current, the old value superseded and out of prompts.
    cat = facts["pet.cat.name"]
    r = await api.client.patch(
        f"/api/v1/memory/{cat['id']}", json={"value": "Mochi"}, headers=vip.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["value"] == "Mochi"
    assert r.json()["text"] == "The user's cat is named Mochi."
    after = {(i["key"], i["value"]): i["status"] for i in await list_all(api, vip, kind="fact")}
    assert after[("pet.cat.name", "Pepper")] == "superseded"
    assert after[("pet.cat.name", "Mochi")] == "current"
    ctx = await memory.build_context(
        user_id=vip.id,
        tier="vip",
        session_id=uuid.uuid4(),
        character_id="luna",
        query="What is my cat called?",
        recent_texts=[],
        token_budget=800,
    )
    assert ctx is not None
    assert "Mochi" in ctx.text
    assert "Pepper" not in ctx.text
    r = await api.client.patch(
        f"/api/v1/memory/{cat['id']}", json={"value": "Tom"}, headers=vip.headers
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "fact_not_editable"

    # Delete one fact: gone from the listing and from the vector store.
    home = facts["location.home"]
    r = await api.client.delete(f"/api/v1/memory/{home['id']}", headers=vip.headers)
    assert r.status_code == 204
    assert home["id"] not in {i["id"] for i in await list_all(api, vip)}
    assert memory.store is not None
    assert f"fact:{home['id']}" not in await memory.store.ids(vip.id)
    r = await api.client.delete(f"/api/v1/memory/{home['id']}", headers=vip.headers)
    assert r.status_code == 404

    # Forget everything: nothing listed, nothing in the store; the other user keeps theirs.
    other_ids = await memory.store.ids(other.id)
    r = await api.client.delete("/api/v1/memory", headers=vip.headers)
    assert r.status_code == 204
    assert await list_all(api, vip) == []
    assert await memory.store.count(vip.id) == 0
    assert await memory.store.ids(other.id) == other_ids
    # The chat history itself is untouched.
    r = await api.client.get(f"/api/v1/chat/sessions/{session['id']}/messages", headers=vip.headers)
    assert len(r.json()["items"]) == 5


async def test_free_users_store_nothing(api: Api) -> None:
    user = await api.new_user()
    session = await api.new_session(user)
    await chat_and_remember(api, user, session, "My sister is called Ophelia.", "free")
    assert await memory_of(api).drain(60)
    assert await list_all(api, user) == []
    r = await api.client.delete("/api/v1/memory", headers=user.headers)
    assert r.status_code == 204
    r = await api.client.get("/api/v1/memory")
    assert r.status_code == 401


async def test_memory_reports_its_health(api: Api) -> None:
    r = await api.client.get("/health/detailed")
    assert r.status_code == 200
    component = r.json()["components"]["memory"]
    assert component["status"] == "ok"
    assert "chromadb" in component["detail"]
    assert "all-MiniLM-L6-v2 (384d" in component["detail"]
    assert "worker inprocess" in component["detail"]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # A short history window, so a session outgrows it in a few messages.
    return {"CHAT_HISTORY_MESSAGES": 6, "MEMORY_SUMMARY_MIN_MESSAGES": 4}


async def test_a_long_vip_session_gets_a_rolling_summary(api: Api) -> None:
    memory = memory_of(api)
    user = await api.new_user(tier="vip")
    session = await api.new_session(user, "kai")
    lines = [
        "My brother Tomás is flying in from Porto on Friday.",
        "We are going to see a football match together.",
        "I still have to clean the guest room before he arrives.",
        "He is allergic to feathers so I bought new pillows.",
        "What do you think we should cook for him?",
        "Maybe grilled sardines, he loves them.",
    ]
    for line in lines:
        await chat_and_remember(api, user, session, line, "vip")
        assert await memory.drain(60)
    summaries = await list_all(api, user, kind="summary")
    assert len(summaries) == 1
    summary = summaries[0]
    assert summary["session_id"] == session["id"]
    assert "Tomás" in summary["text"]  # the first messages, now out of the window
    ctx = await memory.build_context(
        user_id=user.id,
        tier="vip",
        session_id=uuid.UUID(session["id"]),
        character_id="kai",
        query="What should we cook tonight?",
        recent_texts=lines[-2:],
        token_budget=1200,
    )
    assert ctx is not None
    assert ctx.summary is not None
    assert "Earlier in this conversation (summary):" in ctx.text
    assert "Tomás" in ctx.summary
    # Deleting the chat session removes its memory (the lead calls this on session deletion).
    await memory.forget_session(user.id, uuid.UUID(session["id"]))
    assert await list_all(api, user) == []
    assert memory.store is not None
    assert await memory.store.count(user.id) == 0
