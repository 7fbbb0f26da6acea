"""The text capability: one streaming interface over OpenAI, Anthropic and OpenAI-compatible APIs.

Every adapter yields `TextDelta`s as tokens arrive and ends with one `TextDone` carrying the
usage the provider reported; any failure becomes a `TextProviderError` that says whether trying
again (or another key or provider) may help. A user turn may carry images for vision models; it is
then sent as the provider's content parts, and every other turn stays a plain string.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.cookiejar
import json
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx2
import openai

from quotahit.providers.errors import PROVIDER_LABELS, ProviderError


@dataclass(frozen=True)
class ImagePart:
    """An image sent inline with a user turn.

    Use PNG, JPEG, GIF or WebP (`mime` "image/png", ...): the types every supported provider takes.
    """

    mime: str
    data: bytes

    @property
    def base64_data(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    @property
    def data_url(self) -> str:
        return f"data:{self.mime};base64,{self.base64_data}"


@dataclass(frozen=True)
class ChatMessage:
    """One turn of a conversation; `system` turns become the provider's instructions.

    Only user turns may carry images: the providers refuse them in system and assistant turns.
    """

    role: str  # system | user | assistant
    content: str
    images: tuple[ImagePart, ...] = ()

    def __post_init__(self) -> None:
        if self.images and self.role != "user":
            raise ValueError(f"a {self.role} turn cannot carry images, only a user turn")


@dataclass(frozen=True)
class TextDelta:
    """Newly generated text."""

    text: str


@dataclass(frozen=True)
class TextDone:
    """The end of an answer, with what it cost in tokens and any sources it cited."""

    tokens_in: int
    tokens_out: int
    citations: list[str] = field(default_factory=list)


TextEvent = TextDelta | TextDone


class TextProviderError(ProviderError):
    """A text-generation call failed."""


def _retry_after(error: Exception) -> float:
    response = getattr(error, "response", None)
    try:
        return float(response.headers.get("retry-after", 0)) if response is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def _translate(provider: str, error: Exception) -> TextProviderError:
    """Map SDK and transport errors (both SDKs share shapes) to one error type."""
    sdk = anthropic if isinstance(error, anthropic.APIError) else openai
    label = PROVIDER_LABELS.get(provider, provider)
    if isinstance(error, (sdk.AuthenticationError, sdk.PermissionDeniedError)):
        return TextProviderError("auth", f"{label} refused the key", retryable=True)
    if isinstance(error, sdk.RateLimitError):
        return TextProviderError(
            "rate_limited",
            f"{label} is rate-limiting",
            retryable=True,
            retry_after=_retry_after(error),
        )
    if isinstance(error, sdk.NotFoundError):
        return TextProviderError(
            "no_model", f"{label} has no such model for this key", retryable=True
        )
    if isinstance(error, sdk.BadRequestError):
        return TextProviderError("bad_request", f"{label} rejected the request", retryable=False)
    if isinstance(error, sdk.APITimeoutError):
        return TextProviderError("timeout", f"{label} did not answer in time", retryable=True)
    if isinstance(error, (sdk.APIConnectionError, httpx2.HTTPError)):
        return TextProviderError("unreachable", f"{label} could not be reached", retryable=True)
    if isinstance(error, ValueError):  # a body or SSE line that is not JSON
        return TextProviderError("malformed", f"{label} sent a broken answer", retryable=True)
    return TextProviderError("server", f"{label} had an error", retryable=True)


_FAILURES = (openai.APIError, anthropic.APIError, httpx2.HTTPError, json.JSONDecodeError)
_SHARED_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx2.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


async def _sse_payloads(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, Any]]:
    """The JSON objects of a server-sent event stream's `data:` lines (one JSON per line, as
    OpenAI-style APIs send them); a line that is not JSON raises ValueError (malformed)."""
    async for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if not data or data == "[DONE]":
            continue
        payload = json.loads(data)
        if isinstance(payload, dict):
            yield payload


def shared_http_client() -> httpx2.AsyncClient:
    """One connection pool per event loop, shared by every SDK client the adapters build.

    An SDK client built without one makes its own HTTP client, and with it a fresh TLS context:
    about 75 ms of CPU on the event loop per call, measured by bench/bench_coach_streaming.py,
    which stalls every other stream. Sharing also reuses connections to the providers. Per loop,
    because connections belong to the loop that opened them.
    """
    loop = asyncio.get_running_loop()
    client = _SHARED_CLIENTS.get(loop)
    if client is None or client.is_closed:
        client = httpx2.AsyncClient(
            limits=httpx2.Limits(max_connections=500, max_keepalive_connections=100),
            follow_redirects=False,
            # No cookie jar: a provider's cookie set for one user's call must not ride along
            # on the next user's.
            cookies=http.cookiejar.CookieJar(
                http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
            ),
        )
        _SHARED_CLIENTS[loop] = client
    return client


Content = str | list[dict[str, Any]]


def _text_parts(part_type: str, text: str) -> list[dict[str, Any]]:
    # Anthropic refuses an empty text block, so an image-only turn gets no text part anywhere.
    return [{"type": part_type, "text": text}] if text else []


def _responses_content(message: ChatMessage) -> Content:
    if not message.images:
        return message.content
    images = [
        # The SDK's ResponseInputImageParam requires `detail`; "auto" is the API's default.
        {"type": "input_image", "image_url": image.data_url, "detail": "auto"}
        for image in message.images
    ]
    return _text_parts("input_text", message.content) + images


def _anthropic_content(message: ChatMessage) -> Content:
    if not message.images:
        return message.content
    images = [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": image.mime, "data": image.base64_data},
        }
        for image in message.images
    ]
    # Anthropic's vision guide puts images before the text that asks about them.
    return images + _text_parts("text", message.content)


def _chat_content(message: ChatMessage) -> Content:
    if not message.images:
        return message.content
    images = [
        {"type": "image_url", "image_url": {"url": image.data_url}} for image in message.images
    ]
    return _text_parts("text", message.content) + images


def _split_system(
    messages: Sequence[ChatMessage], content: Callable[[ChatMessage], Content]
) -> tuple[str, list[dict[str, Any]]]:
    system = "\n\n".join(message.content for message in messages if message.role == "system")
    turns = [
        {"role": message.role, "content": content(message)}
        for message in messages
        if message.role != "system"
    ]
    return system, turns


async def stream_text(
    *,
    provider: str,
    api_model: str,
    secret: str,
    base_url: str,
    messages: Sequence[ChatMessage],
    max_tokens: int = 1024,
    request_timeout: float = 60.0,
) -> AsyncIterator[TextEvent]:
    """Stream one answer from the provider through its official SDK."""
    try:
        if provider == "openai":
            stream = _openai_responses(
                secret, base_url, api_model, messages, max_tokens, request_timeout
            )
        elif provider == "anthropic":
            stream = _anthropic_messages(
                secret, base_url, api_model, messages, max_tokens, request_timeout
            )
        else:  # openrouter, perplexity and any OpenAI-compatible server speak Chat Completions
            stream = _chat_completions(
                secret, base_url, api_model, messages, max_tokens, request_timeout
            )
        async with contextlib.aclosing(stream):  # closed even when the caller stops early
            async for event in stream:
                yield event
    except _FAILURES as error:
        raise _translate(provider, error) from error


async def _openai_responses(
    secret: str,
    base_url: str,
    model: str,
    messages: Sequence[ChatMessage],
    max_tokens: int,
    request_timeout: float,
) -> AsyncIterator[TextEvent]:
    system, turns = _split_system(messages, _responses_content)
    client = openai.AsyncOpenAI(
        api_key=secret,
        base_url=base_url,
        timeout=request_timeout,
        max_retries=0,
        http_client=shared_http_client(),
    )
    # Raw event lines rather than the SDK's typed events: building a typed object per token
    # was half the CPU of a streamed answer (bench/bench_coach_streaming.py), and only two
    # event types matter here.
    async with client.responses.with_streaming_response.create(
        model=model,
        instructions=system or None,
        input=turns,  # type: ignore[arg-type]
        max_output_tokens=max_tokens,
        stream=True,
    ) as response:
        async for event in _sse_payloads(response.iter_lines()):
            kind = event.get("type")
            if kind == "response.output_text.delta":
                yield TextDelta(str(event.get("delta") or ""))
            elif kind == "response.completed":
                usage = (event.get("response") or {}).get("usage") or {}
                yield TextDone(
                    int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
                )
                return
            elif kind in {"response.failed", "error"}:
                raise TextProviderError(
                    "server", "OpenAI reported a failed response", retryable=True
                )
    raise TextProviderError("stream_cut", "OpenAI ended the stream early", retryable=True)


async def _anthropic_messages(
    secret: str,
    base_url: str,
    model: str,
    messages: Sequence[ChatMessage],
    max_tokens: int,
    request_timeout: float,
) -> AsyncIterator[TextEvent]:
    system, turns = _split_system(messages, _anthropic_content)
    client = anthropic.AsyncAnthropic(
        api_key=secret,
        base_url=base_url,
        timeout=request_timeout,
        max_retries=0,
        http_client=shared_http_client(),
    )
    options = {"system": system} if system else {}
    async with client.messages.stream(
        model=model,
        max_tokens=max_tokens,
        messages=turns,
        **options,  # type: ignore[arg-type]
    ) as stream:
        async for text in stream.text_stream:
            yield TextDelta(text)
        final = await stream.get_final_message()
    yield TextDone(final.usage.input_tokens, final.usage.output_tokens)


async def _chat_completions(
    secret: str,
    base_url: str,
    model: str,
    messages: Sequence[ChatMessage],
    max_tokens: int,
    request_timeout: float,
) -> AsyncIterator[TextEvent]:
    tokens_in = tokens_out = 0
    citations: list[str] = []
    finished = False
    client = openai.AsyncOpenAI(
        api_key=secret,
        base_url=base_url,
        timeout=request_timeout,
        max_retries=0,
        http_client=shared_http_client(),
    )
    async with client.chat.completions.with_streaming_response.create(
        model=model,
        messages=[{"role": m.role, "content": _chat_content(m)} for m in messages],  # type: ignore[misc]
        max_tokens=max_tokens,
        stream=True,
        stream_options={"include_usage": True},
    ) as response:
        async for chunk in _sse_payloads(response.iter_lines()):
            if chunk.get("error"):
                raise TextProviderError("server", "the provider reported an error", retryable=True)
            if chunk.get("citations"):  # Perplexity's sources arrive as extra fields
                citations = [str(url) for url in chunk["citations"]]
            for choice in chunk.get("choices") or ():
                content = (choice.get("delta") or {}).get("content")
                if content:
                    yield TextDelta(str(content))
                finished = finished or choice.get("finish_reason") is not None
            usage = chunk.get("usage")
            if usage:
                tokens_in = int(usage.get("prompt_tokens") or 0)
                tokens_out = int(usage.get("completion_tokens") or 0)
    if not finished:
        raise TextProviderError("stream_cut", "the stream ended early", retryable=True)
    yield TextDone(tokens_in, tokens_out, citations)
