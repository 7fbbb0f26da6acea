"""Web search and spoken replies through the gateway: keys in order, local fallback, metering.

Search needs a provider (there is no local web): with no search key the caller is told so
plainly instead of getting invented sources. Speech falls back to the local Piper voice.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from quotahit.accounts.identity import Identity
from quotahit.ai.service import (
    WHOSE,
    Gateway,
    NoProviderError,
    call_fields,
    keys_within_caps,
    meter_call,
)
from quotahit.keys.service import ResolvedKey
from quotahit.providers.errors import ProviderError
from quotahit.providers.local import tts as local_tts
from quotahit.providers.text_to_speech import synthesize
from quotahit.providers.web_search import SearchResult, search
from quotahit.usage.service import CallRecord

# List prices used for metering: per search request, and per minute of generated speech.
SEARCH_PRICE = {"perplexity": 0.005, "tavily": 0.008}
SPEECH_PRICE_PER_MINUTE = {"openai": 0.015, "elevenlabs": 0.18}
SPEECH_VOICE = {"openai": "alloy", "elevenlabs": "21m00Tcm4TlvDq8ikWAM"}
PCM_BYTES_PER_SECOND = 24_000 * 2


@dataclass(frozen=True)
class SearchOutcome:
    """What the web said, who searched, and what the user should know about how."""

    results: list[SearchResult]
    provider: str
    key_source: str
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SpeechOutcome:
    """A spoken reply as 24 kHz PCM16, and who spoke it."""

    pcm: bytes
    provider: str
    key_source: str
    notices: list[str] = field(default_factory=list)


async def search_web(
    *,
    gateway: Gateway,
    identity: Identity,
    module: str,
    query: str,
    max_results: int = 5,
    providers: tuple[str, ...] = ("perplexity", "tavily"),
) -> SearchOutcome:
    """Search with Perplexity (preferred) or Tavily, key by key; say so when none can."""
    reasons: list[str] = []
    for provider in providers:
        found, unusable = keys_within_caps(gateway, identity, provider)
        reasons += unusable
        for key in found:
            started = time.perf_counter()
            call = call_fields(identity, module, provider, "search", key)
            try:
                results = await asyncio.to_thread(
                    search,
                    provider=provider,
                    secret=key.secret or "",
                    base_url=gateway.base_urls[provider],
                    query=query,
                    max_results=max_results,
                )
            except ProviderError as error:
                meter_call(
                    gateway,
                    CallRecord(
                        **call,
                        outcome=error.kind,
                        detail=str(error),
                        latency_ms=round((time.perf_counter() - started) * 1000),
                    ),
                )
                reasons.append(f"{provider} with {WHOSE[key.source]} failed ({error})")
                continue
            meter_call(
                gateway,
                CallRecord(
                    **call,
                    cost_usd=SEARCH_PRICE.get(provider, 0.0),
                    latency_ms=round((time.perf_counter() - started) * 1000),
                ),
            )
            notices = [f"Searched with {provider}: " + "; ".join(reasons) + "."] if reasons else []
            return SearchOutcome(results, provider, key.source.value, notices)
    raise NoProviderError(
        "Web search needs a Perplexity or Tavily key (add one on the API keys page): "
        + "; ".join(reasons)
        + "."
    )


async def speak(
    *, gateway: Gateway, identity: Identity, module: str, text: str, provider: str = "openai"
) -> SpeechOutcome:
    """Speak the text with the provider's keys in order, else the local voice, saying so."""
    reasons: list[str] = []
    found: list[ResolvedKey] = []
    if provider != "local":
        found, reasons = keys_within_caps(gateway, identity, provider)
    for key in found:
        started = time.perf_counter()
        call = call_fields(identity, module, provider, "tts", key)

        def run(key: ResolvedKey = key) -> bytes:
            return b"".join(
                synthesize(
                    provider=provider,
                    voice=SPEECH_VOICE[provider],
                    secret=key.secret or "",
                    base_url=gateway.base_urls[provider],
                    text=text,
                )
            )

        try:
            pcm = await asyncio.to_thread(run)
        except ProviderError as error:
            meter_call(
                gateway,
                CallRecord(
                    **call,
                    outcome=error.kind,
                    detail=str(error),
                    latency_ms=round((time.perf_counter() - started) * 1000),
                ),
            )
            reasons.append(f"{provider} with {WHOSE[key.source]} failed ({error})")
            continue
        seconds = len(pcm) / PCM_BYTES_PER_SECOND
        meter_call(
            gateway,
            CallRecord(
                **call,
                audio_seconds=seconds,
                cost_usd=seconds / 60 * SPEECH_PRICE_PER_MINUTE.get(provider, 0.0),
                latency_ms=round((time.perf_counter() - started) * 1000),
            ),
        )
        notices = (
            [f"Spoken with {WHOSE[key.source]}: " + "; ".join(reasons) + "."] if reasons else []
        )
        return SpeechOutcome(pcm, provider, key.source.value, notices)
    started = time.perf_counter()
    pcm = await asyncio.to_thread(lambda: b"".join(local_tts.synthesize_stream(text)))
    meter_call(
        gateway,
        CallRecord(
            **call_fields(identity, module, "local", "local-voice", None),
            audio_seconds=len(pcm) / PCM_BYTES_PER_SECOND,
            latency_ms=round((time.perf_counter() - started) * 1000),
        ),
    )
    notices = ["Spoken by the built-in local voice: " + "; ".join(reasons) + "."] if reasons else []
    return SpeechOutcome(pcm, "local", "local", notices)
