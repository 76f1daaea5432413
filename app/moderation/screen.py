"""The quick screen: which texts, and which categories, can the local rules possibly block?

The rules (local.py) run on every chat message only if this says so. It works on bytes: one
bytes.translate (lower case, punctuation to spaces, apostrophes out), one split, one set
intersection with the trigger index (the words every anchor needs, lexicon.py), and two tiny
regexes for obfuscation (stretched or spaced letters). Leetspeak is decoded by one more
translate only when a digit or symbol touches a letter; non-ASCII text is folded first (NFKD,
homoglyphs, zero-width). Nothing found: the message is allowed without tokenising it.

The same indexes tell the streaming guard (service.OutputGuard) which categories a new word can
concern. Tests prove the screen only skips work: `check(text) == check(text, full=True)`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Collection, Iterable

from app.moderation import lexicon as lx
from app.moderation.normalize import LEET_I, LEET_L, Normalizer
from app.moderation.verdict import Category

ANCHORS: dict[Category, tuple[lx.Anchor, ...]] = {
    Category.child_safety: lx.CHILD_SAFETY_ANCHORS,
    Category.terrorism: lx.TERRORISM_ANCHORS,
    Category.violence: lx.VIOLENCE_ANCHORS,
    Category.illegal_activity: lx.ILLEGAL_ACTIVITY_ANCHORS,
    Category.self_harm: lx.SELF_HARM_ANCHORS,
}


class TriggerIndex:
    """Word sets of which one must be present for a category to possibly fire.

    Single words are one set intersection. A multi-word set is keyed by its rarest word and
    checked only when that word is present; when it came from a phrase ("watch your back"), the
    phrase itself must be in the text, not just its words scattered about. Built for str
    (canonical tokens) and for bytes (the quick screen) alike.
    """

    def __init__(self, requirements: Iterable[tuple[lx.Requirement, bool]]) -> None:
        single: set[str] = set()
        keyed: dict[str, list[tuple[frozenset[str], str | None]]] = {}
        for req, is_phrase in requirements:
            words = set(req)
            if len(words) == 1:
                single |= words
                continue
            key = lx.key_word(words) if is_phrase else req[0]
            phrase = " " + " ".join(req) + " " if is_phrase else None
            keyed.setdefault(key, []).append((frozenset(words - {key}), phrase))
        self.single = frozenset(single)
        self.keyed = {k: tuple(v) for k, v in keyed.items() if k not in single}
        self.keys = self.single | frozenset(self.keyed)
        self.bsingle = frozenset(w.encode() for w in self.single)
        self.bkeyed = {
            k.encode(): tuple(
                (frozenset(w.encode() for w in rest), None if p is None else p.encode())
                for rest, p in v
            )
            for k, v in self.keyed.items()
        }
        self.bkeys = self.bsingle | frozenset(self.bkeyed)

    def hit(self, words: Collection[str], joined: str) -> bool:
        """`joined`: the words with single spaces, and a space at both ends."""
        hits = self.keys.intersection(words)
        if not hits:
            return False
        if not self.single.isdisjoint(hits):
            return True
        present = words if isinstance(words, (set, frozenset)) else set(words)
        return any(
            rest <= present and (phrase is None or phrase in joined)
            for h in hits
            for rest, phrase in self.keyed[h]
        )

    def hit_bytes(self, words: list[bytes]) -> bool:
        hits = self.bkeys.intersection(words)
        if not hits:
            return False
        if not self.bsingle.isdisjoint(hits):
            return True
        present = set(words)
        joined: bytes | None = None  # only for a phrase whose words are all present
        for h in hits:
            for rest, phrase in self.bkeyed[h]:
                if not rest <= present:
                    continue
                if phrase is None:
                    return True
                if joined is None:
                    joined = b" " + b" ".join(words) + b" "
                if phrase in joined:
                    return True
        return False


def _requirements(anchors: Iterable[lx.Anchor]) -> Iterable[tuple[lx.Requirement, bool]]:
    for a in anchors:
        for r in a.requirements:
            yield r, a.is_phrase


CATEGORY_TRIGGERS: dict[Category, TriggerIndex] = {
    c: TriggerIndex(_requirements(anchors)) for c, anchors in ANCHORS.items()
}


def _words_of(*sources: str | Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for src in sources:
        for text in [src] if isinstance(src, str) else src:
            out.update(re.findall(r"[a-z0-9]{3,}", re.sub(r"\\[a-zA-Z]", " ", text)))
    return frozenset(out)


# Words that can complete a category's pattern after one of its anchor words ("kill" ...
# "you", "sexy" ... "13"): the streaming guard re-runs a category's rules when one arrives
# shortly after the anchor. Common words are left out (they would wake it all the time), but
# for violence the pronouns that make a threat are kept.
_STOP = lx.COMMON | frozenset(
    "you your youre yours u ya me my mine i im ill id be as are is was a an the and or but to of "
    "in on at with for it its that this so do how what like just not no yes now".split()
)
_PRONOUNS = frozenset("you u ya him her them someone somebody anyone everyone people".split())
_AGES = [str(n) for n in range(19)] + [
    f"{n}{x}" for n in range(1, 9) for x in ("st", "nd", "rd", "th")
]
_CHILD_COMPLETION = (
    "kid kids kiddo child children toddler toddlers infant infants girl girls boy boys teen "
    "teens teenage teenager teenagers schoolgirl schoolboy newborn minor minors yo year years "
    "old describe write roleplay pretend imagine show story scene fanfic picture pictures pics "
    "photo photos image images video videos send detail details explicit adult adults grown "
    "older teacher coach stepdad stepfather stepmom stepmother boss pastor priest rp scenario "
    # grooming: a meeting or a picture asked for after the secrecy
    "meet pick selfie selfies alone school secret call live mature"
).split()


def _recipe_words(category: str) -> frozenset[str]:
    return frozenset(
        w
        for name, cat, keys, others, _, _ in lx.RECIPES
        if cat == category
        for cls in (*keys, *others)
        for term in lx.RECIPE_TERMS[cls]
        for w in term.split()
    )


COMPLETION: dict[Category, frozenset[str]] = {
    Category.child_safety: frozenset(_CHILD_COMPLETION) | lx.MINOR_STRONG_GATE,
    Category.terrorism: (_words_of(
        lx.ATTACK_TARGETS, lx.SUPPORT, lx.PROCEDURE, lx.ASSEMBLY, lx.PROPAGANDA, lx.DEFUSE,
        lx.PRESENT, lx.QUANTITY_MAT, lx.CROWD_TIME, lx.WEAPON_WORDS, lx.PROPAGANDA_ANCHOR,
    ) | _recipe_words("terrorism")) - _STOP,
    Category.violence: (
        _words_of(lx.PERSON, lx.DESERVE_TARGET, lx.BODY_HARM, lx.GUNS, lx.SILENCE,
                  lx.HARM_OUTCOME, lx.WEAPON_WORDS, lx.PROCEDURE) - _STOP
    ) | _PRONOUNS,
    Category.illegal_activity: (_words_of(
        lx.DRUG_MAKE, lx.DRUG_BUY, lx.DRUG_TRADE, lx.WEAPON_ACTION, lx.GUN_ACQUIRE,
        lx.GUN_RESTRICTION, lx.FRAUD_ACTION, lx.COVERT_ACCESS, lx.CREDENTIALS, lx.PROCEDURE,
        lx.ASSEMBLY, lx.HOMEMADE, lx.PRESENT, lx.WEAPON_BUILD, lx.DRUG_PRESS, lx.TOOL_REQUEST,
        lx.EVADE, lx.CRIME, lx.PROCEEDS, lx.QUANTITY_MAT,
    ) | _recipe_words("illegal_activity")) - _STOP,
    Category.self_harm: frozenset(),
}  # fmt: skip
TRIGGERS = TriggerIndex(_requirements(a for anchors in ANCHORS.values() for a in anchors))

# Words the normaliser may decode leetspeak into, split joined letters into, or restore from
# stretched spellings: every literal word of the lexicon plus common English.
_COMMON_ENGLISH = (
    "a i im id ill ive me my mine you your youre u we were us our he hes him his she shes her "
    "they theyre them their it its this that these those the an of to in on at for with by from "
    "up down out off into over about all every some any and or but if so then than when where "
    "what which who why how is are was be been am do does did doing have has had get got go "
    "going gonna wanna want need know make made take give tell show teach explain help find "
    "write describe pretend roleplay story scene picture photo photos pics video send buy sell "
    "cook build print home house step guide way best easy easiest can could would should will "
    "shall must may might just really very now today tonight tomorrow please like love hate "
    "not no never dont cant wont one two three first next last new old year years yo age girl "
    "girls boy boys man men woman women little young good bad big small people person someone "
    "friend friends school work job time day night week money car phone life death dead die "
    "with without again also too more most much many same other another own each both kill "
    "myself yourself himself herself themselves ourselves scene 3d c4 ar15 ak47 p2p mp3 mp4 4k "
    "1080p covid19 y2k"
)
VOCABULARY: frozenset[str] = frozenset(
    {w for anchors in ANCHORS.values() for a in anchors for r in a.requirements for w in r}
    | set(_COMMON_ENGLISH.split())
    | {w for p in lx.MINOR_WEAK_TERMS for w in p.split()}
    | {w for src in (lx.INSTRUCTION, lx.INTENT, lx.PERSON, lx.MINOR_STRONG, lx.QUANTITY,
                     lx.INCITE, lx.DRUG_MAKE, lx.DRUG_BUY, lx.DRUG_TRADE, lx.FRAUD_ACTION,
                     lx.SUPPORT, lx.HARM, lx.SELF_HARM, lx.ROLEPLAY, lx.ADULT_PARTY, lx.REQUEST)
       for w in re.findall(r"[a-z]{2,}", re.sub(r"\\[a-zA-Z]", " ", src))}
)  # fmt: skip

NORMALIZER = Normalizer(VOCABULARY)

# --------------------------------------------------------------------------- the quick screen


def _byte_table(mapping: dict[str, str]) -> bytes:
    table = bytearray(range(256))
    for src, dst in mapping.items():
        table[ord(src)] = ord(dst)
    return bytes(table)


_DELETE = b"'`"
_LOWER = {c: c.lower() for c in string.ascii_uppercase}
_PUNCT_SPACE = {c: " " for c in string.punctuation if c not in "'`"}
# lower case, punctuation to spaces (apostrophes are deleted by translate's second argument)
_PLAIN = _byte_table({**_LOWER, **_PUNCT_SPACE})
_LEET = [
    _byte_table(
        {
            **_LOWER,
            **_PUNCT_SPACE,
            **{chr(k): v for k, v in table.items() if isinstance(v, str) and k < 128},
        }
    )
    for table in (LEET_I, LEET_L)
]
_SPACED = re.compile(rb" [a-z0-9] [a-z0-9] [a-z0-9] ")  # "k i l l", "b.o.m.b"
_TRIPLE = re.compile(rb"([a-z])\1\1")  # "kiiill"
# A digit touching a letter (k1ll, br4, 13yo), a leet symbol inside a word (k!ll) or leading one
# ($ex); "hey!" is punctuation.
# Each alternative starts with the digit or symbol, so re can skip ahead to one (2x faster).
_LEETISH = re.compile(
    rb"[0-9](?<=[a-zA-Z][0-9])|[@$!|+](?<=[a-zA-Z].)[@$!|+]*(?=[a-zA-Z0-9])|[0-9@$|](?=[a-zA-Z])"
)
_LEET_CHARS = re.compile(rb"[0-9@$!|+]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


CLEAN, PLAIN_HIT, OBFUSCATED = 0, 1, 2


def _ascii_bytes(folded: str) -> bytes:
    if "'s" in folded:
        folded = NORMALIZER.drop_possessives(folded)  # as the tokeniser does: "hamas's"
    return folded.encode() if folded.isascii() else _NON_ASCII.sub(" ", folded).encode()


def _markers(raw: bytes, words: list[bytes]) -> tuple[bool, bool]:
    """(leetspeak, stretched or spaced letters) in ASCII bytes and their plain words."""
    joined = b" " + b" ".join(words) + b" "
    spaced = _SPACED.search(joined) is not None or _TRIPLE.search(joined) is not None
    # apostrophes are deleted before tokenising: "0'f" is the token "0f"
    if _LEET_CHARS.search(raw) is None:
        return False, spaced
    return _LEETISH.search(raw.translate(None, _DELETE)) is not None, spaced


COMPLETION_BYTES = {c: frozenset(w.encode() for w in ws) for c, ws in COMPLETION.items()}
# Child safety, split for the streaming guard: sexual words are everywhere in an adult
# companion's replies and can block nothing without a minor signal close by.
CHILD_DIRECT = TriggerIndex(
    _requirements(a for a in lx.CHILD_SAFETY_ANCHORS if a.name in ("csam", "fuck_minor"))
)
CHILD_SEXUAL = TriggerIndex(
    _requirements(a for a in lx.CHILD_SAFETY_ANCHORS if a.name not in ("csam", "fuck_minor"))
)
MINOR_SIGNAL_BYTES = frozenset(
    w.encode()
    for w in lx.MINOR_STRONG_GATE
    | {w for p in lx.MINOR_WEAK_TERMS for w in p.split()}
    | {"yo", "year", "years", "old", "grader", "graders"}
)


def stream_words(folded: str) -> list[bytes] | None:
    """The words of a streamed region as the quick screen sees them, or None when it shows
    leetspeak, stretched or spaced letters (then only the full screen can tell)."""
    raw = _ascii_bytes(folded)
    words = raw.translate(_PLAIN, _DELETE).split()
    leetish, spaced = _markers(raw, words)
    return None if leetish or spaced else words


def needs_full_tokeniser(folded: str) -> bool:
    """Whether the text shows leetspeak, stretched or spaced letters, or non-ASCII."""
    raw = _ascii_bytes(folded)
    return not folded.isascii() or any(_markers(raw, raw.translate(_PLAIN, _DELETE).split()))


def screen(folded: str) -> int:
    """CLEAN: no rule can fire. PLAIN_HIT: a trigger word or phrase and no obfuscation (the
    simple tokeniser suffices). OBFUSCATED: a trigger, possibly hidden by leetspeak, stretched
    or spaced letters, or in text folded from non-ASCII (the full tokeniser must see it)."""
    raw = _ascii_bytes(folded)
    words = raw.translate(_PLAIN, _DELETE).split()
    leetish, spaced = _markers(raw, words)
    found = OBFUSCATED if leetish or spaced or not folded.isascii() else PLAIN_HIT
    if TRIGGERS.hit_bytes(words):
        return found
    if spaced:
        return OBFUSCATED  # the tokeniser puts stretched and spaced letters back together
    if leetish and any(TRIGGERS.hit_bytes(raw.translate(t, _DELETE).split()) for t in _LEET):
        return OBFUSCATED
    return CLEAN
