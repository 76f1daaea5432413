"""Prometheus counters of moderation (module level, default registry; multiprocess-safe through
prometheus_client's PROMETHEUS_MULTIPROC_DIR when the app sets it)."""

from __future__ import annotations

from prometheus_client import Counter

from app.moderation.verdict import DIRECTIONS

DECISIONS = Counter(
    "moderation_decisions_total",
    "Moderation decisions by direction (input, output), category (none when allowed) and "
    "action (allow, flag, block).",
    ["direction", "category", "action"],
)
REMOTE_ERRORS = Counter(
    "moderation_remote_errors_total",
    "Remote classifier calls that failed or timed out; the local verdict was used (fail open).",
    ["classifier", "reason"],
)
EVENT_WRITE_ERRORS = Counter(
    "moderation_event_write_errors_total",
    "moderation_events rows that could not be written (the decision itself still applied).",
)

# The allow path is the hot one: its label children are bound once.
ALLOWED = {d: DECISIONS.labels(d, "none", "allow") for d in DIRECTIONS}
