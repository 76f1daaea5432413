"""Chat through the API: sessions, history, completions, isolation and bad input."""

from __future__ import annotations

import uuid

from tests.helpers import Api


async def test_create_session_starts_with_the_greeting(api: Api) -> None:
    user = await api.new_user()
    session = await api.new_session(user, "luna")
    assert session["character_id"] == "luna"
    assert session["character"]["name"] == "Luna Vale"
    assert session["message_count"] == 1
    assert session["greeting"]["role"] == "assistant"
    assert session["greeting"]["content"].startswith("*Luna slides a glass")
    r = await api.client.get(
        f"/api/v1/chat/sessions/{session['id']}/messages", headers=user.headers
    )
    assert r.status_code == 200
    assert [m["content"] for m in r.json()["items"]] == [session["greeting"]["content"]]


async def test_completion_stores_both_messages_and_answers_in_character(api: Api) -> None:
    user = await api.new_user()
    session = await api.new_session(user, "kai")
    r = await api.chat(user, session["id"], "I finally booked my first surf lesson with Marco!")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user_message"]["content"] == "I finally booked my first surf lesson with Marco!"
    reply = body["message"]["content"]
    assert body["message"]["role"] == "assistant"
    assert "Marco" in reply  # the offline provider answers about what was said
    assert (
        body["usage"]["total_tokens"]
        == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )
    r = await api.client.get(
        f"/api/v1/chat/sessions/{session['id']}/messages", headers=user.headers
    )
    items = r.json()["items"]
    assert [m["role"] for m in items] == ["assistant", "user", "assistant"]  # newest first
    assert items[0]["content"] == reply
    assert items[0]["id"] == body["message"]["id"]
    r = await api.client.get(f"/api/v1/chat/sessions/{session['id']}", headers=user.headers)
    assert r.json()["message_count"] == 3


async def test_offline_replies_are_deterministic(api: Api) -> None:
    user = await api.new_user()
    s1 = await api.new_session(user, "mira")
    s2 = await api.new_session(user, "mira")
    r1 = await api.chat(user, s1["id"], "My dog Biscuit learned a new trick")
    r2 = await api.chat(user, s2["id"], "My dog Biscuit learned a new trick")
    assert r1.json()["message"]["content"] == r2.json()["message"]["content"]


async def test_history_is_sent_back_to_the_model(api: Api) -> None:
    user = await api.new_user()
    session = await api.new_session(user)
    await api.chat(user, session["id"], "Remember: my sister is called Ophelia.")
    turn = await api.app.state.chat.prepare(
        await api.app.state.auth.authenticate(user.token),
        session_id=uuid.UUID(session["id"]),
        text="Who is my sister?",
        max_tokens=None,
    )
    await api.app.state.chat.release(turn)
    contents = [m["content"] for m in turn.plan.messages]
    assert turn.plan.messages[0]["role"] == "system"
    assert "Name: Luna Vale" in contents[0]
    assert "Remember: my sister is called Ophelia." in contents
    assert contents[-1] == "Who is my sister?"


async def test_sessions_are_listed_newest_first_with_cursor_pagination(api: Api) -> None:
    user = await api.new_user()
    ids = [(await api.new_session(user, c))["id"] for c in ("luna", "kai", "mira", "luna", "kai")]
    await api.chat(user, ids[0], "bump the oldest to the top")
    expected = [ids[0], ids[4], ids[3], ids[2], ids[1]]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        r = await api.client.get("/api/v1/chat/sessions", params=params, headers=user.headers)
        assert r.status_code == 200
        page = r.json()
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    r = await api.client.get(
        "/api/v1/chat/sessions", params={"character_id": "mira"}, headers=user.headers
    )
    assert [s["id"] for s in r.json()["items"]] == [ids[2]]


async def test_messages_paginate_backwards_in_time(api: Api) -> None:
    user = await api.new_user()
    session = await api.new_session(user)
    for i in range(3):
        assert (await api.chat(user, session["id"], f"message number {i}")).status_code == 200
    seen = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        r = await api.client.get(
            f"/api/v1/chat/sessions/{session['id']}/messages", params=params, headers=user.headers
        )
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 7
    assert [m["id"] for m in seen] == sorted((m["id"] for m in seen), reverse=True)
    assert seen[-1]["content"] == session["greeting"]["content"]


async def test_delete_session_removes_it_and_its_messages(api: Api) -> None:
    user = await api.new_user()
    session = await api.new_session(user)
    await api.chat(user, session["id"])
    r = await api.client.delete(f"/api/v1/chat/sessions/{session['id']}", headers=user.headers)
    assert r.status_code == 204
    r = await api.client.get(
        f"/api/v1/chat/sessions/{session['id']}/messages", headers=user.headers
    )
    assert r.status_code == 404
    await api.assert_ledger_matches(user)  # the charge stays in the ledger


async def test_free_user_cannot_open_a_premium_character(api: Api) -> None:
    user = await api.new_user()
    r = await api.client.post(
        "/api/v1/chat/sessions", json={"character_id": "aria"}, headers=user.headers
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "tier_required"
    await api.set_tier(user, "premium")
    assert (await api.new_session(user, "aria"))["character_id"] == "aria"


async def test_unknown_character_is_404(api: Api) -> None:
    user = await api.new_user()
    r = await api.client.post(
        "/api/v1/chat/sessions", json={"character_id": "nobody"}, headers=user.headers
    )
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "character_not_found"


async def test_refusals_after_the_hold_give_it_back(api: Api) -> None:
    """The first statement of a turn reads the context and places the hold together; a turn
    refused after it (rate limit, a tier that lapsed) leaves nothing held and nothing charged."""
    import datetime as dt

    from app.kit.clock import utcnow

    user = await api.new_user(tier="premium")
    session = await api.new_session(user, "aria")  # a premium character
    await api.set_tier(user, "premium", expires_at=utcnow() - dt.timedelta(seconds=1))
    r = await api.chat(user, session["id"], "Still there?")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "tier_required"
    wallet = await api.assert_ledger_matches(user)
    assert wallet.held_micro == 0
    free = await api.new_user()
    free_session = await api.new_session(free)
    for _ in range(5):
        assert (await api.chat(free, free_session["id"], "hi")).status_code == 200
    before = await api.assert_ledger_matches(free)
    r = await api.chat(free, free_session["id"], "one more")
    assert r.status_code == 429
    after = await api.assert_ledger_matches(free)
    assert after.held_micro == 0
    assert after.daily_micro == before.daily_micro
