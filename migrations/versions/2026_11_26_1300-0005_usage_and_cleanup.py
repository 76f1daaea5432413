"""usage and cleanup: usage_daily (hourly analytics) and a time index on chat_messages

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-26 13:00:00

usage_daily is rebuilt per UTC day from the messages by analytics.aggregate_usage
(app/analytics/jobs.py). The aggregation reads chat_messages by created_at: a BRIN index on
PostgreSQL (messages arrive in time order: tiny, nearly free for the insert path), a B-tree on
SQLite. The idle-session cleanup (chat.archive_idle_sessions) uses the existing
ix_chat_sessions_status_last_message_at.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("character_id", sa.String(length=64), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.Column("credits_micro", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("active_users", sa.Integer(), nullable=False),
        sa.Column("aggregated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "tier IN ('free', 'premium', 'vip')", name=op.f("ck_usage_daily_tier_valid")
        ),
        sa.PrimaryKeyConstraint("day", "tier", "character_id", name=op.f("pk_usage_daily")),
    )
    op.create_index(
        "ix_chat_messages_created_at",
        "chat_messages",
        ["created_at"],
        postgresql_using="brin",
    )


def downgrade() -> None:
    op.drop_index("ix_chat_messages_created_at", table_name="chat_messages")
    op.drop_table("usage_daily")
