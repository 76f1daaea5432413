"""ORM models, one file per table. Importing this package registers every table on Base."""

from app.kit.db import Base
from app.models.character import CharacterConfig
from app.models.chat_message import ChatMessage
from app.models.chat_session import ChatSession
from app.models.credit_hold import CreditHold
from app.models.ledger import LedgerEntry
from app.models.memory_fact import MemoryFact
from app.models.memory_item import MemoryItem
from app.models.memory_summary import MemorySessionSummary
from app.models.memory_tombstone import MemoryTombstone
from app.models.moderation_event import ModerationEvent
from app.models.payment import PaymentTransaction
from app.models.subscription import Subscription
from app.models.usage_daily import UsageDaily
from app.models.user import User
from app.models.wallet import UserWallet
from app.models.webhook_event import WebhookEvent

__all__ = [
    "Base",
    "CharacterConfig",
    "ChatMessage",
    "ChatSession",
    "CreditHold",
    "LedgerEntry",
    "MemoryFact",
    "MemoryItem",
    "MemorySessionSummary",
    "MemoryTombstone",
    "ModerationEvent",
    "PaymentTransaction",
    "Subscription",
    "UsageDaily",
    "User",
    "UserWallet",
    "WebhookEvent",
]
