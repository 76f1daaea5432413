"""The product's tier rules (../shared/DESIGN.md, "Product rules") and money units."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

MICRO = 1_000_000  # micro-credits per credit

MemoryMode = Literal["none", "rag", "advanced"]


@dataclass(frozen=True, slots=True)
class TierRules:
    name: str
    daily_micro: int
    requests_per_minute: int
    # 0.1 credits per 1k tokens = 100 micro-credits per token: every charge is an exact integer.
    micro_per_token: int
    memory: MemoryMode


TIERS: dict[str, TierRules] = {
    "free": TierRules("free", 10 * MICRO, 5, 100, "none"),
    "premium": TierRules("premium", 100 * MICRO, 30, 70, "rag"),
    "vip": TierRules("vip", 500 * MICRO, 100, 50, "advanced"),
}


def effective_tier(tier: str, expires_at: dt.datetime | None, now: dt.datetime) -> str:
    """A paid tier past its expiry is free, whether or not the expiry job has run yet."""
    if tier != "free" and expires_at is not None and expires_at <= now:
        return "free"
    return tier


def to_credits(micro: int) -> Decimal:
    """Exact decimal credits for the API edge (6 places)."""
    return Decimal(micro).scaleb(-6).quantize(Decimal("0.000001"))


def charge_for(total_tokens: int, tier: str) -> int:
    return total_tokens * TIERS[tier].micro_per_token
