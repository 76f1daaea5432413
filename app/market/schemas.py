from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from app.billing.tiers import to_credits
from app.market.catalog import Product


class ProductOut(BaseModel):
    id: str
    kind: Literal["credits", "subscription"]
    name: str
    price: Decimal
    price_cents: int
    currency: str
    credits: Decimal
    bonus_credits: Decimal
    tier: str | None
    period: Literal["month", "year"] | None

    @classmethod
    def of(cls, p: Product) -> ProductOut:
        return cls(
            id=p.id,
            kind=p.kind,
            name=p.name,
            price=Decimal(p.price_cents).scaleb(-2),
            price_cents=p.price_cents,
            currency=p.currency,
            credits=to_credits(p.credits_micro),
            bonus_credits=to_credits(p.bonus_micro),
            tier=p.tier,
            period=p.period,
        )


class ProductList(BaseModel):
    credit_packages: list[ProductOut]
    plans: list[ProductOut]
