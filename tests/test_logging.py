"""One JSON line per request, with the request id and no message content; batched writes."""

from __future__ import annotations

import io
import logging

import orjson
import pytest

from app.kit.logging import BufferedStreamHandler, JSONFormatter
from tests.helpers import Api


async def test_one_json_line_per_request_with_its_id_and_no_content(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    user = await api.new_user()
    session = await api.new_session(user)
    secret = "my secret diary entry about Zanzibar"
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="app.request"):
        r = await api.client.post(
            "/api/v1/chat/completions",
            json={"session_id": session["id"], "message": secret},
            headers={**user.headers, "X-Request-ID": "req-abc.123"},
        )
    assert r.status_code == 200
    assert r.headers["x-request-id"] == "req-abc.123"
    lines = [
        orjson.loads(JSONFormatter().format(rec))
        for rec in caplog.records
        if rec.name == "app.request"
    ]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "req-abc.123"
    assert line["route"] == "/api/v1/chat/completions"
    assert line["status"] == 200
    assert line["latency_ms"] > 0
    assert len(line["user"]) == 16
    assert str(user.id) not in orjson.dumps(line).decode()
    assert "Zanzibar" not in orjson.dumps(line).decode()
    assert user.token not in orjson.dumps(line).decode()
    r = await api.client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces"  # replaced by a fresh one
    assert len(r.headers["x-request-id"]) == 32


def test_buffered_handler_batches_info_and_flushes_warnings_at_once() -> None:
    stream = io.StringIO()
    handler = BufferedStreamHandler(stream, interval=3600)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log = logging.getLogger("test.buffered")
    log.propagate = False
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        log.info("one")
        log.info("two")
        assert stream.getvalue() == ""  # held until the next flush
        log.warning("three")
        assert stream.getvalue() == "INFO one\nINFO two\nWARNING three\n"
        log.info("four")
        handler.close()
        assert stream.getvalue().endswith("INFO four\n")
    finally:
        log.removeHandler(handler)
