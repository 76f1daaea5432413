from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

Tier = Literal["free", "premium", "vip"]


class CharacterIn(BaseModel):
    """A character's configuration, as the seed script and admins write it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{1,63}$")
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(min_length=1, max_length=2000)
    personality: str = Field(min_length=1, max_length=4000)
    scenario: str = Field("", max_length=4000)
    greeting: str = Field(min_length=1, max_length=4000)
    example_dialogue: str = Field("", max_length=8000)
    system_prompt: str = Field(min_length=1, max_length=8000)
    tags: list[str] = Field(default_factory=list, max_length=20)
    avatar_url: HttpUrl | None = None
    tier_required: Tier = "free"
    adult_content: bool = False
    age: int = Field(ge=0, le=10_000)
    sort_order: int = 0

    @model_validator(mode="after")
    def _adults_only_for_adult_content(self) -> CharacterIn:
        if self.adult_content and self.age < 18:
            from app.characters.errors import MinorAdultCharacter

            raise MinorAdultCharacter(character_id=self.id, age=self.age)
        return self


class CharacterOut(BaseModel):
    """A character as clients see it (the system prompt stays on the server)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    description: str
    personality: str
    scenario: str
    greeting: str
    example_dialogue: str
    tags: list[str]
    avatar_url: str | None
    tier_required: Tier
    adult_content: bool
    age: int


class CharacterList(BaseModel):
    items: list[CharacterOut]
