"""The skins' errors: each an AppError with a status and a stable code."""

from __future__ import annotations

from app.kit.errors import AppError


class UnknownApp(AppError):
    status_code = 400
    code = "unknown_app"
    message = "The X-App-Id header names no configured app."


class AppIdRequired(AppError):
    status_code = 400
    code = "app_id_required"
    message = "This request needs an X-App-Id header naming the app (no default app is set)."
