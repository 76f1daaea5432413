"""The offline provider: answers in the character's voice, deterministically, with usage.

It is the embedded default (no key, no network) and what a newcomer chats with first. It reads
the persona block that chat/prompt.py puts in the system message ("Name:", "Example dialogue:")
so each character sounds like itself, and picks its phrasing from a hash of the conversation so
the same input always gives the same reply.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator

from app.llm.base import Completion, Message, StreamChunk, Usage
from app.llm.tokens import REPLY_PRIMING_TOKENS, estimate_message_tokens, estimate_tokens

_NAME = re.compile(r"^Name:\s*(.+)$", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]{3,}")
_STOP = frozenset(
    """
    this that with have what your about there their would could should really just been
    they them then than when where which while will into from were because think know like
    want maybe tell said does didn't don't it's i'm you're
    """.split()
)

_TEMPLATES = (
    "{line} You mentioned {topic}. Tell me more, I'm listening.",
    "{line} {topic}, hm? That caught my attention. What happened next?",
    "{line} I keep thinking about {topic}. How do you feel about it now?",
    "{line} So it's about {topic}. I'm glad you told me. What would make today better?",
    "{line} {topic}... you always surprise me. Go on, don't stop there.",
)


def _voice_lines(system: str, name: str) -> list[str]:
    """The character's own lines from the example dialogue ("Luna: ..." for "Luna Vale")."""
    prefixes = (f"{name}:", f"{name.split()[0]}:")
    lines = []
    for ln in system.splitlines():
        ln = ln.strip()
        if ln.startswith(prefixes):
            said = ln.split(":", 1)[1].strip()
            if len(said) > 3:
                lines.append(said)
    return lines or [f"*{name} smiles warmly.*"]


def _topic(text: str) -> str:
    """What the message is about: its names first (capitalised words past the first), then
    its longest content words."""
    words = _WORD.findall(text)
    names = [w for i, w in enumerate(words) if i > 0 and w[0].isupper() and w.lower() not in _STOP]
    content = sorted((w for w in words if w.lower() not in _STOP), key=len, reverse=True)
    picked = list(dict.fromkeys([*names, *(w.lower() for w in content)]))[:2]
    return " and ".join(picked) if picked else "that"


def _truncate_to_tokens(text: str, max_tokens: int) -> str:
    """The longest prefix whose estimate fits max_tokens. The estimate counts UTF-8 bytes
    (bytes // 3 + 1), so the cut is in bytes: cutting by characters overshoots on accents/CJK."""
    limit = max(0, 3 * max_tokens - 1)  # (3m - 1) // 3 + 1 == m
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


class OfflineProvider:
    name = "offline"

    def __init__(self, model: str = "offline-companion-1") -> None:
        self.model = model

    def _reply(self, messages: list[Message], max_tokens: int) -> tuple[str, str]:
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        match = _NAME.search(system)
        name = match.group(1).strip() if match else "Companion"
        last_user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        digest = hashlib.sha256(f"{len(messages)}|{last_user}".encode()).digest()
        lines = _voice_lines(system, name)
        line = lines[digest[0] % len(lines)]
        text = _TEMPLATES[digest[1] % len(_TEMPLATES)].format(line=line, topic=_topic(last_user))
        text = text[0].upper() + text[1:]
        if estimate_tokens(text) > max_tokens:
            return _truncate_to_tokens(text, max_tokens), "length"
        return text, "stop"

    def _usage(self, messages: list[Message], text: str) -> Usage:
        prompt = sum(estimate_message_tokens(m["content"]) for m in messages)
        return Usage(prompt + REPLY_PRIMING_TOKENS, estimate_tokens(text))

    async def complete(
        self, messages: list[Message], *, max_tokens: int, temperature: float | None = None
    ) -> Completion:
        text, finish = self._reply(messages, max_tokens)
        return Completion(
            text=text, usage=self._usage(messages, text), model=self.model, finish_reason=finish
        )

    async def stream(
        self, messages: list[Message], *, max_tokens: int, temperature: float | None = None
    ) -> AsyncIterator[StreamChunk]:
        text, finish = self._reply(messages, max_tokens)
        pieces = re.findall(r"\S+\s*", text)
        for piece in pieces:
            yield StreamChunk(text=piece)
            await asyncio.sleep(0)
        yield StreamChunk(usage=self._usage(messages, text), finish_reason=finish)

    async def aclose(self) -> None:
        return None
