"""End to end through the API: a Premium user tells a character a fact in one session; in a new
session the prompt the backend sends to the model (seen at the loopback OpenAI-compatible
server) contains it. A Free user's prompt never does, not even after upgrading.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.memory.embeddings import LocalEmbedder
from tests.fakes.openai_server import FakeOpenAI
from tests.helpers import Api

FACT = "My sister is called Ophelia and she is a marine biologist."
QUESTION = "Do you remember what my sister does for a living?"


@pytest.fixture(autouse=True)
def _model(minilm: LocalEmbedder) -> None:
    """The app's memory service shares the session's loaded model."""


@pytest.fixture
def settings_overrides(llm_server: FakeOpenAI) -> dict[str, Any]:
    return {
        "XAI_API_KEY": "test-key",
        "XAI_BASE_URL": llm_server.base_url,
        "MEMORY_FACT_EXTRACTOR": "rules",
    }


def system_prompts(server: FakeOpenAI) -> list[str]:
    return [r["messages"][0]["content"] for r in server.chat_requests]


async def test_memory_reaches_the_model_through_the_chat_api(
    api: Api, llm_server: FakeOpenAI
) -> None:
    memory = api.app.state.memory
    for tier, expected in (("premium", True), ("free", False)):
        user = await api.new_user(tier=tier)
        first = await api.new_session(user, "luna")
        assert (await api.chat(user, first["id"], FACT)).status_code == 200
        assert await memory.drain(60)
        second = await api.new_session(user, "luna")
        assert (await api.chat(user, second["id"], QUESTION)).status_code == 200
        prompt = system_prompts(llm_server)[-1]
        assert ("Ophelia" in prompt) is expected, (tier, prompt)
        assert ("marine biologist" in prompt) is expected


async def test_upgrading_exposes_nothing_from_the_free_days(
    api: Api, llm_server: FakeOpenAI
) -> None:
    memory = api.app.state.memory
    user = await api.new_user()
    first = await api.new_session(user, "luna")
    assert (await api.chat(user, first["id"], FACT)).status_code == 200
    assert await memory.drain(60)
    await api.set_tier(user, "premium")
    second = await api.new_session(user, "luna")
    assert (await api.chat(user, second["id"], QUESTION)).status_code == 200
    assert "Ophelia" not in system_prompts(llm_server)[-1]


async def test_deleting_the_session_forgets_what_it_taught(
    api: Api, llm_server: FakeOpenAI
) -> None:
    memory = api.app.state.memory
    user = await api.new_user(tier="premium")
    first = await api.new_session(user, "luna")
    assert (await api.chat(user, first["id"], FACT)).status_code == 200
    assert await memory.drain(60)
    r = await api.client.delete(f"/api/v1/chat/sessions/{first['id']}", headers=user.headers)
    assert r.status_code == 204
    second = await api.new_session(user, "luna")
    assert (await api.chat(user, second["id"], QUESTION)).status_code == 200
    assert "Ophelia" not in system_prompts(llm_server)[-1]
