from __future__ import annotations

from typing import Any

from app.kit.errors import AppError
from app.moderation.verdict import Direction, Verdict


class ContentBlocked(AppError):
    """The content policy blocks this text (docs/MODERATION.md). Raised before any credit
    hold is placed, so nothing is charged."""

    status_code = 422
    code = "content_blocked"
    message = "This message breaks the content policy and was not sent. Nothing was charged."
    output_message = (
        "The reply broke the content policy and was withheld. Nothing was charged for it."
    )

    def __init__(self, message: str | None = None, **details: Any) -> None:
        super().__init__(message, **details)

    @classmethod
    def of(cls, verdict: Verdict, *, direction: Direction) -> ContentBlocked:
        return cls(
            cls.output_message if direction == "output" else None,
            category=verdict.category_label,
            direction=direction,
        )
