"""Exception handlers: every error leaves as {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.kit.errors import AppError, request_headers

log = logging.getLogger(__name__)

# Pydantic error types we raise ourselves (PydanticCustomError): they are the response's code.
CUSTOM_VALIDATION_CODES = frozenset(
    {"message_empty", "message_too_long", "message_not_text", "message_invalid_characters"}
)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


async def app_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    if exc.status_code >= 500:
        log.warning("request failed", extra={"code": exc.code, "status": exc.status_code})
    pending = request_headers.get()
    headers = {**pending, **(exc.headers() or {})} if pending is not None else exc.headers()
    return JSONResponse(
        _body(exc.code, exc.detail_message, exc.details),
        status_code=exc.status_code,
        headers=headers,
    )


def _clean(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        item = {"loc": list(e.get("loc", ())), "type": e.get("type"), "msg": e.get("msg")}
        out.append(item)
    return out


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    types = [e.get("type") for e in errors]
    if "json_invalid" in types:
        code, message = "invalid_json", "The request body is not valid JSON."
    elif types and types[0] in CUSTOM_VALIDATION_CODES:
        code, message = str(types[0]), str(errors[0].get("msg"))
    else:
        code, message = "validation_error", "The request does not match the schema."
    return JSONResponse(_body(code, message, {"errors": _clean(errors)}), status_code=422)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return JSONResponse(
        _body(code, message), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


async def unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error")
    return JSONResponse(
        _body("internal_error", "Something went wrong on our side; nothing was charged twice."),
        status_code=500,
    )


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)
