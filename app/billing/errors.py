from __future__ import annotations

from app.billing.tiers import to_credits
from app.kit.errors import AppError


class InsufficientCredits(AppError):
    status_code = 402
    code = "insufficient_credits"
    message = "Not enough credits for this request."

    def __init__(self, *, needed_micro: int, available_micro: int) -> None:
        super().__init__(
            f"This request needs up to {to_credits(needed_micro)} credits; "
            f"{to_credits(max(0, available_micro))} are available.",
            needed=str(to_credits(needed_micro)),
            available=str(to_credits(max(0, available_micro))),
            needed_micro=needed_micro,
            available_micro=max(0, available_micro),
        )
