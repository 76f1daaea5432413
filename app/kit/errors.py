"""The one error shape of the API and its base exception.

Every expected failure is an AppError subclass with an HTTP status and a stable machine code;
one handler renders them all as {"error": {"code", "message", "details"}}.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, ClassVar

from pydantic import BaseModel

# Headers that every response of the current request should carry, errors included (the chat
# path's X-RateLimit-* once the limiter has decided): the error handler adds them.
request_headers: ContextVar[dict[str, str] | None] = ContextVar("request_headers", default=None)


class AppError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    message: ClassVar[str] = "The request could not be processed."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.detail_message = message or self.message
        self.details = details
        super().__init__(self.detail_message)

    def headers(self) -> dict[str, str] | None:
        return None


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message = "Not found."


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    message = "Authentication required."

    def headers(self) -> dict[str, str] | None:
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    message = "Not allowed."


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message = "Conflict with the current state."


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"
    message = "The request is invalid."


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    message = "A service this request needs is unavailable."


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorBody


def error_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route: one entry per status, listing the codes it may return."""
    by_status: dict[int, list[type[AppError]]] = {}
    all_errors: tuple[type[AppError], ...] = (*errors, _Validation)
    for err in all_errors:
        by_status.setdefault(err.status_code, []).append(err)
    return {
        status: {
            "model": ErrorResponse,
            "description": " | ".join(f"`{e.code}`: {e.message}" for e in errs),
        }
        for status, errs in by_status.items()
    }


class _Validation(AppError):
    status_code = 422
    code = "validation_error"
    message = "The request body, path or query does not match the schema."
