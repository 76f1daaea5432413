"""Content moderation: the policy (docs/MODERATION.md), one Classifier interface, the local
policy engine (always on), OpenAI's moderation endpoint (optional), and the service the chat
path calls (input, output, and a guard for streamed replies)."""

from app.moderation.errors import ContentBlocked
from app.moderation.local import LocalPolicyEngine
from app.moderation.openai_classifier import OpenAIModerationClassifier
from app.moderation.pipeline import ModerationPipeline
from app.moderation.service import ModerationService, OutputGuard, create_moderation_service
from app.moderation.verdict import Action, Category, Classifier, Direction, Verdict

__all__ = [
    "Action",
    "Category",
    "Classifier",
    "ContentBlocked",
    "Direction",
    "LocalPolicyEngine",
    "ModerationPipeline",
    "ModerationService",
    "OpenAIModerationClassifier",
    "OutputGuard",
    "Verdict",
    "create_moderation_service",
]
