"""memory: indexed messages, durable facts, session summaries, forget tombstones

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 12:01:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('memory_items',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('character_id', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('chunk_count', sa.Integer(), nullable=False),
    sa.Column('embedding_model', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('indexed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('user', 'assistant')", name=op.f('ck_memory_items_role_valid')),
    sa.CheckConstraint("status IN ('indexed', 'pending', 'failed')", name=op.f('ck_memory_items_status_valid')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memory_items_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memory_items'))
    )
    op.create_index(op.f('ix_memory_items_user_id_message_id'), 'memory_items', ['user_id', 'message_id'], unique=True)
    op.create_index(op.f('ix_memory_items_user_id_created_at_id'), 'memory_items', ['user_id', 'created_at', 'id'])
    op.create_index(op.f('ix_memory_items_user_id_session_id'), 'memory_items', ['user_id', 'session_id'])
    op.create_index(op.f('ix_memory_items_status_next_attempt_at'), 'memory_items', ['status', 'next_attempt_at'])

    op.create_table('memory_facts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('character_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=500), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('superseded_by_id', sa.Uuid(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_session_id', sa.Uuid(), nullable=True),
    sa.Column('source_message_id', sa.Uuid(), nullable=True),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('rules', 'llm', 'user')", name=op.f('ck_memory_facts_source_valid')),
    sa.CheckConstraint("status IN ('current', 'superseded')", name=op.f('ck_memory_facts_status_valid')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memory_facts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memory_facts'))
    )
    op.create_index('uq_memory_facts_current_key', 'memory_facts', ['user_id', 'key'], unique=True,
                    sqlite_where=sa.text("status = 'current'"), postgresql_where=sa.text("status = 'current'"))
    op.create_index(op.f('ix_memory_facts_user_id_created_at_id'), 'memory_facts', ['user_id', 'created_at', 'id'])
    op.create_index(op.f('ix_memory_facts_user_id_source_session_id'), 'memory_facts', ['user_id', 'source_session_id'])

    op.create_table('memory_session_summaries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('character_id', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('messages_covered', sa.Integer(), nullable=False),
    sa.Column('covered_through_message_id', sa.Uuid(), nullable=False),
    sa.Column('token_estimate', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memory_session_summaries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memory_session_summaries'))
    )
    op.create_index(op.f('ix_memory_session_summaries_session_id'), 'memory_session_summaries', ['session_id'], unique=True)
    op.create_index(op.f('ix_memory_session_summaries_user_id_created_at_id'), 'memory_session_summaries', ['user_id', 'created_at', 'id'])

    op.create_table('memory_tombstones',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('forgotten_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('vectors_deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memory_tombstones_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memory_tombstones'))
    )
    op.create_index(op.f('ix_memory_tombstones_user_id_session_id'), 'memory_tombstones', ['user_id', 'session_id'])
    op.create_index(op.f('ix_memory_tombstones_vectors_deleted_at_forgotten_at'), 'memory_tombstones', ['vectors_deleted_at', 'forgotten_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_memory_tombstones_vectors_deleted_at_forgotten_at'), table_name='memory_tombstones')
    op.drop_index(op.f('ix_memory_tombstones_user_id_session_id'), table_name='memory_tombstones')
    op.drop_table('memory_tombstones')
    op.drop_index(op.f('ix_memory_session_summaries_user_id_created_at_id'), table_name='memory_session_summaries')
    op.drop_index(op.f('ix_memory_session_summaries_session_id'), table_name='memory_session_summaries')
    op.drop_table('memory_session_summaries')
    op.drop_index(op.f('ix_memory_facts_user_id_source_session_id'), table_name='memory_facts')
    op.drop_index(op.f('ix_memory_facts_user_id_created_at_id'), table_name='memory_facts')
    op.drop_index('uq_memory_facts_current_key', table_name='memory_facts')
    op.drop_table('memory_facts')
    op.drop_index(op.f('ix_memory_items_status_next_attempt_at'), table_name='memory_items')
    op.drop_index(op.f('ix_memory_items_user_id_session_id'), table_name='memory_items')
    op.drop_index(op.f('ix_memory_items_user_id_created_at_id'), table_name='memory_items')
    op.drop_index(op.f('ix_memory_items_user_id_message_id'), table_name='memory_items')
    op.drop_table('memory_items')
