"""Minting OpenAI Realtime client secrets (GA `POST /realtime/client_secrets`) for direct clients.

The browser gets a short-lived `ek_...` secret bound to one session configuration, never the
user's key. The secret is a credential: it is never logged, and `ClientSecret`'s repr hides it.
Failures raise `SpeechProviderError` (see speech_to_text).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import openai

from quotahit.providers.errors import translate_error
from quotahit.providers.speech_to_text import SDK_FAILURES, SpeechProviderError, speech_error

logger = logging.getLogger(__name__)

# The bounds OpenAI accepts for `expires_after.seconds`.
MIN_EXPIRY_SECONDS, MAX_EXPIRY_SECONDS = 10, 7200


@dataclass(frozen=True)
class ClientSecret:
    """An ephemeral Realtime secret, when it stops opening sessions, and the session it opens."""

    value: str = field(repr=False)
    expires_at: int  # seconds since the epoch
    session: dict[str, Any]


def mint_client_secret(
    *,
    secret: str,
    base_url: str,
    session: dict[str, Any],
    expires_after_seconds: int = 60,
    request_timeout: float = 10.0,
) -> ClientSecret:
    """Ask OpenAI for a client secret that opens `session` (a realtime one unless it says)."""
    if not MIN_EXPIRY_SECONDS <= expires_after_seconds <= MAX_EXPIRY_SECONDS:
        raise ValueError(
            f"expires_after_seconds must be {MIN_EXPIRY_SECONDS} to {MAX_EXPIRY_SECONDS}"
        )
    try:
        with openai.OpenAI(
            api_key=secret, base_url=base_url, timeout=request_timeout, max_retries=0
        ) as client:
            created = client.realtime.client_secrets.create(
                expires_after={"anchor": "created_at", "seconds": expires_after_seconds},
                session={"type": "realtime", **session},  # type: ignore[typeddict-item]
            )
    except SDK_FAILURES as error:
        raise translate_error("openai", error, SpeechProviderError) from error
    if not created.value:
        raise speech_error("openai", "malformed")
    minted = ClientSecret(
        created.value,
        created.expires_at,
        created.session.model_dump(mode="json", exclude_unset=True),
    )
    logger.info("minted a Realtime client secret that expires at %s", minted.expires_at)
    return minted
