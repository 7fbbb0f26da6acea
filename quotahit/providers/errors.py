"""Provider errors: one type for every adapter, saying whether waiting or failing over may help.

Every SDK (openai, anthropic, deepgram, elevenlabs) and plain httpx fail in their own ways; the
adapters translate them here so the gateway and the features handle one shape.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
import httpx2
import openai

logger = logging.getLogger(__name__)

PROVIDER_LABELS = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "openrouter": "OpenRouter",
    "custom": "Your model server",
    "deepgram": "Deepgram",
    "elevenlabs": "ElevenLabs",
    "tavily": "Tavily",
    "perplexity": "Perplexity",
}


class ProviderError(Exception):
    """A provider call failed; `retryable` says whether waiting or failing over may help."""

    def __init__(self, kind: str, message: str, *, retryable: bool, retry_after: float = 0.0):
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after


AnyProviderError = TypeVar("AnyProviderError", bound=ProviderError)

# kind, retryable, and the message (with the provider's name) for each way a call fails.
FAILURES_BY_KIND: dict[str, tuple[bool, str]] = {
    "auth": (True, "{label} refused the key"),
    "rate_limited": (True, "{label} is rate-limiting"),
    "no_model": (True, "{label} has no such model or voice for this key"),
    "bad_request": (False, "{label} rejected the request"),
    "timeout": (True, "{label} did not answer in time"),
    "unreachable": (True, "{label} connection failed"),
    "stream_cut": (True, "{label} stopped in the middle of the answer"),
    "malformed": (True, "{label} sent a broken answer"),
    "server": (True, "{label} had an error"),
}


# Checked in this order: the SDKs' time-out errors are connection errors too.
_TIMEOUTS = (openai.APITimeoutError, httpx.TimeoutException, httpx2.TimeoutException)
_CONNECTION_FAILURES = (openai.APIConnectionError, httpx.TransportError, httpx2.TransportError)


def _kind_for_status(status: int) -> str:
    if status in (401, 403):
        return "auth"
    if status == 429:
        return "rate_limited"
    if status == 404:
        return "no_model"
    if status == 408:
        return "timeout"
    if status >= 500 or status == 409:
        return "server"
    return "bad_request"


def _status_of(error: Exception) -> tuple[int | None, Mapping[str, str], Any]:
    """The HTTP status, response headers and error body, when the provider answered."""
    if isinstance(error, openai.APIStatusError):
        return error.status_code, error.response.headers, error.body
    if isinstance(error, httpx.HTTPStatusError):
        try:
            body: Any = error.response.json()
        except ValueError:
            body = error.response.text
        return error.response.status_code, error.response.headers, body
    status = getattr(error, "status_code", None)  # the Fern-made SDKs: Deepgram, ElevenLabs
    if isinstance(status, int):
        return status, getattr(error, "headers", None) or {}, getattr(error, "body", None)
    return None, {}, None


def _retry_after(headers: Mapping[str, str]) -> float:
    try:
        if "retry-after-ms" in headers:
            return float(headers["retry-after-ms"]) / 1000
        return float(headers.get("retry-after", 0))
    except (TypeError, ValueError):
        return 0.0


def _detail(body: Any) -> str:
    """The provider's own words about a rejected request, from any of the error shapes."""
    if isinstance(body, str):
        return body
    if isinstance(body, list):
        return "; ".join(_detail(item) for item in body)
    if isinstance(body, dict):
        for name in ("message", "err_msg", "msg", "error", "detail"):
            if body.get(name):
                return _detail(body[name])
    return ""


def translate_error(
    provider: str, error: Exception, error_type: type[AnyProviderError]
) -> AnyProviderError:
    """Map an SDK or transport error of any provider adapter to `error_type`."""
    status, headers, body = _status_of(error)
    retry_after = 0.0
    if status is not None and status >= 400:
        kind = _kind_for_status(status)
        retry_after = _retry_after(headers) if kind == "rate_limited" else 0.0
    elif isinstance(error, _TIMEOUTS):
        kind = "timeout"
    elif isinstance(error, _CONNECTION_FAILURES):
        kind = "unreachable"
    else:  # a 2xx body the SDK could not parse, or an answer that is not what was asked for
        kind = "malformed"
    retryable, template = FAILURES_BY_KIND[kind]
    message = template.format(label=PROVIDER_LABELS.get(provider, provider))
    if kind == "bad_request" and (detail := _detail(body)):
        message = f"{message}: {detail[:200]}"  # never a key: 400s describe the request
    logger.info("%s call failed: %s (%s, status %s)", provider, kind, type(error).__name__, status)
    return error_type(kind, message, retryable=retryable, retry_after=retry_after)
