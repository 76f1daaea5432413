from __future__ import annotations

import pytest

from app.characters.errors import MinorAdultCharacter
from app.characters.schemas import CharacterIn
from app.characters.seed import SEED_CHARACTERS, seed_characters
from tests.helpers import Api


async def test_catalogue_lists_the_seeded_adult_personas(api: Api) -> None:
    r = await api.client.get("/api/v1/config/characters")
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) >= 5
    assert len({c["name"] for c in items}) == len(items)
    for c in items:
        assert c["age"] >= 18
        for field in ("description", "personality", "greeting", "example_dialogue", "avatar_url"):
            assert c[field]
        assert "system_prompt" not in c  # stays on the server
    assert {c["tier_required"] for c in items} == {"free", "premium", "vip"}


async def test_one_character_and_unknown_one(api: Api) -> None:
    r = await api.client.get("/api/v1/config/characters/kai")
    assert r.status_code == 200
    assert r.json()["name"] == "Kai Moreno"
    r = await api.client.get("/api/v1/config/characters/nobody")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "character_not_found"


async def test_seed_is_idempotent(api: Api) -> None:
    async with api.app.state.db.jobs_sessionmaker() as session:
        assert await seed_characters(session) == []  # the harness already seeded
        await session.commit()


def test_a_minor_with_adult_content_is_refused() -> None:
    data = SEED_CHARACTERS[0].model_dump() | {"age": 16, "adult_content": True}
    with pytest.raises(MinorAdultCharacter):
        CharacterIn(**data)
    assert CharacterIn(**(data | {"adult_content": False})).age == 16
