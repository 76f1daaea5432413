"""The character catalogue, cached in process: characters change rarely and every chat message
needs its character's prompt."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.characters.errors import CharacterNotFound
from app.characters.repository import CharacterRepository
from app.characters.schemas import CharacterIn
from app.llm.tokens import estimate_message_tokens
from app.models import CharacterConfig
from app.skins.registry import UNRESTRICTED, Skin


@dataclass(frozen=True, slots=True)
class CharacterPrompt:
    """What the chat path needs of a character, computed once per cache fill."""

    id: str
    name: str
    tier_required: str
    system_message: str
    system_tokens: int


def render_system_message(c: CharacterConfig) -> str:
    """The system prompt plus the persona card, in a stable layout the offline provider reads."""
    parts = [c.system_prompt.strip(), "", f"Name: {c.name}", f"Age: {c.age}"]
    parts.append(f"Personality: {c.personality.strip()}")
    if c.scenario.strip():
        parts.append(f"Scenario: {c.scenario.strip()}")
    if c.example_dialogue.strip():
        parts += ["Example dialogue:", c.example_dialogue.strip()]
    parts += [
        "",
        f"Stay in character as {c.name}. All characters are adults. Never describe sexual "
        "content involving minors, and refuse to help with violence, terrorism or crime.",
    ]
    return "\n".join(parts)


class CharacterService:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, ttl: float = 60.0
    ) -> None:
        self._sessionmaker = sessionmaker
        self._ttl = ttl
        self._prompts: dict[str, tuple[float, CharacterPrompt]] = {}
        self._max_tokens: tuple[float, int] | None = None

    async def list(
        self, session: AsyncSession, *, skin: Skin = UNRESTRICTED
    ) -> list[CharacterConfig]:
        """The active characters the skin shows, in catalogue order."""
        characters = await CharacterRepository(session).list_active()
        return [c for c in characters if skin.shows_character(c.id)]

    async def get(
        self, session: AsyncSession, character_id: str, *, skin: Skin = UNRESTRICTED
    ) -> CharacterConfig:
        """An active character the skin shows; one it does not show is not found."""
        if not skin.shows_character(character_id):
            raise CharacterNotFound(character_id=character_id)
        character = await CharacterRepository(session).get(character_id)
        if character is None or not character.is_active:
            raise CharacterNotFound(character_id=character_id)
        return character

    async def prompt(self, character_id: str) -> CharacterPrompt:
        """The character's rendered prompt, from the process cache (refreshed every `ttl`)."""
        hit = self._prompts.get(character_id)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        async with self._sessionmaker() as session:
            character = await CharacterRepository(session).get(character_id)
        if character is None:
            raise CharacterNotFound(character_id=character_id)
        system = render_system_message(character)
        prompt = CharacterPrompt(
            id=character.id,
            name=character.name,
            tier_required=character.tier_required,
            system_message=system,
            system_tokens=estimate_message_tokens(system),
        )
        self._prompts[character_id] = (now + self._ttl, prompt)
        return prompt

    async def max_system_tokens(self) -> int:
        """The largest system message of any character, in tokens: the chat path's hold is
        placed before it knows the session's character, so it reserves for the largest."""
        now = time.monotonic()
        if self._max_tokens is not None and self._max_tokens[0] > now:
            return self._max_tokens[1]
        async with self._sessionmaker() as session:
            characters = await CharacterRepository(session).list_all()
        largest = max(
            (estimate_message_tokens(render_system_message(c)) for c in characters), default=0
        )
        self._max_tokens = (now + self._ttl, largest)
        return largest

    def invalidate(self) -> None:
        self._prompts.clear()
        self._max_tokens = None


async def upsert_character(session: AsyncSession, data: CharacterIn) -> bool:
    """Create or update a character; True when something changed (the seed is idempotent)."""
    repo = CharacterRepository(session)
    values = data.model_dump(mode="json")
    existing = await repo.get(data.id)
    if existing is None:
        repo.add(CharacterConfig(**values, is_active=True))
        await session.flush()
        return True
    changed = False
    for key, value in values.items():
        if getattr(existing, key) != value:
            setattr(existing, key, value)
            changed = True
    if changed:
        await session.flush()
    return changed
