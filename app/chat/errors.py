from __future__ import annotations

from app.kit.errors import AppError, NotFound


class SessionNotFound(NotFound):
    """Unknown, deleted, or another user's session: the answer is the same, by design."""

    code = "not_found"
    message = "No such chat session."


class MessageTooLongForContext(AppError):
    status_code = 422
    code = "message_too_long"
    message = "The message does not fit in the model's context window."
