"""The skin of the request being served, for code that has no Request object.

SkinMiddleware sets it for each HTTP request (and puts the same skin in `request.state.skin` for
routers). Outside a request (jobs, CLI, benchmarks) it is UNRESTRICTED: skins are an HTTP edge
concept. A request that names no app while no default app is configured holds None, which
`require_skin` turns into 400 `app_id_required` where a skin matters.
"""

from __future__ import annotations

from contextvars import ContextVar

from app.skins.errors import AppIdRequired
from app.skins.registry import UNRESTRICTED, Skin

skin_var: ContextVar[Skin | None] = ContextVar("skin", default=UNRESTRICTED)


def require_skin(skin: Skin | None) -> Skin:
    if skin is None:
        raise AppIdRequired()
    return skin


def current_skin() -> Skin:
    """The request's skin (400 `app_id_required` if it named none and there is no default)."""
    return require_skin(skin_var.get())
