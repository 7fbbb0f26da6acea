"""Checking a provider key with the lightest call each provider offers, through its real SDK.

The verdict separates what the user must fix (a wrong key, no access to the model) from what is
not their fault (rate limited, provider unreachable), which is saved as unverified with a retry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import anthropic
import httpx
import openai

from quotahit.providers.catalogue import KEY_PROVIDERS_BY_ID

logger = logging.getLogger(__name__)

# The model each check asks about: the product's default model of that provider.
PROBE_MODELS = {"openai": "gpt-4.1", "anthropic": "claude-haiku-4-5", "perplexity": "sonar"}


class KeyStatus(StrEnum):
    """The verdict of the last validation of a key."""

    VALID = "valid"
    INVALID = "invalid"
    NO_MODEL_ACCESS = "no_model_access"
    RATE_LIMITED = "rate_limited"
    UNREACHABLE = "unreachable"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class Verdict:
    """What the provider said about a key, in words for the user."""

    status: KeyStatus
    message: str

    @property
    def usable(self) -> bool:
        """Keep the key: the provider accepted it, or could not be asked right now."""
        return self.status is not KeyStatus.INVALID


def _label(provider: str) -> str:
    return KEY_PROVIDERS_BY_ID[provider].label


def _valid(provider: str) -> Verdict:
    return Verdict(KeyStatus.VALID, f"{_label(provider)} accepted this key.")


def _invalid(provider: str) -> Verdict:
    return Verdict(
        KeyStatus.INVALID,
        f"{_label(provider)} says this key is wrong or revoked. Check you copied all of it.",
    )


def _rate_limited(provider: str) -> Verdict:
    return Verdict(
        KeyStatus.RATE_LIMITED,
        f"{_label(provider)} is rate-limiting this key right now. It was saved unverified: "
        "check it again in a minute.",
    )


def _unreachable(provider: str) -> Verdict:
    return Verdict(
        KeyStatus.UNREACHABLE,
        f"{_label(provider)} could not be reached. The key was saved unverified: check it again "
        "when the provider is back.",
    )


def _no_access(provider: str) -> Verdict:
    model = PROBE_MODELS.get(provider, "the default model")
    return Verdict(
        KeyStatus.NO_MODEL_ACCESS,
        f"The key works, but it has no access to {model}. Enable the model for this key's "
        f"project at {_label(provider)}, or choose another model.",
    )


def _from_sdk_error(provider: str, error: Exception) -> Verdict:
    """Map the OpenAI and Anthropic SDKs' errors (same shapes) to a verdict."""
    sdk = anthropic if isinstance(error, anthropic.APIError) else openai
    if isinstance(error, sdk.AuthenticationError):
        return _invalid(provider)
    if isinstance(error, (sdk.PermissionDeniedError, sdk.NotFoundError)):
        return _no_access(provider)
    if isinstance(error, sdk.RateLimitError):
        return _rate_limited(provider)
    return _unreachable(provider)


def _from_status(provider: str, status: int) -> Verdict:
    if status < 300:
        return _valid(provider)
    if status == 401:
        return _invalid(provider)
    if status == 403:
        return _no_access(provider)
    if status == 429:
        return _rate_limited(provider)
    return _unreachable(provider)


def check_key(
    provider: str, secret: str, *, base_urls: Mapping[str, str], timeout: float = 10.0
) -> Verdict:
    """Ask the provider whether the key works, without spending more than a token."""
    base_url = base_urls[provider].rstrip("/")
    try:
        if provider == "openai":
            client = openai.OpenAI(
                api_key=secret, base_url=base_url, timeout=timeout, max_retries=0
            )
            client.models.retrieve(PROBE_MODELS["openai"])
        elif provider == "anthropic":
            claude = anthropic.Anthropic(
                api_key=secret, base_url=base_url, timeout=timeout, max_retries=0
            )
            claude.models.retrieve(PROBE_MODELS["anthropic"])
        elif provider == "perplexity":
            # Perplexity has no free endpoint: one token of Sonar is the lightest check.
            sonar = openai.OpenAI(api_key=secret, base_url=base_url, timeout=timeout, max_retries=0)
            sonar.chat.completions.create(
                model=PROBE_MODELS["perplexity"],
                messages=[{"role": "user", "content": "ping"}],
                max_tokens=1,
            )
        else:
            return _from_status(provider, _http_probe(provider, secret, base_url, timeout))
    except (openai.APIError, anthropic.APIError) as error:
        logger.info("%s key check failed: %s", provider, type(error).__name__)
        return _from_sdk_error(provider, error)
    except (httpx.HTTPError, ValueError) as error:
        # ValueError: a body that is not the JSON the SDK expects (a proxy page, a broken answer).
        logger.info("%s key check failed: %s", provider, type(error).__name__)
        return _unreachable(provider)
    return _valid(provider)


def _http_probe(provider: str, secret: str, base_url: str, timeout: float) -> int:
    """Providers without an SDK here: their account endpoints answer 200 for a good key."""
    if provider == "openrouter":
        url, headers = f"{base_url}/key", {"Authorization": f"Bearer {secret}"}
    elif provider == "tavily":
        url, headers = f"{base_url}/usage", {"Authorization": f"Bearer {secret}"}
    elif provider == "elevenlabs":
        url, headers = f"{base_url}/v1/user", {"xi-api-key": secret}
    else:
        raise ValueError(f"no key check for provider {provider!r}")
    response = httpx.get(url, headers=headers, timeout=timeout, follow_redirects=False)
    return response.status_code
