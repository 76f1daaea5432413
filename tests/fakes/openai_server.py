"""A loopback server that speaks the OpenAI wire format (chat completions, plain and streaming
with usage; embeddings; moderations), for tests and benchmarks.

Tests script its behaviour (replies, HTTP errors, delays, broken streams) and read back the exact
requests it received. It runs on a real socket, so clients reach it over real HTTP.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from tests.fakes.loopback import serve


@dataclass
class Reply:
    text: str = "Hello from the loopback model."
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    usage: bool = True  # False: the response (or stream) carries no usage
    delay: float = 0.0  # seconds before answering
    chunk_delay: float = 0.0  # seconds between stream events
    fail_after_chunks: int | None = None  # stream: drop the connection after this many deltas
    finish_reason: str = "stop"


@dataclass
class Fail:
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Hang:
    """Accept the request and never answer in time."""

    seconds: float = 30.0


Action = Reply | Fail | Hang


def count_tokens(text: str) -> int:
    """The fake model's tokenizer: one token per 4 characters, at least one."""
    return max(1, (len(text) + 3) // 4)


def split_deltas(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]


class FakeOpenAI:
    def __init__(self, *, model: str = "fake-model") -> None:
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.script: deque[Action] = deque()
        self.default = Reply()
        self.embedding_dims = 8
        self.moderation_flags: dict[str, dict[str, bool]] = {}
        # Optional per-text scores (default: 0.99 when flagged, 0.01 otherwise), and scripted
        # failures of /v1/moderations (Fail or Hang, consumed one per request).
        self.moderation_scores: dict[str, dict[str, float]] = {}
        self.moderation_script: deque[Fail | Hang] = deque()
        self.streams_cancelled = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_post("/v1/moderations", self._moderations)
        app.router.add_get("/v1/models", self._models)
        self._runner, self.url = await serve(app, host, port)
        return self.url

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def push(self, *actions: Action) -> None:
        self.script.extend(actions)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"] == "/v1/chat/completions"]

    # ------------------------------------------------------------------ handlers
    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": self.model, "object": "model"}]}
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        self.requests.append(
            {
                "path": request.path,
                "body": body,
                "headers": dict(request.headers),
                "at": time.time(),
            }
        )
        action = self.script.popleft() if self.script else self.default
        if isinstance(action, Hang):
            await asyncio.sleep(action.seconds)
            return web.Response(status=504)
        if isinstance(action, Fail):
            if action.delay:
                await asyncio.sleep(action.delay)
            return web.Response(
                body=orjson.dumps(
                    {"error": {"message": "scripted failure", "type": "server_error"}}
                ),
                status=action.status,
                headers={"Content-Type": "application/json", **action.headers},
            )
        if action.delay:
            await asyncio.sleep(action.delay)
        prompt_tokens = action.prompt_tokens
        if prompt_tokens is None:
            prompt_tokens = sum(count_tokens(m.get("content") or "") + 4 for m in body["messages"])
        deltas = split_deltas(action.text)
        completion_tokens = action.completion_tokens
        if completion_tokens is None:
            completion_tokens = len(deltas)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        created = int(time.time())
        cid = "chatcmpl-" + hashlib.sha1(repr(body).encode()).hexdigest()[:12]
        if not body.get("stream"):
            payload: dict[str, Any] = {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": body.get("model", self.model),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": action.text},
                        "finish_reason": action.finish_reason,
                    }
                ],
            }
            if action.usage:
                payload["usage"] = usage
            return web.Response(body=orjson.dumps(payload), content_type="application/json")
        return await self._stream(request, body, action, deltas, usage, cid, created)

    async def _stream(
        self,
        request: web.Request,
        body: dict[str, Any],
        action: Reply,
        deltas: list[str],
        usage: dict[str, int],
        cid: str,
        created: int,
    ) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await resp.prepare(request)
        model = body.get("model", self.model)

        def event(choices: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> bytes:
            obj: dict[str, Any] = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": choices,
            }
            if extra:
                obj.update(extra)
            return b"data: " + orjson.dumps(obj) + b"\n\n"

        try:
            await resp.write(
                event(
                    [
                        {
                            "index": 0,
                            "delta": {"role": "assistant", "content": ""},
                            "finish_reason": None,
                        }
                    ]
                )
            )
            for i, piece in enumerate(deltas):
                if action.fail_after_chunks is not None and i >= action.fail_after_chunks:
                    # A broken upstream: the connection drops mid-reply.
                    assert request.transport is not None
                    request.transport.close()
                    return resp
                if action.chunk_delay:
                    await asyncio.sleep(action.chunk_delay)
                await resp.write(
                    event([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
                )
            await resp.write(
                event([{"index": 0, "delta": {}, "finish_reason": action.finish_reason}])
            )
            include_usage = (body.get("stream_options") or {}).get("include_usage")
            if include_usage and action.usage:
                await resp.write(event([], {"usage": usage}))
            await resp.write(b"data: [DONE]\n\n")
            await resp.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            self.streams_cancelled += 1
            raise
        return resp

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        self.requests.append(
            {
                "path": request.path,
                "body": body,
                "headers": dict(request.headers),
                "at": time.time(),
            }
        )
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        dims = int(body.get("dimensions") or self.embedding_dims)
        data = []
        for i, text in enumerate(inputs):
            digest = hashlib.sha256(str(text).encode()).digest()
            vec = [(digest[j % len(digest)] - 128) / 128.0 for j in range(dims)]
            data.append({"object": "embedding", "index": i, "embedding": vec})
        tokens = sum(count_tokens(str(t)) for t in inputs)
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body.get("model", "text-embedding-3-small"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    async def _moderations(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        self.requests.append(
            {
                "path": request.path,
                "body": body,
                "headers": dict(request.headers),
                "at": time.time(),
            }
        )
        if self.moderation_script:
            failure = self.moderation_script.popleft()
            if isinstance(failure, Hang):
                await asyncio.sleep(failure.seconds)
                return web.Response(status=504)
            if failure.delay:
                await asyncio.sleep(failure.delay)
            return web.json_response(
                {"error": {"message": "scripted failure", "type": "server_error"}},
                status=failure.status,
                headers=failure.headers,
            )
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        results = []
        for text in inputs:
            flags = self.moderation_flags.get(str(text), {})
            scores = {k: (0.99 if v else 0.01) for k, v in flags.items()}
            scores.update(self.moderation_scores.get(str(text), {}))
            results.append(
                {
                    "flagged": any(flags.values()),
                    "categories": flags,
                    "category_scores": scores,
                }
            )
        return web.json_response(
            {
                "id": "modr-1",
                "model": body.get("model", "omni-moderation-latest"),
                "results": results,
            }
        )
