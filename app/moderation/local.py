"""LocalPolicyEngine: the embedded, always-on classifier (words, patterns and proximity).

Cost model: it runs on every chat message (../shared/DESIGN.md "What the hot path costs").
- The quick screen (screen.py) allows most messages without tokenising them, returning one
  shared Verdict.
- Otherwise the text is canonicalised (normalize.py) and only the categories whose anchors are
  present run their rules; rules look at anchors first and compute modifiers lazily, and each
  pattern is skipped outright when none of its gate words is in the text.

A rule combines features by token distance, e.g. child_safety: a minor signal (an age under 18,
"middle schooler", "underage" ...) within 15 tokens of a sexual term, or a weaker one ("kid",
"teen" ...) within 5. Instruction-seeking ("how do I", "step by step", "recipe for") or
first-person intent ("I'm going to", "let's") is what separates a request from fiction: a story
may mention a murder; asking how to poison someone without getting caught is blocked, in a
story or not.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from types import MappingProxyType

from app.moderation import lexicon as lx
from app.moderation.normalize import fold
from app.moderation.screen import (
    ANCHORS,
    CATEGORY_TRIGGERS,
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
    words is in the text (most of the lexicon is absent from most texts)."""

    regex: re.Pattern[str]
    gate: frozenset[str] | None = None


def _f(pattern: str, gate: Iterable[str] | None = None) -> Feature:
    # Every pattern starts at a word, and the doc text is padded with spaces: a leading literal
    # space lets re jump from word start to word start instead of trying every character (~2x).
    compiled = re.compile(" (?:" + pattern.replace("^", "(?<=^ )") + ")")
    return Feature(compiled, None if gate is None else frozenset(gate))


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

# --------------------------------------------------------------------------- anchors

A: dict[str, Feature] = {
    a.name: _f(a.pattern, a.gate) for anchors in ANCHORS.values() for a in anchors
}


# --------------------------------------------------------------------------- rules

Span = tuple[int, int]  # first and last token index


class _Doc:
    """Canonical text with token positions and a per-feature cache of match spans."""

    __slots__ = ("_cache", "starts", "text", "tokens", "words")

    def __init__(self, tokens: list[str], *, mid_text: bool = False) -> None:
        self.tokens = tokens
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
            if feature.gate is None or not feature.gate.isdisjoint(self.words):
                for m in feature.regex.finditer(self.text):
                    s, e = m.span()  # s is the space before the first word
                    hit.append(
                        (bisect_right(self.starts, s + 1) - 1, bisect_right(self.starts, e - 1) - 1)
                    )
            self._cache[feature] = hit
        return hit

    def has(self, feature: Feature) -> bool:
        return bool(self.spans(feature))

    def negated_between(self, a: Span, b: Span) -> bool:
        return any(t in NEGATION for t in self.tokens[a[1] + 1 : b[0]])


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
    if intimacy and _near(strong, intimacy, 15) and (d.has(ADULT_PARTY) or d.has(ROLEPLAY)):
        return Action.block, ("minor_age+intimacy_with_adult",)
    if _near(weak, sexual, 5):
        return Action.block, ("minor_term+sexual",)
    if request and _near(weak, suggestive, 6):
        return Action.block, ("minor_term+suggestive_request",)
    return None


def _seeking(d: _Doc) -> list[Span]:
    """Spans that make a message a request: instruction-seeking, intent, or an imperative."""
    return d.spans(INSTR) + d.spans(INTENT) + d.spans(IMPERATIVE)


def _terrorism(d: _Doc) -> Fired:
    explosive = d.spans(A["explosive"]) + d.spans(A["bomb"])
    orgs = d.spans(A["terror_org"])
    attack = d.spans(A["attack"])
    vehicle = d.spans(A["vehicle_ram"])
    mass = d.spans(A["mass_casualty"])
    goal = d.spans(A["propaganda"])
    if not (explosive or orgs or attack or vehicle or mass or goal):
        return None
    reasons: list[str] = []
    seeking = _seeking(d) if (explosive or attack or vehicle or mass) else []
    if explosive:
        if _follows(seeking, explosive, 10) and not _near(d.spans(DEFUSE), explosive, 6):
            reasons.append("instruction+explosive")
        elif len(d.spans(PROCEDURE)) >= 2 and len(d.spans(ASSEMBLY)) >= 2:
            reasons.append("procedure+explosive")
    if orgs and _near(orgs, d.spans(SUPPORT), 8):
        reasons.append("support+terror_org")
    if attack and _near(attack, d.spans(TARGET), 6) and _follows(seeking, attack, 8):
        reasons.append("intent+attack_target")
    elif vehicle and _follows(seeking, vehicle, 8):
        reasons.append("intent+vehicle_ramming")
    if mass and (seeking or attack or d.has(TARGET)):
        reasons.append("mass_casualty")
    if goal and d.has(PROPAGANDA) and _near(d.spans(PROPAGANDA_TEXT), goal, 10):
        reasons.append("propaganda")
    return (Action.block, tuple(reasons)) if reasons else None


def _violence(d: _Doc) -> Fired:
    harm = d.spans(A["harm"])
    body = d.spans(A["body_harm"])
    markers = d.spans(A["threat"])
    weak_markers = d.spans(A["threat_weak"])
    cover_up = d.has(A["stealth"]) or d.has(A["staged"]) or d.has(A["poison_autopsy"])
    quantity = d.has(A["quantity"])
    incite = d.has(A["incite"])
    deserve = d.spans(A["deserve"])
    purpose = d.has(A["purpose"])
    if not (
        harm
        or body
        or markers
        or weak_markers
        or cover_up
        or quantity
        or incite
        or deserve
        or purpose
    ):
        return None
    block: list[str] = []
    flag: list[str] = []
    # harm verbs with a person as their object ("kill you", not "kill time")
    person = d.spans(PERSON) if harm else []
    aimed = [h for h in harm if _follows([h], person, 2)]
    intent = d.spans(INTENT) if (aimed or body or markers or cover_up) else []
    threat = any(not d.negated_between(i, h) for i, h in _follows(intent, aimed, 3)) or any(
        not d.negated_between(i, b) for i, b in _follows(intent, body, 4)
    )
    if markers or weak_markers:
        weapon = d.has(A["gun"])
        strong = markers and (harm or len(markers) > 1 or intent or weapon)
        if strong or (weapon and weak_markers):
            threat = True
    if threat:
        (flag if d.has(HYPERBOLE) else block).append("threat")
    elif markers:
        flag.append("threat_marker")
    instr = d.spans(INSTR) if (aimed or body or cover_up or purpose) else []
    if instr and (_follows(instr, aimed, 6) or _follows(instr, body, 6)):
        block.append("instruction+harm")
    if cover_up and (instr or intent or d.has(QUESTION)):
        block.append("cover_up")
    if quantity:
        block.append("lethal_quantity")
    if incite:
        block.append("incitement")
    if deserve:
        if _near(d.spans(DESERVE_TARGET), deserve, 6):
            block.append("incitement")
        else:
            flag.append("wish_of_harm")
    if purpose and (instr or d.has(QUESTION) or d.has(IMPERATIVE)):
        block.append("purpose_harm")
    if block:
        return Action.block, tuple(block)
    if flag:
        return Action.flag, tuple(flag)
    return None


def _illegal(d: _Doc) -> Fired:
    drugs = d.spans(A["drug"])
    slang = d.spans(A["slang_drug"])
    precursor = d.has(A["precursor"])
    weapons = d.spans(A["weapon_illegal"])
    guns = d.spans(A["gun"])
    fraud_act = d.has(A["fraud_act"])
    fraud_objects = d.spans(A["fraud_object"])
    covert = d.has(A["covert"])
    impersonate = d.has(A["impersonate"])
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
    ):
        return None
    reasons: list[str] = []
    seeking = _seeking(d)
    if drugs:
        drugs = drugs + d.spans(CRACK)  # "crack" counts next to another drug word
        if seeking and _near(d.spans(DRUG_MAKE), drugs, 5) and _near(seeking, drugs, 8):
            reasons.append("instruction+drug_manufacture")
        if _near(d.spans(DRUG_BUY), drugs, 6):
            reasons.append("drug_purchase")
        if seeking and _near(d.spans(DRUG_TRADE), drugs, 5):
            reasons.append("drug_trade")
    if slang:
        if _near(d.spans(DRUG_BUY), slang, 6):
            reasons.append("drug_purchase")
        elif seeking and _near(d.spans(DRUG_MAKE), slang, 5) and d.has(HOMEMADE):
            reasons.append("instruction+drug_manufacture")
    if (
        (drugs or precursor)
        and len(d.spans(PROCEDURE)) >= 2
        and (precursor or len(d.spans(ASSEMBLY)) >= 2)
    ):
        reasons.append("procedure+drug")
    if weapons and seeking and _near(d.spans(WEAPON_ACTION), weapons, 6):
        reasons.append("instruction+illegal_weapon")
    if (
        guns
        and seeking
        and _near(d.spans(GUN_ACQUIRE), guns, 4)
        and _near(d.spans(GUN_RESTRICTION), guns, 10)
    ):
        reasons.append("gun_without_checks")
    if seeking:
        if fraud_act or (fraud_objects and _follows(d.spans(FRAUD_ACTION), fraud_objects, 3)):
            reasons.append("instruction+fraud")
        if covert and d.has(COVERT_ACCESS):
            reasons.append("instruction+covert_access")
        if impersonate and d.has(CREDENTIALS):
            reasons.append("instruction+phishing")
    return (Action.block, tuple(reasons)) if reasons else None


def _self_harm(d: _Doc) -> Fired:
    return (Action.flag, ("self_harm_statement",)) if d.has(A["self_harm"]) else None


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

    The direction is accepted for the Classifier protocol: the same policy applies both ways
    (a pasted recipe for a bomb is as blocked as a generated one).
    """

    name = "local"

    def __init__(self) -> None:
        self._allow = allow_verdict(self.name)

    async def classify(self, text: str, *, direction: Direction) -> Verdict:
        return self.check(text)

    def check(
        self,
        text: str,
        *,
        full: bool = False,
        mid_text: bool = False,
        only: Collection[Category] | None = None,
    ) -> Verdict:
        """The verdict. `full=True` skips the quick screen and the per-category gates (the
        tests use it to prove that both only ever skip work, never change a verdict);
        `mid_text=True` for a window cut out of a longer text; `only`: run just these
        categories' rules (the streaming guard knows which ones a new word can concern)."""
        folded = fold(text)
        if only is not None:
            found = OBFUSCATED if needs_full_tokeniser(folded) else PLAIN_HIT
        else:
            found = OBFUSCATED if full else screen(folded)
        if found == CLEAN:
            return self._allow
        doc = _Doc(NORMALIZER.tokens(folded, simple=found == PLAIN_HIT), mid_text=mid_text)
        fired: dict[Category, tuple[Action, tuple[str, ...]]] = {}
        for category, rule in RULES:
            if only is not None and category not in only:
                continue
            if full or CATEGORY_TRIGGERS[category].hit(doc.words, doc.text):
                result = rule(doc)
                if result is not None:
                    fired[category] = result
        if not fired:
            return self._allow
        return decide(MappingProxyType(fired), classifier=self.name)

    def canonical(self, text: str) -> str:
        """The normalised form of a text (what moderation_events hashes)."""
        return NORMALIZER.canonical(fold(text))
