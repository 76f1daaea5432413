"""Client for the OpenAI chat-completions wire format (xAI Grok, OpenAI, vLLM, LiteLLM ...).

Hand-written over a pooled aiohttp session with orjson because this is the chat hot path: the
openai SDK's create() costs ~4.7 ms of CPU per call with 20 messages of history, this ~0.2 ms
(../shared/DESIGN.md "What the hot path costs"; docs/PERFORMANCE.md). The tests drive the same
loopback server with the official SDK so the two are shown to agree on the wire format.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
from aiohttp.http_exceptions import HttpProcessingError

from app.llm.base import Completion, Message, StreamChunk, Usage
from app.llm.errors import LLMError, LLMTimeout, LLMUnavailable, LLMUpstreamError
from app.llm.tokens import REPLY_PRIMING_TOKENS, estimate_message_tokens, estimate_tokens

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, from either of its forms (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def parse_usage(raw: Any) -> Usage | None:
    """The provider-reported usage, or None when it is absent or unreadable (then estimated)."""
    if not isinstance(raw, dict):
        return None
    try:
        prompt, completion = int(raw["prompt_tokens"]), int(raw["completion_tokens"])
    except (KeyError, TypeError, ValueError):
        return None
    if prompt < 0 or completion < 0:
        return None
    return Usage(prompt, completion)


def parse_stream_event(data: bytes) -> StreamChunk | None:
    """One `data:` payload of a chat-completions stream; None when it carries nothing.

    Anything that is not an event object is the upstream's fault (LLMUpstreamError), never an
    unhandled exception: the caller maps that to 502 and releases the hold.
    """
    try:
        event = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise LLMUpstreamError("The language model sent a malformed event.") from exc
    if not isinstance(event, dict):
        raise LLMUpstreamError("The language model sent a malformed event.")
    if event.get("error"):
        raise LLMUpstreamError("The language model failed mid-reply.")
    text: Any = ""
    finish: Any = None
    choices = event.get("choices")
    if choices:
        try:
            choice = choices[0]
            text = (choice.get("delta") or {}).get("content") or ""
            finish = choice.get("finish_reason")
        except (AttributeError, IndexError, KeyError, TypeError) as exc:
            raise LLMUpstreamError("The language model sent a malformed event.") from exc
        if not isinstance(text, str) or not (finish is None or isinstance(finish, str)):
            raise LLMUpstreamError("The language model sent a malformed event.")
    usage = parse_usage(event.get("usage"))
    if text or usage is not None or finish:
        return StreamChunk(text=text, usage=usage, finish_reason=finish)
    return None


class OpenAICompatibleProvider:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        name: str = "openai_compatible",
        timeout: float = 60.0,
        connect_timeout: float = 5.0,
        max_retries: int = 2,
        retry_base: float = 0.5,
        retry_max: float = 8.0,
        temperature: float | None = None,
        max_connections: int = 512,
    ) -> None:
        self.name = name
        self.model = model
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        # A stream may last long; what must not stall is the gap between two events.
        self._stream_timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, sock_read=timeout
        )
        self._max_retries = max_retries
        self._retry_base = retry_base
        self._retry_max = retry_max
        self._temperature = temperature
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, ttl_dns_cache=300, keepalive_timeout=60
            )
            self._session = aiohttp.ClientSession(connector=connector, raise_for_status=False)
        return self._session

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _body(
        self, messages: list[Message], max_tokens: int, temperature: float | None, stream: bool
    ) -> bytes:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "stream": stream,
        }
        temp = self._temperature if temperature is None else temperature
        if temp is not None:
            payload["temperature"] = temp
        if stream:
            payload["stream_options"] = {"include_usage": True}
        return orjson.dumps(payload)

    def _backoff(self, attempt: int) -> float:
        # Full jitter (AWS architecture blog): spreads retries of many clients apart.
        return random.uniform(0, min(self._retry_max, self._retry_base * 2**attempt))

    async def _post(self, body: bytes, *, stream: bool) -> aiohttp.ClientResponse:
        """POST with retries on 429/5xx and connection errors; returns a 200 response, unread."""
        attempt = 0
        while True:
            retry_after: float | None = None
            try:
                resp = await self._client().post(
                    self._url,
                    data=body,
                    headers=self._headers,
                    timeout=self._stream_timeout if stream else self._timeout,
                )
            except aiohttp.ConnectionTimeoutError as exc:
                # Could not even connect: quick to fail, worth another try.
                error: LLMError = LLMTimeout(provider=self.name)
                if attempt >= self._max_retries:
                    raise error from exc
            except TimeoutError as exc:
                # The model took the whole deadline: retrying would make the user wait that
                # long again, so the timeout is final.
                raise LLMTimeout(provider=self.name) from exc
            except aiohttp.ClientError as exc:
                error = LLMUnavailable(provider=self.name, reason=type(exc).__name__)
                if attempt >= self._max_retries:
                    raise error from exc
            else:
                if resp.status == 200:
                    return resp
                raw = await resp.read()
                resp.release()
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                error = self._status_error(resp.status, raw, retry_after)
                if resp.status not in RETRYABLE_STATUSES or attempt >= self._max_retries:
                    raise error
                if retry_after is not None and retry_after > self._retry_max:
                    raise error  # the provider asks for longer than a user should wait
            delay = retry_after if retry_after is not None else self._backoff(attempt)
            log.warning(
                "llm retry",
                extra={"provider": self.name, "attempt": attempt + 1, "delay_s": round(delay, 3)},
            )
            await asyncio.sleep(delay)
            attempt += 1

    def _status_error(self, status: int, raw: bytes, retry_after: float | None) -> LLMError:
        detail = raw[:300].decode("utf-8", "replace")
        log.warning("llm error", extra={"provider": self.name, "status": status, "body": detail})
        if status == 429 or status == 503:
            return LLMUnavailable(
                provider=self.name, upstream_status=status, retry_after=retry_after
            )
        if status in (408, 504):
            return LLMTimeout(provider=self.name, upstream_status=status)
        return LLMUpstreamError(provider=self.name, upstream_status=status)

    async def complete(
        self, messages: list[Message], *, max_tokens: int, temperature: float | None = None
    ) -> Completion:
        body = self._body(messages, max_tokens, temperature, stream=False)
        resp = await self._post(body, stream=False)
        try:
            raw = await resp.read()
        except TimeoutError as exc:
            raise LLMTimeout(provider=self.name) from exc
        except aiohttp.ClientError as exc:
            raise LLMUnavailable(provider=self.name, reason=type(exc).__name__) from exc
        finally:
            resp.release()
        try:
            data = orjson.loads(raw)
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
            usage = data.get("usage")
            model = data.get("model") or self.model
            finish = choice.get("finish_reason")
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise LLMUpstreamError("The language model sent a malformed reply.") from exc
        if not isinstance(text, str) or not isinstance(model, str):
            raise LLMUpstreamError("The language model sent a malformed reply.")
        return Completion(
            text=text,
            usage=self._usage(usage, messages, text),
            model=model,
            finish_reason=finish if isinstance(finish, str) else None,
        )

    def _usage(self, usage: Any, messages: list[Message], text: str) -> Usage:
        parsed = parse_usage(usage)
        if parsed is not None:
            return parsed
        log.warning("llm reply without usage: estimating", extra={"provider": self.name})
        prompt = sum(estimate_message_tokens(m["content"]) for m in messages)
        return Usage(prompt + REPLY_PRIMING_TOKENS, estimate_tokens(text))

    async def stream(
        self, messages: list[Message], *, max_tokens: int, temperature: float | None = None
    ) -> AsyncIterator[StreamChunk]:
        body = self._body(messages, max_tokens, temperature, stream=True)
        resp = await self._post(body, stream=True)
        finished = False
        finish_seen = False
        try:
            async for line in resp.content:
                if not line.startswith(b"data:"):
                    continue  # blank separators, comments (": ping"), event: lines
                data = line[5:].strip()
                if data == b"[DONE]":
                    finished = True
                    break
                chunk = parse_stream_event(data)
                if chunk is not None:
                    finish_seen = finish_seen or chunk.finish_reason is not None
                    yield chunk
            if not finished and not finish_seen:
                # The body ended with neither [DONE] nor a finish_reason: a connection closed
                # mid-reply, or a server that ignored `stream` and sent something else. Never
                # pass that off as a complete (possibly empty) reply.
                raise LLMUpstreamError("The language model's stream ended before the reply did.")
        except TimeoutError as exc:
            raise LLMTimeout(provider=self.name) from exc
        except aiohttp.ClientError as exc:
            raise LLMUnavailable(provider=self.name, reason=type(exc).__name__) from exc
        except HttpProcessingError as exc:  # e.g. a line longer than the reader's limit
            raise LLMUpstreamError("The language model sent a malformed stream.") from exc
        finally:
            if finished:
                resp.release()
            else:
                # Consumer gone (client disconnected) or stream broken: closing the connection
                # tells the upstream to stop generating tokens nobody will read.
                resp.close()
