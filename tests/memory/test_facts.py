"""Fact extraction (rules and the LLM's JSON) and the fact store's supersession rules."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.exc import IntegrityError

from app.kit.clock import utcnow
from app.kit.db import Database, create_database
from app.memory.facts import (
    FactCandidate,
    LLMFactExtractor,
    extract_rules,
    parse_llm_facts,
)
from app.memory.factstore import record_facts
from app.memory.repository import MemoryRepository
from app.models import MemoryFact
from app.settings import Settings
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.memory.helpers import make_user


def facts(text: str) -> dict[str, str]:
    return {f.key: f.value for f in extract_rules(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hey Luna, I'm Sam by the way.", {"user.name": "Sam"}),
        ("Please call me Sasha from now on.", {"user.name": "Sasha"}),
        ("My name is Priya and I just turned 29.", {"user.name": "Priya", "user.age": "29"}),
        ("My cat is called Pepper, she's a grumpy tabby.", {"pet.cat.name": "Pepper"}),
        ("We renamed the cat, she's Mochi now.", {"pet.cat.name": "Mochi"}),
        ("We adopted a kitten last week. Her name is Olive.", {"pet.cat.name": "Olive"}),
        ("We rescued a second parrot named Mango.", {"pet.parrot.mango.name": "Mango"}),
        (
            "I live in Lyon with my boyfriend Marc.",
            {"location.home": "Lyon", "relation.partner.name": "Marc"},
        ),
        ("We finally moved to Berlin! The flat is tiny.", {"location.home": "Berlin"}),
        (
            "I grew up in Cairo but I live in London now.",
            {"location.hometown": "Cairo", "location.home": "London"},
        ),
        ("My older brother is called Tomás.", {"relation.brother.name": "Tomás"}),
        ("Anna is my best friend, we met in kindergarten.", {"relation.best_friend.name": "Anna"}),
        ("I'm dating Clara now.", {"relation.partner.name": "Clara"}),
        ("My girlfriend and I broke up last week.", {"relation.partner.name": "none"}),
        ("I work at Spotify on the payments team.", {"work.employer": "Spotify"}),
        ("I'm a software engineer at a startup.", {"work.role": "software engineer"}),
        ("My favourite band is Radiohead, always.", {"preference.favorite.band": "Radiohead"}),
        ("I only drink green tea now.", {"preference.drink": "green tea"}),
        ("I'm allergic to peanuts.", {"health.allergy.peanuts": "peanuts"}),
        ("Our wedding got moved to June 21 because of the florist.", {"event.wedding": "June 21"}),
        ("My birthday is on March 3rd.", {"event.birthday": "March 3rd"}),
    ],
)
def test_rules_extract_keyed_facts(text: str, expected: dict[str, str]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "What's my cat's name?",  # a question states nothing
        "My ex-girlfriend Emma texted me.",  # a former partner is not the partner
        "My friend Jake just moved to Paris for work.",  # someone else's move
        "My coworker's dog Biscuit came to the office.",  # someone else's dog
        "My friend Ben just turned 40.",  # someone else's age
        "I love you",
        "I'm so tired today.",
    ],
)
def test_rules_do_not_invent_facts(text: str) -> None:
    assert facts(text) == {}


def test_llm_answer_is_parsed_and_normalised() -> None:
    raw = (
        'Sure! {"facts": [{"key": "Pet.Cat Name", "category": "pet", "value": "Mochi.", '
        '"statement": "The user\'s cat is named Mochi."}, {"key": "x", "category": "weird", '
        '"value": "y", "statement": "z"}]}'
    )
    got = parse_llm_facts(raw)
    assert got == [
        FactCandidate("pet.cat_name", "pet", "Mochi", "The user's cat is named Mochi."),
        FactCandidate("x", "other", "y", "z"),
    ]
    assert parse_llm_facts("I cannot help with that.") is None
    assert parse_llm_facts('{"facts": "nope"}') is None


async def test_llm_extractor_speaks_to_the_model_and_falls_back_to_rules(
    llm_server: FakeOpenAI,
) -> None:
    from app.llm.openai_compat import OpenAICompatibleProvider

    provider = OpenAICompatibleProvider(
        base_url=llm_server.base_url, api_key="k", model="fake-model", name="openai_compatible"
    )
    try:
        extractor = LLMFactExtractor(provider)
        llm_server.push(
            Reply(
                '{"facts": [{"key": "location.home", "category": "location", '
                '"value": "Berlin", "statement": "The user lives in Berlin."}]}'
            ),
            Reply("Sorry, I only chat."),
        )
        got = await extractor.extract("We moved!", known_keys=["location.home"])
        assert [(f.key, f.value) for f in got] == [("location.home", "Berlin")]
        sent = llm_server.chat_requests[-1]["messages"]
        assert "location.home" in sent[1]["content"] and "We moved!" in sent[1]["content"]
        # Not JSON: the rules take over.
        got = await extractor.extract("My cat is called Pepper.", known_keys=[])
        assert [(f.key, f.value) for f in got] == [("pet.cat.name", "Pepper")]
    finally:
        await provider.aclose()


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = await create_database(Settings(_env_file=None, DATABASE_URL=db_url))
    try:
        yield database
    finally:
        await database.dispose()


async def _record(db: Database, user_id: uuid.UUID, value: str, at: dt.datetime) -> None:
    async with db.sessionmaker() as session:
        await record_facts(
            MemoryRepository(session),
            user_id=user_id,
            character_id="luna",
            session_id=uuid.uuid4(),
            message_id=uuid.uuid4(),
            observed_at=at,
            candidates=[
                FactCandidate("location.home", "location", value, f"The user lives in {value}.")
            ],
            source="rules",
        )
        await session.commit()


async def _rows(db: Database, user_id: uuid.UUID) -> list[MemoryFact]:
    async with db.sessionmaker() as session:
        rows = await MemoryRepository(session).list_memory(
            user_id, kinds=("fact",), before=None, limit=50
        )
    return sorted((r.row for r in rows), key=lambda f: f.observed_at)


async def test_a_new_value_supersedes_and_an_old_one_never_wins(db: Database) -> None:
    user_id = await make_user(db.sessionmaker, "vip")
    t0 = utcnow()
    await _record(db, user_id, "Lyon", t0)
    await _record(db, user_id, "lyon", t0 + dt.timedelta(minutes=1))  # the same value again
    await _record(db, user_id, "Berlin", t0 + dt.timedelta(days=2))
    # A delayed job delivers something said before the move: history, not the current value.
    await _record(db, user_id, "Munich", t0 + dt.timedelta(days=1))

    rows = await _rows(db, user_id)
    assert [(r.value, r.status) for r in rows] == [
        ("Lyon", "superseded"),
        ("Munich", "superseded"),
        ("Berlin", "current"),
    ]
    berlin = rows[-1]
    assert rows[0].superseded_by_id == berlin.id
    assert rows[1].superseded_by_id == berlin.id
    async with db.sessionmaker() as session:
        current = await MemoryRepository(session).current_facts(user_id)
    assert [f.value for f in current] == ["Berlin"]


async def test_at_most_one_current_fact_per_key(db: Database) -> None:
    user_id = await make_user(db.sessionmaker, "vip")
    now = utcnow()
    async with db.sessionmaker() as session:
        for value in ("Lyon", "Berlin"):
            session.add(
                MemoryFact(
                    user_id=user_id,
                    character_id="luna",
                    key="location.home",
                    category="location",
                    value=value,
                    statement=value,
                    status="current",
                    source="rules",
                    observed_at=now,
                )
            )
        with pytest.raises(IntegrityError):
            await session.flush()
