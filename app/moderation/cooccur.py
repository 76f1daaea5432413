"""Windowed co-occurrence of term classes: the recipe detector of the local engine.

A recipe for a weapon, an explosive or a drug rarely names what it makes ("fill the bottle with
gasoline, stuff a rag in the neck, light it"): what gives it away is several materials of one
recipe close together. `TermIndex.find` maps each token (and multi-word term) to the term
classes it belongs to, in one pass over the tokens with one dict lookup per token; a `Recipe`
fires when `need` distinct classes, one of them a key class, occur within `window` tokens.
local.py runs it only when a key-class word is in the text (the quick screen's triggers), and
only together with signs of instructions (steps, "you'll need", quantities, a request); the
verdict names the recipe ("recipe:incendiary_bottle"), so a decision stays explainable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from app.moderation import lexicon as lx
from app.moderation.verdict import Category

Positions = dict[str, list[int]]  # term class -> token indexes where one of its terms starts


class TermIndex:
    """Term classes by first word: single words are one dict lookup; a phrase is then compared
    with the tokens that follow."""

    def __init__(self, classes: Mapping[str, Iterable[str]]) -> None:
        by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for cls, items in classes.items():
            for item in items:
                words = tuple(item.split())
                by_first.setdefault(words[0], []).append((words, cls))
        self._by_first = {k: tuple(v) for k, v in by_first.items()}

    def find(self, tokens: Sequence[str]) -> Positions:
        out: Positions = {}
        get = self._by_first.get
        for i, token in enumerate(tokens):
            candidates = get(token)
            if candidates is None:
                continue
            for words, cls in candidates:
                n = len(words)
                if n == 1 or tuple(tokens[i : i + n]) == words:
                    hits = out.setdefault(cls, [])
                    if not hits or hits[-1] != i:
                        hits.append(i)
        return out


@dataclass(frozen=True, slots=True)
class Recipe:
    name: str
    category: Category
    keys: frozenset[str]  # at least one of these classes must be in the window
    classes: frozenset[str]  # every class that counts (keys included)
    need: int  # distinct classes within the window
    window: int  # tokens

    def match(self, found: Positions) -> int | None:
        """The token index where a matching window starts, or None."""
        if self.keys.isdisjoint(found):
            return None
        events = sorted(
            (pos, cls) for cls in self.classes.intersection(found) for pos in found[cls]
        )
        if len({cls for _, cls in events}) < self.need:
            return None
        counts: dict[str, int] = {}
        start = 0
        for pos, cls in events:
            counts[cls] = counts.get(cls, 0) + 1
            while pos - events[start][0] > self.window:
                old = events[start][1]
                counts[old] -= 1
                if not counts[old]:
                    del counts[old]
                start += 1
            if len(counts) >= self.need and not self.keys.isdisjoint(counts):
                return events[start][0]
        return None


TERMS = TermIndex(lx.RECIPE_TERMS)
RECIPES: tuple[Recipe, ...] = tuple(
    Recipe(
        name,
        Category(category),
        frozenset(keys),
        frozenset(keys) | frozenset(others),
        need,
        window,
    )
    for name, category, keys, others, need, window in lx.RECIPES
)


def recipes_found(found: Positions, category: Category) -> list[tuple[str, int]]:
    """(recipe name, window start) of the category's recipes present in the text."""
    out: list[tuple[str, int]] = []
    for recipe in RECIPES:
        if recipe.category is category:
            start = recipe.match(found)
            if start is not None:
                out.append((recipe.name, start))
    return out
