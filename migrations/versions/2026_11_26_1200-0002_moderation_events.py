"""moderation events: flagged and blocked decisions (hash of the normalised text, never the text)

Revision ID: 0002
Revises: 0004
Create Date: 2026-11-26 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0002"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "moderation_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("excerpt_hash", sa.String(length=64), nullable=False),
        sa.Column("classifier", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "direction IN ('input', 'output')", name=op.f("ck_moderation_events_direction_valid")
        ),
        sa.CheckConstraint(
            "action IN ('flag', 'block')", name=op.f("ck_moderation_events_action_valid")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_moderation_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_events")),
    )
    op.create_index(
        op.f("ix_moderation_events_user_id_created_at"),
        "moderation_events",
        ["user_id", "created_at"],
    )
    op.create_index(op.f("ix_moderation_events_created_at"), "moderation_events", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_moderation_events_created_at"), table_name="moderation_events")
    op.drop_index(op.f("ix_moderation_events_user_id_created_at"), table_name="moderation_events")
    op.drop_table("moderation_events")
