"""Process-wide collaborators built once from the settings: the mailer, throttle and e-mail links.

States and API routes take them from here so that services stay free of configuration lookups.
"""

from __future__ import annotations

import time
from functools import lru_cache, partial

from quotahit.accounts.identity import Identity
from quotahit.accounts.service import AccountLinks
from quotahit.accounts.throttle import ActionThrottle, LoginThrottle
from quotahit.ai.service import Gateway, call_fields, meter_call
from quotahit.db import get_engine, session_scope
from quotahit.keys.crypto import Keyring
from quotahit.keys.service import KeyValidator
from quotahit.providers.email import EmailSender, email_sender_from_settings
from quotahit.providers.key_check import PROBE_MODELS, KeyStatus, Verdict, check_key
from quotahit.settings import get_settings
from quotahit.usage.service import CallRecord


@lru_cache(maxsize=1)
def mailer() -> EmailSender:
    """The configured e-mail sender."""
    return email_sender_from_settings(get_settings(), get_engine())


@lru_cache(maxsize=1)
def login_throttle() -> LoginThrottle:
    """Shared through Redis when configured, so every worker counts the same attempts."""
    settings = get_settings()
    return LoginThrottle(
        storage_uri=settings.redis_url or "memory://",
        per_account=settings.login_max_failures_per_account,
        per_address=settings.login_max_failures_per_address,
        window_minutes=settings.login_window_minutes,
    )


@lru_cache(maxsize=1)
def action_throttle() -> ActionThrottle:
    """Caps on sign-ups, reset e-mails and invitations, shared through Redis when configured."""
    return ActionThrottle(storage_uri=get_settings().redis_url or "memory://")


def links() -> AccountLinks:
    """Absolute links for e-mails."""
    return AccountLinks(get_settings().base_url)


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    """The provider-key keyring from QUOTAHIT_ENCRYPTION_KEYS (generated locally)."""
    return Keyring.parse(get_settings().encryption_keys)


def provider_base_urls() -> dict[str, str]:
    """Where each provider's API lives (configurable, so tests aim the real SDKs at fakes)."""
    settings = get_settings()
    return {
        "openai": settings.openai_base_url,
        "anthropic": settings.anthropic_base_url,
        "openrouter": settings.openrouter_base_url,
        "perplexity": settings.perplexity_base_url,
        "tavily": settings.tavily_base_url,
        "elevenlabs": settings.elevenlabs_base_url,
        "deepgram": settings.deepgram_base_url,
    }


def key_validator(identity: Identity | None = None) -> KeyValidator:
    """Checks a key against its provider's real API; metered when someone is calling."""
    check = partial(check_key, base_urls=provider_base_urls())
    if identity is None:
        return check

    def metered(provider: str, secret: str) -> Verdict:
        started = time.perf_counter()
        verdict = check(provider, secret)
        fields = call_fields(
            identity, "keys", provider, PROBE_MODELS.get(provider, "account"), None
        )
        meter_call(
            gateway(),
            CallRecord(
                **{**fields, "key_source": "checked"},
                latency_ms=round((time.perf_counter() - started) * 1000),
                outcome="ok" if verdict.status is KeyStatus.VALID else verdict.status.value,
            ),
        )
        return verdict

    return metered


def platform_keys() -> dict[str, str]:
    """The platform's own keys from the environment (used after user and organisation keys)."""
    settings = get_settings()
    return {
        "openai": settings.openai_api_key,
        "anthropic": settings.anthropic_api_key,
        "openrouter": settings.openrouter_api_key,
        "perplexity": settings.perplexity_api_key,
        "tavily": settings.tavily_api_key,
        "elevenlabs": settings.elevenlabs_api_key,
        "deepgram": settings.deepgram_api_key,
    }


def gateway() -> Gateway:
    """The AI gateway with this process's database, keyring, platform keys and provider URLs."""
    return Gateway(
        sessions=session_scope,
        keyring=keyring(),
        platform_keys=platform_keys(),
        base_urls=provider_base_urls(),
    )
