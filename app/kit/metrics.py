"""Prometheus metrics, multiprocess-safe.

With PROMETHEUS_MULTIPROC_DIR set (several uvicorn/gunicorn workers), prometheus-client writes
every sample to a memory-mapped file per process and /metrics merges them: one truth for the
whole pod. Without it (the embedded default, one process), the default registry is used.
Everything a user waits on is here: HTTP latency by route and status, LLM latency, tokens and
time to first token, credits charged; plus pool usage, jobs, and (in their domains) rate-limit
refusals and moderation decisions.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests by route and status.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency (to the end of the response body) by route and status.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
CREDITS_CHARGED = Counter(
    "credits_charged_micro_total", "Micro-credits charged for chat replies, by tier.", ["tier"]
)
LLM_REQUESTS = Counter(
    "llm_requests_total",
    "Model calls by provider, model and outcome.",
    ["provider", "model", "outcome"],
)
LLM_LATENCY = Histogram(
    "llm_request_duration_seconds",
    "Model call latency (whole reply) by provider, model and outcome.",
    ["provider", "model", "outcome"],
    buckets=LATENCY_BUCKETS,
)
LLM_TTFT = Histogram(
    "llm_time_to_first_token_seconds",
    "Time from the model call to its first token (streaming).",
    ["provider", "model"],
    buckets=LATENCY_BUCKETS,
)
LLM_TOKENS = Counter(
    "llm_tokens_total", "Tokens reported by the model, by kind.", ["provider", "model", "kind"]
)
DB_POOL = Gauge(
    "db_pool_connections",
    "Database connections by pool (orm, hot) and state (in_use, size).",
    ["pool", "state"],
    multiprocess_mode="livesum",
)
JOB_RUNS = Counter("job_runs_total", "Background job runs by job and outcome.", ["job", "outcome"])
JOB_DURATION = Histogram(
    "job_duration_seconds", "Background job duration.", ["job"], buckets=LATENCY_BUCKETS
)


@functools.cache
def _llm_series(provider: str, model: str, outcome: str) -> tuple[Any, Any]:
    # Labelled children looked up once (labels are bounded): .labels() costs a lock and a walk.
    return LLM_REQUESTS.labels(provider, model, outcome), LLM_LATENCY.labels(
        provider, model, outcome
    )


@functools.cache
def _token_series(provider: str, model: str) -> tuple[Any, Any]:
    return LLM_TOKENS.labels(provider, model, "prompt"), LLM_TOKENS.labels(
        provider, model, "completion"
    )


@functools.cache
def credits_series(tier: str) -> Any:
    return CREDITS_CHARGED.labels(tier)


def observe_llm(provider: str, model: str, outcome: str, started: float) -> None:
    elapsed = time.perf_counter() - started
    requests, latency = _llm_series(provider, model, outcome)
    requests.inc()
    latency.observe(elapsed)


def count_tokens(provider: str, model: str, prompt: int, completion: int) -> None:
    prompt_tokens, completion_tokens = _token_series(provider, model)
    prompt_tokens.inc(prompt)
    completion_tokens.inc(completion)


def render(extra: dict[str, tuple[str, float]] | None = None) -> tuple[bytes, str]:
    """The exposition text: every process's samples (multiprocess) or this one's, plus `extra`
    gauges read at scrape time from shared state (the same whichever process is scraped)."""
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    if extra:
        snapshot = CollectorRegistry()
        for name, (doc, value) in extra.items():
            Gauge(name, doc, registry=snapshot).set(value)
        body += generate_latest(snapshot)
    return body, CONTENT_TYPE_LATEST


def sample_pools(db: Any) -> None:
    """Record this process's pool usage (called every few seconds by a background task)."""
    pool = db.engine.sync_engine.pool
    if hasattr(pool, "checkedout"):
        DB_POOL.labels("orm", "in_use").set(pool.checkedout())
        DB_POOL.labels("orm", "size").set(pool.size())
    if db.raw_pool is not None:
        size = db.raw_pool.get_size()
        DB_POOL.labels("hot", "in_use").set(size - db.raw_pool.get_idle_size())
        DB_POOL.labels("hot", "size").set(db.raw_pool.get_max_size())


async def sample_pools_forever(db: Any, every: float = 5.0) -> None:
    import asyncio

    while True:
        sample_pools(db)
        await asyncio.sleep(every)
