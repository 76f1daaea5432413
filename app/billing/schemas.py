from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from app.billing.tiers import TIERS, to_credits
from app.models import LedgerEntry, UserWallet


class Balance(BaseModel):
    """Credits as exact decimals (strings in JSON) and as integer micro-credits."""

    tier: str
    available: Decimal = Field(description="What the next requests can spend: buckets - held.")
    daily: Decimal = Field(description="Today's allowance left; expires at 00:00 UTC.")
    bonus: Decimal = Field(description="Subscription bonus credits.")
    purchased: Decimal = Field(description="Purchased credits; never expire.")
    held: Decimal = Field(description="Reserved by replies being generated right now.")
    available_micro: int
    daily_allowance: Decimal
    credits_per_1k_tokens: Decimal
    daily_resets_at: dt.datetime

    @classmethod
    def of(cls, wallet: UserWallet, tier: str, resets_at: dt.datetime) -> Balance:
        rules = TIERS[tier]
        return cls(
            tier=tier,
            available=to_credits(wallet.available_micro),
            daily=to_credits(wallet.daily_micro),
            bonus=to_credits(wallet.bonus_micro),
            purchased=to_credits(wallet.purchased_micro),
            held=to_credits(wallet.held_micro),
            available_micro=wallet.available_micro,
            daily_allowance=to_credits(rules.daily_micro),
            credits_per_1k_tokens=to_credits(rules.micro_per_token * 1000),
            daily_resets_at=resets_at,
        )


class Transaction(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    amount: Decimal
    amount_micro: int
    balance_after: Decimal
    buckets: dict[str, Decimal]
    reference_type: str | None
    reference_id: str | None
    description: str | None
    created_at: dt.datetime

    @classmethod
    def of(cls, entry: LedgerEntry) -> Transaction:
        return cls(
            id=entry.id,
            kind=entry.kind,
            amount=to_credits(entry.amount_micro),
            amount_micro=entry.amount_micro,
            balance_after=to_credits(entry.balance_after_micro),
            buckets={
                "daily": to_credits(entry.delta_daily_micro),
                "bonus": to_credits(entry.delta_bonus_micro),
                "purchased": to_credits(entry.delta_purchased_micro),
            },
            reference_type=entry.reference_type,
            reference_id=entry.reference_id,
            description=entry.description,
            created_at=entry.created_at,
        )
