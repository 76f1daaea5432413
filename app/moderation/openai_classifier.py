"""OpenAIModerationClassifier: OpenAI's moderation endpoint, mapped onto our policy.

The endpoint (model omni-moderation-latest) flags its own categories; our policy differs, so
each is mapped (docs/MODERATION.md has the table and the reasons):
- sexual/minors -> child_safety, block. Plain `sexual` is allowed: adult content between adults
  is part of the product.
- violence, violence/graphic -> violence, flag only: they fire on depictions, and dark fiction
  (a noir murder, a war story) is allowed. The local engine blocks threats and instructions.
- harassment/threatening, hate/threatening -> violence, block (a threat against a person).
- illicit, illicit/violent -> illegal_activity, block (advice on committing crimes or procuring
  weapons).
- self-harm, self-harm/intent -> self_harm, flag: a person in distress gets a caring answer,
  not an error. self-harm/instructions -> block on the output side (the model must never
  give methods), flag on the input side (asking is a sign of distress, not an abuse).
- harassment, hate -> not mapped (rudeness is not in the block policy); scores are kept.

Uses the official SDK (AsyncOpenAI) with retries off: the pipeline has its own time budget and
fails open to the local verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from openai import AsyncOpenAI

from app.moderation.verdict import Action, Category, Direction, Verdict, allow_verdict

# OpenAI category -> (our category, action on input, action on output); None: not mapped.
CATEGORY_MAP: Mapping[str, tuple[Category, Action, Action] | None] = MappingProxyType(
    {
        "sexual/minors": (Category.child_safety, Action.block, Action.block),
        "sexual": None,
        "violence": (Category.violence, Action.flag, Action.flag),
        "violence/graphic": (Category.violence, Action.flag, Action.flag),
        "harassment/threatening": (Category.violence, Action.block, Action.block),
        "hate/threatening": (Category.violence, Action.block, Action.block),
        "illicit": (Category.illegal_activity, Action.block, Action.block),
        "illicit/violent": (Category.illegal_activity, Action.block, Action.block),
        "self-harm": (Category.self_harm, Action.flag, Action.flag),
        "self-harm/intent": (Category.self_harm, Action.flag, Action.flag),
        "self-harm/instructions": (Category.self_harm, Action.flag, Action.block),
        "harassment": None,
        "hate": None,
    }
)


def map_result(
    flags: Mapping[str, Any], scores: Mapping[str, Any], *, direction: Direction, name: str
) -> Verdict:
    """Our verdict for one OpenAI moderation result (`categories`, `category_scores`)."""
    fired: dict[Category, tuple[Action, list[str]]] = {}
    cat_scores: dict[Category, float] = {}
    for openai_category, mapping in CATEGORY_MAP.items():
        if mapping is None:
            continue
        category, on_input, on_output = mapping
        score = float(scores.get(openai_category) or 0.0)
        if score:
            cat_scores[category] = max(cat_scores.get(category, 0.0), score)
        if not flags.get(openai_category):
            continue
        action = on_output if direction == "output" else on_input
        current = fired.get(category)
        if current is None:
            fired[category] = (action, [f"openai:{openai_category}"])
        else:
            current[1].append(f"openai:{openai_category}")
            fired[category] = (max(current[0], action), current[1])
    if not fired:
        return Verdict(Action.allow, scores=MappingProxyType(cat_scores), classifier=name)
    severity = list(Category)
    category = max(fired, key=lambda c: (fired[c][0], -severity.index(c)))
    return Verdict(
        action=fired[category][0],
        category=category,
        scores=MappingProxyType(cat_scores),
        reasons=MappingProxyType({c: tuple(r) for c, (_, r) in fired.items()}),
        classifier=name,
    )


class OpenAIModerationClassifier:
    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        model: str = "omni-moderation-latest",
        timeout: float = 2.0,
        client: AsyncOpenAI | None = None,
    ) -> None:
        self.model = model
        self._client = client or AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
        )

    async def classify(self, text: str, *, direction: Direction) -> Verdict:
        if not text.strip():
            return allow_verdict(self.name)
        response = await self._client.moderations.create(model=self.model, input=text)
        result = response.results[0]
        return map_result(
            result.categories.model_dump(by_alias=True),
            result.category_scores.model_dump(by_alias=True),
            direction=direction,
            name=self.name,
        )

    async def aclose(self) -> None:
        await self._client.close()
