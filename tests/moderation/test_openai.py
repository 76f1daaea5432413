"""OpenAIModerationClassifier over real HTTP (the official SDK against the loopback server that
speaks OpenAI's wire format), and the pipeline's fail-open behaviour."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from prometheus_client import REGISTRY

from app.moderation import ContentBlocked, create_moderation_service
from app.moderation.local import LocalPolicyEngine
from app.moderation.openai_classifier import OpenAIModerationClassifier
from app.moderation.pipeline import ModerationPipeline
from app.moderation.repository import ModerationRepository
from app.moderation.verdict import Action, Category
from tests.fakes.openai_server import Fail, FakeOpenAI, Hang
from tests.helpers import Api


def classifier(server: FakeOpenAI) -> OpenAIModerationClassifier:
    return OpenAIModerationClassifier(api_key="test-key", base_url=server.base_url, timeout=2.0)


def remote_errors(reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "moderation_remote_errors_total", {"classifier": "openai", "reason": reason}
    )
    return value or 0.0


@pytest.mark.parametrize(
    ("flags", "direction", "expected"),
    [
        ({"sexual/minors": True, "sexual": True}, "input", (Action.block, Category.child_safety)),
        ({"sexual": True}, "input", (Action.allow, None)),  # adult content is allowed
        ({"violence": True, "violence/graphic": True}, "output", (Action.flag, Category.violence)),
        ({"harassment/threatening": True}, "input", (Action.block, Category.violence)),
        ({"hate/threatening": True}, "output", (Action.block, Category.violence)),
        ({"illicit": True}, "input", (Action.block, Category.illegal_activity)),
        ({"illicit/violent": True}, "output", (Action.block, Category.illegal_activity)),
        ({"self-harm": True, "self-harm/intent": True}, "input", (Action.flag, Category.self_harm)),
        ({"self-harm/instructions": True}, "input", (Action.flag, Category.self_harm)),
        ({"self-harm/instructions": True}, "output", (Action.block, Category.self_harm)),
        ({"harassment": True, "hate": True}, "input", (Action.allow, None)),
    ],
)
async def test_openai_categories_map_onto_the_policy(
    llm_server: FakeOpenAI, flags: dict[str, bool], direction: Any, expected: Any
) -> None:
    text = f"probe {sorted(flags)} {direction}"
    llm_server.moderation_flags[text] = flags
    remote = classifier(llm_server)
    try:
        verdict = await remote.classify(text, direction=direction)
    finally:
        await remote.aclose()
    assert (verdict.action, verdict.category) == expected
    assert verdict.classifier == "openai"
    request = llm_server.requests[-1]
    assert request["path"] == "/v1/moderations"
    assert request["body"] == {"model": "omni-moderation-latest", "input": text}
    assert request["headers"]["Authorization"] == "Bearer test-key"


async def test_scores_and_reasons_come_through(llm_server: FakeOpenAI) -> None:
    text = "scores probe"
    llm_server.moderation_flags[text] = {"illicit": True, "violence": True}
    llm_server.moderation_scores[text] = {"illicit": 0.91, "illicit/violent": 0.4, "sexual": 0.7}
    remote = classifier(llm_server)
    try:
        verdict = await remote.classify(text, direction="input")
    finally:
        await remote.aclose()
    assert verdict.category is Category.illegal_activity
    assert verdict.scores[Category.illegal_activity] == pytest.approx(0.91)
    assert verdict.scores[Category.violence] == pytest.approx(0.99)
    assert verdict.reasons == {
        Category.illegal_activity: ("openai:illicit",),
        Category.violence: ("openai:violence",),
    }


async def test_the_pipeline_blocks_if_either_blocks(llm_server: FakeOpenAI) -> None:
    pipeline = ModerationPipeline(LocalPolicyEngine(), classifier(llm_server))
    try:
        text = "a perfectly ordinary sentence"
        llm_server.moderation_flags[text] = {"sexual/minors": True}
        remote_block = await pipeline.classify(text, direction="input")
        assert (remote_block.action, remote_block.category) == (
            Action.block,
            Category.child_safety,
        )
        assert remote_block.classifier == "openai"

        seen = len(llm_server.requests)
        local_block = await pipeline.classify("how do I make a pipe bomb", direction="input")
        assert local_block.blocked and local_block.classifier == "local"
        assert len(llm_server.requests) == seen  # blocked locally: nothing sent out

        # local flag + remote flag: the flag stays, scores merge
        llm_server.moderation_flags["I want to die"] = {"self-harm/intent": True}
        both = await pipeline.classify("I want to die", direction="input")
        assert (both.action, both.category) == (Action.flag, Category.self_harm)
        assert both.reasons[Category.self_harm] == (
            "self_harm_statement",
            "openai:self-harm/intent",
        )
    finally:
        await pipeline.aclose()


async def test_a_remote_error_fails_open_to_the_local_verdict(
    llm_server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = ModerationPipeline(LocalPolicyEngine(), classifier(llm_server))
    before = remote_errors("InternalServerError")
    llm_server.moderation_script.extend([Fail(500), Fail(500)])
    try:
        with caplog.at_level(logging.WARNING, logger="app.moderation.pipeline"):
            allowed = await pipeline.classify("tell me about your day", direction="input")
            flagged = await pipeline.classify("I want to kill myself", direction="input")
    finally:
        await pipeline.aclose()
    assert allowed.allowed and allowed.classifier == "local"
    assert (flagged.action, flagged.category) == (Action.flag, Category.self_harm)
    assert remote_errors("InternalServerError") == before + 2
    assert "remote moderation failed" in caplog.text


async def test_a_remote_timeout_fails_open_within_the_budget(llm_server: FakeOpenAI) -> None:
    pipeline = ModerationPipeline(
        LocalPolicyEngine(),
        OpenAIModerationClassifier(api_key="k", base_url=llm_server.base_url, timeout=5.0),
        remote_timeout=0.3,
    )
    before = remote_errors("timeout")
    llm_server.moderation_script.append(Hang(1.0))
    try:
        started = time.monotonic()
        verdict = await pipeline.classify("good night, sweet dreams", direction="output")
        elapsed = time.monotonic() - started
    finally:
        await pipeline.aclose()
    assert verdict.allowed
    assert elapsed < 0.9
    assert remote_errors("timeout") == before + 1


@pytest.fixture
def settings_overrides(llm_server: FakeOpenAI) -> dict[str, Any]:
    return {
        "OPENAI_MODERATION": True,
        "OPENAI_API_KEY": "test-key",
        "OPENAI_BASE_URL": llm_server.base_url,
        "OPENAI_MODERATION_TIMEOUT_SECONDS": 1.0,
    }


async def test_the_service_records_a_remote_block(api: Api, llm_server: FakeOpenAI) -> None:
    user = await api.new_user()
    service = create_moderation_service(api.app.state.settings, api.app.state.db.jobs_sessionmaker)
    text = "Can you list some good places to buy things"
    llm_server.moderation_flags[text] = {"illicit": True}
    try:
        with pytest.raises(ContentBlocked) as blocked:
            await service.check_input(user_id=user.id, session_id=None, text=text)
    finally:
        await service.aclose()
    assert blocked.value.details["category"] == "illegal_activity"
    async with api.app.state.db.jobs_sessionmaker() as session:
        rows = await ModerationRepository(session).list_for_user(user.id)
    assert [(r.classifier, r.category, r.action) for r in rows] == [
        ("openai", "illegal_activity", "block")
    ]
