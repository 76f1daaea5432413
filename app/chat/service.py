"""Chat: sessions, history, and the path of one message (../shared/DESIGN.md).

complete() is the product's hot loop. Each step is one call with one job:
load context -> (daily refresh, rare) -> character prompt (cached) -> build prompt -> hold ->
model -> settle (exact usage, both messages, ledger: one statement). Money rules:
- nothing is charged or stored if the model fails; the hold is released;
- once the model has answered, settling is shielded from the client going away: the reply was
  generated and is paid for exactly once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.errors import AccountDisabled
from app.auth.service import Principal
from app.billing.errors import InsufficientCredits
from app.billing.service import wallet_service
from app.billing.tiers import TIERS, effective_tier
from app.characters.errors import CharacterTierRequired
from app.characters.service import CharacterPrompt, CharacterService
from app.chat.errors import MessageTooLongForContext, SessionNotFound
from app.chat.hot_repository import (
    ChatContext,
    HoldRequest,
    HotPathRepository,
    SettleRequest,
    SettleResult,
    TurnRequest,
)
from app.chat.prompt import PromptPlan, build_prompt
from app.chat.repository import ChatRepository
from app.kit import metrics
from app.kit.clock import utcnow
from app.kit.db import current_user_id
from app.kit.errors import AppError
from app.kit.ids import uuid7
from app.kit.pagination import (
    InvalidCursor,
    Page,
    decode_cursor,
    decode_keyset,
    encode_cursor,
    encode_keyset,
)
from app.llm.base import LLMProvider, Usage
from app.llm.tokens import MESSAGE_OVERHEAD_TOKENS, REPLY_PRIMING_TOKENS, estimate_tokens
from app.memory.service import MemoryService
from app.models import CharacterConfig, ChatMessage, ChatSession, User
from app.moderation import ContentBlocked, ModerationService
from app.ratelimit import Decision, RateLimiter, check_chat
from app.settings import Settings
from app.skins.registry import UNRESTRICTED, Skin

log = logging.getLogger(__name__)

TIER_RANK = {"free": 0, "premium": 1, "vip": 2}
RATES = {name: rules.micro_per_token for name, rules in TIERS.items()}


def outcome_of(exc: BaseException) -> str:
    """A bounded label for a failed model call."""
    if isinstance(exc, AppError):
        return exc.code
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return "error"


def tier_allows(tier: str, required: str) -> bool:
    return TIER_RANK[tier] >= TIER_RANK[required]


@dataclass(slots=True)
class CompletionResult:
    session_id: uuid.UUID
    user_message_id: uuid.UUID
    user_content: str
    user_tokens: int
    user_created_at: dt.datetime
    assistant_message_id: uuid.UUID
    assistant_content: str
    assistant_status: str
    assistant_created_at: dt.datetime
    usage: Usage
    model: str
    finish_reason: str | None
    settled: SettleResult
    rate_limit: Decision


@dataclass(slots=True)
class PreparedTurn:
    """Everything decided before the model is called, with the hold placed."""

    principal: Principal
    session_id: uuid.UUID
    tier: str
    text: str
    user_tokens: int
    user_created_at: dt.datetime
    plan: PromptPlan
    max_tokens: int
    hold_id: uuid.UUID
    rate_micro_per_token: int
    # Chosen up front so settling is idempotent (a second insert of the same ids fails) and a
    # stream can announce them before the reply is complete.
    user_message_id: uuid.UUID
    assistant_message_id: uuid.UUID
    rate_limit: Decision
    character_id: str


class ChatService:
    def __init__(
        self,
        *,
        hot: HotPathRepository,
        llm: LLMProvider,
        characters: CharacterService,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        ratelimiter: RateLimiter,
        moderation: ModerationService,
        memory: MemoryService,
    ) -> None:
        self.ratelimiter = ratelimiter
        self.moderation = moderation
        self.memory = memory
        self.hot = hot
        self.llm = llm
        self.characters = characters
        self._sessionmaker = sessionmaker
        self._settings = settings

    # ------------------------------------------------------------------ sessions (ORM)

    async def create_session(
        self,
        session: AsyncSession,
        user: User,
        *,
        character_id: str,
        title: str | None,
        skin: Skin = UNRESTRICTED,
    ) -> tuple[ChatSession, CharacterConfig, ChatMessage]:
        """A new conversation; the character's greeting is its first message.

        Only with a character the calling app (skin) shows. Sessions that exist keep working
        whatever app continues them."""
        character = await self.characters.get(session, character_id, skin=skin)
        tier = effective_tier(user.tier, user.tier_expires_at, utcnow())
        if not tier_allows(tier, character.tier_required):
            raise CharacterTierRequired(required=character.tier_required, tier=tier)
        now = utcnow()
        chat = ChatSession(
            id=uuid7(),
            user_id=user.id,
            character_id=character.id,
            title=title or f"Chat with {character.name}",
            status="active",
            message_count=1,
            created_at=now,
            updated_at=now,
            last_message_at=now,
        )
        greeting = ChatMessage(
            id=uuid7(),
            session_id=chat.id,
            user_id=user.id,
            role="assistant",
            content=character.greeting,
            token_count=estimate_tokens(character.greeting),
            status="complete",
            credits_micro=0,
            created_at=now,
        )
        repo = ChatRepository(session)
        repo.add(chat)
        await repo.flush()
        repo.add(greeting)
        await repo.flush()
        return chat, character, greeting

    async def get_session(
        self, session: AsyncSession, user: User, session_id: uuid.UUID
    ) -> ChatSession:
        chat = await ChatRepository(session).get_session(user.id, session_id)
        if chat is None:
            raise SessionNotFound()
        return chat

    async def list_sessions(
        self,
        session: AsyncSession,
        user: User,
        *,
        cursor: str | None,
        limit: int,
        character_id: str | None = None,
    ) -> Page[ChatSession]:
        before = decode_keyset(cursor) if cursor else None
        rows = list(
            await ChatRepository(session).list_sessions(
                user.id, limit=limit + 1, before=before, character_id=character_id
            )
        )
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = encode_keyset(rows[-1].last_message_at, rows[-1].id)
        return Page(items=rows, next_cursor=next_cursor)

    async def list_messages(
        self,
        session: AsyncSession,
        user: User,
        session_id: uuid.UUID,
        *,
        cursor: str | None,
        limit: int,
    ) -> Page[ChatMessage]:
        await self.get_session(session, user, session_id)
        before = None
        if cursor:
            (raw,) = decode_cursor(cursor, 1)
            try:
                before = uuid.UUID(raw)
            except (TypeError, ValueError, AttributeError) as exc:
                raise InvalidCursor() from exc
        rows = list(
            await ChatRepository(session).list_messages(session_id, limit=limit + 1, before=before)
        )
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = encode_cursor(str(rows[-1].id))
        return Page(items=rows, next_cursor=next_cursor)

    async def delete_session(
        self, session: AsyncSession, user: User, session_id: uuid.UUID
    ) -> None:
        """Delete a session, its messages, and everything memory learned from it."""
        await self.get_session(session, user, session_id)
        await ChatRepository(session).delete_session(session_id)
        await self.memory.forget_session(user.id, session_id, db=session)

    # ------------------------------------------------------------------ the hot path

    async def prepare(
        self, principal: Principal, *, session_id: uuid.UUID, text: str, max_tokens: int | None
    ) -> PreparedTurn:
        """Everything before the model call: checks, the hold (402 if unaffordable) and the
        prompt. Two round trips on the common path: the rate limit (Redis) and begin_turn (the
        context and the hold in one statement)."""
        s = self._settings
        now = utcnow()
        user_id = principal.user_id
        # Everything below acts for this user (row-level security on the sessions that the
        # daily refresh, memory and moderation open).
        current_user_id.set(user_id)
        # Input moderation first: a blocked message is refused (422) before anything is held,
        # read or sent.
        await self.moderation.check_input(user_id=user_id, session_id=session_id, text=text)
        out_tokens = min(max_tokens or s.CHAT_MAX_OUTPUT_TOKENS, s.CHAT_MAX_OUTPUT_TOKENS)
        user_tokens = estimate_tokens(text)
        hold_id = uuid7()
        expires_at = now + dt.timedelta(seconds=s.HOLD_TTL_SECONDS)
        system_tokens = await self.characters.max_system_tokens()
        start = await self.hot.begin_turn(
            TurnRequest(
                session_id=session_id,
                user_id=user_id,
                history_limit=s.CHAT_HISTORY_MESSAGES,
                hold_id=hold_id,
                base_tokens=system_tokens
                + user_tokens
                + MESSAGE_OVERHEAD_TOKENS
                + REPLY_PRIMING_TOKENS,
                memory_tokens=s.MEMORY_TOKEN_BUDGET + MESSAGE_OVERHEAD_TOKENS,
                max_out=out_tokens,
                context_tokens=s.CHAT_CONTEXT_TOKENS,
                rates=RATES,
                today=now.date(),
                now=now,
                expires_at=expires_at,
            )
        )
        if start is None:
            raise SessionNotFound()
        ctx, tier = start.context, start.tier
        held = start.placed
        try:
            if not ctx.is_active:
                raise AccountDisabled()
            # Per-tier requests per minute (the tier lives in the row just read); refused: 429
            # and the hold goes back: the request cost nothing.
            rate_limit = await check_chat(self.ratelimiter, user_id, tier)
            if not held:
                short = start.available
                if ctx.daily_date != now.date():
                    # The first message of the UTC day: refresh the allowance, then hold.
                    await self._refresh_daily(user_id, tier)
                    short = await self.hot.place_hold(
                        HoldRequest(
                            hold_id=hold_id,
                            user_id=user_id,
                            session_id=session_id,
                            tier=tier,
                            rate_micro_per_token=start.rate,
                            amount_micro=start.hold_micro,
                            now=now,
                            expires_at=expires_at,
                        )
                    )
                    held = short is None
                if not held:
                    raise InsufficientCredits(
                        needed_micro=start.hold_micro, available_micro=short or 0
                    )
            character = await self.characters.prompt(ctx.character_id)
            if not tier_allows(tier, character.tier_required):
                raise CharacterTierRequired(required=character.tier_required, tier=tier)
            # Long-term memory (premium/vip; None for free at no cost): inside the prompt,
            # within the budget the hold reserved for it.
            memory = await self.memory.build_context(
                user_id=user_id,
                tier=tier,
                session_id=session_id,
                character_id=ctx.character_id,
                query=text,
                recent_texts=[content for _, content, _ in ctx.history],
                token_budget=s.MEMORY_TOKEN_BUDGET,
            )
            plan = self._plan(ctx, character, text, out_tokens, memory.text if memory else None)
        except BaseException:
            if held:
                await self._release(hold_id, user_id)
            raise
        return PreparedTurn(
            principal=principal,
            session_id=session_id,
            tier=tier,
            text=text,
            user_tokens=user_tokens,
            user_created_at=now,
            plan=plan,
            max_tokens=out_tokens,
            hold_id=hold_id,
            rate_micro_per_token=start.rate,
            user_message_id=uuid7(),
            assistant_message_id=uuid7(),
            rate_limit=rate_limit,
            character_id=ctx.character_id,
        )

    def _plan(
        self,
        ctx: ChatContext,
        character: CharacterPrompt,
        text: str,
        out_tokens: int,
        memory_text: str | None = None,
    ) -> PromptPlan:
        s = self._settings
        user_tokens = estimate_tokens(text)
        plan = build_prompt(
            character,
            ctx.history,
            text,
            user_tokens=user_tokens,
            context_tokens=s.CHAT_CONTEXT_TOKENS,
            max_output_tokens=out_tokens,
            extra_system=memory_text,
        )
        if plan.estimated_tokens + out_tokens > s.CHAT_CONTEXT_TOKENS:
            raise MessageTooLongForContext(
                estimated_tokens=plan.estimated_tokens, context_tokens=s.CHAT_CONTEXT_TOKENS
            )
        return plan

    async def complete(
        self, principal: Principal, *, session_id: uuid.UUID, text: str, max_tokens: int | None
    ) -> CompletionResult:
        turn = await self.prepare(
            principal, session_id=session_id, text=text, max_tokens=max_tokens
        )
        started = time.perf_counter()
        try:
            completion = await self.llm.complete(turn.plan.messages, max_tokens=turn.max_tokens)
        except BaseException as exc:
            metrics.observe_llm(self.llm.name, self.llm.model, outcome_of(exc), started)
            await self.release(turn)
            raise
        metrics.observe_llm(self.llm.name, self.llm.model, "ok", started)
        verdict = await self.moderation.check_output(
            user_id=principal.user_id, session_id=session_id, text=completion.text
        )
        if verdict.blocked:
            # A withheld reply is neither stored nor charged.
            await self.release(turn)
            raise ContentBlocked.of(verdict, direction="output")
        return await self.settle(
            turn,
            content=completion.text,
            usage=completion.usage,
            model=completion.model,
            finish_reason=completion.finish_reason,
            status="complete",
        )

    async def settle(
        self,
        turn: PreparedTurn,
        *,
        content: str,
        usage: Usage,
        model: str,
        finish_reason: str | None,
        status: str,
    ) -> CompletionResult:
        """Charge the exact usage and store both messages, in one statement.

        Shielded: if the client disconnects now, the reply it was generated for is still
        stored and charged once (and a crash here leaves an open hold for the sweeper).
        """
        now = utcnow()
        req = SettleRequest(
            hold_id=turn.hold_id,
            user_id=turn.principal.user_id,
            session_id=turn.session_id,
            charge_micro=usage.total_tokens * turn.rate_micro_per_token,
            user_message_id=turn.user_message_id,
            user_content=turn.text,
            user_tokens=turn.user_tokens,
            user_created_at=turn.user_created_at,
            assistant_message_id=turn.assistant_message_id,
            assistant_content=content,
            assistant_status=status,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            model=model,
            now=now,
        )
        settled = await asyncio.shield(self.hot.settle(req))
        metrics.count_tokens(
            self.llm.name, self.llm.model, usage.prompt_tokens, usage.completion_tokens
        )
        metrics.credits_series(turn.tier).inc(settled.charged_micro)
        # Committed: queue both messages for long-term memory (background; free tier: no-op).
        self.memory.enqueue_exchange(
            user_id=turn.principal.user_id,
            tier=turn.tier,
            session_id=turn.session_id,
            character_id=turn.character_id,
            user_message_id=turn.user_message_id,
            user_text=turn.text,
            assistant_message_id=turn.assistant_message_id,
            assistant_text=content,
            created_at=turn.user_created_at,
        )
        return CompletionResult(
            session_id=turn.session_id,
            user_message_id=req.user_message_id,
            user_content=turn.text,
            user_tokens=turn.user_tokens,
            user_created_at=turn.user_created_at,
            assistant_message_id=req.assistant_message_id,
            assistant_content=content,
            assistant_status=status,
            assistant_created_at=now,
            usage=usage,
            model=model,
            finish_reason=finish_reason,
            settled=settled,
            rate_limit=turn.rate_limit,
        )

    async def release(self, turn: PreparedTurn) -> None:
        """Give back a turn's hold (the model failed before any token, or the reply was
        withheld). Shielded; on failure the sweeper releases it at its deadline."""
        await self._release(turn.hold_id, turn.principal.user_id)

    async def _release(self, hold_id: uuid.UUID, user_id: uuid.UUID) -> None:
        try:
            await asyncio.shield(self.hot.release_hold(hold_id, user_id, utcnow()))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(
                "hold release failed; the sweeper will release it", extra={"hold_id": str(hold_id)}
            )

    async def _refresh_daily(self, user_id: uuid.UUID, tier: str) -> None:
        async with self._sessionmaker() as session:
            await wallet_service.ensure_daily(session, user_id, tier)
            await session.commit()
