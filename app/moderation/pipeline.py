"""ModerationPipeline: the local engine first, then (optionally) a remote classifier.

- The local verdict blocks on its own: a text the local engine blocks is not sent anywhere.
- Otherwise the remote classifier runs within a time budget; the verdict is the stronger of
  the two (block if either blocks; the stronger names the category).
- A remote failure or timeout fails open to the local verdict: logged, and counted in
  moderation_remote_errors_total. Chat must not stop because a moderation API is down; the
  local engine still enforces the policy.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from app.moderation.local import LocalPolicyEngine
from app.moderation.metrics import REMOTE_ERRORS
from app.moderation.verdict import Classifier, Direction, Verdict, combine

log = logging.getLogger(__name__)


class ClosableClassifier(Classifier, Protocol):
    async def aclose(self) -> None: ...


class ModerationPipeline:
    def __init__(
        self,
        local: LocalPolicyEngine,
        remote: ClosableClassifier | None = None,
        *,
        remote_timeout: float = 2.0,
    ) -> None:
        self.local = local
        self.remote = remote
        self.remote_timeout = remote_timeout
        self.name = local.name if remote is None else f"{local.name}+{remote.name}"

    async def classify(self, text: str, *, direction: Direction) -> Verdict:
        verdict = self.local.check(text, direction=direction)
        if verdict.blocked or self.remote is None:
            return verdict
        try:
            async with asyncio.timeout(self.remote_timeout):
                remote = await self.remote.classify(text, direction=direction)
        except Exception as exc:  # fail open: any remote failure leaves the local verdict
            timed_out = isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__
            reason = "timeout" if timed_out else type(exc).__name__
            REMOTE_ERRORS.labels(self.remote.name, reason).inc()
            log.warning(
                "remote moderation failed; using the local verdict",
                extra={"classifier": self.remote.name, "reason": reason, "direction": direction},
            )
            return verdict
        return combine(verdict, remote)

    async def aclose(self) -> None:
        if self.remote is not None:
            await self.remote.aclose()
