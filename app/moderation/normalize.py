"""Text normalisation for the lexicon engine: undo the usual tricks before matching words.

Two stages, because the first must be nearly free (every chat message passes through it):

1. `fold()` (C-speed string calls only): lower case; for non-ASCII text also Unicode NFKD
   (fullwidth and mathematical letters, ligatures, accents split off), then one str.translate
   that drops zero-width characters and combining marks and maps Cyrillic/Greek look-alikes
   (homoglyphs) to the Latin letters they imitate.
2. `canonical_tokens()` (Python, run only when the quick screen in local.py found something):
   apostrophes dropped (I'm -> im), punctuation splits words, leetspeak decoded inside words
   (k1ll, s3x, $ex, k!ll) only when the decoded word is in the vocabulary (so "ar15" and "7th"
   stay), ages kept as numbers ("13yo" -> "13 yo"), stretched letters undone (kiiiill -> kill),
   contractions that would collide with other words once the apostrophe is gone expanded
   ("we'll" -> we will, not "well"; "he'll" -> he will, not "hell"),
   and runs of single characters joined ("k i l l", "b.o.m.b") then split back into known words
   ("howtomakeapipebomb" -> how to make a pipe bomb).

The canonical text (tokens joined by single spaces) is what the rules match and what the
moderation_events table hashes: two obfuscations of one message hash alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# --------------------------------------------------------------------------- stage 1: fold

ZERO_WIDTH = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f"
    "\u3164\ufe00\ufe01\ufe02\ufe03\ufe04\ufe05\ufe06\ufe07\ufe08\ufe09\ufe0a\ufe0b\ufe0c"
    "\ufe0d\ufe0e\ufe0f\ufeff\uffa0"
)

# Lower-case look-alikes (str.lower() runs first). Cyrillic, Greek, and Latin letters that NFKD
# leaves alone (dotless i, l with stroke ...). After Unicode TR39 confusables, trimmed to letters.
CONFUSABLES = {
    # Cyrillic
    "а": "a", "б": "b", "в": "b", "г": "r", "д": "d", "е": "e", "ё": "e", "ж": "x", "з": "3",
    "и": "u", "й": "u", "к": "k", "л": "n", "м": "m", "н": "h", "о": "o", "п": "n", "р": "p",
    "с": "c", "т": "t", "у": "y", "ф": "f", "х": "x", "ц": "u", "ч": "4", "ш": "w", "щ": "w",
    "ъ": "b", "ы": "bi", "ь": "b", "э": "e", "ю": "io", "я": "r", "є": "e", "ѕ": "s", "і": "i",
    "ї": "i", "ј": "j", "һ": "h", "ӏ": "l", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y", "ҫ": "c",
    "ӧ": "o", "ӓ": "a", "ӑ": "a", "ӕ": "ae", "ҡ": "k", "ҝ": "k", "ӄ": "k", "ң": "h", "ҥ": "h",
    # Greek
    "α": "a", "ά": "a", "β": "b", "γ": "y", "δ": "d", "ε": "e", "έ": "e", "ζ": "z", "η": "n",
    "ή": "n", "θ": "o", "ι": "i", "ί": "i", "ϊ": "i", "ΐ": "i", "κ": "k", "λ": "l", "μ": "u",
    "ν": "v", "ξ": "e", "ο": "o", "ό": "o", "π": "n", "ρ": "p", "σ": "o", "ς": "s", "τ": "t",
    "υ": "u", "ύ": "u", "ϋ": "u", "φ": "f", "χ": "x", "ψ": "w", "ω": "w", "ώ": "w", "ϲ": "c",
    "ϳ": "j", "ϵ": "e", "ϐ": "b", "ϰ": "k", "ϱ": "p",
    # Latin letters without a decomposition, IPA and small capitals
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ƀ": "b", "ɨ": "i", "ɑ": "a",
    "ɡ": "g", "ɩ": "i", "ɪ": "i", "ʀ": "r", "ʏ": "y", "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d",
    "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o",
    "ᴘ": "p", "ꞯ": "q", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z", "ß": "ss",
    "æ": "ae", "œ": "oe", "ð": "d", "þ": "th", "ſ": "s",
    # typographic apostrophes and quotes: the tokeniser drops apostrophes
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2032": "'", "\uff07": "'",
}  # fmt: skip

_FOLD_TABLE: dict[int, str | None] = {ord(c): None for c in ZERO_WIDTH}
_FOLD_TABLE.update({cp: None for cp in range(0x0300, 0x0370)})  # combining diacritics
_FOLD_TABLE.update({cp: None for cp in range(0x1AB0, 0x1B00)})
_FOLD_TABLE.update({cp: None for cp in range(0x1DC0, 0x1E00)})
_FOLD_TABLE.update({cp: None for cp in range(0x20D0, 0x2100)})
_FOLD_TABLE.update({cp: None for cp in range(0xFE20, 0xFE30)})
_FOLD_TABLE.update({ord(k): v for k, v in CONFUSABLES.items()})


_MARKS_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
# Any character the fold table maps other than combining marks: translate (slow for non-ASCII,
# ~50 ns a character) runs only when one is present.
_SPECIAL_RE = re.compile("[" + re.escape(ZERO_WIDTH + "".join(CONFUSABLES)) + "]")


def fold(text: str) -> str:
    """Lower case; for non-ASCII text also NFKD, zero-width and diacritics out, homoglyphs in."""
    if text.isascii():
        return text.lower()
    folded = _MARKS_RE.sub("", unicodedata.normalize("NFKD", text).lower())
    if _SPECIAL_RE.search(folded) is not None:
        folded = folded.translate(_FOLD_TABLE)
    return folded


# --------------------------------------------------------------------------- stage 2: tokens

# Leetspeak: two tables differ only where a symbol stands for i or l (1, |).
_LEET_COMMON = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "6": "g",
                "@": "a", "$": "s", "!": "i", "+": "t", "€": "e"}  # fmt: skip
LEET_I = str.maketrans({**_LEET_COMMON, "1": "i", "|": "i"})
LEET_L = str.maketrans({**_LEET_COMMON, "1": "l", "|": "l"})

# A word piece: letters/digits, optionally led by $ or @ ("$ex", "@ss") and joined by leet
# symbols ("k!ll", "f|ck"). A symbol at the end of a piece is punctuation ("sex!").
_PIECE_RE = re.compile(r"[@$]?[^\W_]+(?:[@$!|+]+[^\W_]+)*")
_AGE_UNIT_RE = re.compile(
    r"(\d{1,3})(yo|yrs?|y|yro|yrsold|yrold|yearold|yearsold|years?|m|f)", re.ASCII
)
_ORDINAL_RE = re.compile(r"\d{1,3}(?:st|nd|rd|th|s)", re.ASCII)
_RUN_RE = re.compile(r"(.)\1+")
_SYMBOLS_RE = re.compile(r"[@$!|+]+")
_AGE_UNITS = frozenset("yo y yr yrs year years month months old".split())
_TRIPLE_RE = re.compile(r"(.)\1\1")
_APOSTROPHES = str.maketrans("", "", "'`´")
# Contractions that become other words without their apostrophe ("we'll" -> "well", "he'll" ->
# "hell", "she'll" -> "shell", "we'd" -> "wed"): expanded before the apostrophes go.
_CONTRACTION_RE = re.compile(r"\b(we|he|she|it)'ll\b|\b(we)'d\b")


def _expand(m: re.Match[str]) -> str:
    return f"{m.group(1)} will" if m.group(1) else f"{m.group(2)} would"


# The simple tokeniser: punctuation to spaces, apostrophes out (as the full one does).
_SPLIT_TABLE = str.maketrans(
    {**{c: " " for c in '!"#$%&()*+,-./:;<=>?@[\\]^_{|}~'}, **dict.fromkeys("'`´")}
)


def dedup(word: str) -> str:
    """Every run of one letter collapsed to a single letter (kiiiilll -> kil)."""
    return _RUN_RE.sub(r"\1", word)


class Normalizer:
    """Canonical tokens against a vocabulary (the lexicon's words plus common English)."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.vocab = frozenset(vocabulary)
        canon: dict[str, str] = {}
        # Longest first so "shooot" -> "shoot" rather than "shot" when both collapse alike.
        for word in sorted(self.vocab, key=len, reverse=True):
            canon.setdefault(dedup(word), word)
        self._dedup_canon = canon
        self._max_word = max((len(w) for w in self.vocab), default=1)

    def canonical(self, folded: str) -> str:
        return " ".join(self.tokens(folded))

    def tokens(self, folded: str, *, simple: bool = False) -> list[str]:
        """Canonical tokens of already-folded text (see the module docstring).

        `simple=True` is for ASCII text the quick screen found free of leetspeak, stretched and
        spaced letters: then splitting on punctuation gives the same tokens, ~8x faster.
        """
        if "'s" in folded:
            folded = self.drop_possessives(folded)
        if "'ll" in folded or "'d" in folded:
            folded = _CONTRACTION_RE.sub(_expand, folded)
        if simple and folded.isascii():
            return folded.translate(_SPLIT_TABLE).split()
        pieces: list[str] = []
        for raw in folded.split():
            raw = raw.translate(_APOSTROPHES)
            if raw.isalpha() and raw.isascii():
                pieces.append(raw)
            else:
                pieces.extend(_PIECE_RE.findall(raw))
        out: list[str] = []
        i, n = 0, len(pieces)
        leet = n > 1 and any(not p.isalpha() and not p.isdigit() for p in pieces)
        while i < n:
            piece = pieces[i]
            if len(piece) == 1:
                # A run of single characters: "k i l l", "b.o.m.b", "k 1 l l".
                j = i + 1
                while j < n and len(pieces[j]) == 1:
                    j += 1
                if j - i >= 3:
                    joined = self._word("".join(pieces[i:j]))
                    out.extend(joined if isinstance(joined, list) else self._segment(joined))
                    i = j
                    continue
            if leet and piece == "1" and 0 < i < n - 1 and pieces[i + 1] not in _AGE_UNITS:
                out.append("i")  # "h0w d0 1 m4ke": a lone 1 among leetspeak is the word I
                i += 1
                continue
            word = self._word(piece)
            if isinstance(word, list):
                out.extend(word)
            else:
                out.append(word)
            i += 1
        return out

    def drop_possessives(self, folded: str) -> str:
        """ "hamas's" -> hamas, while "kid's" -> kids and "let's" -> lets (known words) stay.

        A split on "'s" and a walk back over the stem: a regex would try a word at every
        position of the text (this runs on every message with an apostrophe-s).
        """
        parts = folded.split("'s")
        if len(parts) == 1:
            return folded
        out = [parts[0]]
        for part in parts[1:]:
            prev = out[-1]
            i = len(prev)
            while i and (prev[i - 1].isalnum() or prev[i - 1] == "_"):
                i -= 1
            stem = prev[i:]
            at_word_end = not part or not (part[0].isalnum() or part[0] == "_")
            if stem and at_word_end and stem in self.vocab and stem + "s" not in self.vocab:
                out.append(part)
            else:
                out.append("'s" + part)
        return "".join(out)

    def _word(self, piece: str) -> str | list[str]:
        if piece.isalpha():
            return self._unstretch(piece) if _TRIPLE_RE.search(piece) else piece
        if piece.isdigit():
            return piece
        if piece[0] in "$@" and piece[1:].isdigit():
            return piece[1:]  # "$100" is a number, not leetspeak
        if piece in self.vocab:
            return piece
        m = _AGE_UNIT_RE.fullmatch(piece)
        if m:
            return [m.group(1), m.group(2)]
        if _ORDINAL_RE.fullmatch(piece):
            return piece
        if not any(c.isalpha() for c in piece):
            return [p for p in _SYMBOLS_RE.split(piece) if p]  # "1+5" is arithmetic
        for table in (LEET_I, LEET_L):
            cand = piece.translate(table)
            if cand in self.vocab:
                return cand
            if cand.isalpha() and _TRIPLE_RE.search(cand):
                fixed = self._unstretch(cand)
                if fixed in self.vocab:
                    return fixed
        if _SYMBOLS_RE.search(piece):
            return [p for p in _SYMBOLS_RE.split(piece) if p]  # "5+3": symbols were punctuation
        return piece

    def _unstretch(self, word: str) -> str:
        if word in self.vocab:
            return word
        return self._dedup_canon.get(dedup(word), dedup(word))

    def _segment(self, word: str) -> list[str]:
        """Split a joined run into vocabulary words (fewest words wins); unchanged if none."""
        if word in self.vocab or len(word) > 200:
            return [word]
        n = len(word)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(1, n + 1):
            for start in range(max(0, end - self._max_word), end):
                prev = best[start]
                if prev is None:
                    continue
                part = word[start:end]
                if part in self.vocab and (
                    best[end] is None or len(prev) + 1 < len(best[end] or ())
                ):
                    best[end] = [*prev, part]
        return best[n] or [word]
