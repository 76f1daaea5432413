from __future__ import annotations

from app.kit.errors import AppError


class LLMError(AppError):
    """The model could not answer; nothing was charged or stored."""

    status_code = 502
    code = "llm_upstream_error"
    message = "The language model returned an error. Nothing was charged."


class LLMUpstreamError(LLMError):
    pass


class LLMUnavailable(LLMError):
    status_code = 503
    code = "llm_unavailable"
    message = "The language model is unavailable right now. Nothing was charged."

    def __init__(self, message: str | None = None, retry_after: float | None = None, **kw: object):
        super().__init__(message, **kw)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str] | None:
        if self.retry_after is None:
            return None
        return {"Retry-After": str(max(1, int(self.retry_after + 0.999)))}


class LLMTimeout(LLMError):
    status_code = 504
    code = "llm_timeout"
    message = "The language model did not answer in time. Nothing was charged."
