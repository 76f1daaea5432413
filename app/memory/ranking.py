"""From vector hits to the memory block of the prompt: filter, rank, fit (pure functions).

Premium: the nearest memories above the relevance threshold, minus what the recent history
already shows, closest first.
VIP, on top: stale memories are dropped (a message that states a value a newer fact replaced),
scores get a small bonus for recency and for distilled facts, and the final pick is MMR
(maximal marginal relevance) so five memories say five different things.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.llm.tokens import estimate_tokens
from app.memory.records import ContextItem, VectorHit

RECENCY_WEIGHT = 0.05
FACT_BONUS = 0.05
# The character's own lines mostly echo the user ("Lovely!"): they need a clearer match.
ASSISTANT_PENALTY = 0.05
# Values too generic to recognise a stale message by ("likes", "none"): those facts rely on
# the message ids alone.
_GENERIC_VALUES = frozenset({"likes", "dislikes", "none", "yes", "no", "true", "false"})


def normalise_text(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


def dedupe_against_recent(
    hits: Sequence[VectorHit], recent_texts: Iterable[str]
) -> list[VectorHit]:
    """Drop hits the prompt already has (the recent history) and repeats among the hits."""
    recent = [normalise_text(t) for t in recent_texts if t and t.strip()]
    recent_set = set(recent)
    out: list[VectorHit] = []
    seen: set[str] = set()
    for hit in hits:
        norm = normalise_text(hit.content)
        if not norm or norm in seen or norm in recent_set:
            continue
        # A chunk of a long recent message is in the prompt too.
        if len(norm) >= 40 and any(norm in r for r in recent if len(r) > len(norm)):
            continue
        seen.add(norm)
        out.append(hit)
    return out


@dataclass(slots=True, frozen=True)
class StaleValue:
    """A fact value that a newer one replaced at `replaced_at` (POSIX seconds)."""

    key: str
    old_value: str
    current_value: str | None
    replaced_at: float


@dataclass(slots=True)
class StaleIndex:
    """What makes a remembered message stale for one user.

    `sources`: messages that stated a value since replaced, each with the current values of
    the keys concerned. Such a message is stale unless it also mentions the current value ("I
    moved from Lyon to Berlin" is evidence; "I live in Lyon with Marc" is not, even though
    Marc is still current: Marc is in the facts). `values`: replaced values, to catch other
    older messages that mention them (a second "Lyon" message the extractor did not key).
    """

    sources: dict[str, list[str]]
    values: list[StaleValue]

    def is_stale(self, hit: VectorHit) -> bool:
        if hit.kind == "fact":
            return False  # fact vectors are deleted when replaced; current ones are current
        text = hit.content
        current_values = self.sources.get(hit.message_id)
        if current_values is not None and not any(_mentions(text, v) for v in current_values if v):
            return True
        for v in self.values:
            if hit.timestamp > v.replaced_at:
                continue  # said after the change: talking about the past, knowingly
            if _mentions(text, v.old_value) and not (
                v.current_value and _mentions(text, v.current_value)
            ):
                return True
        return False


def _mentions(text: str, value: str) -> bool:
    value = value.strip()
    if len(value) < 3 or value.casefold() in _GENERIC_VALUES:
        return False
    value = re.sub(r"^(?i:a|an|the|on|in|at)\s+", "", value)
    return re.search(r"(?<!\w)" + re.escape(value) + r"(?!\w)", text, re.IGNORECASE) is not None


def recency(timestamp: float, now: float, half_life_days: float) -> float:
    age_days = max(0.0, now - timestamp) / 86400.0
    return math.pow(0.5, age_days / half_life_days) if half_life_days > 0 else 0.0


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=False))


def mmr(
    candidates: Sequence[tuple[VectorHit, float]], k: int, lambda_: float
) -> list[tuple[VectorHit, float]]:
    """Maximal marginal relevance: each pick trades relevance against similarity to what is
    already picked. Candidates without vectors fall back to relevance order."""
    pool = list(candidates)
    picked: list[tuple[VectorHit, float]] = []
    while pool and len(picked) < k:
        best_i, best_val = 0, -math.inf
        for i, (hit, rel) in enumerate(pool):
            redundancy = 0.0
            if hit.vector is not None:
                for other, _ in picked:
                    if other.vector is not None:
                        redundancy = max(redundancy, _dot(hit.vector, other.vector))
            value = lambda_ * rel - (1 - lambda_) * redundancy
            if value > best_val:
                best_i, best_val = i, value
        picked.append(pool.pop(best_i))
    return picked


def relevance(hit: VectorHit) -> float:
    """The similarity, less a little for the character's own lines."""
    if hit.metadata.get("role") == "assistant":
        return hit.score - ASSISTANT_PENALTY
    return hit.score


def rank_premium(hits: Sequence[VectorHit], *, min_score: float, top_k: int) -> list[VectorHit]:
    kept = [h for h in hits if relevance(h) >= min_score]
    kept.sort(key=relevance, reverse=True)
    return kept[:top_k]


def rank_vip(
    hits: Sequence[VectorHit],
    *,
    min_score: float,
    top_k: int,
    now: float,
    half_life_days: float,
    lambda_: float,
) -> list[tuple[VectorHit, float]]:
    scored = []
    for h in hits:
        if relevance(h) < min_score:
            continue
        s = relevance(h) + RECENCY_WEIGHT * recency(h.timestamp, now, half_life_days)
        if h.kind == "fact":
            s += FACT_BONUS
        scored.append((h, s))
    scored.sort(key=lambda x: x[1], reverse=True)
    return mmr(scored, top_k, lambda_)


# --------------------------------------------------------------------------- the prompt block

HEADER = (
    "Long-term memory (from earlier conversations with this user; use it naturally, do not "
    "recite it, and trust the user if they correct it):"
)


def _date(ts: float | None) -> str:
    import datetime as dt

    if not ts:
        return ""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d")


def item_line(item: ContextItem) -> str:
    if item.kind in ("fact", "profile"):
        return f"- {item.text}"
    who = "The user" if item.role == "user" else "You"
    date = _date(item.timestamp)
    return f"- [{date}] {who} said: {item.text}" if date else f"- {who} said: {item.text}"


FACTS_HEAD = "What you know about the user (current):"
MEMORIES_HEAD = "Relevant moments from past conversations:"
SUMMARY_HEAD = "Earlier in this conversation (summary):"


def _cost(line: str) -> int:
    return estimate_tokens(line) + 1  # +1: the newline; the sum bounds the joined text


def fit_block(
    *,
    profile: Sequence[ContextItem],
    summary: str | None,
    items: Sequence[ContextItem],
    token_budget: int,
) -> tuple[str, list[ContextItem], list[ContextItem], str | None, int]:
    """The memory block within `token_budget` (estimated tokens) and what made it in: profile
    facts first, then the ranked items in rank order, then as many summary lines as still fit.
    Returns (text, profile_used, items_used, summary_used, token_estimate)."""
    used = _cost(HEADER)
    sections: dict[str, list[str]] = {FACTS_HEAD: [], MEMORIES_HEAD: [], SUMMARY_HEAD: []}

    def add(section: str, line: str) -> bool:
        nonlocal used
        extra = _cost(line) + (0 if sections[section] else _cost(section))
        if used + extra > token_budget:
            return False
        used += extra
        sections[section].append(line)
        return True

    profile_used = [p for p in profile if add(FACTS_HEAD, item_line(p))]
    items_used = [
        it for it in items if add(FACTS_HEAD if it.kind == "fact" else MEMORIES_HEAD, item_line(it))
    ]
    summary_lines = [
        ln for ln in (summary or "").splitlines() if ln.strip() and add(SUMMARY_HEAD, ln)
    ]
    if not (profile_used or items_used or summary_lines):
        return "", [], [], None, 0
    lines = [HEADER]
    for head, body in sections.items():
        if body:
            lines += [head, *body]
    text = "\n".join(lines)
    return (
        text,
        profile_used,
        items_used,
        "\n".join(summary_lines) or None,
        estimate_tokens(text),
    )
