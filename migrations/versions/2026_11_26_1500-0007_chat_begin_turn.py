"""chat_begin_turn: the chat hot path's first statement reads the context and places the hold

One PL/pgSQL call instead of two (chat_load_context, then chat_place_hold): the session, the
user's tier, the wallet's day and the recent history are read, the worst case of the prompt is
computed from them (capped at the context window), and the hold is placed, in one round trip.
The hold is only placed when the wallet's daily allowance is today's (otherwise the caller
refreshes it first, then places the hold with chat_place_hold). PostgreSQL only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEGIN_TURN = """
CREATE OR REPLACE FUNCTION chat_begin_turn(
    p_session_id uuid, p_user_id uuid, p_history_limit int, p_hold_id uuid,
    p_base_tokens int, p_memory_tokens int, p_max_out int, p_context_tokens int,
    p_rate_free int, p_rate_premium int, p_rate_vip int,
    p_today date, p_now timestamptz, p_expires_at timestamptz)
RETURNS TABLE (tier text, tier_expires_at timestamptz, is_active boolean, daily_date date,
               character_id text, session_status text, history text, effective_tier text,
               rate int, hold_micro bigint, placed boolean, available bigint)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    v_tier text;
    v_expires timestamptz;
    v_active boolean;
    v_day date;
    v_character text;
    v_status text;
    v_history text;
    v_history_tokens bigint;
    v_effective text;
    v_rate int;
    v_amount bigint;
    v_placed boolean := false;
    v_available bigint := NULL;
BEGIN
    PERFORM set_config('app.user_id', p_user_id::text, true);
    SELECT u.tier, u.tier_expires_at, u.is_active, w.daily_date, s.character_id, s.status
      INTO v_tier, v_expires, v_active, v_day, v_character, v_status
      FROM chat_sessions s
      JOIN users u ON u.id = s.user_id
      JOIN user_wallet w ON w.user_id = s.user_id
     WHERE s.id = p_session_id AND s.user_id = p_user_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT COALESCE(json_agg(json_build_array(m.role, m.content, m.token_count)
                             ORDER BY m.id DESC), '[]'::json)::text,
           COALESCE(sum(m.token_count + 4), 0)
      INTO v_history, v_history_tokens
      FROM (SELECT id, role, content, token_count FROM chat_messages
             WHERE session_id = p_session_id ORDER BY id DESC LIMIT p_history_limit) m;
    v_effective := CASE WHEN v_tier <> 'free' AND v_expires IS NOT NULL AND v_expires <= p_now
                        THEN 'free' ELSE v_tier END;
    v_rate := CASE v_effective WHEN 'vip' THEN p_rate_vip WHEN 'premium' THEN p_rate_premium
                               ELSE p_rate_free END;
    -- The worst case: everything the prompt could hold (capped at the window) plus the reply.
    v_amount := (LEAST(p_context_tokens - p_max_out,
                       p_base_tokens + v_history_tokens
                       + CASE WHEN v_effective = 'free' THEN 0 ELSE p_memory_tokens END)
                 + p_max_out)::bigint * v_rate;
    IF v_active AND v_day IS NOT DISTINCT FROM p_today THEN
        UPDATE user_wallet SET held_micro = held_micro + v_amount
         WHERE user_id = p_user_id
           AND daily_micro + bonus_micro + purchased_micro - held_micro >= v_amount;
        IF FOUND THEN
            INSERT INTO credit_holds (id, user_id, session_id, tier, rate_micro_per_token,
                                      amount_micro, charged_micro, status, created_at, expires_at)
            VALUES (p_hold_id, p_user_id, p_session_id, v_effective, v_rate, v_amount, 0, 'open',
                    p_now, p_expires_at);
            v_placed := true;
        ELSE
            -- A new statement, a new snapshot: the balance as it is now.
            SELECT daily_micro + bonus_micro + purchased_micro - held_micro INTO v_available
              FROM user_wallet WHERE user_id = p_user_id;
        END IF;
    END IF;
    RETURN QUERY SELECT v_tier, v_expires, v_active, v_day, v_character, v_status, v_history,
                        v_effective, v_rate, v_amount, v_placed, v_available;
END
$fn$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(BEGIN_TURN)
    op.execute(
        "GRANT EXECUTE ON FUNCTION chat_begin_turn(uuid, uuid, int, uuid, int, int, int, int, "
        "int, int, int, date, timestamptz, timestamptz) TO companion_app, companion_jobs"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "DROP FUNCTION IF EXISTS chat_begin_turn(uuid, uuid, int, uuid, int, int, int, int, "
        "int, int, int, date, timestamptz, timestamptz)"
    )
