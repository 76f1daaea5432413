"""Structured JSON logs, one object per line, with the request id of the current request.

Hand-written with orjson rather than python-json-logger: the per-request line is on the chat
hot path, and this formatter is a dict and one orjson.dumps.
"""

from __future__ import annotations

import atexit
import contextvars
import datetime as dt
import logging
import sys
import threading
from typing import Any

import orjson

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

_RESERVED = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id_var.get()
        if rid is not None:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class BufferedStreamHandler(logging.Handler):
    """Write log lines in batches: every `interval` seconds, when `max_bytes` are waiting, and
    at once for warnings and errors. One write system call per batch instead of one per line
    (a request's line would otherwise be its costliest write after the network). A crash loses
    at most `interval` seconds of info lines; warnings and errors are never held back."""

    def __init__(self, stream: Any, *, interval: float = 0.2, max_bytes: int = 65_536) -> None:
        super().__init__()
        self._stream = stream
        self._interval = interval
        self._max_bytes = max_bytes
        self._pending: list[str] = []
        self._size = 0
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="log-flush", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
        except Exception:
            self.handleError(record)
            return
        with self.lock:  # type: ignore[union-attr]
            self._pending.append(line)
            self._size += len(line)
            urgent = record.levelno >= logging.WARNING or self._size >= self._max_bytes
        if urgent:
            self.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if not self._pending:
                return
            data = "".join(self._pending)
            self._pending.clear()
            self._size = 0
            try:
                self._stream.write(data)
                self._stream.flush()
            except (OSError, ValueError):
                pass  # stdout closed at shutdown: nothing left to tell

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self._interval)
            self.flush()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self.flush()
        super().close()


def configure_logging(level: str = "INFO", json: bool = True, flush_seconds: float = 0.2) -> None:
    handler: logging.Handler = (
        BufferedStreamHandler(sys.stdout, interval=flush_seconds)
        if flush_seconds > 0
        else logging.StreamHandler(sys.stdout)
    )
    handler.setFormatter(
        JSONFormatter()
        if json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    # Neither format prints the caller's file and line, the thread or the process: skip
    # collecting them for every record (a stack walk and a getpid system call per line; the
    # logging HOWTO's "Optimization" section names these switches).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log would be a second line per request; ours carries more.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
