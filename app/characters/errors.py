from __future__ import annotations

from app.kit.errors import AppError, InvalidInput, NotFound


class CharacterNotFound(NotFound):
    code = "character_not_found"
    message = "No such character."


class CharacterTierRequired(AppError):
    status_code = 403
    code = "tier_required"
    message = "This character needs a higher subscription tier."


class MinorAdultCharacter(InvalidInput):
    code = "character_minor_adult_content"
    message = "A character under 18 cannot have adult content enabled."
