"""The request's skin as a FastAPI dependency (resolved once by SkinMiddleware)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from app.skins.context import require_skin
from app.skins.registry import UNRESTRICTED, Skin


async def get_skin(
    request: Request,
    # Read by SkinMiddleware, not here: declared so that OpenAPI documents the header.
    x_app_id: str | None = Header(
        None,
        alias="X-App-Id",
        description=(
            "The client app (skin) making the request; decides which characters and products "
            "it is shown. Absent: the default app. Unknown: 400 `unknown_app`. Ignored when no "
            "skins are configured."
        ),
    ),
) -> Skin:
    return require_skin(getattr(request.state, "skin", UNRESTRICTED))


CurrentSkin = Annotated[Skin, Depends(get_skin)]
