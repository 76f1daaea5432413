"""The LLM provider interface: one shape for every backend (xAI, any OpenAI-compatible API,
the offline provider)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

# A prompt message as the OpenAI wire format has it: {"role": ..., "content": ...}.
Message = dict[str, str]


@dataclass(slots=True, frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(slots=True, frozen=True)
class Completion:
    text: str
    usage: Usage
    model: str
    finish_reason: str | None


@dataclass(slots=True, frozen=True)
class StreamChunk:
    """One streamed event: a text delta, and/or (last) the usage and finish reason."""

    text: str = ""
    usage: Usage | None = None
    finish_reason: str | None = None


class LLMProvider(Protocol):
    name: str
    model: str

    async def complete(
        self, messages: list[Message], *, max_tokens: int, temperature: float | None = None
    ) -> Completion:
        """The whole reply at once, with the provider-reported usage."""
        ...

    def stream(
        self, messages: list[Message], *, max_tokens: int, temperature: float | None = None
    ) -> AsyncIterator[StreamChunk]:
        """The reply as deltas; the last chunk carries the usage when the provider reports it."""
        ...

    async def aclose(self) -> None: ...
