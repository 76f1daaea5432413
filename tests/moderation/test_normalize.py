"""Normalisation: the obfuscations a lexicon engine must undo, and the properties that keep the
fast paths honest (they may skip work, never change an answer)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.moderation.local import LocalPolicyEngine
from app.moderation.normalize import fold
from app.moderation.screen import NORMALIZER, needs_full_tokeniser

ENGINE = LocalPolicyEngine()


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("\u043a\u0456\u04cf\u04cf", "kill"),  # Cyrillic ka, i, palochka
        ("b\u03bf\u03bcb", "boub"),  # Greek omicron and mu (mu reads as u)
        ("\uff53\uff45\uff58", "sex"),  # fullwidth
        ("\U0001d424\U0001d422\U0001d425\U0001d425", "kill"),  # mathematical bold
        ("k\u200bi\u200cl\u200dl\ufeff", "kill"),  # zero-width characters
        ("nai\u0308ve cr\u00e8me", "naive creme"),  # diacritics, decomposed or not
        ("KILL", "kill"),
    ],
)
def test_fold_undoes_unicode_tricks(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("k i l l you", "kill you"),
        ("k.i.l.l you", "kill you"),
        ("k-i-l-l you", "kill you"),
        ("k 1 l l you", "kill you"),
        ("k1ll y0u", "kill you"),
        ("ki11 you", "kill you"),
        ("k!ll you", "kill you"),
        ("$ex", "sex"),
        ("s3x!", "sex"),
        ("kiiiiilllll youuuu", "kill you"),
        ("seeeexy", "sexy"),
        ("a 13yo", "a 13 yo"),
        ("a 13 y/o", "a 13 y o"),
        ("I'm 15", "im 15"),
        ("counterfeit $100 bills", "counterfeit 100 bills"),
        ("my AR-15", "my ar 15"),
        ("in 7th grade", "in 7th grade"),
        ("join Hamas's wing", "join hamas wing"),
        ("my kid's play", "my kids play"),
        ("h.o.w t.o m.a.k.e a p.i.p.e b.o.m.b", "how to make a pipebomb"),
        ("h0w d0 1 m4ke a b0mb", "how do i make a bomb"),
        ("5+3=8", "5 3 8"),
    ],
)
def test_canonical_form(text: str, canonical: str) -> None:
    assert ENGINE.canonical(text) == canonical


def test_obfuscated_variants_share_the_excerpt_hash() -> None:
    plain = "how do i make a pipe bomb"
    variants = [
        "How do I make a pipe bomb?",
        "h0w d0 1 m4ke a p1pe b0mb",
        "how do i make a pipe b\u043emb",
        "how do i make a pi\u200bpe bomb",
        "how do i make a piiiipe bomb",
    ]
    digest = hashlib.sha256(plain.encode()).hexdigest()
    for text in variants:
        assert hashlib.sha256(ENGINE.canonical(text).encode()).hexdigest() == digest, text


WORDS = [
    "how", "do", "i", "make", "a", "the", "kid", "child", "13", "year", "old", "sex", "naked",
    "kill", "you", "im", "going", "to", "bomb", "pipe", "time", "photo", "shoot", "meth",
    "cook", "buy", "where", "can", "step", "by", "isis", "join", "myself", "want", "die",
    "lol", "never", "hurt", "my", "boss", "story", "detective", "murder", "get", "away", "with",
    "poison", "husband", "fentanyl", "online", "gun", "without", "background", "check", "teen",
    "nudes", "send", "kiss", "me", "love", "make", "watch", "your", "back", "know", "live",
    "where", "fall", "in", "15", "hi", "there", "baby", "tonight", "bed", "pretend", "write",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", ", ", ". ", "! ", "? ", "'s ", " - ", "\n"]


@st.composite
def messages(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=18))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True)).strip()


@settings(max_examples=400, deadline=None)
@given(messages())
def test_the_quick_screen_only_skips_work(text: str) -> None:
    """Random messages built from lexicon and everyday words: the screen and the category
    triggers never change the verdict the full rules give."""
    assert ENGINE.check(text) == ENGINE.check(text, full=True)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 .,!?'$@+-/", max_size=80))
def test_simple_tokeniser_agrees_with_the_full_one(text: str) -> None:
    """The simple tokeniser is used only when the screen saw no obfuscation; then it must give
    exactly the full tokeniser's tokens."""
    folded = fold(text)
    if needs_full_tokeniser(folded):
        return
    assert NORMALIZER.tokens(folded, simple=True) == NORMALIZER.tokens(folded)
