"""Streaming on the embedded default (the offline provider)."""

from __future__ import annotations

from tests.chat.test_streaming import assistant_message, stream_chat
from tests.helpers import Api


async def test_offline_stream_relays_the_reply_and_bills_it(api: Api) -> None:
    user = await api.new_user()
    session = await api.new_session(user, "luna")
    events = await stream_chat(api, user, session["id"], "Tell me about Betelgeuse tonight")
    names = [n for n, _ in events]
    assert names[0] == "start" and names[-1] == "done" and set(names[1:-1]) == {"delta"}
    text = "".join(d["text"] for n, d in events if n == "delta")
    done = events[-1][1]
    assert done["status"] == "complete"
    stored = await assistant_message(api, done["message_id"])
    assert stored.content == text and stored.status == "complete"
    assert done["credits_charged_micro"] == done["usage"]["total_tokens"] * 100
    assert stored.credits_micro == done["credits_charged_micro"]
    wallet = await api.assert_ledger_matches(user)
    assert wallet.held_micro == 0
    assert wallet.daily_micro == 10_000_000 - done["credits_charged_micro"]
