"""billing and market: index for the subscription expiry job

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-26 12:02:00

The expiry job (app/billing/jobs.py: expire_subscriptions) looks for users whose paid tier has
ended; a partial index on the paid users' expiry keeps that scan small (free users, the vast
majority, are not in it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_users_paid_tier_expires_at",
        "users",
        ["tier_expires_at"],
        postgresql_where=sa.text("tier <> 'free'"),
        sqlite_where=sa.text("tier <> 'free'"),
    )


def downgrade() -> None:
    op.drop_index("ix_users_paid_tier_expires_at", table_name="users")
