"""Precision and recall of a classifier on a labelled corpus (tests/moderation/corpus.py).

A sample's label is "allow" or a category. A verdict *predicts* a category when it blocks with
it, or, for self_harm (a flag-only category), when it flags with it; anything else predicts
"allow". Per category: precision = TP / (TP + FP), recall = TP / (TP + FN).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app.moderation.verdict import Action, Category, Direction, Verdict

ALLOW = "allow"
FLAG_ONLY = frozenset({Category.self_harm})


def predicted_label(verdict: Verdict) -> str:
    if verdict.category is None:
        return ALLOW
    if verdict.action is Action.block:
        return verdict.category.value
    if verdict.action is Action.flag and verdict.category in FLAG_ONLY:
        return verdict.category.value
    return ALLOW


@dataclass(slots=True)
class CategoryScore:
    category: str
    support: int = 0  # samples labelled with the category
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        predicted = self.tp + self.fp
        return self.tp / predicted if predicted else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.support if self.support else None


@dataclass(slots=True)
class Report:
    scores: dict[str, CategoryScore] = field(default_factory=dict)
    total: int = 0
    allowed_total: int = 0
    false_blocks: list[tuple[str, str]] = field(default_factory=list)  # (text, predicted)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (text, label, predicted)

    def score(self, category: str) -> CategoryScore:
        return self.scores.setdefault(category, CategoryScore(category))


Classify = Callable[[str, Direction], Verdict]


def evaluate(classify: Classify, samples: Iterable[tuple[str, str, Direction]]) -> Report:
    """`samples` are (text, label, direction); `classify(text, direction)`, e.g.
    `lambda t, d: LocalPolicyEngine().check(t, direction=d)`."""
    report = Report()
    for category in Category:
        report.score(category.value)
    for text, label, direction in samples:
        report.total += 1
        got = predicted_label(classify(text, direction))
        if label == ALLOW:
            report.allowed_total += 1
        else:
            report.score(label).support += 1
        if got == label:
            if label != ALLOW:
                report.score(label).tp += 1
            continue
        if got != ALLOW:
            report.score(got).fp += 1
        if label == ALLOW:
            report.false_blocks.append((text, got))
        else:
            report.score(label).fn += 1
            report.misses.append((text, label, got))
    return report


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def format_table(report: Report, title: str) -> str:
    """A Markdown table: one row per category, then the false-block line."""
    lines = [
        f"**{title}** ({report.total} texts, {report.allowed_total} allowed)",
        "",
        "| category | texts | TP | FP | FN | precision | recall |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for category in Category:
        s = report.scores[category.value]
        lines.append(
            f"| {category.value} | {s.support} | {s.tp} | {s.fp} | {s.fn} | "
            f"{_pct(s.precision)} | {_pct(s.recall)} |"
        )
    blocked = len(report.false_blocks)
    rate = blocked / report.allowed_total if report.allowed_total else 0.0
    lines.append(
        f"| allowed texts wrongly blocked/flagged as self-harm | {report.allowed_total} | | "
        f"{blocked} | | | {rate * 100:.1f}% |"
    )
    return "\n".join(lines)
