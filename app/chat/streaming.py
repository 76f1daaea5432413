"""Streaming replies as server-sent events, billed exactly.

Events (each `event: <name>` + `data: <json>`):
- `start`: the session and the ids the two messages will have;
- `delta`: `{"text": ...}` for each piece of the reply;
- `done`: usage, credits charged, balance, finish reason, status (`complete`/`incomplete`);
- `error`: the model failed mid-way (`code`, `message`); what was generated is stored as an
  incomplete message and charged, followed by `done`.

Money: the first token is awaited before the response starts, so a model that fails before any
token is an ordinary HTTP error with the hold released. After that, exactly one settlement runs
per turn, whatever happens: the end of the stream, an upstream failure, or the client going
away (the response is cancelled; the settlement runs as a background task and charges only what
was generated). The request's DB session is never held: the hot path opens its own statements.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from app.billing.tiers import to_credits
from app.chat.hot_repository import HoldAlreadyClosed
from app.chat.service import ChatService, CompletionResult, PreparedTurn, outcome_of
from app.kit import background, metrics
from app.llm.base import StreamChunk, Usage
from app.llm.errors import LLMError
from app.llm.tokens import MESSAGE_OVERHEAD_TOKENS, approx_tokens
from app.moderation import ContentBlocked, Verdict

log = logging.getLogger(__name__)


def sse(event: str, data: dict[str, Any]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def _delta(text: str) -> bytes:
    return b"event: delta\ndata: " + orjson.dumps({"text": text}) + b"\n\n"


class ChatStream:
    def __init__(self, chat: ChatService, turn: PreparedTurn) -> None:
        self.chat = chat
        self.turn = turn
        self._upstream: AsyncIterator[StreamChunk] = chat.llm.stream(
            turn.plan.messages, max_tokens=turn.max_tokens
        )
        self._first: StreamChunk | None = None
        self._parts: list[str] = []
        self._deltas = 0
        self._usage: Usage | None = None
        self._finish: str | None = None
        self._settlement: asyncio.Task[CompletionResult | None] | None = None
        self._started = time.perf_counter()
        self._guard = chat.moderation.output_guard(
            user_id=turn.principal.user_id, session_id=turn.session_id
        )
        self._blocked: Verdict | None = None

    async def open(self) -> None:
        """Wait for the first chunk. A failure here releases the hold and raises (HTTP error)."""
        llm = self.chat.llm
        try:
            self._first = await anext(self._upstream, None)
        except BaseException as exc:
            metrics.observe_llm(llm.name, llm.model, outcome_of(exc), self._started)
            await self.chat.release(self.turn)
            raise
        metrics.LLM_TTFT.labels(llm.name, llm.model).observe(time.perf_counter() - self._started)

    def _usage_so_far(self) -> Usage:
        if self._usage is not None:
            return self._usage
        # The stream ended without usage: count what was generated (one delta is one token in
        # the OpenAI stream format) and approximate the prompt fairly.
        prompt = sum(
            approx_tokens(m["content"]) + MESSAGE_OVERHEAD_TOKENS for m in self.turn.plan.messages
        )
        return Usage(
            prompt_tokens=prompt,
            completion_tokens=max(self._deltas, approx_tokens("".join(self._parts))),
        )

    def _settle(self, status: str) -> asyncio.Task[CompletionResult | None]:
        """Start the one settlement of this turn (idempotent), as a task that survives the
        request being cancelled."""
        if self._settlement is None:
            self._settlement = background.spawn(self._do_settle(status), name="chat.settle")
        return self._settlement

    async def _do_settle(self, status: str) -> CompletionResult | None:
        if status == "blocked":
            await self.chat.release(self.turn)  # withheld: neither stored nor charged
            return None
        llm = self.chat.llm
        metrics.observe_llm(
            llm.name, llm.model, "ok" if status == "complete" else "incomplete", self._started
        )
        if status == "incomplete" and not self._parts:
            await self.chat.release(self.turn)  # nothing generated: nothing charged
            return None
        try:
            return await self.chat.settle(
                self.turn,
                content="".join(self._parts),
                usage=self._usage_so_far(),
                model=self.chat.llm.model,
                finish_reason=self._finish,
                status=status,
            )
        except HoldAlreadyClosed:
            return None

    def _done_event(self, result: CompletionResult | None, status: str) -> bytes:
        usage = self._usage_so_far()
        charged = result.settled.charged_micro if result else 0
        balance = str(to_credits(result.settled.available_micro)) if result else None
        return sse(
            "done",
            {
                "session_id": str(self.turn.session_id),
                "user_message_id": str(self.turn.user_message_id),
                "message_id": str(self.turn.assistant_message_id) if result else None,
                "status": status,
                "finish_reason": self._finish,
                "usage": {
                    "prompt_tokens": usage.prompt_tokens,
                    "completion_tokens": usage.completion_tokens,
                    "total_tokens": usage.total_tokens,
                },
                "credits_charged": str(to_credits(charged)),
                "credits_charged_micro": charged,
                "balance_available": balance,
            },
        )

    async def events(self) -> AsyncIterator[bytes]:
        try:
            yield sse(
                "start",
                {
                    "session_id": str(self.turn.session_id),
                    "user_message_id": str(self.turn.user_message_id),
                    "message_id": str(self.turn.assistant_message_id),
                },
            )
            chunk = self._first
            while chunk is not None:
                if chunk.text:
                    # Output moderation before the delta is shown: a turning reply stops here.
                    if (await self._guard.feed(chunk.text)).blocked:
                        self._blocked = self._guard.verdict
                        break
                    self._parts.append(chunk.text)
                    self._deltas += 1
                    yield _delta(chunk.text)
                if chunk.usage is not None:
                    self._usage = chunk.usage
                if chunk.finish_reason:
                    self._finish = chunk.finish_reason
                chunk = await anext(self._upstream, None)
            if self._blocked is None:
                final = await self._guard.finish()  # the whole reply, once
                if final.blocked:
                    self._blocked = final
            if self._blocked is not None:
                await asyncio.shield(self._settle("blocked"))
                blocked = ContentBlocked.of(self._blocked, direction="output")
                yield sse(
                    "error",
                    {
                        "code": blocked.code,
                        "message": blocked.detail_message,
                        "details": blocked.details,
                    },
                )
                yield self._done_event(None, "blocked")
                return
            result = await asyncio.shield(self._settle("complete"))
            yield self._done_event(result, "complete")
        except LLMError as exc:
            log.warning("stream failed mid-reply", extra={"code": exc.code})
            result = await asyncio.shield(self._settle("incomplete"))
            yield sse("error", {"code": exc.code, "message": exc.detail_message})
            yield self._done_event(result, "incomplete")
        finally:
            # Client gone (or any other exit): make sure this turn is settled once, for what was
            # generated, and stop the upstream call so it stops generating tokens.
            self._settle("incomplete")
            # (RuntimeError/CancelledError: already closed by the cancellation that got us here.)
            with contextlib.suppress(RuntimeError, asyncio.CancelledError):
                await self._upstream.aclose()  # type: ignore[attr-defined]
