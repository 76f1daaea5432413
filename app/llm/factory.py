from __future__ import annotations

import logging

from app.llm.base import LLMProvider
from app.llm.offline import OfflineProvider
from app.llm.openai_compat import OpenAICompatibleProvider
from app.settings import Settings

log = logging.getLogger(__name__)


def create_llm_provider(settings: Settings) -> LLMProvider:
    """XAI_API_KEY set: the real provider at XAI_BASE_URL. Unset: the offline provider."""
    if settings.XAI_API_KEY:
        log.info(
            "llm: OpenAI-compatible provider at %s, model %s",
            settings.XAI_BASE_URL,
            settings.XAI_MODEL,
        )
        return OpenAICompatibleProvider(
            base_url=settings.XAI_BASE_URL,
            api_key=settings.XAI_API_KEY,
            model=settings.XAI_MODEL,
            name="xai" if "x.ai" in settings.XAI_BASE_URL else "openai_compatible",
            timeout=settings.LLM_TIMEOUT_SECONDS,
            connect_timeout=settings.LLM_CONNECT_TIMEOUT_SECONDS,
            max_retries=settings.LLM_MAX_RETRIES,
            retry_base=settings.LLM_RETRY_BASE_SECONDS,
            retry_max=settings.LLM_RETRY_MAX_SECONDS,
            temperature=settings.LLM_TEMPERATURE,
        )
    log.info("llm: offline provider (XAI_API_KEY is not set)")
    return OfflineProvider()
