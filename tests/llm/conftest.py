"""LLM tests: our OpenAI-compatible client over real HTTP against the loopback server."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from app.llm.openai_compat import OpenAICompatibleProvider
from tests.fakes.openai_server import FakeOpenAI

API_KEY = "test-key-0123456789"
MODEL = "grok-test"

MakeProvider = Callable[..., OpenAICompatibleProvider]


@pytest.fixture
async def make_provider(llm_server: FakeOpenAI) -> AsyncIterator[MakeProvider]:
    """Providers pointed at the loopback server; small timeouts and backoff keep tests fast."""
    made: list[OpenAICompatibleProvider] = []

    def make(**overrides: Any) -> OpenAICompatibleProvider:
        options: dict[str, Any] = {
            "base_url": llm_server.base_url,
            "api_key": API_KEY,
            "model": MODEL,
            "timeout": 5.0,
            "connect_timeout": 1.0,
            "max_retries": 2,
            "retry_base": 0.01,
            "retry_max": 2.0,
            "temperature": 0.8,
        }
        options.update(overrides)
        provider = OpenAICompatibleProvider(**options)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()


def free_port() -> int:
    """A port nothing listens on (bound, read, released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


RawHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[RawHandler], Awaitable[str]]]:
    """A loopback server answering /v1/chat/completions with whatever bytes a test scripts
    (for replies the well-behaved fake never sends: broken JSON, broken events)."""
    runners: list[web.AppRunner] = []

    async def start(handler: RawHandler) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}/v1"

    yield start
    for runner in runners:
        await runner.cleanup()
