"""initial schema: users, wallets, ledger, holds, characters, chat, payments

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 04:49:32.439470
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('character_config',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('personality', sa.Text(), nullable=False),
    sa.Column('scenario', sa.Text(), nullable=False),
    sa.Column('greeting', sa.Text(), nullable=False),
    sa.Column('example_dialogue', sa.Text(), nullable=False),
    sa.Column('system_prompt', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('avatar_url', sa.String(length=500), nullable=True),
    sa.Column('tier_required', sa.String(length=16), server_default='free', nullable=False),
    sa.Column('adult_content', sa.Boolean(), nullable=False),
    sa.Column('age', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('sort_order', sa.Integer(), server_default='0', nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("tier_required IN ('free', 'premium', 'vip')", name=op.f('ck_character_config_tier_required_valid')),
    sa.CheckConstraint('age >= 18 OR NOT adult_content', name=op.f('ck_character_config_adult_content_needs_adult')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_character_config'))
    )
    op.create_table('users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('firebase_uid', sa.String(length=128), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('display_name', sa.String(length=100), nullable=True),
    sa.Column('tier', sa.String(length=16), server_default='free', nullable=False),
    sa.Column('tier_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("tier IN ('free', 'premium', 'vip')", name=op.f('ck_users_tier_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('firebase_uid', name=op.f('uq_users_firebase_uid'))
    )
    op.create_table('webhook_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('received', 'processed', 'ignored', 'failed')", name=op.f('ck_webhook_events_status_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events')),
    sa.UniqueConstraint('provider', 'event_id', name=op.f('uq_webhook_events_provider_event_id'))
    )
    op.create_table('chat_sessions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('character_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='active', nullable=False),
    sa.Column('message_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'archived')", name=op.f('ck_chat_sessions_status_valid')),
    sa.ForeignKeyConstraint(['character_id'], ['character_config.id'], name=op.f('fk_chat_sessions_character_id_character_config')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_chat_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_sessions'))
    )
    op.create_index(op.f('ix_chat_sessions_status_last_message_at'), 'chat_sessions', ['status', 'last_message_at'])
    op.create_index(op.f('ix_chat_sessions_user_id_last_message_at_id'), 'chat_sessions', ['user_id', 'last_message_at', 'id'])

    op.create_table('credit_holds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('rate_micro_per_token', sa.Integer(), nullable=False),
    sa.Column('amount_micro', sa.BigInteger(), nullable=False),
    sa.Column('charged_micro', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'settled', 'released', 'expired')", name=op.f('ck_credit_holds_status_valid')),
    sa.CheckConstraint('amount_micro > 0', name=op.f('ck_credit_holds_amount_positive')),
    sa.CheckConstraint('charged_micro >= 0', name=op.f('ck_credit_holds_charge_nonnegative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_credit_holds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_holds'))
    )
    op.create_index(op.f('ix_credit_holds_status_expires_at'), 'credit_holds', ['status', 'expires_at'])
    op.create_index(op.f('ix_credit_holds_user_id_created_at'), 'credit_holds', ['user_id', 'created_at'])

    op.create_table('payment_transactions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('provider_payment_id', sa.String(length=255), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('credits_micro', sa.BigInteger(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('failure_reason', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('credits', 'subscription')", name=op.f('ck_payment_transactions_kind_valid')),
    sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed', 'canceled', 'refunded')", name=op.f('ck_payment_transactions_status_valid')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_payment_transactions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_transactions')),
    sa.UniqueConstraint('provider', 'provider_payment_id', name=op.f('uq_payment_transactions_provider_provider_payment_id')),
    sa.UniqueConstraint('user_id', 'idempotency_key', name=op.f('uq_payment_transactions_user_id_idempotency_key'))
    )
    op.create_index(op.f('ix_payment_transactions_user_id_created_at'), 'payment_transactions', ['user_id', 'created_at'])

    op.create_table('subscriptions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('provider_subscription_id', sa.String(length=255), nullable=True),
    sa.Column('current_period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('current_period_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'canceled', 'expired')", name=op.f('ck_subscriptions_status_valid')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('provider', 'provider_subscription_id', name=op.f('uq_subscriptions_provider_provider_subscription_id'))
    )
    op.create_index(op.f('ix_subscriptions_status_current_period_end'), 'subscriptions', ['status', 'current_period_end'])
    op.create_index(op.f('ix_subscriptions_user_id_status'), 'subscriptions', ['user_id', 'status'])

    op.create_table('transaction_history',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('amount_micro', sa.BigInteger(), nullable=False),
    sa.Column('delta_daily_micro', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('delta_bonus_micro', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('delta_purchased_micro', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('balance_after_micro', sa.BigInteger(), nullable=False),
    sa.Column('reference_type', sa.String(length=32), nullable=True),
    sa.Column('reference_id', sa.String(length=64), nullable=True),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('daily_refresh', 'expiry', 'purchase', 'subscription_bonus', 'chat_charge', 'refund', 'admin_adjustment')", name=op.f('ck_transaction_history_kind_valid')),
    sa.CheckConstraint('amount_micro = delta_daily_micro + delta_bonus_micro + delta_purchased_micro', name=op.f('ck_transaction_history_amount_is_sum')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_transaction_history_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transaction_history')),
    sa.UniqueConstraint('user_id', 'kind', 'reference_id', name=op.f('uq_transaction_history_user_id_kind_reference_id'))
    )
    op.create_index(op.f('ix_transaction_history_user_id_created_at_id'), 'transaction_history', ['user_id', 'created_at', 'id'])

    op.create_table('user_wallet',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('daily_micro', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('bonus_micro', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('purchased_micro', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('held_micro', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('daily_date', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('bonus_micro >= 0', name=op.f('ck_user_wallet_bonus_nonnegative')),
    sa.CheckConstraint('daily_micro + bonus_micro + purchased_micro - held_micro >= 0', name=op.f('ck_user_wallet_no_overdraft')),
    sa.CheckConstraint('daily_micro >= 0', name=op.f('ck_user_wallet_daily_nonnegative')),
    sa.CheckConstraint('held_micro >= 0', name=op.f('ck_user_wallet_held_nonnegative')),
    sa.CheckConstraint('purchased_micro >= 0', name=op.f('ck_user_wallet_purchased_nonnegative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_wallet_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_user_wallet'))
    )
    op.create_table('chat_messages',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('token_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='complete', nullable=False),
    sa.Column('prompt_tokens', sa.Integer(), nullable=True),
    sa.Column('completion_tokens', sa.Integer(), nullable=True),
    sa.Column('credits_micro', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('model', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('user', 'assistant', 'system')", name=op.f('ck_chat_messages_role_valid')),
    sa.CheckConstraint("status IN ('complete', 'incomplete')", name=op.f('ck_chat_messages_status_valid')),
    sa.ForeignKeyConstraint(['session_id'], ['chat_sessions.id'], name=op.f('fk_chat_messages_session_id_chat_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_chat_messages_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_messages'))
    )
    op.create_index(op.f('ix_chat_messages_session_id_id'), 'chat_messages', ['session_id', 'id'])
    op.create_index(op.f('ix_chat_messages_user_id_created_at'), 'chat_messages', ['user_id', 'created_at'])



def downgrade() -> None:
    op.drop_index(op.f('ix_chat_messages_user_id_created_at'), table_name='chat_messages')
    op.drop_index(op.f('ix_chat_messages_session_id_id'), table_name='chat_messages')

    op.drop_table('chat_messages')
    op.drop_table('user_wallet')
    op.drop_index(op.f('ix_transaction_history_user_id_created_at_id'), table_name='transaction_history')

    op.drop_table('transaction_history')
    op.drop_index(op.f('ix_subscriptions_user_id_status'), table_name='subscriptions')
    op.drop_index(op.f('ix_subscriptions_status_current_period_end'), table_name='subscriptions')

    op.drop_table('subscriptions')
    op.drop_index(op.f('ix_payment_transactions_user_id_created_at'), table_name='payment_transactions')

    op.drop_table('payment_transactions')
    op.drop_index(op.f('ix_credit_holds_user_id_created_at'), table_name='credit_holds')
    op.drop_index(op.f('ix_credit_holds_status_expires_at'), table_name='credit_holds')

    op.drop_table('credit_holds')
    op.drop_index(op.f('ix_chat_sessions_user_id_last_message_at_id'), table_name='chat_sessions')
    op.drop_index(op.f('ix_chat_sessions_status_last_message_at'), table_name='chat_sessions')

    op.drop_table('chat_sessions')
    op.drop_table('webhook_events')
    op.drop_table('users')
    op.drop_table('character_config')
