"""row-level security: per-user policies on user-owned tables; the chat hot path as functions

PostgreSQL only (SQLite has no row-level security; the migration does nothing there).

- Two group roles: `companion_app` (the API: sees only the rows of the user named by the
  transaction-local setting `app.user_id`) and `companion_jobs` (background jobs and webhooks:
  every row). Operators create login roles as members of one of them (docs/OPERATIONS.md).
- Every user-owned table gets FORCE ROW LEVEL SECURITY and those two policies. A query without
  the setting, or with another user's, sees and changes nothing.
- The chat hot path's statements become PL/pgSQL functions that set `app.user_id` first: the
  setting and the statement travel in one round trip (the same cost as before), instead of a
  transaction of BEGIN / set_config / statement / COMMIT (four).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USER_TABLES = (
    "chat_sessions",
    "chat_messages",
    "user_wallet",
    "transaction_history",
    "payment_transactions",
    "credit_holds",
    "subscriptions",
    "moderation_events",
    "memory_items",
    "memory_facts",
    "memory_session_summaries",
    "memory_tombstones",
)

ROLES = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'companion_app') THEN
        CREATE ROLE companion_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'companion_jobs') THEN
        CREATE ROLE companion_jobs NOLOGIN;
    END IF;
END
$$;
"""

CURRENT_USER_FN = """
CREATE OR REPLACE FUNCTION app_user_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT NULLIF(current_setting('app.user_id', true), '')::uuid
$$;
"""

HOT_PATH_FUNCTIONS = """
CREATE OR REPLACE FUNCTION chat_load_context(
    p_session_id uuid, p_user_id uuid, p_history_limit int)
RETURNS TABLE (tier text, tier_expires_at timestamptz, is_active boolean, daily_date date,
               character_id text, session_status text, history text)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    PERFORM set_config('app.user_id', p_user_id::text, true);
    RETURN QUERY
    SELECT u.tier::text, u.tier_expires_at, u.is_active, w.daily_date, s.character_id::text,
           s.status::text,
           (SELECT COALESCE(json_agg(json_build_array(m.role, m.content, m.token_count)
                                     ORDER BY m.id DESC), '[]'::json)::text
              FROM (SELECT id, role, content, token_count FROM chat_messages
                     WHERE session_id = s.id ORDER BY id DESC LIMIT p_history_limit) m) AS history
      FROM chat_sessions s
      JOIN users u ON u.id = s.user_id
      JOIN user_wallet w ON w.user_id = s.user_id
     WHERE s.id = p_session_id AND s.user_id = p_user_id;
END
$fn$;

CREATE OR REPLACE FUNCTION chat_place_hold(p_hold_id uuid, p_user_id uuid, p_amount bigint,
    p_session_id uuid, p_tier text, p_rate int, p_now timestamptz, p_expires_at timestamptz)
RETURNS bigint
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE placed bigint;
BEGIN
    PERFORM set_config('app.user_id', p_user_id::text, true);
    WITH w AS (
        UPDATE user_wallet SET held_micro = held_micro + p_amount
         WHERE user_id = p_user_id
           AND daily_micro + bonus_micro + purchased_micro - held_micro >= p_amount
        RETURNING user_id
    ), h AS (
        INSERT INTO credit_holds (id, user_id, session_id, tier, rate_micro_per_token,
                                  amount_micro, charged_micro, status, created_at, expires_at)
        SELECT p_hold_id, user_id, p_session_id, p_tier, p_rate, p_amount, 0, 'open', p_now, p_expires_at FROM w
        RETURNING id
    )
    SELECT count(*) INTO placed FROM h;
    RETURN placed;
END
$fn$;

CREATE OR REPLACE FUNCTION chat_available(p_user_id uuid) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE available bigint;
BEGIN
    PERFORM set_config('app.user_id', p_user_id::text, true);
    SELECT daily_micro + bonus_micro + purchased_micro - held_micro INTO available
      FROM user_wallet WHERE user_id = p_user_id;
    RETURN available;
END
$fn$;

-- Row locks (hold, then wallet: the sweeper locks in the same order) make the arithmetic see
-- the latest committed balances; every write is in this one call's transaction. A hold the
-- sweeper expired can still be settled late (charged from the available balance, capped so
-- nothing goes negative); a hold already settled or released returns no row: idempotent.
CREATE OR REPLACE FUNCTION chat_settle(p_hold_id uuid, p_user_id uuid, p_charge bigint,
    p_now timestamptz, p_user_message_id uuid, p_session_id uuid, p_user_content text,
    p_user_tokens int, p_user_created_at timestamptz, p_assistant_message_id uuid,
    p_assistant_content text, p_assistant_status text, p_completion_tokens int,
    p_prompt_tokens int, p_model text, p_ledger_id uuid)
RETURNS TABLE (charged bigint, daily bigint, bonus bigint, purchased bigint, held bigint)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    PERFORM set_config('app.user_id', p_user_id::text, true);
    RETURN QUERY
    WITH h0 AS (
        SELECT CASE WHEN status = 'open' THEN amount_micro ELSE 0 END AS hold_amt
          FROM credit_holds WHERE id = p_hold_id AND status IN ('open', 'expired') FOR UPDATE
    ), w0 AS (
        -- (the sub-select makes PostgreSQL lock the hold, h0, before the wallet)
        SELECT daily_micro, bonus_micro, purchased_micro, held_micro
          FROM user_wallet WHERE user_id = p_user_id AND (SELECT count(*) FROM h0) >= 0 FOR UPDATE
    ), c2 AS (
        SELECT w0.*, h0.hold_amt, GREATEST(0, LEAST(p_charge::bigint,
                   daily_micro + bonus_micro + purchased_micro - held_micro + h0.hold_amt)) AS ch
          FROM w0, h0
    ), c3 AS (
        SELECT c2.*, LEAST(daily_micro, ch) AS dd,
               LEAST(bonus_micro, ch - LEAST(daily_micro, ch)) AS db
          FROM c2
    ), w AS (
        UPDATE user_wallet
           SET daily_micro = c3.daily_micro - c3.dd,
               bonus_micro = c3.bonus_micro - c3.db,
               purchased_micro = c3.purchased_micro - (c3.ch - c3.dd - c3.db),
               held_micro = c3.held_micro - c3.hold_amt,
               updated_at = p_now
          FROM c3
         WHERE user_wallet.user_id = p_user_id
        RETURNING user_wallet.daily_micro, user_wallet.bonus_micro, user_wallet.purchased_micro,
                  user_wallet.held_micro, c3.ch, c3.dd, c3.db, c3.ch - c3.dd - c3.db AS dp
    ), h AS (
        UPDATE credit_holds SET status = 'settled', charged_micro = w.ch, closed_at = p_now
          FROM w WHERE credit_holds.id = p_hold_id AND credit_holds.status IN ('open', 'expired')
    ), um AS (
        INSERT INTO chat_messages (id, session_id, user_id, role, content, token_count, status,
                                   credits_micro, created_at)
        SELECT p_user_message_id, p_session_id, p_user_id, 'user', p_user_content, p_user_tokens, 'complete', 0, p_user_created_at FROM w
    ), am AS (
        INSERT INTO chat_messages (id, session_id, user_id, role, content, token_count, status,
                                   prompt_tokens, completion_tokens, credits_micro, model, created_at)
        SELECT p_assistant_message_id, p_session_id, p_user_id, 'assistant', p_assistant_content, p_completion_tokens, p_assistant_status, p_prompt_tokens, p_completion_tokens, w.ch, p_model, p_now FROM w
    ), l AS (
        INSERT INTO transaction_history (id, user_id, kind, amount_micro, delta_daily_micro,
                                         delta_bonus_micro, delta_purchased_micro,
                                         balance_after_micro, reference_type, reference_id,
                                         description, created_at)
        SELECT p_ledger_id, p_user_id, 'chat_charge', -w.ch, -w.dd, -w.db, -w.dp,
               w.daily_micro + w.bonus_micro + w.purchased_micro, 'message', p_assistant_message_id::text,
               'Chat reply', p_now
          FROM w WHERE w.ch > 0
    ), s AS (
        UPDATE chat_sessions
           SET message_count = message_count + 2, last_message_at = p_now, updated_at = p_now,
               status = 'active'
         WHERE id = p_session_id AND EXISTS (SELECT 1 FROM w)
    )
    SELECT ch, daily_micro, bonus_micro, purchased_micro, held_micro FROM w;
END
$fn$;

CREATE OR REPLACE FUNCTION chat_release_hold(p_hold_id uuid, p_user_id uuid, p_now timestamptz)
RETURNS boolean
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE released int;
BEGIN
    PERFORM set_config('app.user_id', p_user_id::text, true);
    WITH h AS (
        UPDATE credit_holds SET status = 'released', closed_at = p_now
         WHERE id = p_hold_id AND user_id = p_user_id AND status = 'open'
        RETURNING user_id, amount_micro
    ), w AS (
        UPDATE user_wallet SET held_micro = user_wallet.held_micro - h.amount_micro
          FROM h WHERE user_wallet.user_id = h.user_id
        RETURNING 1
    )
    SELECT count(*) INTO released FROM w;
    RETURN released > 0;
END
$fn$;
"""

HOT_PATH_SIGNATURES = (
    "chat_load_context(uuid, uuid, int)",
    "chat_place_hold(uuid, uuid, bigint, uuid, text, int, timestamptz, timestamptz)",
    "chat_available(uuid)",
    "chat_settle(uuid, uuid, bigint, timestamptz, uuid, uuid, text, int, timestamptz, uuid, "
    "text, text, int, int, text, uuid)",
    "chat_release_hold(uuid, uuid, timestamptz)",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(ROLES)
    op.execute(CURRENT_USER_FN)
    # One statement per execute (asyncpg prepares each): the functions are split on their ends.
    for statement in HOT_PATH_FUNCTIONS.split("$fn$;"):
        if statement.strip() and "FUNCTION" in statement:
            op.execute(statement + "$fn$;")
    op.execute("GRANT USAGE ON SCHEMA public TO companion_app, companion_jobs")
    op.execute(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
        "TO companion_app, companion_jobs"
    )
    op.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO companion_app, companion_jobs")
    for table in USER_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY user_rows ON {table} TO companion_app "
            "USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id())"
        )
        op.execute(
            f"CREATE POLICY all_rows ON {table} TO companion_jobs USING (true) WITH CHECK (true)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in USER_TABLES:
        op.execute(f"DROP POLICY IF EXISTS all_rows ON {table}")
        op.execute(f"DROP POLICY IF EXISTS user_rows ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for signature in HOT_PATH_SIGNATURES:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute("DROP FUNCTION IF EXISTS app_user_id()")
    # The roles are cluster-wide (other databases may use them) and stay; their privileges on
    # this database go.
    op.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM companion_app, companion_jobs")
    op.execute("REVOKE USAGE ON SCHEMA public FROM companion_app, companion_jobs")
