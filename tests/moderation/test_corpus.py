"""The local engine against the labelled corpus (tests/moderation/corpus.py).

Hard rules: no adult text is blocked or flagged, and no child-safety text gets through, on
every split. Floors elsewhere come from the measured figures (docs/MODERATION.md): the splits
the lexicon was tuned on are held near 100%; the FRESH split, never tuned against, has the low
floors it honestly measured (a lexicon engine misses paraphrases).
"""

from __future__ import annotations

import pytest

from app.moderation.evaluation import Report, evaluate
from app.moderation.local import LocalPolicyEngine
from app.moderation.verdict import Action, Category
from tests.moderation import corpus

ENGINE = LocalPolicyEngine()


def _report(*splits: str) -> Report:
    return evaluate(ENGINE.check, [(s.text, s.label) for s in corpus.ALL if s.split in splits])


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
    """dev + holdout + challenge: measured 100% on each category (the lexicon was written and
    tuned against them); the floors leave room for one or two honest regressions, no more."""
    report = _report("dev", "holdout", "challenge")
    for label in corpus.LABELS:
        score = report.scores[label]
        assert score.recall is not None and score.recall >= 0.95, (label, report.misses)
        assert score.precision is not None and score.precision >= 0.95, (label, report.misses)
    assert len(report.false_blocks) <= 1, report.false_blocks


def test_floors_on_the_fresh_split() -> None:
    """Never tuned against, except the two child-safety misses of its first run (zero
    tolerance). Measured: terrorism 4/4, violence 1/4, illegal 1/5, self-harm 1/2, no false
    block out of 25 allowed texts."""
    report = _report("fresh")
    floors = {
        "child_safety": 1.0,
        "terrorism": 0.75,
        "violence": 0.25,
        "illegal_activity": 0.2,
        "self_harm": 0.5,
    }
    for label, floor in floors.items():
        recall = report.scores[label].recall
        assert recall is not None and recall >= floor, (label, report.misses)
    assert report.false_blocks == []


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
