"""Rolling summaries of long VIP sessions: what fell out of the prompt's history window.

- RuleSummarizer (offline): extractive. It keeps the sentences that carry information (facts
  the user stated, names, numbers, first-person statements), in conversation order, and drops
  the least informative ones once the summary outgrows its token budget. Every line is the
  user's or the character's own words.
- LLMSummarizer (production): the chat model rewrites the previous summary with the new
  messages folded in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from app.llm.base import LLMProvider
from app.llm.tokens import estimate_tokens
from app.memory.facts import extract_rules

# (role, content) in conversation order.
Transcript = Sequence[tuple[str, str]]

_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]{2,}")
_FIRST_PERSON = re.compile(r"\b(?i:i|i'm|i've|my|we|our|me)\b")
_FILLER = re.compile(
    r"^(?i:ok|okay|yes|no|yeah|lol|haha|hmm|thanks|thank you|cool|nice|sure|right)\W*$"
)


class Summarizer(Protocol):
    name: str

    async def summarize(
        self, previous: str | None, transcript: Transcript, *, max_tokens: int
    ) -> str: ...


def _score(role: str, sentence: str) -> float:
    if len(sentence.split()) < 3 or _FILLER.match(sentence):
        return 0.0
    score = 0.5
    if extract_rules(sentence):
        score += 3.0
    score += 0.7 * min(3, len(_CAPITALISED.findall(sentence)))
    if re.search(r"\d", sentence):
        score += 0.7
    if role == "user" and _FIRST_PERSON.search(sentence):
        score += 1.0
    if role != "user":
        score *= 0.4  # the character's lines matter less than what the user said
    return score


def _line(role: str, sentence: str) -> str:
    return f"- {'User' if role == 'user' else 'You'}: {sentence.strip()}"


class RuleSummarizer:
    name = "rules"

    async def summarize(
        self, previous: str | None, transcript: Transcript, *, max_tokens: int
    ) -> str:
        return summarize_rules(previous, transcript, max_tokens=max_tokens)


def summarize_rules(previous: str | None, transcript: Transcript, *, max_tokens: int) -> str:
    # (order, score, line): the previous summary's lines keep their place before the new ones.
    lines: list[tuple[int, float, str]] = []
    order = 0
    for raw in (previous or "").splitlines():
        raw = raw.strip()
        if not raw.startswith("- "):
            continue
        role = "user" if raw.startswith("- User:") else "assistant"
        text = raw.split(":", 1)[1].strip() if ":" in raw else raw[2:]
        # Older lines fade a little, so a long session keeps its newest information.
        lines.append((order, _score(role, text) * 0.9, raw))
        order += 1
    for role, content in transcript:
        for sentence in _SENTENCES.split(content.strip()):
            sentence = sentence.strip()
            s = _score(role, sentence)
            if s >= 1.5:
                lines.append((order, s, _line(role, sentence)))
                order += 1
    seen: set[str] = set()
    unique = []
    for item in lines:
        key = item[2].casefold()
        if key not in seen:
            seen.add(key)
            unique.append(item)
    kept = sorted(unique, key=lambda x: (-x[1], -x[0]))
    total = 0
    chosen = []
    for item in kept:
        cost = estimate_tokens(item[2]) + 1
        if total + cost > max_tokens:
            continue
        total += cost
        chosen.append(item)
    chosen.sort(key=lambda x: x[0])
    return "\n".join(item[2] for item in chosen)


LLM_SUMMARY_PROMPT = """You keep a running summary of a long conversation between a user and a
companion character, so the character remembers what no longer fits in its context window.
Rewrite the summary with the new messages folded in: facts about the user, what happened, open
threads, feelings. When something changed, keep only the new state. Third person for the user,
second person for the character ("You promised..."). Plain lines starting with "- ". At most
{max_tokens} tokens. Answer with the summary only."""


class LLMSummarizer:
    name = "llm"

    def __init__(self, llm: LLMProvider) -> None:
        self._llm = llm

    async def summarize(
        self, previous: str | None, transcript: Transcript, *, max_tokens: int
    ) -> str:
        lines = "\n".join(f"{'User' if r == 'user' else 'Character'}: {c}" for r, c in transcript)
        messages = [
            {"role": "system", "content": LLM_SUMMARY_PROMPT.format(max_tokens=max_tokens)},
            {
                "role": "user",
                "content": f"Summary so far:\n{previous or '(empty)'}\n\nNew messages:\n{lines}",
            },
        ]
        completion = await self._llm.complete(messages, max_tokens=max_tokens, temperature=0)
        text = completion.text.strip()
        return text or summarize_rules(previous, transcript, max_tokens=max_tokens)
