"""What a skin is at run time, and the lookups the request path makes (dicts, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Skin:
    id: str  # the X-App-Id value
    name: str
    allowed_origins: frozenset[str]
    characters: frozenset[str] | None  # None: every character
    products: frozenset[str] | None  # None: every product

    def shows_character(self, character_id: str) -> bool:
        return self.characters is None or character_id in self.characters

    def shows_product(self, product_id: str) -> bool:
        return self.products is None or product_id in self.products


# The implicit skin of the embedded default (no skins configured), and what code running outside
# an HTTP request (jobs, CLI, benchmarks) sees: everything.
UNRESTRICTED = Skin(
    id="default",
    name="Default",
    allowed_origins=frozenset(),
    characters=None,
    products=None,
)


class SkinRegistry:
    """The configured skins, indexed by app id and by origin.

    `skins` empty means the embedded default: the X-App-Id header is ignored and every request is
    the implicit UNRESTRICTED skin. `default` is the skin of a request without X-App-Id (None: such
    a request gets 400 `app_id_required` where a skin matters). `dev_origins` (CORS_ORIGINS) are
    allowed for every skin; configuration guarantees they belong to no skin.
    """

    __slots__ = ("default", "dev_origins", "origin_owner", "skins")

    def __init__(
        self, skins: Iterable[Skin], *, default: Skin | None, dev_origins: Iterable[str] = ()
    ) -> None:
        self.skins: Mapping[str, Skin] = {s.id: s for s in skins}
        self.default = default
        self.dev_origins = frozenset(dev_origins)
        # One owner per origin (validated at start-up): a preflight carries the Origin but not the
        # X-App-Id value, so the origin alone must say which skin it is talking to.
        self.origin_owner: Mapping[str, Skin] = {
            origin: s for s in self.skins.values() for origin in s.allowed_origins
        }

    @classmethod
    def embedded(cls, dev_origins: Iterable[str] = ()) -> SkinRegistry:
        return cls((), default=UNRESTRICTED, dev_origins=dev_origins)

    @property
    def configured(self) -> bool:
        return bool(self.skins)

    def cors_allows(self, origin: str, skin: Skin | None) -> bool:
        """May a browser page on `origin` read responses made for `skin`?"""
        return origin in self.dev_origins or (skin is not None and origin in skin.allowed_origins)

    def preflight_allows(self, origin: str) -> bool:
        """A preflight names no app: it is allowed for an origin of any skin (its owner)."""
        return origin in self.dev_origins or origin in self.origin_owner

    def describe(self) -> str:
        if not self.skins:
            return "none configured: one implicit skin showing everything"
        ids = ", ".join(self.skins)
        return f"{ids} (default: {self.default.id if self.default else 'none'})"
