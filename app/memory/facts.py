"""Durable facts about the user, extracted from what they say (VIP).

A fact has a key ("pet.cat.name", "location.home", "relation.sister.name") so that a new value
replaces the old one instead of piling up next to it: "we renamed the cat Mochi" supersedes
"my cat is called Pepper"; "I moved to Berlin" supersedes "I live in Lyon".

Two extractors with one interface:
- RuleFactExtractor (offline, the embedded default): patterns for names, age, home, pets,
  family and partners, work, favourites, likes and dislikes, diet and allergies, dated events.
  It misses what it has no pattern for (then vector retrieval still finds the message), and it
  never invents: every value is a span of the user's own words.
- LLMFactExtractor (production): the chat model returns the facts as JSON, reusing the keys the
  user already has; anything it answers that does not parse falls back to the rules.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, Field, ValidationError

from app.llm.base import LLMProvider

log = logging.getLogger(__name__)

CATEGORIES = (
    "identity",
    "location",
    "pet",
    "relationship",
    "work",
    "education",
    "preference",
    "health",
    "event",
    "other",
)


@dataclass(slots=True, frozen=True)
class FactCandidate:
    key: str
    category: str
    value: str
    statement: str


class FactExtractor(Protocol):
    name: str  # rules | llm

    async def extract(self, text: str, *, known_keys: Sequence[str]) -> list[FactCandidate]: ...


def same_value(a: str, b: str) -> bool:
    return _norm(a) == _norm(b)


def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", value.strip().strip(".!?,;:\"'").casefold())


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")[:60] or "x"


# --------------------------------------------------------------------------- rules

# Capitalised words that start sentences or fill slots but are not names.
_NOT_NAMES = frozenset(
    """
    I I'm I've I'd I'll Im The A An My Our Your His Her Their Its He She They We It This That
    These Those There Here Yes No Oh Ok Okay Well So And But Or Because If When Then Also Just
    Hi Hello Hey Thanks Thank Sorry Please Today Tomorrow Yesterday Tonight Now Still Anyway
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday Lol Haha Wow Honestly Actually
    """.split()
)

# Unicode letters (Tomás, Zoë, Ørsted); a capital first, as names are written.
_UP = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĲĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ"
_WORD = r"[" + _UP + r"](?:[^\W\d_]|['\-])+"
_NAME = r"(?P<name>" + _WORD + r"(?:\s" + _WORD + r")?)"
_PLACE = (
    r"(?P<place>"
    + _WORD
    + r"(?:\s(?:(?:de|del|da|do|la|le|upon|on|am|im|of)\s)?"
    + _WORD
    + r"){0,3})"
)
_CLAUSE = r"(?P<val>[^,.!?;:()]{2,60}?)"
_CLAUSE_END = (
    r"(?=\s*(?:[,.!?;:()]|$|\s(?i:and|but|because|since|so|though|although|which|who|when|"
    r"now|these days|nowadays|anymore|lately|by the way|haha|lol)\b))"
)

# Where an employer's name ends: "Spotify on the payments team", "a shop in Leeds".
_ORG_END = (
    r"(?=\s+(?i:on|in|as|with|where|doing|since|starting|from|until|for the)\b"
    r"|\s*(?:[,.!?;:()]|$)|\s(?i:and|but|because|so|now|these days)\b)"
)

_SPECIES = {
    "cat": "cat",
    "kitten": "cat",
    "kitty": "cat",
    "dog": "dog",
    "puppy": "dog",
    "pup": "dog",
    "parrot": "parrot",
    "budgie": "parrot",
    "bird": "bird",
    "rabbit": "rabbit",
    "bunny": "rabbit",
    "hamster": "hamster",
    "guinea pig": "guinea pig",
    "turtle": "turtle",
    "tortoise": "turtle",
    "fish": "fish",
    "goldfish": "fish",
    "horse": "horse",
    "pony": "horse",
    "snake": "snake",
    "lizard": "lizard",
    "gecko": "lizard",
    "ferret": "ferret",
    "hedgehog": "hedgehog",
}
_SPECIES_RE = (
    "(?P<species>" + "|".join(sorted(map(re.escape, _SPECIES), key=len, reverse=True)) + ")"
)

_PARTNER_WORDS = (
    "girlfriend",
    "boyfriend",
    "partner",
    "wife",
    "husband",
    "fiancee",
    "fiancée",
    "fiance",
    "fiancé",
    "spouse",
)
_RELATIONS = {
    **{w: "partner" for w in _PARTNER_WORDS},
    "sister": "sister",
    "brother": "brother",
    "mom": "mother",
    "mum": "mother",
    "mother": "mother",
    "dad": "father",
    "father": "father",
    "son": "son",
    "daughter": "daughter",
    "best friend": "best_friend",
    "roommate": "roommate",
    "flatmate": "roommate",
    "boss": "boss",
    "manager": "boss",
    "grandma": "grandmother",
    "grandmother": "grandmother",
    "granny": "grandmother",
    "grandpa": "grandfather",
    "grandfather": "grandfather",
    "aunt": "aunt",
    "uncle": "uncle",
    "cousin": "cousin",
    "niece": "niece",
    "nephew": "nephew",
    "neighbor": "neighbor",
    "neighbour": "neighbor",
    "therapist": "therapist",
    "coworker": "coworker",
    "colleague": "coworker",
}
_REL_RE = "(?P<rel>" + "|".join(sorted(map(re.escape, _RELATIONS), key=len, reverse=True)) + ")"
_REL_MOD = r"(?:(?P<mod>older|younger|little|big|twin|baby|new|step|half|ex|ex-|late)[\s\-]?)?"

_OCCUPATIONS = (
    "nurse, teacher, developer, programmer, software engineer, software developer, engineer, "
    "doctor, physician, surgeon, dentist, lawyer, accountant, barista, chef, cook, baker, waiter, "
    "waitress, bartender, designer, graphic designer, architect, student, grad student, "
    "phd student, researcher, scientist, journalist, writer, author, editor, photographer, "
    "artist, musician, pilot, firefighter, police officer, paramedic, pharmacist, vet, "
    "veterinarian, electrician, plumber, carpenter, mechanic, cashier, librarian, translator, "
    "consultant, data scientist, data analyst, analyst, marketing manager, product manager, "
    "project manager, salesperson, real estate agent, social worker, psychologist, therapist, "
    "personal trainer, hairdresser, florist, farmer, truck driver, teaching assistant, "
    "professor, lecturer, tutor, midwife, paralegal, receptionist, welder, zookeeper"
)
_OCCUPATION_RE = (
    "(?P<occ>"
    + "|".join(
        re.escape(o)
        for o in sorted({o.strip() for o in _OCCUPATIONS.split(",")}, key=len, reverse=True)
    )
    + ")"
)

_EVENTS = (
    "wedding",
    "anniversary",
    "final exam",
    "exam",
    "finals",
    "job interview",
    "interview",
    "surgery",
    "operation",
    "graduation",
    "trip",
    "vacation",
    "holiday",
    "flight",
    "concert",
    "recital",
    "marathon",
    "race",
    "appointment",
    "presentation",
    "thesis defense",
    "defense",
    "moving day",
    "due date",
    "party",
    "birthday party",
    "gig",
    "audition",
    "driving test",
    "test",
)
_EVENT_RE = "(?P<event>" + "|".join(sorted(map(re.escape, _EVENTS), key=len, reverse=True)) + ")"

_STOP_OBJECTS = frozenset(
    "you it that this them him her me us everything nothing something anything when how what "
    "the idea people so too".split()
)


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _clean(value: str) -> str:
    value = re.sub(r"\s+", " ", value).strip(" \t\"'“”‘’")
    return value.rstrip(".!?,;:")


def _valid_name(name: str) -> str | None:
    if re.search(r"'s?$", name):
        return None  # "my cousin Nina's birthday": Nina's is not a name
    words = name.split()
    while words and words[-1] in _NOT_NAMES:
        words.pop()
    if not words or words[0] in _NOT_NAMES:
        return None
    return " ".join(words)


def _fact(key: str, category: str, value: str, statement: str) -> FactCandidate:
    return FactCandidate(key=key, category=category, value=_clean(value), statement=statement)


class _Rule:
    def __init__(self, pattern: str, build: Any) -> None:
        # Every rule starts at a word: "i turned" must not match inside "Nikki turned".
        self.regex = re.compile(r"(?<![\w'])" + pattern)
        self.build = build


def _name_rule(m: re.Match[str]) -> list[FactCandidate]:
    name = _valid_name(m.group("name"))
    if not name:
        return []
    return [_fact("user.name", "identity", name, f"The user's name is {name}.")]


def _age_rule(m: re.Match[str]) -> list[FactCandidate]:
    age = int(m.group("age"))
    if not 5 <= age <= 120:
        return []
    return [_fact("user.age", "identity", str(age), f"The user is {age} years old.")]


def _home_rule(m: re.Match[str]) -> list[FactCandidate]:
    place = _valid_name(m.group("place")) or ""
    if not place:
        return []
    return [_fact("location.home", "location", place, f"The user lives in {place}.")]


def _hometown_rule(m: re.Match[str]) -> list[FactCandidate]:
    place = _valid_name(m.group("place")) or ""
    if not place:
        return []
    return [_fact("location.hometown", "location", place, f"The user is originally from {place}.")]


def _pet_rule(m: re.Match[str]) -> list[FactCandidate]:
    name = _valid_name(m.group("name"))
    if not name:
        return []
    species = _SPECIES[m.group("species").lower()]
    if re.search(r"(?i)\b(?:another|second|third|other)\b", m.group(0)):
        # One more pet of a species the user has: its own key, it replaces nobody.
        return [
            _fact(
                f"pet.{slug(species)}.{slug(name)}.name",
                "pet",
                name,
                f"The user has another {species}, named {name}.",
            )
        ]
    return [
        _fact(
            f"pet.{slug(species)}.name",
            "pet",
            name,
            f"The user's {species} is named {name}.",
        )
    ]


def _relation_rule(m: re.Match[str]) -> list[FactCandidate]:
    mod = (m.groupdict().get("mod") or "").lower().rstrip("-")
    if mod in ("ex", "late"):
        return []  # a former partner, or someone who died, is not a current relation
    name = _valid_name(m.group("name"))
    if not name:
        return []
    word = m.group("rel").lower()
    rel = _RELATIONS[word]
    if rel == "partner":
        return [
            _fact("relation.partner.name", "relationship", name, f"The user's {word} is {name}.")
        ]
    label = f"{mod} {word}" if mod and mod != "new" else word
    return [
        _fact(
            f"relation.{rel}.name",
            "relationship",
            name,
            f"The user's {label} is named {name}.",
        )
    ]


def _dating_rule(m: re.Match[str]) -> list[FactCandidate]:
    name = _valid_name(m.group("name"))
    if not name:
        return []
    return [_fact("relation.partner.name", "relationship", name, f"The user's partner is {name}.")]


def _breakup_rule(m: re.Match[str]) -> list[FactCandidate]:
    return [_fact("relation.partner.name", "relationship", "none", "The user is currently single.")]


def _role_rule(m: re.Match[str]) -> list[FactCandidate]:
    role = _clean(m.group("val")).lower()
    role = re.sub(r"^(?:a|an)\s+", "", role)
    if not role or role in _STOP_OBJECTS or len(role.split()) > 5:
        return []
    return [_fact("work.role", "work", role, f"The user works as {_article(role)} {role}.")]


def _occupation_rule(m: re.Match[str]) -> list[FactCandidate]:
    occ = m.group("occ").lower()
    return [_fact("work.role", "work", occ, f"The user works as {_article(occ)} {occ}.")]


def _employer_rule(m: re.Match[str]) -> list[FactCandidate]:
    org = _clean(m.group("val"))
    if not org or org.lower() in _STOP_OBJECTS or len(org.split()) > 6:
        return []
    return [_fact("work.employer", "work", org, f"The user works at {org}.")]


def _quit_rule(m: re.Match[str]) -> list[FactCandidate]:
    return [
        _fact("work.employer", "work", "none", "The user does not currently have a job."),
    ]


def _study_rule(m: re.Match[str]) -> list[FactCandidate]:
    subject = _clean(m.group("val"))
    if not subject or subject.lower() in _STOP_OBJECTS:
        return []
    return [_fact("education.subject", "education", subject, f"The user studies {subject}.")]


def _favourite_rule(m: re.Match[str]) -> list[FactCandidate]:
    thing = _clean(m.group("thing")).lower()
    value = _clean(m.group("val"))
    if not value or value.lower() in _STOP_OBJECTS:
        return []
    return [
        _fact(
            f"preference.favorite.{slug(thing)}",
            "preference",
            value,
            f"The user's favorite {thing} is {value}.",
        )
    ]


def _like_rule(m: re.Match[str]) -> list[FactCandidate]:
    obj = _clean(m.group("val"))
    first = obj.split()[0].lower() if obj else ""
    if not obj or first in _STOP_OBJECTS or obj.lower() in _STOP_OBJECTS or len(obj.split()) > 6:
        return []
    return [
        _fact(f"preference.about.{slug(obj)}", "preference", "likes", f"The user likes {obj}."),
    ]


def _dislike_rule(m: re.Match[str]) -> list[FactCandidate]:
    obj = _clean(m.group("val"))
    obj = re.sub(r"\s+(?i:anymore|any more)$", "", obj)
    first = obj.split()[0].lower() if obj else ""
    if not obj or first in _STOP_OBJECTS or len(obj.split()) > 6:
        return []
    return [
        _fact(
            f"preference.about.{slug(obj)}", "preference", "dislikes", f"The user dislikes {obj}."
        ),
    ]


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if re.search(r"(?:ss|x|ch|sh)es$", word):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _habit_rule(m: re.Match[str]) -> list[FactCandidate]:
    verb = m.group("verb").lower()
    what = _clean(m.group("val")).lower()
    words = what.split()
    if not words or words[0] in _STOP_OBJECTS or len(words) > 4:
        return []
    if m.group("qty"):  # "four coffees a day": the habit is coffee
        what = " ".join([*words[:-1], _singular(words[-1])])
    return [
        _fact(
            f"preference.{verb}",
            "preference",
            what,
            f"The user mostly {verb}s {what}.",
        )
    ]


def _diet_rule(m: re.Match[str]) -> list[FactCandidate]:
    diet = m.group("val").lower()
    return [_fact("health.diet", "health", diet, f"The user is {diet}.")]


def _allergy_rule(m: re.Match[str]) -> list[FactCandidate]:
    what = _clean(m.group("val"))
    if not what:
        return []
    return [
        _fact(f"health.allergy.{slug(what)}", "health", what, f"The user is allergic to {what}.")
    ]


def _birthday_rule(m: re.Match[str]) -> list[FactCandidate]:
    when = _clean(m.group("val"))
    if not when:
        return []
    return [_fact("event.birthday", "event", when, f"The user's birthday is {when}.")]


def _event_rule(m: re.Match[str]) -> list[FactCandidate]:
    event = m.group("event").lower()
    when = _clean(m.group("val"))
    if not when or when.lower() in _STOP_OBJECTS:
        return []
    prep = (m.groupdict().get("prep") or "").lower().strip()
    phrase = f"{prep} {when}" if prep in ("on", "in", "at", "this", "next") else when
    return [
        _fact(
            f"event.{slug(event)}",
            "event",
            phrase,
            f"The user's {event} is {phrase}.",
        )
    ]


_HABIT_OBJECT = (
    r"(?:(?i:like|about|around|maybe|at least)\s+)?"
    r"(?P<qty>(?:\d+|(?i:one|two|three|four|five|six|a few|a couple of|lots of|a lot of))\s+)?"
    r"(?:(?i:cups?|glasses?|mugs?|bottles?|cans?|pints?|bowls?)\s+(?i:of)\s+)?"
    r"(?P<val>[a-z][a-z\-]*(?:\s[a-z][a-z\-]*){0,2}?)"
)
_HABIT_OFTEN = (
    r"(?=\s+(?i:a day|every day|daily|each day|every morning|every night|every evening|"
    r"these days|nowadays)\b)"
)
_I_AM = r"(?i:i'm|i am|im)"
_RULES: list[_Rule] = [
    # --- identity
    _Rule(
        r"(?i:my name is|my name's|call me|everyone calls me|people call me|i go by)\s+" + _NAME,
        _name_rule,
    ),
    _Rule(
        r"(?:^|(?i:hi|hello|hey)(?:\s+[A-Z][a-z]+)?[,!]?\s+)"
        + _I_AM
        + r"\s+"
        + _NAME
        + r"(?=\s*(?:[,.!]|$|\s(?i:by the way|btw|here)\b))",
        _name_rule,
    ),
    _Rule(_I_AM + r"\s+(?P<age>\d{1,3})\s+(?i:years?\s+old|yo)\b", _age_rule),
    _Rule(
        r"(?i:i just turned|i turned|i'm turning|i am turning|i'll be turning|i will be turning)"
        r"\s+(?P<age>\d{1,3})\b",
        _age_rule,
    ),
    # --- location
    _Rule(
        r"(?i:i live in|i'm living in|i am living in|i now live in|we live in|we now live in|"
        r"i moved to|we moved to|i've moved to|i have moved to|we've moved to|we have moved to|"
        r"i just moved to|we just moved to|i finally moved to|we finally moved to|i relocated to|"
        r"we relocated to|i'm based in|i am based in|i'm settled in|my new (?:place|apartment|flat|"
        r"house|home) is in|i've been living in|i have been living in)"
        r"\s+(?:(?i:the city of|downtown|central)\s+)?" + _PLACE,
        _home_rule,
    ),
    _Rule(
        r"(?i:i'm from|i am from|i grew up in|i was born in|i'm originally from|"
        r"i am originally from|originally from)\s+" + _PLACE,
        _hometown_rule,
    ),
    # --- pets
    _Rule(
        r"(?i:my|our|the)\s+(?:(?i:new|little|old|baby|sweet|rescue|adopted|grumpy|lazy|"
        r"fluffy|tiny|big|other)\s+)*(?i:" + _SPECIES_RE + r")(?i:'s name)?"
        r"(?:\s+(?i:is now called|is now named|is now|is called|is named|'s called|'s named|"
        r"is|was named|was called|goes by|has a new name,?|'s new name is)|,)?\s+" + _NAME,
        _pet_rule,
    ),
    _Rule(
        r"(?i:i have|i've got|i got|we have|we've got|we got|i adopted|we adopted|i just adopted|"
        r"we just adopted|i rescued|we rescued|i bought|we bought|there's)\s+"
        r"(?i:a|an|another|a second|one more)\s+"
        r"(?:[a-z\-]+\s+){0,2}?(?i:"
        + _SPECIES_RE
        + r"),?\s+(?i:called|named|whose name is)\s+"
        + _NAME,
        _pet_rule,
    ),
    _Rule(
        r"(?i:renamed|re-named|changed the name of)\s+(?i:the|my|our)\s+(?i:" + _SPECIES_RE + r")"
        r"(?:\s+(?i:to|as))?\s+" + _NAME,
        _pet_rule,
    ),
    # --- relations
    _Rule(
        r"(?i:my|our)\s+" + _REL_MOD + r"(?i:" + _REL_RE + r")(?i:'s name)?"
        r"\s+(?i:is called|is named|'s called|'s named|is)\s+" + _NAME + r"(?!'s)",
        _relation_rule,
    ),
    _Rule(
        r"(?i:my|our)\s+"
        + _REL_MOD
        + r"(?i:"
        + _REL_RE
        + r"),?\s+"
        + _NAME
        + r"(?=[\s,.!?;]|$)(?!\s(?i:is|was)\s(?:a|an|the|so|really|very|always|not)\b)",
        _relation_rule,
    ),
    _Rule(
        r"(?i:i have|i've got|i got)\s+(?i:a|an)\s+" + _REL_MOD + r"(?i:" + _REL_RE + r")"
        r",?\s+(?i:called|named)\s+" + _NAME,
        _relation_rule,
    ),
    _Rule(_NAME + r",?\s+(?i:is my|my)\s+" + _REL_MOD + r"(?i:" + _REL_RE + r")\b", _relation_rule),
    _Rule(
        r"(?i:i'm dating|i am dating|i'm seeing|i am seeing|i'm going out with|i am going out with|"
        r"i'm engaged to|i am engaged to|i got engaged to|i'm married to|i am married to|"
        r"i married|i started dating|i've been dating|i have been dating|"
        r"i'm in a relationship with|"
        r"i am in a relationship with|i'm together with|i am together with)\s+" + _NAME,
        _dating_rule,
    ),
    _Rule(
        r"(?i:i broke up with|i split up with|we broke up|we split up|and i broke up|"
        r"and i split up|i divorced|i got divorced|we got divorced|we divorced|i separated from|"
        r"we separated|i'm single now|i am single now|i'm single again|i am single again)",
        _breakup_rule,
    ),
    # --- work and study
    _Rule(
        r"(?i:i work as|i'm working as|i am working as|i now work as|i got a job as|"
        r"i started working as|i started a new job as|i've started working as|my job is|"
        r"my new job is|i'm employed as|i am employed as|i'm now a|i am now a|i became a|"
        r"i became an|i'm now an|i am now an|i retrained as)\s+"
        + _CLAUSE
        + r"(?=\s+(?i:at|for|in)\b|\s*(?:[,.!?;:()]|$)|\s(?i:and|but|now|these days)\b)",
        _role_rule,
    ),
    _Rule(
        r"(?:^|[,;]\s*|\b(?i:and|but|so)\s+)"
        + _I_AM
        + r"\s+(?i:a|an)\s+"
        + r"(?i:"
        + _OCCUPATION_RE
        + r")\b",
        _occupation_rule,
    ),
    _Rule(
        r"(?i:i work at|i work for|i'm working at|i am working at|i'm working for|i now work at|"
        r"i now work for|i got a job at|i got a job with|i started a new job at|"
        r"i started working at|"
        r"i started working for|i just started at|i've started at|my new job at|my new job is at|"
        r"i joined|i've joined|i was hired by|i got hired at|i got hired by|i'm employed at|"
        r"i am employed at|i'm employed by)\s+" + _CLAUSE + _ORG_END,
        _employer_rule,
    ),
    _Rule(
        r"(?i:i quit my job|i left my job|i lost my job|i got fired|i was fired|i got laid off|"
        r"i was laid off|i resigned|i retired|my job ended|i'm unemployed|i am unemployed|"
        r"i'm between jobs|i am between jobs|i'm out of work|i am out of work)",
        _quit_rule,
    ),
    _Rule(
        r"(?i:i study|i'm studying|i am studying|i major in|i'm majoring in|i am majoring in|"
        r"i'm doing a degree in|i am doing a degree in)\s+" + _CLAUSE + _CLAUSE_END,
        _study_rule,
    ),
    # --- preferences, diet, health
    _Rule(
        r"(?i:my (?:all[- ]time |absolute |new |current )?fav(?:ou?rite)?)\s+"
        r"(?P<thing>[a-zA-Z][a-zA-Z ]{1,25}?)\s+(?i:is|are|has to be|would be|is now|has become)"
        r"\s+" + _CLAUSE + _CLAUSE_END,
        _favourite_rule,
    ),
    _Rule(
        r"(?i:i hate|i really hate|i dislike|i can't stand|i cannot stand|i don't like|"
        r"i do not like|i no longer like|i'm not into|i am not into|i'm sick of|i am sick of|"
        r"i've gone off|i have gone off|i'm done with|i am done with)\s+" + _CLAUSE + _CLAUSE_END,
        _dislike_rule,
    ),
    _Rule(
        r"(?<!don't )(?<!not )(?i:i love|i really love|i absolutely love|i adore|i enjoy|"
        r"i really enjoy|i'm into|i am into|i'm really into|i'm obsessed with|i am obsessed with|"
        r"i'm a big fan of|i am a big fan of|i'm a huge fan of|i'm addicted to)\s+"
        + _CLAUSE
        + _CLAUSE_END,
        _like_rule,
    ),
    # What the user drinks or eats as a habit ("I only drink green tea now").
    _Rule(
        r"\b(?i:i)\s+(?:(?i:mostly|only|usually|basically|just|now)\s+)+(?P<verb>(?i:drink|eat))\s+"
        + _HABIT_OBJECT
        + r"(?=\s+(?i:now|these days|nowadays|anymore)\b|\s*[,.!;:]|\s*$)",
        _habit_rule,
    ),
    _Rule(
        r"\b(?i:i)\s+(?:(?i:mostly|only|usually|basically|just|now)\s+)*(?P<verb>(?i:drink|eat))\s+"
        + _HABIT_OBJECT
        + _HABIT_OFTEN,
        _habit_rule,
    ),
    _Rule(
        r"(?i:i'm|i am|i've become|i have become|i became|i went|i've gone|i'm now|i am now)\s+"
        r"(?:(?i:fully|completely|strictly|mostly)\s+)?"
        r"(?P<val>(?i:vegetarian|vegan|pescatarian|gluten[- ]free|lactose intolerant|keto|sober))",
        _diet_rule,
    ),
    _Rule(
        r"(?i:i'm allergic to|i am allergic to|i have an allergy to|i've got an allergy to|"
        r"i have a .{0,12}allergy to)\s+" + _CLAUSE + _CLAUSE_END,
        _allergy_rule,
    ),
    # --- dates and events
    _Rule(
        r"(?i:my birthday is|my birthday's|my bday is|i was born on|my birthday falls on)\s+"
        r"(?:(?i:on)\s+)?" + _CLAUSE + r"(?=\s*(?:[,.!?;:()]|$)|\s(?i:and|but|so)\b)",
        _birthday_rule,
    ),
    _Rule(
        r"(?i:my|our|the)\s+(?i:"
        + _EVENT_RE
        + r")\s+(?i:is|will be|is going to be|is scheduled for|"
        r"is set for|is planned for|got moved to|was moved to|has been moved to|got rescheduled to|"
        r"was rescheduled to|has been rescheduled to|got pushed to|was pushed to|is now)\s+"
        r"(?:(?P<prep>on|in|at|this|next|for)\s+)?"
        + _CLAUSE
        + r"(?=\s*(?:[,.!?;:()]|$)|\s(?i:and|but|so|because)\b)",
        _event_rule,
    ),
    _Rule(
        r"(?i:i have|i've got|i got|we have|we've got|there's)\s+(?i:a|an|my|our)\s+"
        r"(?i:"
        + _EVENT_RE
        + r")\s+(?P<prep>on|in|at|this|next)\s+"
        + _CLAUSE
        + r"(?=\s*(?:[,.!?;:()]|$)|\s(?i:and|but|so|because)\b)",
        _event_rule,
    ),
]

# "We adopted a kitten. Her name is Luna.": a name said about the last pet or person mentioned.
_PRONOUN_NAME = re.compile(
    r"(?i:her|his|its|their)\s+(?i:name is|name's|new name is|name is now)\s+"
    + _NAME
    + r"|(?i:she's|he's|she is|he is|it's|it is)\s+(?:(?i:called|named|now called|now)\s+)?"
    + _NAME.replace("name>", "name2>")
    + r"(?=\s+(?i:now)\b|\s*[,.!;]|\s*$)"
)
_MENTION = re.compile(r"(?i:\b" + _SPECIES_RE + r"\b)|(?i:\bmy\s+" + _REL_MOD + _REL_RE + r"\b)")
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


class RuleFactExtractor:
    """Pattern-based extraction: fast, offline, deterministic (see the module docstring)."""

    name = "rules"

    async def extract(self, text: str, *, known_keys: Sequence[str] = ()) -> list[FactCandidate]:
        return extract_rules(text)


def extract_rules(text: str) -> list[FactCandidate]:
    found: dict[str, FactCandidate] = {}
    last_mention: re.Match[str] | None = None
    for sentence in _SENTENCES.split(text.strip()):
        sentence = sentence.strip()
        if not sentence or sentence.endswith("?"):
            continue  # a question states nothing about the user
        got: list[FactCandidate] = []
        for rule in _RULES:
            for m in rule.regex.finditer(sentence):
                got.extend(rule.build(m))
        mentions = list(_MENTION.finditer(sentence))
        if not got:
            # "we adopted a kitten. Her name is Luna" / "we renamed the cat, she's Mochi now"
            pronoun = _PRONOUN_NAME.search(sentence)
            if pronoun is not None:
                before = [m for m in mentions if m.start() < pronoun.start()]
                mention = before[-1] if before else last_mention
                if mention is not None:
                    got.extend(_pronoun_fact(pronoun, mention))
        for cand in got:
            found[cand.key] = cand  # a later statement in the message wins
        if mentions:
            last_mention = mentions[-1]
    return list(found.values())


def _pronoun_fact(m: re.Match[str], mention: re.Match[str]) -> list[FactCandidate]:
    name = _valid_name(m.group("name") or m.group("name2") or "")
    if not name:
        return []
    species = mention.group("species")
    if species:
        sp = _SPECIES[species.lower()]
        return [_fact(f"pet.{slug(sp)}.name", "pet", name, f"The user's {sp} is named {name}.")]
    rel_word = (mention.group("rel") or "").lower()
    mod = (mention.group("mod") or "").lower().rstrip("-")
    if not rel_word or mod in ("ex", "late"):
        return []
    rel = _RELATIONS[rel_word]
    if rel == "partner":
        return [
            _fact(
                "relation.partner.name", "relationship", name, f"The user's {rel_word} is {name}."
            )
        ]
    return [
        _fact(
            f"relation.{rel}.name",
            "relationship",
            name,
            f"The user's {rel_word} is named {name}.",
        )
    ]


# --------------------------------------------------------------------------- LLM


class _LLMFact(BaseModel):
    key: str = Field(min_length=1, max_length=120)
    category: str = "other"
    value: str = Field(min_length=1, max_length=500)
    statement: str = Field(min_length=1, max_length=1000)


class _LLMFacts(BaseModel):
    facts: list[_LLMFact] = Field(default_factory=list, max_length=20)


LLM_SYSTEM_PROMPT = """You maintain a memory of durable facts about a user of a companion app.
Read the user's message and return the facts it states about the user and their life: name,
age, where they live, pets, family, partner, friends, work, studies, preferences, diet and
health, important dates and events. Ignore questions, hypotheticals, jokes and anything about
the assistant. Return JSON only, exactly:
{"facts": [{"key": "...", "category": "...", "value": "...", "statement": "..."}]}
- key: a dotted lowercase path such as user.name, user.age, location.home, pet.cat.name,
  relation.sister.name, relation.partner.name, work.employer, work.role, event.wedding,
  preference.favorite.food, health.allergy.peanuts. When the message changes a fact the user
  already has (they moved, renamed a pet, changed job, broke up), reuse that key so the new
  value replaces the old one. Value "none" means the fact no longer holds.
- category: one of identity, location, pet, relationship, work, education, preference, health,
  event, other.
- value: the current value, short, in the user's words.
- statement: one sentence in the third person ("The user's cat is named Mochi.").
Return {"facts": []} when the message states no durable fact."""


def parse_llm_facts(raw: str) -> list[FactCandidate] | None:
    """The facts in a model answer, or None when it is not the JSON we asked for."""
    start, end = raw.find("{"), raw.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        parsed = _LLMFacts.model_validate(json.loads(raw[start : end + 1]))
    except (ValueError, ValidationError):
        return None
    out = []
    for f in parsed.facts:
        key = re.sub(r"[^a-z0-9_.]+", "_", f.key.strip().lower()).strip("._")
        if not key:
            continue
        category = f.category if f.category in CATEGORIES else "other"
        out.append(
            FactCandidate(
                key=key[:120],
                category=category,
                value=_clean(f.value)[:500],
                statement=f.statement.strip()[:1000],
            )
        )
    return out


class LLMFactExtractor:
    """The chat model as extractor; what does not parse falls back to the rules."""

    name = "llm"

    def __init__(self, llm: LLMProvider, *, max_tokens: int = 400) -> None:
        self._llm = llm
        self._max_tokens = max_tokens

    async def extract(self, text: str, *, known_keys: Sequence[str] = ()) -> list[FactCandidate]:
        keys = ", ".join(sorted(known_keys)[:200]) or "(none yet)"
        messages = [
            {"role": "system", "content": LLM_SYSTEM_PROMPT},
            {"role": "user", "content": f"Keys the user already has: {keys}\n\nMessage:\n{text}"},
        ]
        completion = await self._llm.complete(messages, max_tokens=self._max_tokens, temperature=0)
        facts = parse_llm_facts(completion.text)
        if facts is None:
            log.warning("fact extraction: the model did not answer JSON; using the rules")
            return extract_rules(text)
        return facts
