"""A lean zero-latency loopback server for the OpenAI chat-completions wire format.

    python bench/upstream.py --port 0 [--words 400] [--dump-first PATH]

Plain and streaming (with `stream_options.include_usage`) replies to POST /v1/chat/completions,
on one uvloop process with httptools parsing and hand-built responses, so it costs far less CPU
per request than the app it serves and is never the bottleneck (bench/chat_overhead.py measures
its ceiling with wrk in every run). tests/fakes/openai_server.py is the scriptable twin used by the
tests; it records every request and costs several times more per call.

The reply has min(max_tokens, --words) words: a request picks its length with max_tokens, as a
model stops there. The stream is what a provider sends: a role event, one event per word of the
reply, a finish event, a usage event, then `data: [DONE]` (chunked transfer encoding). With zero
latency the whole stream leaves in one write. Usage is computed from the request (about 4
characters per token) so the app charges real, varying amounts.

Prints `PORT <n>` on stdout once listening. `--dump-first PATH` writes the first chat request body
it receives (what the app sends upstream) so the harness can replay it for the direct-call
baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time

import httptools
import orjson

REPLY_WORDS = (
    "The sky is clear enough to see Orion over the harbour, so grab a coat and come to the "
    "roof with me. I will bring the thermos, you bring the stories about your week, and we can "
    "count satellites until the tea runs out or the clouds come back in from the sea tonight."
).split(" ")


def reply_text(words: int) -> list[str]:
    picked = [REPLY_WORDS[i % len(REPLY_WORDS)] for i in range(words)]
    return [w + (" " if i < words - 1 else "") for i, w in enumerate(picked)]


class Upstream:
    def __init__(self, words: int, dump_first: str | None) -> None:
        self.max_words = words
        self._replies: dict[int, tuple[list[str], str]] = {}
        self.dump_first = dump_first
        self.requests = 0
        self.streams = 0

    def prompt_tokens(self, body: dict) -> int:
        return sum(len(m.get("content") or "") // 4 + 5 for m in body.get("messages") or ())

    def answer(self, raw: bytes) -> tuple[bytes, bool]:
        """The full HTTP response for one chat request (headers + body) and whether it streams."""
        self.requests += 1
        if self.dump_first:
            with open(self.dump_first, "wb") as fh:
                fh.write(raw)
            self.dump_first = None
        body = orjson.loads(raw)
        model = body.get("model") or "bench-model"
        prompt = self.prompt_tokens(body)
        # A model stops at max_tokens: the reply has min(max_tokens, --words) words (one token
        # and one stream event each), so a client picks the stream length per request.
        words = min(int(body.get("max_tokens") or self.max_words), self.max_words)
        if words not in self._replies:
            deltas = reply_text(words)
            self._replies[words] = (deltas, "".join(deltas))
        deltas, text = self._replies[words]
        completion = len(deltas)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        created = int(time.time())
        cid = f"chatcmpl-{self.requests}"
        if not body.get("stream"):
            payload = orjson.dumps(
                {
                    "id": cid,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )
            head = (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(payload)).encode()
                + b"\r\n\r\n"
            )
            return head + payload, False
        self.streams += 1
        prefix = b'{"id":"' + cid.encode() + b'","object":"chat.completion.chunk","created":'
        prefix += str(created).encode() + b',"model":' + orjson.dumps(model) + b',"choices":'

        def event(choices: bytes, extra: bytes = b"") -> bytes:
            data = b"data: " + prefix + choices + extra + b"}\n\n"
            return f"{len(data):x}\r\n".encode() + data + b"\r\n"

        parts = [
            event(b'[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]')
        ]
        for piece in deltas:
            parts.append(
                event(
                    b'[{"index":0,"delta":{"content":'
                    + orjson.dumps(piece)
                    + b'},"finish_reason":null}]'
                )
            )
        parts.append(event(b'[{"index":0,"delta":{},"finish_reason":"stop"}]'))
        if (body.get("stream_options") or {}).get("include_usage"):
            parts.append(event(b"[]", b',"usage":' + orjson.dumps(usage)))
        done = b"data: [DONE]\n\n"
        parts.append(f"{len(done):x}\r\n".encode() + done + b"\r\n0\r\n\r\n")
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        return head + b"".join(parts), True


NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


class Protocol(asyncio.Protocol):
    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            assert self.transport is not None
            self.transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.url = b""
        self.body = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        assert self.transport is not None
        if self.url.endswith(b"/chat/completions") and self.parser.get_method() == b"POST":
            response, _ = self.upstream.answer(b"".join(self.body))
        else:
            response = NOT_FOUND
        self.transport.write(response)
        if not self.parser.should_keep_alive():
            self.transport.close()


async def serve(port: int, words: int, dump_first: str | None) -> None:
    upstream = Upstream(words, dump_first)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Protocol(upstream), "127.0.0.1", port, backlog=4096, reuse_address=True
    )
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    server.close()
    print(f"served {upstream.requests} requests ({upstream.streams} streams)", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--words", type=int, default=400, help="longest reply (a request's max_tokens caps it)"
    )
    parser.add_argument("--dump-first", default=None)
    args = parser.parse_args()
    import uvloop

    uvloop.run(serve(args.port, args.words, args.dump_first))


if __name__ == "__main__":
    main()
