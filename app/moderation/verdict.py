"""What every classifier answers: a Verdict (allow / flag / block, a category, scores, reasons).

Categories are the product's policy (../shared/DESIGN.md, docs/MODERATION.md): four are blocked
(child_safety, terrorism, violence, illegal_activity); self_harm is flagged and logged, never
blocked on the input side, so a companion can answer a person in distress with care.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Protocol

Direction = Literal["input", "output"]
DIRECTIONS: tuple[Direction, ...] = ("input", "output")


class Action(enum.IntEnum):
    """Ordered: a higher value is a stronger decision (max() combines two verdicts)."""

    allow = 0
    flag = 1
    block = 2

    @property
    def label(self) -> str:
        return self.name


class Category(enum.StrEnum):
    child_safety = "child_safety"
    terrorism = "terrorism"
    violence = "violence"
    illegal_activity = "illegal_activity"
    self_harm = "self_harm"


# When two categories fire at the same action, the first one here names the verdict.
SEVERITY: tuple[Category, ...] = (
    Category.child_safety,
    Category.terrorism,
    Category.violence,
    Category.illegal_activity,
    Category.self_harm,
)
_RANK = {c: i for i, c in enumerate(SEVERITY)}

_EMPTY_SCORES: Mapping[Category, float] = MappingProxyType({})
_EMPTY_REASONS: Mapping[Category, tuple[str, ...]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    category: Category | None = None
    scores: Mapping[Category, float] = field(default_factory=lambda: _EMPTY_SCORES)
    reasons: Mapping[Category, tuple[str, ...]] = field(default_factory=lambda: _EMPTY_REASONS)
    classifier: str = "local"

    @property
    def allowed(self) -> bool:
        return self.action is Action.allow

    @property
    def flagged(self) -> bool:
        return self.action is Action.flag

    @property
    def blocked(self) -> bool:
        return self.action is Action.block

    @property
    def category_label(self) -> str:
        return self.category.value if self.category is not None else "none"


def allow_verdict(classifier: str) -> Verdict:
    return Verdict(Action.allow, classifier=classifier)


def decide(fired: Mapping[Category, tuple[Action, tuple[str, ...]]], *, classifier: str) -> Verdict:
    """The verdict of a set of fired categories: the strongest action, then the most severe."""
    if not fired:
        return allow_verdict(classifier)
    category = max(fired, key=lambda c: (fired[c][0], -_RANK[c]))
    return Verdict(
        action=fired[category][0],
        category=category,
        scores=MappingProxyType(
            {c: 1.0 if a is Action.block else 0.5 for c, (a, _) in fired.items()}
        ),
        reasons=MappingProxyType({c: r for c, (_, r) in fired.items()}),
        classifier=classifier,
    )


def combine(first: Verdict, second: Verdict) -> Verdict:
    """Block if either blocks; the stronger verdict names the category (ties: the first)."""
    winner = first if (first.action, -_rank(first)) >= (second.action, -_rank(second)) else second
    scores = dict(first.scores)
    for c, s in second.scores.items():
        scores[c] = max(s, scores.get(c, 0.0))
    reasons = dict(first.reasons)
    for c, r in second.reasons.items():
        reasons[c] = (*reasons.get(c, ()), *r)
    return Verdict(
        action=winner.action,
        category=winner.category,
        scores=MappingProxyType(scores),
        reasons=MappingProxyType(reasons),
        classifier=winner.classifier if winner.action is not Action.allow else first.classifier,
    )


def _rank(v: Verdict) -> int:
    return _RANK[v.category] if v.category is not None else len(SEVERITY)


class Classifier(Protocol):
    """One moderation decision. Implementations: LocalPolicyEngine (embedded, always on),
    OpenAIModerationClassifier (remote), ModerationPipeline (both)."""

    name: str

    async def classify(self, text: str, *, direction: Direction) -> Verdict: ...
