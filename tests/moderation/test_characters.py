"""Characters are adults: a character under 18 with adult content is refused by the schema and,
should anything bypass it, by the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.characters.errors import MinorAdultCharacter
from app.characters.schemas import CharacterIn
from app.models import CharacterConfig


def character(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": "probe_character",
        "name": "Probe",
        "description": "A test persona.",
        "personality": "Curious.",
        "greeting": "Hello.",
        "system_prompt": "You are Probe.",
        "age": 30,
        "adult_content": True,
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize("age", [0, 12, 16, 17])
def test_the_schema_refuses_a_minor_with_adult_content(age: int) -> None:
    with pytest.raises(MinorAdultCharacter) as refused:
        CharacterIn(**character(age=age, adult_content=True))
    assert refused.value.status_code == 422
    assert refused.value.code == "character_minor_adult_content"
    assert refused.value.details == {"character_id": "probe_character", "age": age}


def test_the_schema_accepts_adults_and_minors_without_adult_content() -> None:
    assert CharacterIn(**character(age=18, adult_content=True)).adult_content
    assert CharacterIn(**character(age=17, adult_content=False)).age == 17


def _row(**overrides: Any) -> CharacterConfig:
    values = character(**overrides)
    return CharacterConfig(
        **values, scenario="", example_dialogue="", tags=[], extra={}, tier_required="free"
    )


async def test_the_database_refuses_a_minor_with_adult_content(app: Any) -> None:
    sessionmaker = app.state.db.jobs_sessionmaker
    async with sessionmaker() as session:
        session.add(_row(id="minor_adult_probe", age=16, adult_content=True))
        with pytest.raises(IntegrityError, match=r"(?i)adult_content|check"):
            await session.flush()
        await session.rollback()

    async with sessionmaker() as session:  # an adult one goes in (rolled back: not seeded)
        session.add(_row(id="adult_probe", age=18, adult_content=True))
        await session.flush()
        assert (await session.get(CharacterConfig, "adult_probe")) is not None
        await session.rollback()

    async with sessionmaker() as session:  # nor can an existing adult character be made minor
        adult = (
            (
                await session.execute(
                    select(CharacterConfig.id).where(CharacterConfig.adult_content.is_(True))
                )
            )
            .scalars()
            .first()
        )
        assert adult is not None  # the seed catalogue has adult-content characters
        with pytest.raises(IntegrityError):
            await session.execute(
                update(CharacterConfig).where(CharacterConfig.id == adult).values(age=15)
            )
        await session.rollback()
