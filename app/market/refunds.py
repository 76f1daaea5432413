"""Refunds: a refunded payment takes back what it granted (docs/BILLING.md, "Refunds").

- A credit package: its purchased credits, in proportion to the amount refunded so far.
- A subscription payment: its period's bonus credits, in proportion; a full refund of the
  period in force also ends the subscription at once (the user returns to free, as expiry does).
- Never more than the bucket holds now, nor what open holds reserve: credits already spent
  stay spent. What could not be taken back is written in the `refund` ledger row's description
  and in the payment's note (`failure_reason`, the payment row's one free-text column).
- One `refund` ledger row per refund step, referenced `<charge id>:<amount refunded so far>`:
  a redelivery, or an older step arriving after a newer one, takes nothing; a second partial
  refund takes only its delta.

The caller holds the payment's row lock (it serialises every refund of one payment); the lock
order below it is subscription -> user -> wallet, as everywhere off the hot path.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.repository import BillingRepository
from app.billing.service import wallet_service
from app.billing.subscriptions import bonus_reference, subscription_service
from app.billing.tiers import to_credits
from app.kit.clock import utcnow
from app.market.catalog import PRODUCTS
from app.market.errors import WebhookPaymentUnknown
from app.models import PaymentTransaction

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PaidPeriod:
    """The subscription period a refunded payment paid for (from its invoice)."""

    provider_subscription_id: str
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    taken_micro: int  # taken back by this refund
    unrecovered_micro: int  # this refund's share that was already spent
    fully_refunded: bool
    subscription_ended: bool


class RefundService:
    async def apply(
        self,
        session: AsyncSession,
        payment: PaymentTransaction,
        *,
        source: str,
        amount: int,
        refunded: int,
        period: PaidPeriod | None = None,
    ) -> RefundOutcome | None:
        """`payment` (locked) has been refunded `refunded` of `amount` so far (cumulative, in
        the currency's smallest unit) through `source` (the Stripe charge). Returns None when
        there is nothing new to do: a refund already applied, or a payment that granted
        nothing. Raises WebhookPaymentUnknown (409, redelivered later) if the payment is not
        confirmed here yet."""
        if payment.status == "pending":
            raise WebhookPaymentUnknown(
                "The refund is ahead of the payment's confirmation; redeliver later.",
                payment_id=str(payment.id),
            )
        if payment.status not in ("succeeded", "refunded"):
            log.warning(
                "refund of a payment that granted nothing",
                extra={"payment_id": str(payment.id), "status": payment.status},
            )
            return None
        refunded = min(refunded, amount)
        if refunded <= await wallet_service.refunded_so_far(session, payment.user_id, source):
            return None
        full = refunded >= amount
        product = PRODUCTS[payment.product_id]
        ended = False
        bucket: Literal["bonus", "purchased"] = "purchased"
        if payment.kind == "credits":
            granted = payment.credits_micro
        else:
            if period is None:
                raise ValueError("a subscription payment's refund needs the period it paid")
            sub = await BillingRepository(session).get_subscription(
                payment.provider, period.provider_subscription_id
            )
            if sub is None:
                raise WebhookPaymentUnknown(subscription_id=period.provider_subscription_id)
            bucket = "bonus"
            granted = await wallet_service.granted_micro(
                session,
                payment.user_id,
                kind="subscription_bonus",
                reference_id=bonus_reference(sub, period.start),
            )
            if full:
                ended = await subscription_service.end_for_refund(
                    session,
                    provider=payment.provider,
                    provider_subscription_id=period.provider_subscription_id,
                    period_end=period.end,
                )
        taken = await wallet_service.take_back_refund(
            session,
            payment.user_id,
            bucket=bucket,
            granted_micro=granted,
            source=source,
            refunded=refunded,
            total=amount,
            label=f"{product.name} ({source})",
        )
        if taken is None:  # the payment lock makes the check above final; defensive only
            return None
        now = utcnow()
        if full:
            payment.status = "refunded"
        note = (
            f"Refunded {refunded}/{amount} ({payment.currency}): "
            f"{to_credits(taken.taken_total_micro)} of {to_credits(taken.claimed_total_micro)} "
            f"{bucket} credits taken back"
        )
        if taken.unrecovered_total_micro:
            note += f", {to_credits(taken.unrecovered_total_micro)} not recovered (already spent)"
        payment.failure_reason = note[:255]
        payment.updated_at = now
        await session.flush()
        log.info(
            "payment refunded",
            extra={
                "payment_id": str(payment.id),
                "refunded": refunded,
                "amount": amount,
                "taken_micro": taken.taken_micro,
                "unrecovered_micro": taken.unrecovered_micro,
                "subscription_ended": ended,
            },
        )
        return RefundOutcome(
            taken_micro=taken.taken_micro,
            unrecovered_micro=taken.unrecovered_micro,
            fully_refunded=full,
            subscription_ended=ended,
        )


refund_service = RefundService()
