from __future__ import annotations

from app.kit.errors import AppError, Forbidden, Unauthorized


class NotAuthenticated(Unauthorized):
    code = "not_authenticated"
    message = "Send `Authorization: Bearer <Firebase ID token>`."


class InvalidToken(Unauthorized):
    code = "invalid_token"
    message = "The ID token is malformed or its signature is invalid."


class TokenExpired(Unauthorized):
    code = "token_expired"
    message = "The ID token has expired; get a fresh one from the client SDK."


class TokenRevoked(Unauthorized):
    code = "token_revoked"
    message = "The ID token was revoked; sign in again."


class TokenWrongProject(Unauthorized):
    code = "token_wrong_project"
    message = "The ID token was issued for another project."


class AccountDisabled(Forbidden):
    code = "account_disabled"
    message = "This account is disabled."


class AuthUnavailable(AppError):
    status_code = 503
    code = "auth_unavailable"
    message = "The identity provider could not be reached; try again."


class DevTokensDisabled(Forbidden):
    code = "dev_tokens_disabled"
    message = "Development tokens are only available in development mode without Firebase."
