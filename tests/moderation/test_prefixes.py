"""The engine's speed-ups only skip work: the first-characters lookahead of every pattern
(prefixes.py) and the anchor index (every anchor's required words) never change a match."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.moderation import local
from app.moderation.cooccur import TERMS, Recipe
from app.moderation.normalize import fold
from app.moderation.prefixes import first_chars
from app.moderation.screen import ANCHORS, NORMALIZER, VOCABULARY, TriggerIndex
from app.moderation.verdict import Category
from tests.moderation import corpus

FEATURES = [v for v in vars(local).values() if isinstance(v, local.Feature)] + list(
    local.A.values()
)
WORDS = sorted(VOCABULARY)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (" (?:how do|how to|where)", {"ho", "wh"}),
        (" (?:a (?:b|c)|u)\\b", {"a ", "u"}),
        (" (?:x?yz)", {"xy", "yz"}),
        (" (?:(?:ab){0,2}cd)", {"ab", "cd"}),
        (" (?:[ab]c)", {"ac", "bc"}),
        (" (?:(?<=^ )go|(?!no)ok)", {"go", "ok"}),
    ],
)
def test_first_chars_of_a_pattern(pattern: str, expected: set[str]) -> None:
    assert first_chars(pattern) == expected


@pytest.mark.parametrize("pattern", [" (?:\\w+ kill)", " (?:.x)", " (?:[^a]b)", " (?:a?)"])
def test_first_chars_are_unknown_for_open_patterns(pattern: str) -> None:
    assert first_chars(pattern) is None


def _docs(text: str) -> list[local._Doc]:
    tokens = NORMALIZER.tokens(fold(text))
    return [local._Doc(tokens), local._Doc(tokens, mid_text=True)]


def _assert_same_matches(text: str) -> None:
    for doc in _docs(text):
        for feature in FEATURES:
            assert feature.plain is not None
            fast = [m.span() for m in feature.regex.finditer(doc.text)]
            assert fast == [m.span() for m in feature.plain.finditer(doc.text)], (
                feature.plain.pattern[:80],
                doc.text,
            )


def test_almost_every_pattern_gets_a_lookahead() -> None:
    assert sum(f.regex is not f.plain for f in FEATURES) >= len(FEATURES) - 2


@pytest.mark.parametrize("sample", corpus.ALL, ids=repr)
def test_the_lookahead_never_changes_a_match_on_the_corpus(sample: corpus.Sample) -> None:
    _assert_same_matches(sample.text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30))
def test_the_lookahead_never_changes_a_match_on_random_text(words: list[str]) -> None:
    _assert_same_matches(" ".join(words))


ANCHOR_LIST = [(c, a) for c, anchors in ANCHORS.items() for a in anchors]
REQUIREMENTS = {
    a.name: TriggerIndex([(r, a.is_phrase) for r in a.requirements]) for _, a in ANCHOR_LIST
}


def _assert_requirements_hold(text: str) -> None:
    """Wherever an anchor's pattern matches, one of its required word sets is in the text
    (what lets ANCHOR_INDEX skip it otherwise), and one of its gate words. A `category_only`
    anchor is gated by its gate words alone: only those are checked."""
    for doc in _docs(text):
        possible = local.ANCHOR_INDEX.possible(doc.words, doc.text)
        for _, anchor in ANCHOR_LIST:
            feature = local.A[anchor.name]
            assert feature.plain is not None
            if feature.plain.search(doc.text) is None:
                continue
            if anchor.gate is not None:
                assert not anchor.gate.isdisjoint(doc.words), (anchor.name, doc.text)
            if anchor.category_only:
                assert feature.anchor is None
                continue
            assert REQUIREMENTS[anchor.name].hit(doc.words, doc.text), (anchor.name, doc.text)
            assert anchor.name in possible, (anchor.name, doc.text)


@pytest.mark.parametrize("sample", corpus.ALL, ids=repr)
def test_anchor_requirements_hold_on_the_corpus(sample: corpus.Sample) -> None:
    _assert_requirements_hold(sample.text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30))
def test_anchor_requirements_hold_on_random_text(words: list[str]) -> None:
    _assert_requirements_hold(" ".join(words))


# Texts that exercise the patterns of the second round, including branches the corpus lacks.
EXTRA = [
    "I don't want to wake up tomorrow.",
    "you'll be in a body bag",
    "he'll turn up dead in the river",
    "I'm coming after your whole family",
    "we'll storm the mosque during prayers",
    "take him out permanently",
    "be the last person who kills you",
    "end your pathetic life",
    "so she can't scream",
    "get away with it without leaving evidence",
    "look alike sign in page",
    "stockpiled up my pills",
    "I keep imagining lying on the tracks",
    "shoot up the station",
    "I'm bringing my ar 15 to school",
]


@pytest.mark.parametrize("text", EXTRA)
def test_anchor_requirements_hold_on_the_new_patterns(text: str) -> None:
    _assert_requirements_hold(text)


def test_a_recipe_needs_its_classes_within_the_window() -> None:
    recipe = Recipe(
        "demo",
        Category.terrorism,
        frozenset({"fuel"}),
        frozenset({"fuel", "bottle", "wick"}),
        need=3,
        window=5,
    )
    near = TERMS.find("fill the bottle with gasoline and a rag".split())
    assert recipe.match(near) is not None
    far = TERMS.find(("fill the bottle with " + "x " * 10 + "gasoline and a rag").split())
    assert recipe.match(far) is None
    without_key = TERMS.find("fill the bottle and a rag".split())
    assert recipe.match(without_key) is None


def test_term_index_finds_phrases_and_words() -> None:
    found = TERMS.find("pour black powder into a steel pipe then add end caps".split())
    assert found["powder"] == [1]  # the phrase "black powder", at its first word
    assert found["pipe"] == [5, 6]  # "steel pipe" and "pipe" start at different words
    assert found["end_cap"] == [9, 10]  # "end caps" and "caps"
    assert "fuel" not in found
