"""gunicorn with uvicorn workers for production (docker/Dockerfile).

Metrics are multiprocess-safe: PROMETHEUS_MULTIPROC_DIR must be an empty folder at start, and a
dead worker's files are marked so /metrics stops counting its live gauges.
"""

import multiprocessing
import os
import shutil

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "uvicorn.workers.UvicornWorker"
# Long enough for a streamed reply; the LLM client has its own timeouts.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# Idle keep-alive longer than any load balancer's or client's idle timeout in front of it (60 s
# is common): with a shorter one the server closes a connection the client is about to reuse,
# and that request fails with "connection closed without response" (seen with locust's think
# time of 2-6 s against uvicorn's default of 5 s).
keepalive = int(os.environ.get("KEEPALIVE_SECONDS", "75"))
accesslog = None  # the app logs one JSON line per request
max_requests = 0


def on_starting(server):  # noqa: ARG001
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, exist_ok=True)


def child_exit(server, worker):  # noqa: ARG001
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
