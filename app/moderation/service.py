"""ModerationService: what the chat path calls, and the OutputGuard for streamed replies.

- check_input: before anything is held or sent to the model; raises ContentBlocked (422,
  nothing charged) when the policy blocks the message.
- check_output: a complete reply, before it is stored or shown; returns the verdict (the caller
  withholds a blocked reply).
- output_guard: a streamed reply, delta by delta; each delta is screened, and the rules run over
  a bounded tail window only after a trigger word, so a long stream costs O(n). finish() checks
  the whole reply once with the full pipeline (remote classifier included).

Every decision above allow is logged and written to moderation_events (the SHA-256 of the
normalised text, never the text) in a short session of its own: the decision does not depend on
the request's transaction, and a failed write is logged and counted, never turned into a 500.
The allow path writes nothing and allocates nothing but the counter increment.
"""

from __future__ import annotations

import hashlib
import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.clock import utcnow
from app.kit.ids import uuid7
from app.models.moderation_event import ModerationEvent
from app.moderation.errors import ContentBlocked
from app.moderation.local import LocalPolicyEngine
from app.moderation.metrics import ALLOWED, DECISIONS, EVENT_WRITE_ERRORS
from app.moderation.normalize import fold
from app.moderation.openai_classifier import OpenAIModerationClassifier
from app.moderation.pipeline import ModerationPipeline
from app.moderation.repository import ModerationRepository
from app.moderation.screen import (
    CATEGORY_TRIGGERS,
    CHILD_DIRECT,
    CHILD_SEXUAL,
    CLEAN,
    COMPLETION_BYTES,
    MINOR_SIGNAL_BYTES,
    screen,
    stream_words,
)
from app.moderation.verdict import Action, Category, Direction, Verdict, allow_verdict, combine
from app.settings import Settings

log = logging.getLogger(__name__)

# Characters of the previous text screened again with each delta: a word split across two
# deltas ("ki" + "ll"), or spaced letters, are seen whole.
GUARD_OVERLAP_CHARS = 32


def excerpt_hash(engine: LocalPolicyEngine, text: str) -> str:
    """SHA-256 of the normalised text: obfuscations of one message hash alike."""
    return hashlib.sha256(engine.canonical(text).encode()).hexdigest()


class ModerationService:
    def __init__(
        self,
        pipeline: ModerationPipeline,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        stream_window: int = 320,
    ) -> None:
        self.pipeline = pipeline
        self.engine = pipeline.local
        self._sessionmaker = sessionmaker
        self.stream_window = stream_window

    async def check_input(
        self, *, user_id: uuid.UUID, session_id: uuid.UUID | None, text: str
    ) -> Verdict:
        """The verdict for a user's message; raises ContentBlocked when it is blocked."""
        verdict = await self.pipeline.classify(text, direction="input")
        await self._decided(verdict, "input", user_id, session_id, text)
        if verdict.blocked:
            raise ContentBlocked.of(verdict, direction="input")
        return verdict

    async def check_output(
        self, *, user_id: uuid.UUID, session_id: uuid.UUID | None, text: str
    ) -> Verdict:
        """The verdict for a complete reply; the caller withholds a blocked one."""
        verdict = await self.pipeline.classify(text, direction="output")
        await self._decided(verdict, "output", user_id, session_id, text)
        return verdict

    def output_guard(self, *, user_id: uuid.UUID, session_id: uuid.UUID | None) -> OutputGuard:
        return OutputGuard(self, user_id=user_id, session_id=session_id)

    async def aclose(self) -> None:
        await self.pipeline.aclose()

    # ------------------------------------------------------------------ recording

    async def _decided(
        self,
        verdict: Verdict,
        direction: Direction,
        user_id: uuid.UUID,
        session_id: uuid.UUID | None,
        text: str,
    ) -> None:
        if verdict.allowed:
            ALLOWED[direction].inc()
            return
        DECISIONS.labels(direction, verdict.category_label, verdict.action.label).inc()
        await self.record(verdict, direction, user_id, session_id, text)

    async def record(
        self,
        verdict: Verdict,
        direction: Direction,
        user_id: uuid.UUID,
        session_id: uuid.UUID | None,
        text: str,
    ) -> None:
        """Log the decision and write its moderation_events row (never raises)."""
        digest = excerpt_hash(self.engine, text)
        log.info(
            "moderation decision",
            extra={
                "direction": direction,
                "category": verdict.category_label,
                "action": verdict.action.label,
                "classifier": verdict.classifier,
                "reasons": [r for rs in verdict.reasons.values() for r in rs],
                "user_id": str(user_id),
                "excerpt_hash": digest,
            },
        )
        event = ModerationEvent(
            id=uuid7(),
            user_id=user_id,
            session_id=session_id,
            direction=direction,
            category=verdict.category_label,
            action=verdict.action.label,
            excerpt_hash=digest,
            classifier=verdict.classifier[:32],
            created_at=utcnow(),
        )
        try:
            async with self._sessionmaker() as session:
                await ModerationRepository(session).add_event(event)
                await session.commit()
        except Exception:
            EVENT_WRITE_ERRORS.inc()
            log.exception("moderation event not recorded", extra={"user_id": str(user_id)})


class OutputGuard:
    """Moderates a streamed reply as it arrives.

    feed(delta) splits the new text (plus a small overlap) into words. A category's rules run,
    over the last `window` characters only, when one of its anchor words arrives ("bomb"), or
    when a word that can complete its patterns ("you" after "kill") arrives within `window`
    characters of such an anchor. Work per delta is bounded by the window plus the delta, so a
    reply of n characters costs O(n), and a flirty reply wakes only child safety, only on its
    sexual words. Leetspeak or spaced letters in the new text wake every category. A decision
    that needs context further back than the window is caught by finish(), which checks the
    whole reply once (with the remote classifier, if configured). Once blocked, the guard
    stays blocked: the caller stops the stream.
    """

    def __init__(
        self, service: ModerationService, *, user_id: uuid.UUID, session_id: uuid.UUID | None
    ) -> None:
        self._service = service
        self._engine = service.engine
        self._window = service.stream_window
        self._user_id = user_id
        self._session_id = session_id
        self._chunks: list[str] = []
        self._tail = ""
        self._length = 0  # characters fed so far
        self._armed_until = dict.fromkeys(Category, -1)  # per category, a character offset
        self._minor_until = -1  # a minor signal was seen up to this offset
        self._verdict = allow_verdict(self._engine.name)
        self._recorded: set[tuple[Category | None, Action]] = set()
        self._counted = False
        self._finished = False
        self.screened_chars = 0  # characters the quick screen looked at
        self.scanned_chars = 0  # characters the rules looked at

    @property
    def verdict(self) -> Verdict:
        return self._verdict

    async def feed(self, delta: str) -> Verdict:
        """The verdict so far, including this delta (blocked: stop the stream)."""
        if self._verdict.blocked or not delta:
            return self._verdict
        self._chunks.append(delta)
        window = self._tail + delta
        region = window[max(0, len(self._tail) - GUARD_OVERLAP_CHARS) :]
        self.screened_chars += len(region)
        end = self._length + len(delta)
        wake = self._wake(fold(region), end)
        if wake:
            self.scanned_chars += len(window)
            verdict = self._engine.check(
                window, direction="output", mid_text=self._length > len(self._tail), only=wake
            )
            if not verdict.allowed:
                await self._note(verdict, window, final=verdict.blocked)
        self._length = end
        self._tail = _word_tail(window, self._window)
        return self._verdict

    def _wake(self, folded: str, end: int) -> list[Category]:
        """The categories whose rules the new text may concern (see the class docstring)."""
        words = stream_words(folded)
        if words is None:  # obfuscated: only the full screen can tell, and it wakes all
            if screen(folded) == CLEAN:
                return []
            for c in self._armed_until:
                self._armed_until[c] = end + self._window
            return list(self._armed_until)
        wake: list[Category] = []
        if self._wake_child_safety(words, end):
            wake.append(Category.child_safety)
        for c, armed_until in self._armed_until.items():
            if c is Category.child_safety:
                continue
            triggers = CATEGORY_TRIGGERS[c]
            if triggers.bkeys.isdisjoint(words):
                if end <= armed_until and not COMPLETION_BYTES[c].isdisjoint(words):
                    wake.append(c)
                continue
            if triggers.hit_bytes(words):  # an anchor: arm the category, run its rules
                self._armed_until[c] = end + self._window
                wake.append(c)
            elif end <= armed_until and not COMPLETION_BYTES[c].isdisjoint(words):
                wake.append(c)
        return wake

    def _wake_child_safety(self, words: list[bytes], end: int) -> bool:
        """Child safety needs a sexual term and a minor signal close together: run its rules
        when one arrives while the other is within the window (or on a CSAM term)."""
        if CHILD_DIRECT.hit_bytes(words):
            return True
        c = Category.child_safety
        sexual = CHILD_SEXUAL.hit_bytes(words)
        minor = not MINOR_SIGNAL_BYTES.isdisjoint(words)
        if sexual:
            self._armed_until[c] = end + self._window
        if minor:
            self._minor_until = end + self._window
        both = end <= self._armed_until[c] and end <= self._minor_until
        return both and (sexual or minor or not COMPLETION_BYTES[c].isdisjoint(words))

    async def finish(self) -> Verdict:
        """Check the whole reply once (remote classifier too); the final verdict."""
        if self._finished or self._verdict.blocked:
            self._finished = True
            if not self._counted:
                self._count(self._verdict)
            return self._verdict
        self._finished = True
        text = "".join(self._chunks)
        verdict = await self._service.pipeline.classify(text, direction="output")
        if not verdict.allowed:
            await self._note(verdict, text, final=True)
        if not self._counted:
            self._count(self._verdict)
        return self._verdict

    async def _note(self, verdict: Verdict, excerpt: str, *, final: bool) -> None:
        self._verdict = combine(self._verdict, verdict)
        key = (verdict.category, verdict.action)
        if key not in self._recorded:
            self._recorded.add(key)
            await self._service.record(verdict, "output", self._user_id, self._session_id, excerpt)
        if final and not self._counted:
            self._count(self._verdict)

    def _count(self, verdict: Verdict) -> None:
        self._counted = True
        if verdict.allowed:
            ALLOWED["output"].inc()
        else:
            DECISIONS.labels("output", verdict.category_label, verdict.action.label).inc()


def _word_tail(text: str, size: int) -> str:
    """The last `size` characters, starting at a word: a window cut inside "skill" must not
    start with "kill"."""
    if len(text) <= size:
        return text
    tail = text[-size:]
    cut = tail.find(" ")
    return tail[cut + 1 :] if cut >= 0 else tail


def create_moderation_service(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> ModerationService:
    """The local engine, plus OpenAI's endpoint when OPENAI_MODERATION=true and a key is set."""
    remote: OpenAIModerationClassifier | None = None
    if settings.OPENAI_MODERATION and settings.OPENAI_API_KEY:
        remote = OpenAIModerationClassifier(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL,
            model=settings.OPENAI_MODERATION_MODEL,
            timeout=settings.OPENAI_MODERATION_TIMEOUT_SECONDS,
        )
        log.info(
            "moderation: local policy engine + OpenAI %s at %s",
            settings.OPENAI_MODERATION_MODEL,
            settings.OPENAI_BASE_URL,
        )
    elif settings.OPENAI_MODERATION:
        log.warning("moderation: OPENAI_MODERATION=true but OPENAI_API_KEY is not set; local only")
    else:
        log.info("moderation: local policy engine (OPENAI_MODERATION is off)")
    pipeline = ModerationPipeline(
        LocalPolicyEngine(),
        remote,
        # the SDK's own timeout covers connect and read; this caps the whole call
        remote_timeout=settings.OPENAI_MODERATION_TIMEOUT_SECONDS + 0.5,
    )
    return ModerationService(
        pipeline, sessionmaker, stream_window=settings.MODERATION_STREAM_WINDOW_CHARS
    )
