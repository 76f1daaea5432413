"""The local engine against the labelled corpus (tests/moderation/corpus.py).

Hard rules: no adult text is blocked or flagged, and no child-safety text gets through, on
every split. Floors elsewhere come from the measured figures (docs/MODERATION.md): the splits
the lexicon was tuned on are held near 100%; FRESH and ROUND2_BLIND, never tuned against, have
the low floors they honestly measured (a lexicon engine misses paraphrases); ROUND2 has the
figures of its last run, after the second round of engine work.
"""

from __future__ import annotations

import pytest

from app.moderation.evaluation import Report, evaluate
from app.moderation.local import LocalPolicyEngine
from app.moderation.verdict import Action, Category
from tests.moderation import corpus

ENGINE = LocalPolicyEngine()


def _report(*splits: str) -> Report:
    return evaluate(lambda t, d: ENGINE.check(t, direction=d), corpus.labelled(*splits))


def _floors(split: str, floors: dict[str, float], max_false_blocks: int) -> None:
    report = _report(split)
    for label, floor in floors.items():
        recall = report.scores[label].recall
        assert recall is not None and recall >= floor, (label, report.misses)
    assert len(report.false_blocks) <= max_false_blocks, report.false_blocks


def test_corpus_is_large_and_covers_every_category_and_trick() -> None:
    assert len(corpus.ALL) >= 150
    for label in corpus.LABELS:
        assert sum(s.label == label for s in corpus.DEV) >= 5, label
    for label in corpus.BLOCK_LABELS:
        assert any(s.obfuscated and s.label == label for s in corpus.DEV), label
    allowed = " ".join(s.text for s in corpus.ALL if s.label == corpus.ALLOW)
    for phrase in ("kill time", "shoot a photo", "to die for", "kid's school play", "I'm 19"):
        assert phrase in allowed
    obfuscated = " ".join(s.text for s in corpus.ALL if s.obfuscated)
    for trick in ("\u200b", "\u0435", "\u0430", "k i d", "s3x", "p1pe", "kiiii"):
        assert trick in obfuscated, trick


@pytest.mark.parametrize("sample", [s for s in corpus.ALL if s.group == "adult"], ids=repr)
def test_adult_content_between_adults_is_allowed(sample: corpus.Sample) -> None:
    verdict = ENGINE.check(sample.text)
    assert verdict.action is Action.allow, (verdict.category, dict(verdict.reasons))


@pytest.mark.parametrize("sample", [s for s in corpus.ALL if s.label == "child_safety"], ids=repr)
def test_every_child_safety_text_is_blocked(sample: corpus.Sample) -> None:
    verdict = ENGINE.check(sample.text)
    assert verdict.blocked
    assert verdict.category is Category.child_safety


def test_floors_on_the_tuned_splits() -> None:
    """dev (with the second round's texts) + holdout + challenge: measured 100% on each
    category (the lexicon was written and tuned against them); the floors leave room for one
    or two honest regressions, no more."""
    report = _report("dev", "holdout", "challenge")
    for label in corpus.LABELS:
        score = report.scores[label]
        assert score.recall is not None and score.recall >= 0.95, (label, report.misses)
        assert score.precision is not None and score.precision >= 0.95, (label, report.misses)
    assert len(report.false_blocks) <= 1, report.false_blocks


def test_floors_on_the_fresh_split() -> None:
    """Never tuned against, except the two child-safety misses of its first run (zero
    tolerance). Its other misses were the lead's examples of the second round (docs
    "Generalised rules"), so it now measures: terrorism 4/4, violence 4/4, illegal 5/5,
    self-harm 2/2 (first run: 4/4, 1/4, 1/5, 1/2), no false block out of 25 allowed texts."""
    _floors(
        "fresh",
        {
            "child_safety": 1.0,
            "terrorism": 1.0,
            "violence": 1.0,
            "illegal_activity": 1.0,
            "self_harm": 1.0,
        },
        max_false_blocks=0,
    )


def test_the_second_round_splits_are_large_and_balanced() -> None:
    """round2 (>= 80 texts) and round2_blind (>= 40): half to block or flag, across the four
    categories and self-harm; half allowed, with adult, fiction and everyday texts."""
    for split, size in (("round2", 80), ("round2_blind", 40)):
        samples = [s for s in corpus.ALL if s.split == split]
        assert len(samples) >= size, split
        allowed = [s for s in samples if s.label == corpus.ALLOW]
        assert 0.45 <= len(allowed) / len(samples) <= 0.55, split
        assert {s.group for s in allowed} == {"adult", "fiction", "everyday"}, split
        assert {s.label for s in samples} == {corpus.ALLOW, *corpus.LABELS}, split
        assert any(s.direction == "output" for s in samples), split


def test_floors_on_round2() -> None:
    """Measured after the engine work (docs/MODERATION.md: first run 8 of 46 caught; then 42;
    43 after one bug its misses exposed): child safety 9/9, terrorism 7/8, violence 12/12,
    illegal activity 11/12, self-harm 4/5, no false block out of 46 allowed texts."""
    _floors(
        "round2",
        {
            "child_safety": 1.0,
            "terrorism": 7 / 8,
            "violence": 1.0,
            "illegal_activity": 11 / 12,
            "self_harm": 4 / 5,
        },
        max_false_blocks=0,
    )


def test_floors_on_round2_blind() -> None:
    """Measured once, after the engine work, and not tuned on since, except its five
    child-safety misses (zero tolerance, fixed by general rules). Measured: terrorism 4/5,
    violence 2/6, illegal activity 1/5, self-harm 0/3 (no floor can be lower: not asserted),
    one false block out of 24 ("I need to shoot my friend's wedding")."""
    _floors(
        "round2_blind",
        {"child_safety": 1.0, "terrorism": 4 / 5, "violence": 2 / 6, "illegal_activity": 1 / 5},
        max_false_blocks=1,
    )


def test_the_holdout_first_run_is_still_met() -> None:
    """The holdout's first measurement (before any tuning against it): 36 of 37 texts to block,
    no false block. Everything since must not go below it."""
    report = _report("holdout")
    caught = sum(report.scores[label].tp for label in corpus.LABELS)
    assert caught >= 36
    assert report.false_blocks == []


@pytest.mark.parametrize("sample", corpus.ALL, ids=repr)
def test_the_quick_screen_never_changes_a_verdict(sample: corpus.Sample) -> None:
    """The screen and the per-category triggers only skip work: the full rules on every text
    give the same verdict."""
    assert ENGINE.check(sample.text) == ENGINE.check(sample.text, full=True)
