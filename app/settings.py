"""Application settings, read from the environment (and `.env`).

The variable names are the contract with operators and outside harnesses (see `.env.example`),
so they are flat (DATABASE_URL, XAI_API_KEY ...). The groups below are views over them for the
code that needs one area. Every setting has a safe development default except the secrets that
production needs; `Settings.check_production()` refuses a production start with a
development-only part and says which setting is missing.
"""

from __future__ import annotations

import enum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(enum.StrEnum):
    development = "development"
    production = "production"


class ConfigurationError(RuntimeError):
    """The configuration asks for something this mode refuses (named in the message)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- mode ---
    APP_ENV: Environment = Environment.development
    LOG_LEVEL: str = "INFO"
    LOG_JSON: bool = True
    # One JSON line per request and the HTTP latency metrics: on in every real deployment; the
    # switches exist to measure what they cost (docs/PERFORMANCE.md).
    REQUEST_LOG: bool = True
    # Log lines are written in batches this often (warnings and errors at once); 0: every line
    # at once.
    LOG_FLUSH_SECONDS: float = 0.2
    HTTP_METRICS: bool = True

    # --- storage ---
    DATABASE_URL: str = "sqlite+aiosqlite:///./data/companion.db"
    # Background jobs and payment webhooks touch every user's rows: on PostgreSQL give them a
    # role that is a member of companion_jobs (row-level security, docs/OPERATIONS.md). Unset:
    # DATABASE_URL's.
    JOBS_DATABASE_URL: str | None = None
    DB_POOL_SIZE: int = 10
    DB_MAX_OVERFLOW: int = 10
    DB_ECHO: bool = False
    REDIS_URL: str | None = None
    REDIS_KEY_PREFIX: str = "companion:"

    # --- LLM (xAI Grok or any OpenAI-compatible endpoint) ---
    XAI_API_KEY: str | None = None
    XAI_BASE_URL: str = "https://api.x.ai/v1"
    XAI_MODEL: str = "grok-3-mini"
    LLM_TIMEOUT_SECONDS: float = 60.0
    LLM_CONNECT_TIMEOUT_SECONDS: float = 5.0
    LLM_MAX_RETRIES: int = 2
    LLM_RETRY_BASE_SECONDS: float = 0.5
    LLM_RETRY_MAX_SECONDS: float = 8.0
    LLM_TEMPERATURE: float = 0.8

    # --- chat ---
    CHAT_CONTEXT_TOKENS: int = 8192
    CHAT_MAX_OUTPUT_TOKENS: int = 512
    CHAT_HISTORY_MESSAGES: int = 40
    CHAT_MAX_MESSAGE_CHARS: int = 8000
    HOLD_TTL_SECONDS: int = 300
    # chat.archive_idle_sessions archives sessions without a message for this long (a user
    # who writes again reactivates it).
    CHAT_ARCHIVE_AFTER_DAYS: int = 30

    # --- OpenAI (embeddings, moderation) ---
    OPENAI_API_KEY: str | None = None
    OPENAI_BASE_URL: str = "https://api.openai.com/v1"
    EMBEDDING_MODEL: str = "all-MiniLM-L6-v2"
    EMBEDDING_DIMENSIONS: int | None = None
    OPENAI_MODERATION: bool = False
    # Moderation (docs/MODERATION.md): the local engine always runs; with OPENAI_MODERATION=true
    # and OPENAI_API_KEY the OpenAI endpoint runs too (fail open to the local verdict).
    OPENAI_MODERATION_MODEL: str = "omni-moderation-latest"
    OPENAI_MODERATION_TIMEOUT_SECONDS: float = 2.0
    MODERATION_STREAM_WINDOW_CHARS: int = 320

    # --- auth ---
    FIREBASE_PROJECT_ID: str | None = None
    FIREBASE_CREDENTIALS_PATH: str | None = None
    FIREBASE_AUTH_EMULATOR_HOST: str | None = None
    # Verified ID tokens are cached until they expire; revocation is re-checked this often.
    AUTH_REVOCATION_CHECK_SECONDS: int = 300
    DEV_AUTH_SECRET: str | None = None
    DEV_TOKEN_TTL_SECONDS: int = 7 * 24 * 3600

    # --- rate limits (chat requests per minute per tier: app/billing/tiers.py) ---
    # Per client IP and auth endpoint (login, dev token), per minute; 0 turns it off.
    AUTH_RATE_LIMIT_PER_MINUTE: int = 20
    # Proxies whose X-Forwarded-For is believed: comma-separated IPs or CIDRs. Empty: the peer
    # address is the client (see app/ratelimit/client_ip.py).
    TRUSTED_PROXIES: str = ""

    # --- memory ---
    VECTOR_DB_PROVIDER: Literal["chromadb", "pinecone"] = "chromadb"
    CHROMA_PATH: str = "./data/chroma"
    CHROMA_URL: str | None = None
    PINECONE_API_KEY: str | None = None
    PINECONE_INDEX: str = "companion-memory"
    PINECONE_HOST: str | None = None
    # Long-term memory for Premium/VIP (docs/MEMORY.md). auto: Celery when REDIS_URL is set and
    # the vector store is shared (Chroma server, Pinecone); the in-process worker otherwise.
    MEMORY_ENABLED: bool = True
    MEMORY_WORKER: Literal["auto", "celery", "inprocess"] = "auto"
    MEMORY_TOP_K: int = 5
    MEMORY_TOKEN_BUDGET: int = 600  # most tokens of the prompt that memory may use
    MEMORY_CANDIDATES: int = 30
    MEMORY_MIN_SCORE: float = 0.18  # cosine; MiniLM: related ~0.2-0.7, small talk < 0.15
    MEMORY_CROSS_CHARACTER: bool = False
    MEMORY_QUERY_TIMEOUT_SECONDS: float = 2.0
    MEMORY_FACT_EXTRACTOR: Literal["auto", "llm", "rules"] = "auto"
    MEMORY_SUMMARY_MIN_MESSAGES: int = 8
    MEMORY_SUMMARY_MAX_TOKENS: int = 400
    MEMORY_MAX_RETRIES: int = 5
    EMBEDDING_BATCH_SIZE: int = 64
    EMBEDDING_CPU_THREADS: int = 1  # PyTorch threads of the local model (0: PyTorch's default)

    # --- payments ---
    PAYMENT_PROVIDER: Literal["sandbox", "stripe"] = "sandbox"
    STRIPE_SECRET_KEY: str | None = None
    STRIPE_WEBHOOK_SECRET: str | None = None
    STRIPE_WEBHOOK_TOLERANCE_SECONDS: int = 300
    STRIPE_API_BASE: str | None = None
    # Where Stripe Checkout sends the customer back ({CHECKOUT_SESSION_ID} is filled by Stripe).
    STRIPE_SUCCESS_URL: str = "http://localhost:8000/payments/done?session_id={CHECKOUT_SESSION_ID}"
    STRIPE_CANCEL_URL: str = "http://localhost:8000/payments/canceled"

    # --- background jobs (docs/OPERATIONS.md) ---
    # The periodic jobs (daily refresh, hold sweeper, ...) run in the API process when Celery
    # beat is not there. Unset: on for the served app (`make run`, uvicorn app.main:app) in
    # development without REDIS_URL, off for an app made by create_app() (tests); true/false
    # forces it.
    JOBS_IN_PROCESS: bool | None = None
    # A Celery job that fails on a transient database error is retried this many times, after
    # base x 2^attempt seconds (jittered, at most 5 minutes).
    JOBS_MAX_RETRIES: int = 3
    JOBS_RETRY_BASE_SECONDS: float = 5.0

    # --- HTTP ---
    CORS_ORIGINS: list[str] = Field(default_factory=list)
    # Skins (docs/SKINS.md): front ends named by X-App-Id, as a JSON file or inline JSON.
    # Unset: one implicit skin showing everything (CORS only from CORS_ORIGINS).
    SKINS_FILE: str | None = None
    SKINS_JSON: str | None = None
    DATA_DIR: str = "./data"

    @field_validator("DATABASE_URL", "JOBS_DATABASE_URL")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        """Accept the URLs operators paste (postgres://, postgresql://, sqlite://)."""
        if value is None:
            return None
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value[len(prefix) :]
        if value.startswith("sqlite://"):
            return "sqlite+aiosqlite://" + value[len("sqlite://") :]
        return value

    # --- derived views ---
    @property
    def is_production(self) -> bool:
        return self.APP_ENV is Environment.production

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")

    @property
    def auth_mode(self) -> Literal["firebase", "dev"]:
        return "firebase" if self.FIREBASE_PROJECT_ID else "dev"

    @property
    def llm_mode(self) -> Literal["openai_compatible", "offline"]:
        return "openai_compatible" if self.XAI_API_KEY else "offline"

    def for_serving(self) -> Settings:
        """The served app's settings (app.main:app): JOBS_IN_PROCESS unset becomes on in
        development without REDIS_URL, where no Celery beat runs the periodic jobs."""
        if self.JOBS_IN_PROCESS is not None:
            return self
        return self.model_copy(
            update={"JOBS_IN_PROCESS": not self.is_production and not self.REDIS_URL}
        )

    @property
    def dev_secret_path(self) -> Path:
        return Path(self.DATA_DIR) / "dev_auth_secret"

    def check_production(self) -> None:
        """Refuse development-only parts in production, naming the missing setting."""
        if not self.is_production:
            return
        problems: list[str] = []
        if self.auth_mode == "dev":
            problems.append("FIREBASE_PROJECT_ID is not set (development tokens are refused)")
        if self.FIREBASE_AUTH_EMULATOR_HOST:
            problems.append("FIREBASE_AUTH_EMULATOR_HOST is set (the emulator accepts any token)")
        if self.llm_mode == "offline":
            problems.append("XAI_API_KEY is not set (the offline LLM is refused)")
        if self.PAYMENT_PROVIDER == "sandbox":
            problems.append("PAYMENT_PROVIDER=sandbox (set stripe with its keys)")
        elif not (self.STRIPE_SECRET_KEY and self.STRIPE_WEBHOOK_SECRET):
            problems.append("STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are required")
        if self.is_sqlite:
            problems.append("DATABASE_URL points at SQLite (use PostgreSQL)")
        if not self.REDIS_URL:
            problems.append("REDIS_URL is not set (rate limits must be shared)")
        if problems:
            raise ConfigurationError("APP_ENV=production refuses to start: " + "; ".join(problems))


@lru_cache
def get_settings() -> Settings:
    return Settings()
