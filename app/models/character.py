from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.models._columns import CreatedAt, UpdatedAt, in_list
from app.models.user import TIERS


class CharacterConfig(Base):
    """A persona users chat with. Characters are adults: the database refuses an adult-content
    character configured under 18."""

    __tablename__ = "character_config"
    __table_args__ = (
        CheckConstraint(in_list("tier_required", TIERS), name="tier_required_valid"),
        CheckConstraint("age >= 18 OR NOT adult_content", name="adult_content_needs_adult"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    personality: Mapped[str] = mapped_column(Text, nullable=False)
    scenario: Mapped[str] = mapped_column(Text, nullable=False, default="")
    greeting: Mapped[str] = mapped_column(Text, nullable=False)
    example_dialogue: Mapped[str] = mapped_column(Text, nullable=False, default="")
    system_prompt: Mapped[str] = mapped_column(Text, nullable=False)
    tags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    tier_required: Mapped[str] = mapped_column(
        String(16), nullable=False, default="free", server_default="free"
    )
    adult_content: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    age: Mapped[int] = mapped_column(Integer, nullable=False)
    is_active: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=true()
    )
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
