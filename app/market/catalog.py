"""What the market sells (../shared/DESIGN.md, "Product rules"). Prices in cents, credits in
micro-credits: exact integers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.billing.subscriptions import Plan
from app.billing.tiers import MICRO


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    kind: Literal["credits", "subscription"]
    name: str
    price_cents: int
    credits_micro: int = 0  # purchased credits (credit packages)
    bonus_micro: int = 0  # bonus credits granted per period (plans)
    tier: str | None = None  # the tier a plan gives
    period: Literal["month", "year"] | None = None
    currency: str = "usd"

    @property
    def plan(self) -> Plan:
        """What subscribing to this product gives (plans only)."""
        assert self.tier is not None
        assert self.period is not None
        return Plan(id=self.id, tier=self.tier, bonus_micro=self.bonus_micro, period=self.period)


PRODUCTS: dict[str, Product] = {
    p.id: p
    for p in (
        Product("credits_10", "credits", "10 credits", 99, credits_micro=10 * MICRO),
        Product("credits_50", "credits", "50 credits", 499, credits_micro=50 * MICRO),
        Product("credits_100", "credits", "100 credits", 899, credits_micro=100 * MICRO),
        Product(
            "credits_500", "credits", "550 credits (500 + 50 free)", 3999, credits_micro=550 * MICRO
        ),
        Product(
            "credits_1000",
            "credits",
            "1200 credits (1000 + 200 free)",
            6999,
            credits_micro=1200 * MICRO,
        ),
        Product(
            "premium_monthly",
            "subscription",
            "Premium, monthly",
            999,
            bonus_micro=200 * MICRO,
            tier="premium",
            period="month",
        ),
        Product(
            "premium_yearly",
            "subscription",
            "Premium, yearly",
            9999,
            bonus_micro=2500 * MICRO,
            tier="premium",
            period="year",
        ),
        Product(
            "vip_monthly",
            "subscription",
            "VIP, monthly",
            2999,
            bonus_micro=1000 * MICRO,
            tier="vip",
            period="month",
        ),
        Product(
            "vip_yearly",
            "subscription",
            "VIP, yearly",
            29999,
            bonus_micro=13000 * MICRO,
            tier="vip",
            period="year",
        ),
    )
}
