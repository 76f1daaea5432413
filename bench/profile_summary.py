"""The top of a py-spy profile: where the CPU goes, as short tables.

    python bench/profile_summary.py PROFILE.txt [--top 25]

PROFILE.txt is `py-spy record --format raw` output (collapsed stacks: `frame;frame;... count`).
py-spy drops idle samples by default (a thread waiting in epoll is idle), so percentages are of
the samples where the process was running Python or native code.

Samples of threads other than the event loop's (stacks through threading's Thread._bootstrap: the
anyio worker threads that run FastAPI's sync dependencies) are counted apart; with --native
py-spy cannot tell that they are idle, and they mostly are (waiting on their queue). The tables
are of the event-loop thread:
- self: the function at the top of the stack (where the CPU is actually spent);
- inclusive: every function with its callees (one count per sample, recursion not doubled);
- by area: each sample charged to the first frame of the stack (from the top) that belongs to a
  known area (the app's modules by domain, FastAPI/Starlette, Pydantic, asyncpg, redis, aiohttp,
  logging, prometheus_client, uvicorn, the event loop), so the areas add up to 100%.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]*?)(?::(?P<line>\d+))?\)$")

# First match wins, checked from the top of the stack down. Order: specific before general.
AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("app: kit/middleware (request log, metrics)", ("app/kit/middleware.py",)),
    ("app: kit/logging (JSON formatter)", ("app/kit/logging.py",)),
    ("app: kit/metrics", ("app/kit/metrics.py",)),
    ("app: kit/ids (uuid7)", ("app/kit/ids.py",)),
    ("app: chat/hot_repository", ("app/chat/hot_repository.py",)),
    ("app: chat/streaming", ("app/chat/streaming.py",)),
    ("app: llm/openai_compat", ("app/llm/openai_compat.py",)),
    ("app: ratelimit", ("app/ratelimit/",)),
    ("app: moderation", ("app/moderation/",)),
    ("app: auth", ("app/auth/",)),
    ("app: chat (service, router, prompt)", ("app/chat/",)),
    ("app: other", ("app/",)),
    ("prometheus_client", ("prometheus_client/",)),
    ("logging (stdlib)", ("logging/__init__.py", "logging/handlers.py")),
    ("asyncpg", ("asyncpg/",)),
    ("redis-py", ("redis/",)),
    ("aiohttp (client to the model)", ("aiohttp/", "multidict/", "yarl/")),
    ("sqlalchemy", ("sqlalchemy/",)),
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("fastapi", ("fastapi/",)),
    ("starlette", ("starlette/",)),
    ("uvicorn / httptools", ("uvicorn/", "httptools/")),
    ("json / orjson", ("json/", "orjson")),
    ("asyncio / uvloop (event loop)", ("asyncio/", "uvloop/", "loop.pyx")),
]


def parse(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        stacks.append((stack.split(";"), int(count)))
    return stacks


def short(frame: str) -> str:
    """`func (path/to/site-packages/pkg/mod.py:123)` -> `func (pkg/mod.py)`."""
    m = _FRAME.match(frame)
    if not m:
        return frame
    file = m.group("file")
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{m.group('func')} ({file})"


def area_of(stack: list[str]) -> str:
    for frame in reversed(stack):
        for name, needles in AREAS:
            if any(n in frame for n in needles):
                return name
    return "other (native, interpreter)"


# Functions worth following inclusively (what they cost with everything they call).
KEY_FUNCTIONS = [
    "RequestContextMiddleware.__call__",
    "solve_dependencies",
    "run_in_threadpool",
    "create_completion",
    "ChatService.prepare",
    "PostgresHotPath.load_context",
    "RedisRateLimiter.hit",
    "PostgresHotPath.place_hold",
    "OpenAICompatibleProvider.complete",
    "OpenAICompatibleProvider.stream",
    "ModerationService.check_input",
    "ModerationService.check_output",
    "OutputGuard.feed",
    "ChatService.settle",
    "PostgresHotPath.settle",
    "PoolConnectionHolder.release",
    "Connection.reset",
    "completion_response",
    "serialize_response",
    "ChatStream.events",
    "StreamingResponse.__call__",
    "Logger.info",
    "JSONFormatter.format",
    "MultiProcessValue",
    "uuid7",
    "get_principal",
    "gc_collect_main",
]


def summarize_raw(path: Path, top: int = 25, out: list[str] | None = None) -> list[str]:
    every = parse(path)
    stacks = [(s, c) for s, c in every if not any("Thread._bootstrap" in f for f in s)]
    others = sum(c for _, c in every) - sum(c for _, c in stacks)
    total = sum(c for _, c in stacks)
    lines: list[str] = out if out is not None else []
    if not total:
        lines.append(f"  {path}: no samples")
        print("\n".join(lines))
        return lines
    self_c: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    for stack, count in stacks:
        frames = [short(f) for f in stack]
        self_c[frames[-1]] += count
        for f in set(frames):
            incl[f] += count
        areas[area_of(stack)] += count
    lines.append(
        f"  {total} samples of the event-loop thread ({others} more in other threads, not shown)"
    )
    lines.append("  by area (each sample charged once, to the innermost known area):")
    for name, c in areas.most_common():
        lines.append(f"    {c / total * 100:5.1f}%  {name}")
    lines.append(f"  top {top} functions by self time:")
    for name, c in self_c.most_common(top):
        lines.append(f"    {c / total * 100:5.1f}%  {name}")
    lines.append("  inclusive time of the chat path's steps (function and what it calls):")
    for key in KEY_FUNCTIONS:
        c = sum(n for stack, n in stacks if any(key in f for f in stack))
        if c:
            lines.append(f"    {c / total * 100:5.1f}%  {key}")
    print("\n".join(lines))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    summarize_raw(args.profile, args.top)


if __name__ == "__main__":
    main()
