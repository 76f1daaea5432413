"""CPU per model call: our OpenAI-compatible client vs the official openai SDK.

    python bench/llm_client.py [-n 2000] [--warmup 200] [--server same|separate|both]

One chat completion with a 20-message history (22 messages: system, 20 turns, the new user
message), non-stream and stream (23 events: role, 20 deltas, finish, usage; then [DONE]), sent
sequentially to the loopback OpenAI wire-format server (tests/fakes/openai_server.py), on uvloop
when it is installed (as uvicorn runs the app).

CPU is time.process_time() over `-n` calls, divided by `-n`:
- `same`: the server runs in this process, as the brief for this figure asks; the figure is
  client + server, and the server's part is the same for both clients;
- `separate`: the server runs in a child process, so the figure is the client's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from app.llm.base import Message
from app.llm.openai_compat import OpenAICompatibleProvider
from bench._common import machine
from tests.fakes.openai_server import FakeOpenAI, Reply

API_KEY = "bench-key"
MODEL = "grok-bench"
MAX_TOKENS = 256
# 20 words: the stream is role + 20 deltas + finish + usage = 23 events.
REPLY = (
    "The sky is clear enough to see Orion over the harbour, so grab a coat and come to the roof."
)
assert len(REPLY.split(" ")) == 20

Call = Callable[[], Awaitable[str]]


def history() -> list[Message]:
    messages: list[Message] = [
        {
            "role": "system",
            "content": (
                "You are Luna Vale, a 27-year-old astrophysicist and weekend bartender. Speak in "
                "the first person, warmly and with playful wit.\n\nName: Luna Vale\nAge: 27\n"
                "Personality: Warm, witty and curious; teases gently.\nExample dialogue:\n"
                "User: What's your favourite star?\nLuna: Betelgeuse. A red giant."
            ),
        }
    ]
    for i in range(20):
        if i % 2 == 0:
            content = f"Message {i}: I spent the afternoon reading about neutron stars and tea."
        else:
            content = (
                f"Reply {i}: *Luna polishes a glass.* Neutron stars are a teaspoon weighing a "
                "mountain. Tell me which part surprised you most, and I'll pour you another."
            )
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": content})
    messages.append({"role": "user", "content": "What should I look for in the sky tonight?"})
    return messages


def fake_server() -> FakeOpenAI:
    server = FakeOpenAI(model=MODEL)
    server.default = Reply(REPLY, prompt_tokens=612, completion_tokens=20)
    return server


def _serve_in_child(ready: Any, stop: Any) -> None:
    async def main() -> None:
        server = fake_server()
        await server.start()
        ready.put(server.base_url)
        while not stop.is_set():
            await asyncio.sleep(0.2)
            server.requests.clear()  # it records every request; keep memory flat
        await server.stop()

    _use_uvloop()
    asyncio.run(main())


def _use_uvloop() -> str:
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"


async def measure(name: str, call: Call, n: int, warmup: int, server: FakeOpenAI | None) -> float:
    for _ in range(warmup):
        await call()
    if server is not None:
        server.requests.clear()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(n):
        text = await call()
        if server is not None and i % 500 == 499:
            server.requests.clear()
    cpu = (time.process_time() - cpu0) / n * 1000
    wall = (time.perf_counter() - wall0) / n * 1000
    assert text == REPLY, text
    print(f"  {name:<34} CPU {cpu:6.3f} ms/call   wall {wall:6.3f} ms/call")
    return cpu


async def run(base_url: str, n: int, warmup: int, server: FakeOpenAI | None) -> dict[str, float]:
    messages = history()
    sdk_messages = cast("list[ChatCompletionMessageParam]", messages)  # the same dicts
    ours = OpenAICompatibleProvider(
        base_url=base_url, api_key=API_KEY, model=MODEL, temperature=0.8, max_retries=0
    )
    sdk = AsyncOpenAI(base_url=base_url, api_key=API_KEY, max_retries=0)

    async def ours_complete() -> str:
        return (await ours.complete(messages, max_tokens=MAX_TOKENS)).text

    async def ours_stream() -> str:
        parts = []
        usage = None
        async for chunk in ours.stream(messages, max_tokens=MAX_TOKENS):
            parts.append(chunk.text)
            usage = chunk.usage or usage
        assert usage is not None
        return "".join(parts)

    async def sdk_complete() -> str:
        r = await sdk.chat.completions.create(
            model=MODEL,
            messages=sdk_messages,
            max_tokens=MAX_TOKENS,
            temperature=0.8,
        )
        assert r.usage is not None
        return r.choices[0].message.content or ""

    async def sdk_stream() -> str:
        stream = await sdk.chat.completions.create(
            model=MODEL,
            messages=sdk_messages,
            max_tokens=MAX_TOKENS,
            temperature=0.8,
            stream=True,
            stream_options={"include_usage": True},
        )
        parts = []
        usage = None
        events = 0
        async for event in stream:
            events += 1
            if event.choices:
                parts.append(event.choices[0].delta.content or "")
            usage = event.usage or usage
        assert usage is not None
        assert events == 23, events
        return "".join(parts)

    results = {}
    try:
        for name, call in (
            ("ours  complete (aiohttp + orjson)", ours_complete),
            ("SDK   create()", sdk_complete),
            ("ours  stream, 23 events", ours_stream),
            ("SDK   create(stream=True), 23 ev.", sdk_stream),
        ):
            results[name] = await measure(name, call, n, warmup, server)
    finally:
        await ours.aclose()
        await sdk.close()
    return results


async def same_process(n: int, warmup: int) -> dict[str, float]:
    server = fake_server()
    await server.start()
    try:
        return await run(server.base_url, n, warmup, server)
    finally:
        await server.stop()


def separate_process(n: int, warmup: int) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    child = ctx.Process(target=_serve_in_child, args=(ready, stop), daemon=True)
    child.start()
    try:
        base_url = ready.get(timeout=60)
        return asyncio.run(run(base_url, n, warmup, None))
    finally:
        stop.set()
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()


def summary(results: dict[str, float]) -> None:
    values = list(results.values())
    print(
        f"  -> SDK / ours: non-stream {values[1] / values[0]:.1f}x, "
        f"stream {values[3] / values[2]:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=2000, help="calls measured per client and mode")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--server", choices=("same", "separate", "both"), default="both")
    args = parser.parse_args()

    loop = _use_uvloop()
    print(f"machine: {machine()}")
    print(
        f"loop: {loop}; {args.n} sequential calls each (after {args.warmup} warm-up); "
        f"{len(history())} messages; reply {len(REPLY.split(' '))} words"
    )
    if args.server in ("same", "both"):
        print("server in this process (CPU = client + server):")
        summary(asyncio.run(same_process(args.n, args.warmup)))
    if args.server in ("separate", "both"):
        print("server in a child process (CPU = client only):")
        summary(separate_process(args.n, args.warmup))


if __name__ == "__main__":
    main()
