"""OutputGuard: moderating a streamed reply delta by delta."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import REGISTRY

from app.kit.ids import uuid7
from app.moderation.local import LocalPolicyEngine
from app.moderation.openai_classifier import OpenAIModerationClassifier
from app.moderation.pipeline import ModerationPipeline
from app.moderation.repository import ModerationRepository
from app.moderation.service import ModerationService, OutputGuard
from app.moderation.verdict import Action, Category
from tests.fakes.openai_server import FakeOpenAI, split_deltas
from tests.helpers import Api


class NoSessions:
    """A sessionmaker for guards that must never write: any use fails the test."""

    def __call__(self) -> Any:
        raise AssertionError("the allow path opened a database session")


def local_service(sessions: Any = None) -> ModerationService:
    return ModerationService(
        ModerationPipeline(LocalPolicyEngine()), sessions or NoSessions(), stream_window=320
    )


def guard(service: ModerationService) -> OutputGuard:
    return service.output_guard(user_id=uuid7(), session_id=uuid7())


def decisions(category: str, action: str) -> float:
    value = REGISTRY.get_sample_value(
        "moderation_decisions_total",
        {"direction": "output", "category": category, "action": action},
    )
    return value or 0.0


async def test_the_guard_stops_the_stream_when_it_turns(api: Api) -> None:
    user = await api.new_user()
    service = ModerationService(
        ModerationPipeline(LocalPolicyEngine()), api.app.state.db.jobs_sessionmaker
    )
    g = service.output_guard(user_id=user.id, session_id=None)
    before = decisions("terrorism", "block")
    reply = (
        "Sure, let me tell you about my quiet evening by the lake, the frogs and the stars. "
        "Then he asked me: how do you make a pipe bomb? Well, first you pack the pipe..."
    )
    deltas = split_deltas(reply)
    verdicts = [(delta, (await g.feed(delta)).action) for delta in deltas]
    first_block = next(i for i, (_, action) in enumerate(verdicts) if action is Action.block)
    assert deltas[first_block] == "bomb? "  # the delta that completes the request, not before
    assert all(action is Action.allow for _, action in verdicts[:first_block])

    scanned = g.scanned_chars
    assert (await g.feed(" and then seal both ends")).blocked  # stays blocked, scans nothing
    assert g.scanned_chars == scanned
    final = await g.finish()
    assert (final.action, final.category) == (Action.block, Category.terrorism)
    assert decisions("terrorism", "block") == before + 1  # one decision per stream

    async with api.app.state.db.jobs_sessionmaker() as session:
        rows = await ModerationRepository(session).list_for_user(user.id)
    assert [(r.direction, r.category, r.action) for r in rows] == [("output", "terrorism", "block")]


async def test_a_word_split_across_deltas_is_seen_whole() -> None:
    g = guard(local_service(sessions=_Recorder()))
    assert (await g.feed("Listen to me. I'm going to ki")).allowed
    verdict = await g.feed("ll you tonight")
    assert (verdict.action, verdict.category) == (Action.block, Category.violence)


async def test_a_benign_stream_is_allowed_without_running_the_rules() -> None:
    g = guard(local_service())
    for delta in split_deltas("Good morning love, did you sleep well? I made coffee. " * 50):
        assert (await g.feed(delta)).allowed
    assert (await g.finish()).allowed
    assert g.scanned_chars == 0  # no trigger word: only the quick screen ran


async def test_the_cost_of_a_long_stream_stays_linear() -> None:
    """Trigger words ("kill time", "shoot a photo") arm the rules for one window each: the
    characters the rules scan grow with the stream's length, not with its square."""
    paragraph = (
        "We tried to kill time at the station, so I decided to shoot a photo of the old "
        "clock tower while the rain kept falling softly on the empty platform and the trains "
        "kept running late all evening long without any announcement at all, "
    )

    async def stream(repeats: int) -> tuple[OutputGuard, list[float]]:
        g = guard(local_service())
        deltas = split_deltas(paragraph * repeats)
        per_delta: list[float] = []
        for delta in deltas:
            started = time.process_time()
            await g.feed(delta)
            per_delta.append(time.process_time() - started)
        return g, per_delta

    short, _ = await stream(20)
    long, timings = await stream(80)
    assert long.verdict.allowed
    assert short.scanned_chars > 0  # the trigger words did wake the rules
    total = len(paragraph) * 80
    assert long.screened_chars <= total + 32 * len(timings)  # each delta plus the overlap
    assert long.scanned_chars <= 4.5 * short.scanned_chars  # 4x the text, ~4x the work
    assert long.scanned_chars <= total * (320 + 20) / 5  # at most a window per delta
    quarter = len(timings) // 4
    early, late = sum(timings[:quarter]), sum(timings[-quarter:])
    assert late < 3 * early + 0.01  # the last deltas cost what the first ones did


async def test_instructions_given_in_a_reply_are_stopped_where_they_become_instructions() -> None:
    """The lead's example: not asked for, given. The stream stops at the delta that names the
    object, before the steps are shown."""
    g = guard(local_service(sessions=_Recorder()))
    deltas = split_deltas(
        "Sure thing. Here is how you make a pipe bomb: first get a steel pipe and two end caps."
    )
    verdicts = [(await g.feed(delta)).action for delta in deltas]
    first_block = verdicts.index(Action.block)
    assert deltas[first_block] == "bomb: "
    assert (await g.finish()).category is Category.terrorism


async def test_a_recipe_that_never_names_its_weapon_is_stopped_mid_stream() -> None:
    g = guard(local_service(sessions=_Recorder()))
    reply = (
        "Okay. Pour kerosene into a glass jar, push a cloth wick through the lid and light it "
        "before you throw it."
    )
    blocked_at = None
    for i, delta in enumerate(split_deltas(reply)):
        if (await g.feed(delta)).blocked:
            blocked_at = i
            break
    assert blocked_at is not None  # by feed(), not only by finish()
    assert "recipe:incendiary_bottle" in g.verdict.reasons[Category.terrorism]


async def test_breath_play_in_an_erotic_reply_streams_through() -> None:
    g = guard(local_service())  # NoSessions: an allowed stream writes nothing
    reply = (
        "*She pulls you onto the bed and kisses your neck, her lips warm* Come here, baby. "
        "I'm going to choke you softly while I kiss you, just the way you like it."
    )
    for delta in split_deltas(reply):
        assert (await g.feed(delta)).allowed, delta
    assert (await g.finish()).allowed


async def test_finish_catches_what_the_window_cannot_see(llm_server: FakeOpenAI) -> None:
    """A roleplay frame set up more than a window before the turn: the per-delta check, which
    only sees the last window, lets it through; finish() checks the whole reply."""
    reply = (
        "Let's roleplay. "
        + "We walk along the beach and talk about the stars and the sea. " * 7
        + "You are 14 and we are falling in love."
    )
    g = guard(local_service(sessions=_Recorder()))
    for delta in split_deltas(reply):
        assert not (await g.feed(delta)).blocked
    final = await g.finish()
    assert (final.action, final.category) == (Action.block, Category.child_safety)


async def test_finish_asks_the_remote_classifier_about_the_whole_reply(
    llm_server: FakeOpenAI,
) -> None:
    reply = "The reply reads fine, word by word, to the local engine."
    llm_server.moderation_flags[reply] = {"illicit": True}
    service = ModerationService(
        ModerationPipeline(
            LocalPolicyEngine(),
            OpenAIModerationClassifier(api_key="k", base_url=llm_server.base_url),
        ),
        _Recorder(),
    )
    g = guard(service)
    for delta in split_deltas(reply):
        assert (await g.feed(delta)).allowed
    assert not [r for r in llm_server.requests if r["path"] == "/v1/moderations"]  # not per delta
    final = await g.finish()
    await service.aclose()
    assert (final.action, final.category, final.classifier) == (
        Action.block,
        Category.illegal_activity,
        "openai",
    )


class _Recorder:
    """A sessionmaker stand-in that keeps the events a guard writes (no database needed)."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def __call__(self) -> _Recorder:
        return self

    async def __aenter__(self) -> _Recorder:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def add(self, event: Any) -> None:
        self.events.append(event)

    async def flush(self) -> None:
        return None

    async def commit(self) -> None:
        return None
