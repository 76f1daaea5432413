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


class AdjustmentRefused(AppError):
    """An operator's adjustment that would leave a bucket negative, or take credits that open
    holds reserve (the database would refuse it too)."""

    status_code = 409
    code = "adjustment_refused"
    message = "This adjustment would make a bucket negative."


class UserNotFound(AppError):
    status_code = 404
    code = "user_not_found"
    message = "No user has this id, Firebase uid or email."


class UserAmbiguous(AppError):
    status_code = 409
    code = "user_ambiguous"
    message = "Several users have this email: name the user by id or Firebase uid."
