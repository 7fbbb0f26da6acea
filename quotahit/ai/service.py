"""The AI gateway: pick the key, respect spend caps, stream, back off, fail over, meter.

Every AI feature calls `stream_answer`. It resolves the key for the chosen model (user, then
organisation, then platform), refuses a key whose monthly cap is spent, retries a failed start
once after a short back-off, then fails over to the next key of the same provider (user, then
organisation, then platform) and then to the next model that has a key, saying so, and records
every attempt in the usage table.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from quotahit.accounts.identity import Identity
from quotahit.brain import answer as brain_answer
from quotahit.keys import custom
from quotahit.keys import service as keys
from quotahit.keys.crypto import Keyring
from quotahit.keys.service import KeySource, ResolvedKey
from quotahit.providers.catalogue import FALLBACK_TEXT_MODELS, MODELS, MODELS_BY_ID, TEXT, Model
from quotahit.providers.text import (
    ChatMessage,
    TextDelta,
    TextDone,
    TextProviderError,
    stream_text,
)
from quotahit.usage import service as usage
from quotahit.usage.service import CallRecord

SessionFactory = Callable[[], AbstractContextManager[Session]]
MAX_BACKOFF_SECONDS = 2.0


class NoProviderError(Exception):
    """No key can serve the request: the caller falls back to the local engine or says so."""


@dataclass(frozen=True)
class Notice:
    """Something the user should see: a failover, a cap reached, a retry."""

    text: str


@dataclass(frozen=True)
class AnswerDone:
    """The end of an answer: which model and whose key served it, and at what cost."""

    model_id: str
    key_source: str
    tokens_in: int
    tokens_out: int
    cost_usd: float
    citations: list[str] = field(default_factory=list)


AnswerEvent = TextDelta | Notice | AnswerDone


@dataclass(frozen=True)
class LocalReply:
    """What the built-in engine answered, and the passages or documents it drew on."""

    text: str
    citations: list[str] = field(default_factory=list)


# A feature's own offline answerer (the coach's retrieval, the practice buyer's dialogue manager).
LocalEngine = Callable[[Sequence[ChatMessage]], Awaitable[LocalReply]]


@dataclass(frozen=True)
class Gateway:
    """Everything a call needs besides the request: database, keyring, platform keys, URLs."""

    sessions: SessionFactory
    keyring: Keyring
    platform_keys: dict[str, str]
    base_urls: dict[str, str]
    timeout: float = 60.0
    sleep: Callable[[float], object] = asyncio.sleep


def candidates(model_id: str, fallbacks: Sequence[str] | None = None) -> Iterator[Model]:
    """The chosen model first, then the other text models in catalogue order."""
    chosen = MODELS_BY_ID.get(model_id)
    if chosen is None:
        raise NoProviderError(f"Unknown model “{model_id}”.")
    yield chosen
    others = fallbacks if fallbacks is not None else FALLBACK_TEXT_MODELS
    seen = {chosen.provider}
    for other_id in others:
        other = MODELS_BY_ID[other_id]
        if TEXT in other.capabilities and other.provider not in seen | {"local"}:
            seen.add(other.provider)
            yield other


def _usable_keys(
    gateway: Gateway, identity: Identity, model: Model
) -> tuple[list[ResolvedKey], list[str]]:
    """The keys that may serve the model now (caps respected), and why others may not."""
    if model.provider == "custom":
        with gateway.sessions() as db_session:
            servers = custom.resolve_endpoints(
                db_session=db_session, identity=identity, keyring=gateway.keyring
            )
        usable = [
            ResolvedKey(
                KeySource(server.source),
                "custom",
                server.secret or "none",
                base_url=server.base_url,
                api_model=server.api_model,
            )
            for server in servers
        ]
        return usable, ([] if usable else ["no model server is set up"])
    return keys_within_caps(gateway, identity, model.provider)


def keys_within_caps(
    gateway: Gateway, identity: Identity, provider: str
) -> tuple[list[ResolvedKey], list[str]]:
    """The provider's keys in resolution order, minus those whose monthly cap is spent."""
    usable: list[ResolvedKey] = []
    reasons: list[str] = []
    with gateway.sessions() as db_session:
        resolved = keys.resolve_all(
            db_session=db_session,
            identity=identity,
            keyring=gateway.keyring,
            provider=provider,
            platform_keys=gateway.platform_keys,
        )
        for key in resolved:
            if key.key_id is not None and key.monthly_cap_usd is not None:
                spent = usage.spent_this_month(
                    db_session=db_session,
                    organization_id=identity.organization_id,
                    key_id=key.key_id,
                )
                if spent >= key.monthly_cap_usd:
                    reasons.append(
                        f"{WHOSE[key.source]} for {provider} reached its monthly cap "
                        f"(${key.monthly_cap_usd:,.2f})"
                    )
                    continue
            usable.append(key)
    if not resolved:
        reasons.append(f"no {provider} key")
    return usable, reasons


def meter_call(gateway: Gateway, call: CallRecord) -> None:
    """Record one provider call in the usage table."""
    with gateway.sessions() as db_session:
        usage.record(db_session=db_session, call=call)


def call_fields(
    identity: Identity, module: str, provider: str, model: str, key: ResolvedKey | None
) -> dict[str, Any]:
    """Who made a call and with whose key: the part of a usage record every capability shares."""
    return {
        "organization_id": identity.organization_id,
        "user_id": identity.user_id,
        "module": module,
        "provider": provider,
        "model": model,
        "key_source": key.source.value if key else "local",
        "key_id": key.key_id if key else None,
    }


WHOSE = {
    KeySource.USER: "your key",
    KeySource.ORGANIZATION: "your organisation's key",
    KeySource.PLATFORM: "the platform key",
    KeySource.LOCAL: "the local engine",
}
RETRYABLE_KINDS = frozenset(
    {"rate_limited", "server", "timeout", "unreachable", "malformed", "stream_cut"}
)


async def _attempt(
    gateway: Gateway,
    identity: Identity,
    module: str,
    model: Model,
    key: ResolvedKey,
    messages: Sequence[ChatMessage],
    max_tokens: int,
) -> AsyncIterator[TextDelta | AnswerDone]:
    """One call with one key: streamed, metered whatever happens."""
    started = time.perf_counter()
    call = call_fields(identity, module, model.provider, model.id, key)
    stream = stream_text(
        provider=model.provider,
        api_model=key.api_model or model.api_model,
        secret=key.secret or "",
        base_url=key.base_url or gateway.base_urls[model.provider],
        messages=messages,
        max_tokens=max_tokens,
        request_timeout=gateway.timeout,
    )
    try:
        async for event in stream:
            if isinstance(event, TextDone):
                cost = model.cost(event.tokens_in, event.tokens_out)
                await asyncio.to_thread(
                    meter_call,
                    gateway,
                    CallRecord(
                        **call,
                        tokens_in=event.tokens_in,
                        tokens_out=event.tokens_out,
                        latency_ms=round((time.perf_counter() - started) * 1000),
                        cost_usd=cost,
                    ),
                )
                yield AnswerDone(
                    model.id,
                    key.source.value,
                    event.tokens_in,
                    event.tokens_out,
                    cost,
                    event.citations,
                )
                return
            yield event
    except TextProviderError as error:
        await asyncio.to_thread(
            meter_call,
            gateway,
            CallRecord(
                **call,
                latency_ms=round((time.perf_counter() - started) * 1000),
                outcome=error.kind,
                detail=str(error),
            ),
        )
        raise
    finally:
        await stream.aclose()  # the SDK stream and its connection, even on an early return


async def stream_answer(
    *,
    gateway: Gateway,
    identity: Identity,
    module: str,
    model_id: str,
    messages: Sequence[ChatMessage],
    max_tokens: int = 1024,
    fallbacks: Sequence[str] | None = None,
    local_fallback: bool = True,
    local_engine: LocalEngine | None = None,
) -> AsyncIterator[AnswerEvent]:
    """Stream an answer from the chosen model, failing over key by key, then model by model,
    and finally to the local engine (unless the caller needs a model, e.g. to score a call).

    `local_engine` replaces the default playbook quote for features with their own offline
    logic; it is metered like every call, at zero cost.
    """
    reasons: list[str] = []
    for model in candidates(model_id, fallbacks) if model_id != "local" else ():
        # Database work (key lookup, decryption) off the event loop, which serves every stream.
        usable, unusable = await asyncio.to_thread(_usable_keys, gateway, identity, model)
        reasons += unusable
        for key in usable:
            if reasons:
                yield Notice(
                    f"Answering with {model.label} ({WHOSE[key.source]}) instead: "
                    + "; ".join(reasons)
                    + "."
                )
            for attempt in (1, 2):
                produced = False
                try:
                    async with contextlib.aclosing(
                        _attempt(gateway, identity, module, model, key, messages, max_tokens)
                    ) as attempt_events:
                        async for event in attempt_events:
                            produced = produced or isinstance(event, TextDelta)
                            yield event
                    return
                except TextProviderError as error:
                    if produced or not error.retryable:
                        # Text already reached the user: keep it, and let them retry.
                        raise
                    if attempt == 1 and error.kind in RETRYABLE_KINDS:
                        await gateway.sleep(min(error.retry_after or 0.5, MAX_BACKOFF_SECONDS))
                        continue
                    reasons.append(f"{model.label} with {WHOSE[key.source]} failed ({error})")
                    break
    if not local_fallback:
        raise NoProviderError(
            "No AI provider could answer: " + "; ".join(reasons or ["no key is configured"]) + "."
        )
    if model_id != "local":
        yield Notice(
            "Answering from the built-in local engine: " + "; ".join(reasons or ["no key"]) + "."
        )
    async for event in _answer_locally(
        gateway, identity, module, messages, local_engine or quote_playbook
    ):
        yield event


async def quote_playbook(messages: Sequence[ChatMessage]) -> LocalReply:
    """The default local engine: the playbook passages that best answer the last question."""
    question = next((m.content for m in reversed(messages) if m.role == "user"), "")
    local = await asyncio.to_thread(brain_answer.answer, question)
    return LocalReply(local.text, [hit.title for hit in local.sources])


LOCAL_CHUNK_WORDS = 6


async def _answer_locally(
    gateway: Gateway,
    identity: Identity,
    module: str,
    messages: Sequence[ChatMessage],
    engine: LocalEngine,
) -> AsyncIterator[AnswerEvent]:
    """Run the local engine (metered at zero cost, like every call) and stream its text."""
    started = time.perf_counter()
    local = await engine(messages)
    # Streamed a few words at a time, so a local answer reads like every other one.
    words = local.text.split(" ")
    for start in range(0, len(words), LOCAL_CHUNK_WORDS):
        chunk = " ".join(words[start : start + LOCAL_CHUNK_WORDS])
        yield TextDelta(chunk if start + LOCAL_CHUNK_WORDS >= len(words) else chunk + " ")
    await asyncio.to_thread(
        meter_call,
        gateway,
        CallRecord(
            **call_fields(identity, module, "local", "local", None),
            latency_ms=round((time.perf_counter() - started) * 1000),
        ),
    )
    yield AnswerDone("local", "local", 0, 0, 0.0, local.citations)


@dataclass(frozen=True)
class ModelOption:
    """A model as the picker shows it: who would serve it for this user right now."""

    id: str
    label: str
    provider: str
    source: str  # user | organization | platform | local | none
    served_by: str
    note: str


SERVED_BY = {
    KeySource.USER.value: "your key",
    KeySource.ORGANIZATION.value: "organisation key",
    KeySource.PLATFORM.value: "platform key",
    "local": "built in, offline",
    "none": "no key yet",
}


def model_options(
    *, gateway: Gateway, identity: Identity, capability: str = TEXT
) -> list[ModelOption]:
    """Every model with the capability, and whose key (if any) would serve it."""
    with gateway.sessions() as db_session:
        sources = keys.sources_in_use(
            db_session=db_session, identity=identity, platform_keys=gateway.platform_keys
        )
        servers = custom.list_endpoints(db_session=db_session, identity=identity)
    if servers:
        sources["custom"] = KeySource(servers[0].scope)
    options = []
    for model in MODELS:
        if capability not in model.capabilities:
            continue
        if model.provider == "local":
            source = "local"
        else:
            resolved = sources.get(model.provider, KeySource.LOCAL)
            source = "none" if resolved is KeySource.LOCAL else resolved.value
        options.append(
            ModelOption(
                model.id, model.label, model.provider, source, SERVED_BY[source], model.note
            )
        )
    return options
