"""The rules of the fact store: a new value replaces the old one (flushes, never commits).

For each extracted fact:
- no current fact under its key: it becomes the current one;
- the same value again: the current fact is confirmed (its wording and time refreshed);
- a different value said later than the current one: the current one is superseded (kept,
  marked, pointing at its successor) and the new value becomes current;
- a different value said *earlier* than the current one (a delayed job): it is stored as
  already superseded, so an old message can never overwrite a newer fact.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.kit.clock import utcnow
from app.kit.ids import uuid7
from app.memory.facts import FactCandidate, same_value
from app.memory.repository import MemoryRepository
from app.models import MemoryFact


@dataclass(slots=True)
class FactChanges:
    current: list[MemoryFact] = field(default_factory=list)  # created or confirmed
    superseded: list[MemoryFact] = field(default_factory=list)

    @property
    def superseded_ids(self) -> list[uuid.UUID]:
        return [f.id for f in self.superseded]


async def record_facts(
    repo: MemoryRepository,
    *,
    user_id: uuid.UUID,
    character_id: str,
    session_id: uuid.UUID | None,
    message_id: uuid.UUID | None,
    observed_at: dt.datetime,
    candidates: Sequence[FactCandidate],
    source: str,
) -> FactChanges:
    changes = FactChanges()
    if not candidates:
        return changes
    by_key = {c.key: c for c in candidates}
    current = {
        f.key: f for f in await repo.current_facts(user_id, keys=list(by_key), for_update=True)
    }
    now = utcnow()
    for key, cand in by_key.items():
        existing = current.get(key)
        if existing is not None and same_value(existing.value, cand.value):
            if observed_at >= existing.observed_at:
                existing.observed_at = observed_at
                existing.statement = cand.statement
                existing.updated_at = now
            changes.current.append(existing)
            continue
        new = MemoryFact(
            id=uuid7(),
            user_id=user_id,
            character_id=character_id,
            key=key,
            category=cand.category,
            value=cand.value,
            statement=cand.statement,
            source=source,
            source_session_id=session_id,
            source_message_id=message_id,
            observed_at=observed_at,
            created_at=now,
            updated_at=now,
        )
        if existing is not None and observed_at < existing.observed_at:
            new.status = "superseded"  # older than what we know: history, never current
            new.superseded_by_id = existing.id
            repo.add(new)
            continue
        if existing is not None:
            existing.status = "superseded"
            existing.superseded_by_id = new.id
            existing.updated_at = now
            await repo.flush()  # free the (user, key) slot of the partial unique index first
            changes.superseded.append(existing)
        new.status = "current"
        repo.add(new)
        changes.current.append(new)
    await repo.flush()
    return changes
