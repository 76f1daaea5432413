"""Skins configuration: read from SKINS_FILE or SKINS_JSON and validated at start-up.

Format (docs/SKINS.md):

    {"default": "web",
     "skins": [{"id": "web", "name": "Companion Web",
                "allowed_origins": ["https://app.example.com"],
                "characters": "*", "products": ["credits_10", "premium_monthly"]}]}

A configuration the API cannot serve correctly refuses the start with a ConfigurationError that
names the setting and every problem: a wildcard or malformed origin, an origin listed by two
skins (a preflight could not tell which skin it talks to), http origins in production, a product
id the catalogue does not sell, a default naming no skin. Character ids live in the database, so
an unknown one is only a warning, logged once the database is up (app/skins/service.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.market.catalog import PRODUCTS
from app.settings import ConfigurationError, Settings
from app.skins.registry import Skin, SkinRegistry

_DEFAULT_PORTS = {"http": 80, "https": 443}
_CHARACTER_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]{1,63}$")  # as app/characters/schemas.py


def canonical_origin(value: str, *, production: bool = False) -> str:
    """`value` if it is an origin exactly as a browser sends it (scheme://host[:port]);
    otherwise ValueError saying what to write instead."""
    if "*" in value:
        raise ValueError("wildcards are not allowed: list every origin exactly")
    if value == "null":
        raise ValueError("the 'null' origin (sandboxed pages, files) cannot be allowed")
    try:
        parts = urlsplit(value)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise ValueError(f"not an origin: {exc}") from None
    if parts.scheme not in _DEFAULT_PORTS or not host:
        raise ValueError("an origin is scheme://host[:port] with scheme http or https")
    if parts.username is not None or parts.password is not None:
        raise ValueError("an origin has no user or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("an origin has no path, query or fragment")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    canonical = f"{parts.scheme}://{host}"
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        canonical += f":{port}"
    if canonical != value:
        raise ValueError(f"write it as {canonical!r}: browsers send the origin in that form")
    if production and parts.scheme != "https":
        raise ValueError("APP_ENV=production requires https origins")
    return value


def _production(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("production"))


class SkinConfig(BaseModel):
    """One skin: a front end, named by the X-App-Id its clients send."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$",
        description="The X-App-Id value (compared exactly).",
    )
    name: str = Field(min_length=1, max_length=100)
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins of this skin, exactly (none for native apps).",
    )
    characters: Literal["*"] | list[str] = Field(
        description='Character ids this skin shows, or "*" for every character.'
    )
    products: Literal["*"] | list[str] = Field(
        description='Product ids this skin sells, or "*" for every product ([]: sells nothing).'
    )

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str], info: ValidationInfo) -> list[str]:
        production = _production(info)
        problems = []
        for origin in value:
            try:
                canonical_origin(origin, production=production)
            except ValueError as exc:
                problems.append(f"{origin!r}: {exc}")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("characters", "products", mode="before")
    @classmethod
    def _star_or_list(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, list) or value == "*":
            return value
        raise ValueError(f'write "*" (all {info.field_name}) or a list of ids')

    @field_validator("characters")
    @classmethod
    def _some_characters(cls, value: Literal["*"] | list[str]) -> Literal["*"] | list[str]:
        if value == []:
            raise ValueError('list at least one character id, or "*" for every character')
        bad = [c for c in value if not _CHARACTER_ID.fullmatch(c)] if value != "*" else []
        if bad:
            raise ValueError(
                f"not character ids: {', '.join(map(repr, bad))} "
                '("*" alone, not in a list, means every character)'
            )
        return value

    @field_validator("products")
    @classmethod
    def _known_products(cls, value: Literal["*"] | list[str]) -> Literal["*"] | list[str]:
        if value != "*":
            unknown = sorted(set(value) - PRODUCTS.keys())
            if unknown:
                raise ValueError(
                    f"unknown product id(s) {', '.join(map(repr, unknown))} "
                    f'(the catalogue sells: {", ".join(PRODUCTS)}; "*" alone means all)'
                )
        return value

    def to_skin(self) -> Skin:
        return Skin(
            id=self.id,
            name=self.name,
            allowed_origins=frozenset(self.allowed_origins),
            characters=None if self.characters == "*" else frozenset(self.characters),
            products=None if self.products == "*" else frozenset(self.products),
        )


class SkinsConfig(BaseModel):
    """The whole file: the skins, and optionally the one used when X-App-Id is absent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: str | None = Field(None, description="The skin of requests without X-App-Id.")
    skins: list[SkinConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[str] = []
        seen_ids: set[str] = set()
        owner: dict[str, str] = {}
        for skin in self.skins:
            if skin.id in seen_ids:
                problems.append(f"skin id {skin.id!r} is used twice")
            seen_ids.add(skin.id)
            for origin in skin.allowed_origins:
                other = owner.setdefault(origin, skin.id)
                if other != skin.id:
                    problems.append(
                        f"origin {origin!r} is listed by skins {other!r} and {skin.id!r} "
                        "(an origin belongs to exactly one skin)"
                    )
        if self.default is not None and self.default not in seen_ids:
            problems.append(f"default {self.default!r} is not the id of a skin")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{where.lstrip('.') or '(top level)'}: {message}")
    return "; ".join(lines)


def _source(settings: Settings) -> tuple[str, str] | None:
    """(setting name, JSON text) of the configured skins, or None for the embedded default."""
    if settings.SKINS_FILE and settings.SKINS_JSON:
        raise ConfigurationError("Set SKINS_FILE or SKINS_JSON, not both.")
    if settings.SKINS_FILE:
        path = Path(settings.SKINS_FILE)
        try:
            return f"SKINS_FILE={path}", path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"SKINS_FILE={path} cannot be read: {exc}") from None
    if settings.SKINS_JSON:
        return "SKINS_JSON", settings.SKINS_JSON
    return None


def _dev_origins(settings: Settings) -> list[str]:
    problems = []
    for origin in settings.CORS_ORIGINS:
        try:
            canonical_origin(origin, production=settings.is_production)
        except ValueError as exc:
            problems.append(f"{origin!r}: {exc}")
    if problems:
        raise ConfigurationError("CORS_ORIGINS is invalid: " + "; ".join(problems))
    return list(settings.CORS_ORIGINS)


def load_skins(settings: Settings) -> SkinRegistry:
    """The skins the settings configure, validated; ConfigurationError (naming the setting and
    every problem) if the API cannot serve them correctly."""
    dev_origins = _dev_origins(settings)
    source = _source(settings)
    if source is None:
        return SkinRegistry.embedded(dev_origins)
    name, text = source
    context: dict[str, Any] = {"production": settings.is_production}
    try:
        config = SkinsConfig.model_validate_json(text, context=context)
    except ValidationError as exc:
        raise ConfigurationError(f"{name} is invalid: {_describe(exc)}") from None
    skins = [s.to_skin() for s in config.skins]
    shared = sorted({o for s in skins for o in s.allowed_origins} & set(dev_origins))
    if shared:
        raise ConfigurationError(
            f"{name} is invalid: origin(s) {', '.join(shared)} are both in CORS_ORIGINS (allowed "
            "for every skin) and in a skin's allowed_origins: keep each in one place"
        )
    by_id = {s.id: s for s in skins}
    default = by_id[config.default] if config.default is not None else None
    return SkinRegistry(skins, default=default, dev_origins=dev_origins)
