"""LocalPolicyEngine: the embedded, always-on classifier (words, patterns and proximity).

Cost model: it runs on every chat message (../shared/DESIGN.md "What the hot path costs").
- The quick screen (screen.py) allows most messages without tokenising them, returning one
  shared Verdict.
- Otherwise the text is canonicalised (normalize.py); ANCHOR_INDEX finds at once the anchors
  whose required words are present, and only their categories run their rules; rules look at
  anchors first and compute modifiers lazily, a pattern is skipped outright when none of its
  gate words is in the text, and every pattern carries a lookahead on the first characters its
  matches can have (prefixes.py).

A rule combines features by token distance, e.g. child_safety: a minor signal (an age under 18,
"middle schooler", "underage" ...) within 15 tokens of a sexual term, or a weaker one ("kid",
"teen" ...) within 5. Instruction-seeking ("how do I", "step by step", "recipe for") or
first-person intent ("I'm going to", "let's") is what separates a request from fiction: a story
may mention a murder; asking how to poison someone without getting caught is blocked, in a
story or not.

The second round's rules (docs/MODERATION.md "Generalised rules") widen the windows where the
grammar allows it (an intent and a harm act up to 12 words apart when the act continues the
speaker's sentence), read instructions that are given rather than asked (stricter in the
output direction), and detect recipes by their materials (cooccur.py).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from types import MappingProxyType

from app.moderation import lexicon as lx
from app.moderation.cooccur import TERMS, Positions, recipes_found
from app.moderation.normalize import fold
from app.moderation.prefixes import first_chars
from app.moderation.screen import (
    ANCHORS,
    CLEAN,
    NORMALIZER,
    OBFUSCATED,
    PLAIN_HIT,
    needs_full_tokeniser,
    screen,
)
from app.moderation.verdict import Action, Category, Direction, Verdict, allow_verdict, decide


@dataclass(frozen=True, slots=True, eq=False)
class Feature:
    """A compiled pattern over canonical text; with a gate, only run when one of the gate's
    words is in the text (most of the lexicon is absent from most texts). An anchor only runs
    when the text has one of the word sets it needs (lexicon.Anchor.requirements): ANCHOR_INDEX
    finds all such anchors of a text at once, with one set intersection."""

    regex: re.Pattern[str]
    gate: frozenset[str] | None = None
    anchor: str | None = None  # an anchor's name: skipped unless ANCHOR_INDEX allows it
    # The pattern without its first-characters lookahead (see _f); tests compare the two.
    plain: re.Pattern[str] | None = None


def _f(pattern: str, gate: Iterable[str] | None = None) -> Feature:
    # Every pattern starts at a word, and the doc text is padded with spaces: a leading literal
    # space lets re jump from word start to word start instead of trying every character (~2x).
    # A lookahead on the possible first two characters of a match (prefixes.py) lets re reject
    # most words at once instead of trying every alternative there (1.3-1.7x on the large
    # patterns); it is a necessary condition, so the matches are the same.
    body = "(?:" + pattern.replace("^", "(?<=^ )") + ")"
    plain = re.compile(" " + body)
    first = first_chars(plain.pattern)
    compiled = plain if first is None else re.compile(" (?=" + lx.group(first) + ")" + body)
    return Feature(compiled, None if gate is None else frozenset(gate), plain=plain)


def _phrase_feature(items: list[str]) -> Feature:
    return _f(lx.alternation(items), {lx.key_word(p.split()) for p in items})


# --------------------------------------------------------------------------- modifiers

INSTR = _f(lx.INSTRUCTION)
INTENT = _f(lx.INTENT)
PERSON = _f(lx.PERSON)
HYPERBOLE = _f(lx.HYPERBOLE)
IMPERATIVE = _f(lx.IMPERATIVE)
QUESTION = _f(lx.QUESTION)
NEGATION = frozenset("never not dont wont cant wouldnt couldnt no nobody nothing".split())

SEXUAL_EXEMPT = _f(lx.SEXUAL_EXEMPT)
PROTECTIVE = _f(lx.PROTECTIVE)
ADULT_PARTY = _f(lx.ADULT_PARTY)
ROLEPLAY = _f(lx.ROLEPLAY)
MINOR_STRONG = _f(lx.MINOR_STRONG, lx.MINOR_STRONG_GATE)
MINOR_WEAK = _phrase_feature(lx.MINOR_WEAK_TERMS)
DISCLOSURE = _f(lx.DISCLOSURE)
REQUEST = _f(lx.REQUEST)

ASSEMBLY = _f(lx.ASSEMBLY)
PROCEDURE = _f(lx.PROCEDURE)
DEFUSE = _f(lx.DEFUSE)
SUPPORT = _f(lx.SUPPORT)
TARGET = _f(lx.ATTACK_TARGETS)
PROPAGANDA = _f(lx.PROPAGANDA)
PROPAGANDA_TEXT = _f(lx.PROPAGANDA_ANCHOR)

DESERVE_TARGET = _f(lx.DESERVE_TARGET)
CRACK = _f(lx.CRACK, {"crack"})
HOMEMADE = _f(lx.HOMEMADE)
DRUG_MAKE = _f(lx.DRUG_MAKE)
DRUG_BUY = _f(lx.DRUG_BUY)
DRUG_TRADE = _f(lx.DRUG_TRADE)
WEAPON_ACTION = _f(lx.WEAPON_ACTION)
GUN_ACQUIRE = _f(lx.GUN_ACQUIRE)
GUN_RESTRICTION = _f(lx.GUN_RESTRICTION)
FRAUD_ACTION = _f(lx.FRAUD_ACTION)
COVERT_ACCESS = _f(lx.COVERT_ACCESS)
CREDENTIALS = _f(lx.CREDENTIALS)

# Second round (generalised rules; lexicon.py "generalised rules")
PRESENT = _f(lx.PRESENT)
QUANTITY_MAT = _f(lx.QUANTITY_MAT)
MAKE = _f(lx.MAKE)
FICTION = _f(lx.FICTION_FRAME)
SILENCE = _f(lx.SILENCE)
INCITE_MODAL = _f(lx.INCITE_MODAL)
GAME = _f(lx.GAME)
CROWD_TIME = _f(lx.CROWD_TIME)
BODY_PART = _f(lx.alternation(lx.BODY_PARTS))
EVADE_CRIME = _f(lx.CRIME)
PROCEEDS = _f(lx.PROCEEDS)
WEAPON_BUILD = _f(lx.WEAPON_BUILD)
DRUG_PRESS = _f(lx.DRUG_PRESS)
TOOL_REQUEST = _f(lx.TOOL_REQUEST)
DEFENSIVE = _f(lx.DEFENSIVE)
PRO_FORM = _f(lx.PRO_FORM)
DO_IT = _f(r"\b(?:do|does|pull|manage|get away with|go about)\b")
SECRECY = _phrase_feature(lx.SECRECY)
FLATTERY = _phrase_feature(lx.GROOM_FLATTERY)
GROOM_CONTACT = _f(lx.GROOM_CONTACT)
VISUAL_REQUEST = _f(lx.VISUAL_REQUEST)
ADULT_SELF = _f(lx.ADULT_SELF)
PARENTAL = _f(lx.PARENTAL)
STEPS_HARM_PREV = frozenset(
    "you u then first next now and step 1 2 3 4 5 one two three finally".split()
)
# After "where", "who", "how" ... a new subject starts: "a book where the hero ... and kills
# him" is not the speaker's act ("find where you live and stab you" is).
_RELATIVE = frozenset("where who which how whose".split())
_SECOND = frozenset("you u ya your ur i im".split())
# "that" starts a clause of its own only before a subject ("a movie that they ..."); before a
# noun it is a determiner ("find that little snitch and make him bleed").
_THAT_SUBJECTS = frozenset("he she they hes shes theyre it someone somebody people we".split())

# --------------------------------------------------------------------------- anchors


def _anchor(a: lx.Anchor) -> Feature:
    f = _f(a.pattern, a.gate)
    return Feature(f.regex, f.gate, None if a.category_only else a.name, f.plain)


A: dict[str, Feature] = {a.name: _anchor(a) for anchors in ANCHORS.values() for a in anchors}


class AnchorIndex:
    """Which anchors can match a text: those with one of their requirements met (all its
    words present; a phrase as a phrase). Keyed like the quick screen's TriggerIndex, by one
    word per requirement; a two-word requirement is kept as "this word and any of those".
    (For a `category_only` anchor it says whether its category can fire; its pattern is gated
    by its gate words instead.)"""

    def __init__(self, anchors: Iterable[lx.Anchor]) -> None:
        alone: dict[str, set[str]] = {}
        pairs: dict[str, dict[str, set[str]]] = {}
        longer: dict[str, dict[str, list[tuple[frozenset[str], str | None]]]] = {}
        for a in anchors:
            for req in a.requirements:
                words = set(req)
                key = lx.key_word(words) if a.is_phrase else req[0]
                rest = words - {key}
                phrase = " " + " ".join(req) + " " if a.is_phrase and len(req) > 1 else None
                if not rest:
                    alone.setdefault(key, set()).add(a.name)
                elif len(rest) == 1 and phrase is None:
                    pairs.setdefault(key, {}).setdefault(a.name, set()).update(rest)
                else:
                    longer.setdefault(key, {}).setdefault(a.name, []).append(
                        (frozenset(rest), phrase)
                    )
        self._alone = {k: frozenset(v) for k, v in alone.items()}
        self._pairs = {k: {n: frozenset(r) for n, r in v.items()} for k, v in pairs.items()}
        self._longer = {k: {n: tuple(r) for n, r in v.items()} for k, v in longer.items()}
        self._keys = frozenset(self._alone) | frozenset(self._pairs) | frozenset(self._longer)

    def possible(self, words: frozenset[str], text: str) -> set[str]:
        out: set[str] = set()
        for key in self._keys.intersection(words):
            names = self._alone.get(key)
            if names is not None:
                out.update(names)
            for name, rights in self._pairs.get(key, {}).items():
                if name not in out and not rights.isdisjoint(words):
                    out.add(name)
            for name, reqs in self._longer.get(key, {}).items():
                if name not in out and any(
                    rest <= words and (phrase is None or phrase in text) for rest, phrase in reqs
                ):
                    out.add(name)
        return out


ANCHOR_INDEX = AnchorIndex(a for anchors in ANCHORS.values() for a in anchors)
# A category's rules can only fire when one of its anchors can (screen.CATEGORY_TRIGGERS holds
# the same requirements, per category).
CATEGORY_ANCHORS: dict[Category, frozenset[str]] = {
    c: frozenset(a.name for a in anchors) for c, anchors in ANCHORS.items()
}


# --------------------------------------------------------------------------- rules

Span = tuple[int, int]  # first and last token index


class _Doc:
    """Canonical text with token positions and a per-feature cache of match spans."""

    __slots__ = ("_anchors", "_cache", "_terms", "output", "starts", "text", "tokens", "words")

    def __init__(self, tokens: list[str], *, mid_text: bool = False, output: bool = False) -> None:
        self.tokens = tokens
        self.output = output  # the model's reply: instructions need less evidence
        self._terms: Positions | None = None
        self._anchors: set[str] | None = None
        # Padded with spaces (see _f). A second leading space stops the patterns anchored at
        # the start of a message ("Write ...") from matching at the start of a window.
        lead = "  " if mid_text else " "
        self.text = lead + " ".join(tokens) + " "
        self.words = frozenset(tokens)
        starts: list[int] = []
        pos = len(lead)
        for t in tokens:
            starts.append(pos)
            pos += len(t) + 1
        self.starts = starts
        self._cache: dict[Feature, list[Span]] = {}

    def spans(self, feature: Feature) -> list[Span]:
        hit = self._cache.get(feature)
        if hit is None:
            hit = []
            if feature.anchor is not None:
                possible = feature.anchor in self.anchors
            else:
                possible = feature.gate is None or not feature.gate.isdisjoint(self.words)
            if possible:
                for m in feature.regex.finditer(self.text):
                    s, e = m.span()  # s is the space before the first word
                    hit.append(
                        (bisect_right(self.starts, s + 1) - 1, bisect_right(self.starts, e - 1) - 1)
                    )
            self._cache[feature] = hit
        return hit

    def has(self, feature: Feature) -> bool:
        return bool(self.spans(feature))

    @property
    def anchors(self) -> set[str]:
        """The anchors whose required words are in the text (computed once)."""
        if self._anchors is None:
            self._anchors = ANCHOR_INDEX.possible(self.words, self.text)
        return self._anchors

    def starts_within(self, feature: Feature, first: int, last: int) -> bool:
        """Whether a match of `feature` starts at one of the tokens first..last: a few anchored
        matches instead of a scan of the whole text (for PERSON after a harm verb)."""
        match = feature.regex.match
        for k in range(first, min(last, len(self.tokens) - 1) + 1):
            if match(self.text, self.starts[k] - 1) is not None:
                return True
        return False

    def negated_between(self, a: Span, b: Span) -> bool:
        return any(t in NEGATION for t in self.tokens[a[1] + 1 : b[0]])

    @property
    def terms(self) -> Positions:
        """Recipe term classes and where they occur (cooccur.py), computed once."""
        if self._terms is None:
            self._terms = TERMS.find(self.tokens)
        return self._terms


def _follows(first: list[Span], then: list[Span], max_between: int) -> list[tuple[Span, Span]]:
    """Pairs where `then` starts at or after `first` starts, with at most max_between tokens
    between the end of `first` and the start of `then` (overlap counts as adjacent)."""
    return [(a, b) for a in first for b in then if b[0] >= a[0] and b[0] - a[1] - 1 <= max_between]


def _near(a_spans: list[Span], b_spans: list[Span], max_between: int) -> bool:
    return any(
        max(a[0], b[0]) - min(a[1], b[1]) - 1 <= max_between for a in a_spans for b in b_spans
    )


Fired = tuple[Action, tuple[str, ...]] | None


def _child_safety(d: _Doc) -> Fired:
    if d.has(A["csam"]):
        return Action.block, ("csam_term",)
    if d.has(A["fuck_minor"]):
        return Action.block, ("sexual_act+minor",)
    if d.has(A["grooming"]):
        groomed = _grooming(d)
        if groomed is not None:
            return groomed
    if d.has(A["exposure"]):
        exposed = _exposure(d)
        if exposed is not None:
            return exposed
    sexual = d.spans(A["sexual"])
    suggestive = d.spans(A["suggestive"])
    intimacy = d.spans(A["intimacy"])
    if not sexual and not suggestive and not intimacy:
        return None
    strong = d.spans(MINOR_STRONG)
    weak = d.spans(MINOR_WEAK)
    if not strong and not weak:
        return None  # adults: nothing more to look at
    exempt = d.spans(SEXUAL_EXEMPT)
    sexual = [s for s in sexual if not any(e[0] <= s[0] <= e[1] for e in exempt)]
    request = d.has(REQUEST)
    if (d.has(DISCLOSURE) or d.has(PROTECTIVE)) and not request:
        return None  # someone telling what happened, or keeping a child safe
    if _near(strong, sexual + suggestive, 15):
        return Action.block, ("minor_age+sexual",)
    adult = d.has(ADULT_PARTY) or (d.has(ADULT_SELF) and not d.has(PARENTAL))
    if intimacy and _near(strong, intimacy, 15) and (adult or d.has(ROLEPLAY)):
        return Action.block, ("minor_age+intimacy_with_adult",)
    if _near(weak, sexual, 5):
        return Action.block, ("minor_term+sexual",)
    if request and _near(weak, suggestive, 6):
        return Action.block, ("minor_term+suggestive_request",)
    return None


def _exposure(d: _Doc) -> Fired:
    """A stated minor's body or undressing, with a request to see or have it described ("she's
    11 and developing, tell me what her body looks like"); a parent asking how to talk about
    puberty makes no such request."""
    strong = d.spans(MINOR_STRONG)
    if not strong or d.has(PROTECTIVE) or d.has(DISCLOSURE):
        return None
    if _near(strong, d.spans(A["exposure"]), 15) and d.has(VISUAL_REQUEST):
        return Action.block, ("minor_age+body_request",)
    return None


def _grooming(d: _Doc) -> Fired:
    """A stated minor and two of: secrecy ("don't tell your parents"), flattery ("mature for
    your age"), a meeting or a picture ("let's meet", "send me a pic")."""
    if not d.has(MINOR_STRONG) or d.has(PROTECTIVE) or d.has(DISCLOSURE):
        return None
    signals = [
        name
        for name, feature in (
            ("secrecy", SECRECY),
            ("flattery", FLATTERY),
            ("contact", GROOM_CONTACT),
        )
        if d.has(feature)
    ]
    if len(signals) >= 2:
        return Action.block, ("grooming:minor+" + "+".join(signals),)
    return None


def _seeking(d: _Doc) -> list[Span]:
    """Spans that make a message a request: instruction-seeking, intent, or an imperative."""
    return d.spans(INSTR) + d.spans(INTENT) + d.spans(IMPERATIVE)


def _asked_after(d: _Doc, objects: list[Span], seeking: list[Span], verbs: list[Span]) -> bool:
    """The request follows its object and points back to it with a verb of doing or making:
    "a pipe bomb, how do I make one?", "strangle someone, how would I do that?" (not "the bomb
    squad, how do I join them?")."""
    pro_forms = d.spans(PRO_FORM)
    return any(
        s[1] < p[0] and p[0] - s[1] - 1 <= 3 and any(s[0] <= v[0] < p[0] for v in verbs)
        for _, s in _follows(objects, seeking, 6)
        for p in pro_forms
    )


def _given(d: _Doc, objects: list[Span], verbs: list[Span]) -> bool:
    """Instructions presented ("here's how you make", "you'll need", "step 1") near an object,
    with a verb of making or assembling close to it."""
    return bool(objects) and _near(d.spans(PRESENT), objects, 12) and _near(verbs, objects, 8)


def _procedure(d: _Doc, objects: list[Span]) -> bool:
    """A procedure around an object. Input: two sequence markers and two assembly verbs (a
    pasted recipe); the model's reply (output): one of each close to the object is enough."""
    if len(d.spans(PROCEDURE)) >= 2 and len(d.spans(ASSEMBLY)) >= 2:
        return True
    if not d.output:
        return False
    steps = d.spans(PROCEDURE) + d.spans(PRESENT) + d.spans(QUANTITY_MAT)
    verbs = d.spans(ASSEMBLY) + d.spans(MAKE)
    return _near(steps, objects, 12) and _near(verbs, objects, 8)


def _recipes(d: _Doc, category: Category) -> list[str]:
    """Recipes (cooccur.py) in a text that reads as instructions: steps, "you'll need", an
    amount, a request, or a verb of assembly ("pour", "pack", "light"); a list of materials
    alone ("Walter bought pseudoephedrine and red phosphorus") is not a recipe."""
    found = recipes_found(d.terms, category)
    if not found:
        return []
    if not (
        d.has(PRESENT)
        or d.has(PROCEDURE)
        or d.has(QUANTITY_MAT)
        or d.has(INSTR)
        or d.has(IMPERATIVE)
        or d.has(ASSEMBLY)
    ):
        return []
    return [f"recipe:{name}" for name, _ in found]


def _terrorism(d: _Doc) -> Fired:
    explosive = d.spans(A["explosive"]) + d.spans(A["bomb"])
    orgs = d.spans(A["terror_org"])
    attack = d.spans(A["attack"])
    vehicle = d.spans(A["vehicle_ram"])
    mass = d.spans(A["mass_casualty"])
    goal = d.spans(A["propaganda"])
    soft = d.spans(A["attack_soft"])
    recipe = d.has(A["recipe_terrorism"])
    if not (explosive or orgs or attack or vehicle or mass or goal or soft or recipe):
        return None
    reasons: list[str] = []
    seeking = _seeking(d) if (explosive or attack or vehicle or mass) else []
    if explosive:
        defused = _near(d.spans(DEFUSE), explosive, 6)
        if not defused and (
            _follows(seeking, explosive, 10) or _asked_after(d, explosive, seeking, d.spans(MAKE))
        ):
            reasons.append("instruction+explosive")
        elif not defused and _given(d, explosive, d.spans(MAKE) + d.spans(ASSEMBLY)):
            reasons.append("instruction_given+explosive")
        elif _procedure(d, explosive):
            reasons.append("procedure+explosive")
    if orgs and _near(orgs, d.spans(SUPPORT), 8):
        reasons.append("support+terror_org")
    if attack and _near(attack, d.spans(TARGET), 6) and _follows(seeking, attack, 8):
        reasons.append("intent+attack_target")
    elif vehicle and _follows(seeking, vehicle, 8):
        reasons.append("intent+vehicle_ramming")
    elif soft and _attack_plan(d, soft):
        reasons.append("attack_plan")
    if mass and (seeking or attack or d.has(TARGET)):
        reasons.append("mass_casualty")
    if goal and d.has(PROPAGANDA) and _near(d.spans(PROPAGANDA_TEXT), goal, 10):
        reasons.append("propaganda")
    if recipe:
        reasons.extend(_recipes(d, Category.terrorism))
    return (Action.block, tuple(reasons)) if reasons else None


def _attack_plan(d: _Doc, soft: list[Span]) -> bool:
    """Intent to hit a public place, with a weapon named or at its busiest ("we'll hit the
    synagogue during prayers; bring the rifles"). A weak verb (hit, storm, target) needs the
    weapon; a strong one (attack, bomb, plant a device) a weapon or a crowd."""
    planned = [a for i, a in _follows(d.spans(INTENT), soft, 3) if not d.negated_between(i, a)]
    if not planned:
        return False
    armed = not d.words.isdisjoint(lx.WEAPON_WORDS) or d.has(A["explosive"]) or d.has(A["bomb"])
    if armed:
        return True
    strong = any(d.tokens[a[0]] in lx.ATTACK_SOFT_STRONG for a in planned)
    return strong and d.has(CROWD_TIME)


def _acts(d: _Doc, intent: Span, harm: Span, phrases: list[Span]) -> bool:
    """Whether a harm act after an intent marker is the speaker's own intended act.

    Close by (at most 3 words between): no negation ("I'd never hurt you") and no other subject
    ("I'm so glad you killed him"); the verb in its base form unless it directly follows.
    Further (up to 12 words): the act continues the speaker's sentence, "I'm going to find
    where you live and stab you", so it must follow "and"/"then" in its base form, and no
    relative clause with a subject of its own ("a book where the hero ... and kills him")
    may come between.
    """
    gap = d.tokens[intent[1] + 1 : harm[0]]
    if any(t in NEGATION for t in gap):
        return False
    base = harm in phrases or d.tokens[harm[0]] in lx.HARM_BASE
    if len(gap) <= 3:
        if any(t in _SUBJECTS for t in gap):
            return False
        return base or not gap
    if len(gap) > 12 or not base or gap[-1] not in ("and", "then"):
        return False
    return not any(
        (t in _RELATIVE and (k + 1 >= len(gap) or gap[k + 1] not in _SECOND))
        or (t == "that" and k + 1 < len(gap) and gap[k + 1] in _THAT_SUBJECTS)
        for k, t in enumerate(gap)
    )


_SUBJECTS = frozenset("you u he she they hes shes theyre youre someone somebody".split())


def _violence(d: _Doc) -> Fired:
    harm = d.spans(A["harm"])
    phrases = d.spans(A["harm_phrase"])
    body = d.spans(A["body_harm"])
    markers = d.spans(A["threat"])
    weak_markers = d.spans(A["threat_weak"])
    fate = d.spans(A["fate"])
    family = d.spans(A["family_target"])
    to_place = d.spans(A["weapon_to_place"])
    drugging = d.has(A["drugging"])
    outcome = d.spans(A["outcome"])
    cover_up = (
        d.has(A["stealth"])
        or d.has(A["staged"])
        or d.has(A["poison_autopsy"])
        or d.has(A["staged_act"])
    )
    quantity = d.has(A["quantity"])
    incite = d.has(A["incite"])
    deserve = d.spans(A["deserve"]) + d.spans(A["deserve_wide"])
    purpose = d.has(A["purpose"])
    if not (
        harm
        or phrases
        or body
        or markers
        or weak_markers
        or fate
        or family
        or to_place
        or drugging
        or outcome
        or cover_up
        or quantity
        or incite
        or deserve
        or purpose
    ):
        return None
    block: list[str] = []
    flag: list[str] = []
    # harm verbs with a person as their object ("kill you", not "kill time"), and harm phrases
    # that name their victim ("put a bullet in your head")
    aimed = [h for h in harm if d.starts_within(PERSON, h[1] + 1, h[1] + 3)] + phrases
    if aimed and not d.words.isdisjoint(lx.EROTIC_WORDS) and _is_erotic(d):
        aimed = [h for h in aimed if h in phrases or d.tokens[h[0]] not in lx.KINK_VERBS]
    intent = (
        d.spans(INTENT)
        if (aimed or body or markers or cover_up or fate or family or to_place or drugging)
        else []
    )
    threat = any(_acts(d, i, h, phrases) for i, h in _follows(intent, aimed, 12)) or any(
        not d.negated_between(i, b) for i, b in _follows(intent, body, 4)
    )
    if family and _follows(intent, family, 3):
        threat = True
    if to_place and _follows(intent, to_place, 4):
        threat = True
    weapon = d.has(A["gun"]) or not d.words.isdisjoint(lx.WEAPON_WORDS)
    if markers or weak_markers:
        strong = markers and (harm or len(markers) > 1 or intent or weapon)
        if strong or (weapon and weak_markers):
            threat = True
    if fate:
        if harm or phrases or markers or weapon or d.has(SILENCE):
            threat = True
        else:
            flag.append("threat_marker")
    if family and not threat:
        flag.append("threat_marker")
    if threat:
        if d.has(HYPERBOLE):
            flag.append("threat")
        elif d.has(FICTION):
            flag.append("threat_in_fiction")
        else:
            block.append("threat")
    elif markers:
        flag.append("threat_marker")
    instr = d.spans(INSTR) if (aimed or body or cover_up or purpose or outcome) else []
    if instr and (
        _follows(instr, aimed, 6)
        or _follows(instr, body, 6)
        or _asked_after(d, aimed, instr, d.spans(DO_IT))
    ):
        block.append("instruction+harm")
    elif aimed and _harm_steps(d, aimed, phrases):
        block.append("instruction_given+harm")
    if outcome and instr and _harm_outcome(d, outcome):
        block.append("instruction+harm_outcome")
    if drugging and (instr or intent or d.has(IMPERATIVE) or d.has(PRESENT) or d.has(QUESTION)):
        block.append("drugging")
    if cover_up and (instr or intent or d.has(QUESTION)):
        block.append("cover_up")
    if quantity:
        block.append("lethal_quantity")
    if incite or (aimed and _follows(d.spans(INCITE_MODAL), aimed, 2)):
        block.append("incitement")
    if deserve:
        if _near(d.spans(DESERVE_TARGET), deserve, 6):
            block.append("incitement")
        else:
            flag.append("wish_of_harm")
    if purpose and (instr or d.has(QUESTION) or d.has(IMPERATIVE)):
        block.append("purpose_harm")
    if block:
        return Action.block, tuple(dict.fromkeys(block))
    if flag:
        return Action.flag, tuple(dict.fromkeys(flag))
    return None


def _is_erotic(d: _Doc) -> bool:
    """An adult, erotic text (a sexual or suggestive term, or the erotic words): choking there
    is breath play. Child safety still judges the same text on its own rules."""
    return d.has(A["sexual"]) or d.has(A["suggestive"]) or len(d.words & lx.EROTIC_WORDS) >= 2


def _harm_steps(d: _Doc, aimed: list[Span], phrases: list[Span]) -> bool:
    """Instructions to hurt someone given as steps: "first, you wait until he's alone, then you
    hit him". A harm act in its base form right after "you", "then", "first" or a step number,
    within 8 words after a sequence marker; not in a game walkthrough."""
    steps = d.spans(PROCEDURE) + d.spans(PRESENT)
    if not steps or d.has(GAME):
        return False
    for h in aimed:
        if not (h in phrases or d.tokens[h[0]] in lx.HARM_BASE):
            continue
        if h[0] and d.tokens[h[0] - 1] not in STEPS_HARM_PREV:
            continue
        if any(s[0] < h[0] and h[0] - s[1] - 1 <= 8 for s in steps):
            return True
    return False


def _harm_outcome(d: _Doc, outcome: list[Span]) -> bool:
    """Asking how to leave someone bleeding out or unable to fight back, with a means named
    (a harm verb, a body part, a weapon, drugging)."""
    lasting = [o for o in outcome if not any(t in NEGATION for t in d.tokens[o[0] : o[1] + 1])]
    if not lasting:
        return False
    means = (
        d.has(A["harm"])
        or d.has(A["body_harm"])
        or d.has(BODY_PART)
        or d.has(A["drugging"])
        or not d.words.isdisjoint(lx.WEAPON_WORDS)
        or not d.words.isdisjoint(("cut", "slit", "spike", "drug", "choke", "squeeze", "press"))
    )
    return means


def _illegal(d: _Doc) -> Fired:
    drugs = d.spans(A["drug"]) + d.spans(A["crack_drug"])
    slang = d.spans(A["slang_drug"])
    precursor = d.has(A["precursor"])
    weapons = d.spans(A["weapon_illegal"])
    guns = d.spans(A["gun"])
    fraud_act = d.has(A["fraud_act"])
    fraud_objects = d.spans(A["fraud_object"])
    covert = d.has(A["covert"])
    impersonate = d.has(A["impersonate"])
    takeover = d.has(A["account_takeover"])
    cred_theft = d.has(A["cred_theft"])
    phishing = d.spans(A["phishing_page"])
    fake_money = d.spans(A["fake_money"])
    launder = d.spans(A["launder"])
    evade = d.has(A["evade"])
    weapon_mod = d.spans(A["weapon_mod"])
    serial_free = d.spans(A["serial_free"])
    recipe = d.has(A["recipe_illegal"])
    if not (
        drugs
        or slang
        or precursor
        or weapons
        or guns
        or fraud_act
        or fraud_objects
        or covert
        or impersonate
        or takeover
        or cred_theft
        or phishing
        or fake_money
        or launder
        or evade
        or weapon_mod
        or serial_free
        or recipe
    ):
        return None
    reasons: list[str] = []
    seeking = _seeking(d)
    given = d.spans(PRESENT)
    if drugs:
        drugs = drugs + d.spans(CRACK)  # "crack" counts next to another drug word
        making = d.spans(DRUG_MAKE) + d.spans(DRUG_PRESS)
        if seeking and _near(making, drugs, 5) and _near(seeking, drugs, 8):
            reasons.append("instruction+drug_manufacture")
        elif _given(d, drugs, making):
            reasons.append("instruction_given+drug_manufacture")
        if _near(d.spans(DRUG_BUY), drugs, 6):
            reasons.append("drug_purchase")
        if seeking and _near(d.spans(DRUG_TRADE), drugs, 5):
            reasons.append("drug_trade")
    if slang:
        if _near(d.spans(DRUG_BUY), slang, 6):
            reasons.append("drug_purchase")
        elif seeking and _near(d.spans(DRUG_MAKE), slang, 5) and d.has(HOMEMADE):
            reasons.append("instruction+drug_manufacture")
    if (drugs or precursor) and (
        (len(d.spans(PROCEDURE)) >= 2 and (precursor or len(d.spans(ASSEMBLY)) >= 2))
        or (drugs and d.output and _procedure(d, drugs))
    ):
        reasons.append("procedure+drug")
    if weapons:
        building = d.spans(WEAPON_ACTION) + d.spans(WEAPON_BUILD)
        if seeking and _near(building, weapons, 6):
            reasons.append("instruction+illegal_weapon")
        elif _given(d, weapons, building):
            reasons.append("instruction_given+illegal_weapon")
    if weapon_mod and (seeking or given) and _near(d.spans(WEAPON_BUILD), weapon_mod, 8):
        reasons.append("instruction+weapon_modification")
    if (
        serial_free
        and (seeking or given)
        and _near(guns + weapons + d.spans(A["recipe_illegal"]), serial_free, 8)
    ):
        reasons.append("instruction+untraceable_gun")
    if (
        guns
        and seeking
        and _near(d.spans(GUN_ACQUIRE), guns, 4)
        and _near(d.spans(GUN_RESTRICTION), guns, 10)
    ):
        reasons.append("gun_without_checks")
    defensive = d.has(DEFENSIVE)
    if seeking:
        if fraud_act or (fraud_objects and _follows(d.spans(FRAUD_ACTION), fraud_objects, 3)):
            reasons.append("instruction+fraud")
        if covert and d.has(COVERT_ACCESS):
            reasons.append("instruction+covert_access")
        if impersonate and d.has(CREDENTIALS):
            reasons.append("instruction+phishing")
        if takeover and not defensive:
            reasons.append("instruction+account_takeover")
        if evade and d.has(EVADE_CRIME):
            reasons.append("instruction+evading_detection")
        if launder and (len(launder) >= 2 or d.has(EVADE_CRIME) or drugs or slang):
            reasons.append("instruction+laundering")
    if cred_theft and (d.has(TOOL_REQUEST) or (seeking and not defensive)):
        reasons.append("instruction+credential_theft")
    if phishing and not defensive and (given or _follows(d.spans(FRAUD_ACTION), phishing, 3)):
        reasons.append("instruction+phishing")
    if (
        fake_money
        and not defensive
        and (seeking or given)
        and _near(d.spans(FRAUD_ACTION), fake_money, 4)
    ):
        reasons.append("instruction+counterfeit")
    if recipe:
        reasons.extend(_recipes(d, Category.illegal_activity))
    return (Action.block, tuple(dict.fromkeys(reasons))) if reasons else None


def _self_harm(d: _Doc) -> Fired:
    if d.has(A["self_harm"]):
        return Action.flag, ("self_harm_statement",)
    if d.has(A["self_harm_wide"]):
        return Action.flag, ("self_harm_method_or_despair",)
    return None


RULES: tuple[tuple[Category, Callable[[_Doc], Fired]], ...] = (
    (Category.child_safety, _child_safety),
    (Category.terrorism, _terrorism),
    (Category.violence, _violence),
    (Category.illegal_activity, _illegal),
    (Category.self_harm, _self_harm),
)


# --------------------------------------------------------------------------- the engine


class LocalPolicyEngine:
    """Lexicon and pattern classifier; synchronous `check`, async `classify` for the protocol.

    The same policy applies both ways (a pasted recipe for a bomb is as blocked as a generated
    one); the output direction is only stricter about procedures (see `check`).
    """

    name = "local"

    def __init__(self) -> None:
        self._allow = allow_verdict(self.name)

    async def classify(self, text: str, *, direction: Direction) -> Verdict:
        return self.check(text, direction=direction)

    def check(
        self,
        text: str,
        *,
        direction: Direction = "input",
        full: bool = False,
        mid_text: bool = False,
        only: Collection[Category] | None = None,
    ) -> Verdict:
        """The verdict. `direction="output"` for the model's reply: instructions given as a
        procedure need less evidence there (one step marker and one assembly verb next to a
        weapon, explosive or drug, instead of two of each). `full=True` skips the quick screen
        and the per-category gates (the tests use it to prove that both only ever skip work,
        never change a verdict); `mid_text=True` for a window cut out of a longer text; `only`:
        run just these categories' rules (the streaming guard knows which ones a new word can
        concern)."""
        folded = fold(text)
        if only is not None:
            found = OBFUSCATED if needs_full_tokeniser(folded) else PLAIN_HIT
        else:
            found = OBFUSCATED if full else screen(folded)
        if found == CLEAN:
            return self._allow
        doc = _Doc(
            NORMALIZER.tokens(folded, simple=found == PLAIN_HIT),
            mid_text=mid_text,
            output=direction == "output",
        )
        fired: dict[Category, tuple[Action, tuple[str, ...]]] = {}
        for category, rule in RULES:
            if only is not None and category not in only:
                continue
            if full or not CATEGORY_ANCHORS[category].isdisjoint(doc.anchors):
                result = rule(doc)
                if result is not None:
                    fired[category] = result
        if not fired:
            return self._allow
        return decide(MappingProxyType(fired), classifier=self.name)

    def canonical(self, text: str) -> str:
        """The normalised form of a text (what moderation_events hashes)."""
        return NORMALIZER.canonical(fold(text))
