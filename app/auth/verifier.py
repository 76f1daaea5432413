"""ID token verification: Firebase (production, emulator in tests) or server-signed dev tokens.

Verification is cached: a verified token is reused until it expires, and its revocation is
re-checked every AUTH_REVOCATION_CHECK_SECONDS. Firebase's verify_id_token costs ~0.5 ms of
CPU and, with check_revoked, a network call; the cache makes a hit ~1 µs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jwt
from cachetools import TLRUCache

from app.auth.errors import (
    AccountDisabled,
    AuthUnavailable,
    InvalidToken,
    TokenExpired,
    TokenRevoked,
    TokenWrongProject,
)
from app.settings import Settings

log = logging.getLogger(__name__)

DEV_ISSUER = "companion-dev"
EMULATOR_ENV = "FIREBASE_AUTH_EMULATOR_HOST"


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    uid: str
    email: str | None
    name: str | None
    expires_at: float  # epoch seconds
    issued_at: float


class TokenVerifier(Protocol):
    mode: str

    async def verify(self, token: str) -> VerifiedToken: ...


class DevTokenVerifier:
    """HS256 tokens signed by this server (embedded default). Refused in production."""

    mode = "dev"

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._ttl = ttl_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> DevTokenVerifier:
        return cls(load_dev_secret(settings), settings.DEV_TOKEN_TTL_SECONDS)

    def issue(
        self, uid: str, *, email: str | None = None, name: str | None = None
    ) -> tuple[str, int]:
        now = int(time.time())
        exp = now + self._ttl
        claims: dict[str, Any] = {
            "iss": DEV_ISSUER,
            "aud": DEV_ISSUER,
            "sub": uid,
            "iat": now,
            "exp": exp,
        }
        if email:
            claims["email"] = email
        if name:
            claims["name"] = name
        return jwt.encode(claims, self._secret, algorithm="HS256"), exp

    async def verify(self, token: str) -> VerifiedToken:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=DEV_ISSUER,
                issuer=DEV_ISSUER,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired() from exc
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError) as exc:
            raise TokenWrongProject() from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub or len(sub) > 128:
            raise InvalidToken()
        return VerifiedToken(
            uid=sub,
            email=claims.get("email"),
            name=claims.get("name"),
            expires_at=float(claims["exp"]),
            issued_at=float(claims["iat"]),
        )


def load_dev_secret(settings: Settings) -> str:
    """DEV_AUTH_SECRET, or a random secret kept in DATA_DIR so tokens survive restarts."""
    if settings.DEV_AUTH_SECRET:
        return settings.DEV_AUTH_SECRET
    path: Path = settings.dev_secret_path
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)
    return secret


class FirebaseTokenVerifier:
    """firebase-admin's verify_id_token with check_revoked, run off the event loop.

    With FIREBASE_AUTH_EMULATOR_HOST set (tests), firebase-admin talks to the emulator.
    """

    mode = "firebase"

    def __init__(self, settings: Settings) -> None:
        import firebase_admin
        from firebase_admin import credentials

        # firebase-admin reads the emulator host from the process environment; close() puts
        # back what was there, so the setting does not leak into later apps in this process.
        self._previous_emulator_host = os.environ.get(EMULATOR_ENV)
        if settings.FIREBASE_AUTH_EMULATOR_HOST:
            os.environ[EMULATOR_ENV] = settings.FIREBASE_AUTH_EMULATOR_HOST
        cred = (
            credentials.Certificate(settings.FIREBASE_CREDENTIALS_PATH)
            if settings.FIREBASE_CREDENTIALS_PATH
            else None
        )
        name = f"companion-{settings.FIREBASE_PROJECT_ID}-{id(self)}"
        self.app = firebase_admin.initialize_app(
            cred, options={"projectId": settings.FIREBASE_PROJECT_ID}, name=name
        )

    def _verify_sync(self, token: str) -> VerifiedToken:
        from firebase_admin import auth

        try:
            claims = auth.verify_id_token(token, app=self.app, check_revoked=True)
        except auth.ExpiredIdTokenError as exc:
            raise TokenExpired() from exc
        except auth.RevokedIdTokenError as exc:
            raise TokenRevoked() from exc
        except auth.UserDisabledError as exc:
            raise AccountDisabled() from exc
        except auth.InvalidIdTokenError as exc:
            text = str(exc)
            if '"aud"' in text or '"iss"' in text:
                raise TokenWrongProject() from exc
            raise InvalidToken() from exc
        except auth.CertificateFetchError as exc:
            raise AuthUnavailable() from exc
        except auth.UserNotFoundError as exc:
            raise TokenRevoked("The account behind this token no longer exists.") from exc
        except ValueError as exc:  # not a JWT at all
            raise InvalidToken() from exc
        except Exception as exc:  # network errors talking to Firebase
            if exc.__class__.__module__.startswith("firebase_admin"):
                log.warning("firebase verification failed: %s", type(exc).__name__)
                raise AuthUnavailable() from exc
            raise
        return VerifiedToken(
            uid=claims["uid"],
            email=claims.get("email"),
            name=claims.get("name"),
            expires_at=float(claims["exp"]),
            issued_at=float(claims["iat"]),
        )

    async def verify(self, token: str) -> VerifiedToken:
        reject_expired(token)
        return await asyncio.to_thread(self._verify_sync, token)

    def revoke(self, uid: str) -> None:
        from firebase_admin import auth

        auth.revoke_refresh_tokens(uid, app=self.app)

    def close(self) -> None:
        import firebase_admin

        firebase_admin.delete_app(self.app)
        if self._previous_emulator_host is None:
            os.environ.pop(EMULATOR_ENV, None)
        else:
            os.environ[EMULATOR_ENV] = self._previous_emulator_host


def reject_expired(token: str) -> None:
    """Refuse a malformed or expired token before any verification work.

    firebase-admin checks `exp` only together with the signature: against the Auth Emulator
    (unsigned tokens) it checks no expiry at all, and with check_revoked it would make a network
    call first. The claims are not trusted here: this can only refuse, never accept.
    """
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise InvalidToken() from exc
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise InvalidToken()
    if exp < time.time():
        raise TokenExpired()


@dataclass(frozen=True, slots=True)
class _Cached:
    token: VerifiedToken
    recheck_at: float


class CachedVerifier:
    """Caches verified tokens until expiry (revocation re-checked every `recheck_seconds`)."""

    def __init__(
        self, inner: TokenVerifier, *, recheck_seconds: int, maxsize: int = 50_000
    ) -> None:
        self.inner = inner
        self.mode = inner.mode
        self._recheck = recheck_seconds
        self._cache: TLRUCache[str, _Cached] = TLRUCache(
            maxsize=maxsize, ttu=lambda _k, v, _now: v.recheck_at, timer=time.time
        )

    async def verify(self, token: str) -> VerifiedToken:
        hit = self._cache.get(token)
        if hit is not None:
            return hit.token
        verified = await self.inner.verify(token)
        now = time.time()
        self._cache[token] = _Cached(verified, min(verified.expires_at, now + self._recheck))
        return verified

    def forget_uid(self, uid: str) -> None:
        for key, value in list(self._cache.items()):
            if value.token.uid == uid:
                self._cache.pop(key, None)

    def clear(self) -> None:
        self._cache.clear()
