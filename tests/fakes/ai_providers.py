"""Fakes of the AI providers QuotaHit calls, all served by one real HTTP server on 127.0.0.1.

openai 3.x and anthropic 2.x talk through `httpx2`, which respx does not intercept, so the fakes are
real sockets: each SDK is pointed at its own path prefix with `base_url`.

    with FakeAIProviders() as ai:
        client = openai.OpenAI(base_url=ai.openai_url, api_key="sk-test-valid", max_retries=0)
        ai.set_mode("openai", "rate_limited", times=1)   # the next OpenAI request gets a 429

Base URLs (`ai.base_url(name)`, or `ai.openai_url` ...), key header, endpoints:

* openai      `{url}/openai/v1`          Bearer       GET /models, GET /models/{id},
                                                      POST /chat/completions, POST /responses
* anthropic   `{url}/anthropic`          x-api-key    GET /v1/models, GET /v1/models/{id},
                                         or Bearer    POST /v1/messages (anthropic 2.x sends Bearer)
* openrouter  `{url}/openrouter/api/v1`  Bearer       GET /key (or /auth/key),
                                                      POST /chat/completions
* perplexity  `{url}/perplexity`         Bearer       POST /chat/completions (+ citations)
* tavily      `{url}/tavily`             Bearer       POST /search, GET /usage
                                         (or body `api_key`)
* elevenlabs  `{url}/elevenlabs`         xi-api-key   GET /v1/user, GET /v1/user/subscription

Every provider has its own `ProviderState` (`ai.openai`, `ai.anthropic`, ...): valid keys, streamed
reply tokens, a per-token delay, the allowed models and a failure `mode`. To script a conversation,
`ai.queue_replies("openai", "first answer", "second answer")`: each text answers one text request
(Chat Completions, Responses, Messages) in turn, split into word tokens; once the queue is empty the
provider answers with its `reply_tokens` again.

Text requests may send a turn's content as a list of parts, shaped as each API shapes them: Chat
Completions `text` / `image_url`, Responses `input_text` / `input_image`, Messages `text` / `image`.
A part in another API's shape, a text part without text (or an empty one, for Anthropic) or an
image that is not a PNG, JPEG, GIF or WebP in valid base64 (or a web address) gets that provider's
400. `request.images` decodes what a request carried (`ReceivedImage`: role, media type and bytes,
or the web address), and each image counts `IMAGE_TOKENS` prompt tokens, not its base64 size.

* "ok": the normal answer (JSON, or SSE when the body has `"stream": true`).
* "unauthorized" 401, "forbidden" 403, "model_not_found" 404, "rate_limited" 429 (+ `retry-after`),
  "server_error" 500, "overloaded" (529 for Anthropic, 503 elsewhere): each with that provider's
  error JSON shape.
* "timeout": the request is held open `hold_seconds` (released at once by `stop()`), then answered.
* "malformed": a JSON body that is not valid JSON, or an SSE stream with one non-JSON `data:` line
  after `cut_after_tokens` tokens.
* "cut_stream": after `cut_after_tokens` tokens (half the body for JSON answers) the connection is
  closed without finishing the chunked body.

A key outside `valid_keys` always gets 401, whatever the mode. A model outside `allowed_models`
(when that is not None) gets 404. Every request is kept in `ai.requests` with the key header
values redacted to their last 4 characters.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import re
import socket
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes.loopback import LoopbackFake

Provider = Literal["openai", "anthropic", "openrouter", "perplexity", "tavily", "elevenlabs"]
Mode = Literal[
    "ok",
    "unauthorized",
    "forbidden",
    "model_not_found",
    "rate_limited",
    "server_error",
    "overloaded",
    "timeout",
    "malformed",
    "cut_stream",
]

PROVIDERS: tuple[Provider, ...] = get_args(Provider)
MODES: tuple[Mode, ...] = get_args(Mode)
ERROR_MODES: tuple[Mode, ...] = (
    "unauthorized",
    "forbidden",
    "model_not_found",
    "rate_limited",
    "server_error",
    "overloaded",
)

PREFIXES: dict[Provider, str] = {
    "openai": "/openai/v1",
    "anthropic": "/anthropic",
    "openrouter": "/openrouter/api/v1",
    "perplexity": "/perplexity",
    "tavily": "/tavily",
    "elevenlabs": "/elevenlabs",
}

DEFAULT_KEYS: dict[Provider, tuple[str, ...]] = {
    "openai": ("sk-test-valid",),
    "anthropic": ("sk-ant-test-valid",),
    "openrouter": ("sk-or-test-valid",),
    "perplexity": ("pplx-test-valid",),
    "tavily": ("tvly-test-valid",),
    "elevenlabs": ("el-test-valid",),
}

DEFAULT_REPLY_TOKENS: tuple[str, ...] = ("Hello", " from", " the", " fake", " model", ".")

DEFAULT_MODELS: dict[Provider, tuple[str, ...]] = {
    "openai": ("gpt-5.4", "gpt-5.4-mini", "gpt-5-mini", "gpt-4.1-mini", "gpt-4o-mini"),
    # Not claude-sonnet-4-5: anthropic 2.x warns (DeprecationWarning) on every call naming it.
    "anthropic": ("claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-7"),
    "openrouter": ("openai/gpt-5.4-mini", "anthropic/claude-sonnet-4.6", "perplexity/sonar"),
    "perplexity": ("sonar", "sonar-pro", "sonar-reasoning", "sonar-deep-research"),
    "tavily": (),
    "elevenlabs": (),
}

DEFAULT_SEARCH_RESULTS: tuple[dict[str, Any], ...] = (
    {
        "title": "Cold calling openers that work",
        "url": "https://example.com/sales/openers",
        "date": "2026-03-02",
        "content": "Open with a reason for the call and ask for thirty seconds.",
        "score": 0.92,
    },
    {
        "title": "Handling the price objection",
        "url": "https://example.org/objections/price",
        "date": "2026-01-18",
        "content": "Restate the value before you discuss the number.",
        "score": 0.81,
    },
)

_DEFAULT_ACCOUNTS: dict[Provider, dict[str, Any]] = {
    "openrouter": {"label": "QuotaHit test key", "limit": 10.0, "usage": 1.25},
    "tavily": {"plan": "Researcher", "usage": 150, "limit": 1000},
    "elevenlabs": {"tier": "creator", "character_count": 1234, "character_limit": 100000},
}

# Headers that carry a key: recorded with only their last 4 characters.
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "xi-api-key", "api-key"})

_CREATED = 1_735_689_600  # 2025-01-01, a fixed "created" stamp for models


def redact(value: str) -> str:
    """`Bearer sk-test-valid` -> `Bearer ****alid`; anything else -> `****` + its last 4 chars."""
    scheme, _, secret = value.partition(" ")
    if secret and scheme.lower() in {"bearer", "token", "basic"}:
        return f"{scheme} {redact(secret)}"
    return "****" + value[-4:]


@dataclass
class ProviderState:
    """The configuration of one provider; change its attributes at any time."""

    name: Provider
    valid_keys: set[str]
    reply_tokens: list[str]
    token_delay: float = 0.0
    models: list[str] = field(default_factory=list)  # what the model listings show
    allowed_models: set[str] | None = None  # None: any model name is accepted
    mode: Mode = "ok"
    mode_times: int | None = None  # None: until changed; n: the next n requests, then "ok"
    hold_seconds: float = 10.0  # "timeout" mode
    cut_after_tokens: int = 2  # "cut_stream" and "malformed" modes
    retry_after_seconds: float = 1.0  # "rate_limited" mode: retry-after(-ms) headers
    account: dict[str, Any] = field(default_factory=dict)  # key / usage / subscription data
    search_results: list[dict[str, Any]] = field(default_factory=list)
    queued_replies: list[list[str]] = field(default_factory=list)  # next text answers, in order

    @property
    def reply_text(self) -> str:
        return "".join(self.reply_tokens)

    def take_reply_tokens(self) -> list[str]:
        """The tokens of the next text answer: the first queued reply, else `reply_tokens`."""
        return self.queued_replies.pop(0) if self.queued_replies else list(self.reply_tokens)

    def set_mode(self, mode: Mode, times: int | None = None) -> None:
        """Answer in `mode`: for good, or only for the next `times` requests."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; pick one of {MODES}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        self.mode, self.mode_times = mode, times

    def model_allowed(self, model: str) -> bool:
        return self.allowed_models is None or model in self.allowed_models


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the fake saw it."""

    provider: Provider | None
    method: str
    path: str  # below the provider prefix, e.g. "/chat/completions"
    full_path: str  # as received, with the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names; key headers redacted
    body: Any  # parsed JSON (with a redacted "api_key"), raw text, or None
    api_key: str | None  # the key sent, redacted ("****alid")
    key_valid: bool
    outcome: str  # the mode that answered ("unauthorized" for a wrong key; "not_found")
    status: int

    @property
    def stream(self) -> bool:
        return isinstance(self.body, dict) and self.body.get("stream") is True

    @property
    def images(self) -> list[ReceivedImage]:
        """The images the turns carried, in order; raises ValueError on one the fake refused."""
        return [
            _image(role, part)
            for _, role, part in _turn_parts(self.body)
            if isinstance(part, dict) and part.get("type") in _IMAGE_PARTS
        ]


@dataclass(frozen=True)
class ReceivedImage:
    """An image a text request carried, whichever API's content part held it."""

    role: str
    media_type: str | None  # None for an image sent by web address
    data: bytes | None  # the decoded base64; None for an image sent by web address
    url: str | None  # the web address; None for an inline (base64) image


@dataclass
class _Reply:
    """What to send: a JSON payload, or SSE frames (each marked whether it carries a token)."""

    status: int = 200
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    frames: list[tuple[str, bool]] | None = None
    malformed_frame: str = 'data: {"choices": [{"delta": {"content": "unfinished\n\n'
    outcome: str | None = None  # set on error answers: the failure kind, "not_found", ...


class _Aborted(Exception):
    """The connection was cut on purpose."""


class FakeAIProviders(LoopbackFake):
    """Start with `with FakeAIProviders() as ai:`; `ai.base_url("openai")` is OpenAI's base URL."""

    server_name = "FakeAIProviders"

    def __init__(
        self,
        *,
        keys: Mapping[Provider, Iterable[str]] | None = None,
        reply_tokens: Iterable[str] = DEFAULT_REPLY_TOKENS,
        token_delay: float = 0.0,
        allowed_models: Mapping[Provider, Iterable[str]] | None = None,
        hold_seconds: float = 10.0,
        cut_after_tokens: int = 2,
        retry_after_seconds: float = 1.0,
    ) -> None:
        keys = {**DEFAULT_KEYS, **(keys or {})}
        allowed = dict(allowed_models or {})
        self.providers: dict[Provider, ProviderState] = {
            name: ProviderState(
                name=name,
                valid_keys=set(keys[name]),
                reply_tokens=list(reply_tokens),
                token_delay=token_delay,
                models=list(DEFAULT_MODELS[name]),
                allowed_models=set(allowed[name]) if name in allowed else None,
                hold_seconds=hold_seconds,
                cut_after_tokens=cut_after_tokens,
                retry_after_seconds=retry_after_seconds,
                account=dict(_DEFAULT_ACCOUNTS.get(name, {})),
                search_results=[dict(result) for result in DEFAULT_SEARCH_RESULTS],
            )
            for name in PROVIDERS
        }
        self.requests: list[ReceivedRequest] = []
        super().__init__()

    # Configuration.

    @property
    def openai(self) -> ProviderState:
        return self.providers["openai"]

    @property
    def anthropic(self) -> ProviderState:
        return self.providers["anthropic"]

    @property
    def openrouter(self) -> ProviderState:
        return self.providers["openrouter"]

    @property
    def perplexity(self) -> ProviderState:
        return self.providers["perplexity"]

    @property
    def tavily(self) -> ProviderState:
        return self.providers["tavily"]

    @property
    def elevenlabs(self) -> ProviderState:
        return self.providers["elevenlabs"]

    def set_mode(
        self, provider: Provider | Literal["all"], mode: Mode, times: int | None = None
    ) -> None:
        """Switch one provider (or "all") to `mode`, for good or for the next `times` requests."""
        names = PROVIDERS if provider == "all" else (provider,)
        with self._lock:
            for name in names:
                self.providers[name].set_mode(mode, times)

    def queue_replies(self, provider: Provider, *texts: str) -> None:
        """Answer the provider's next text requests with these texts, one per request."""
        with self._lock:
            self.providers[provider].queued_replies.extend(
                re.findall(r"\s*\S+|\s+", text) or [""] for text in texts
            )

    def reset(self) -> None:
        """Back to "ok" everywhere, and forget the recorded requests and queued replies."""
        self.set_mode("all", "ok")
        with self._lock:
            self.requests.clear()
            for state in self.providers.values():
                state.queued_replies.clear()

    # Addresses.

    def base_url(self, provider: Provider) -> str:
        return self.url + PREFIXES[provider]

    @property
    def base_urls(self) -> dict[Provider, str]:
        return {name: self.base_url(name) for name in PROVIDERS}

    @property
    def openai_url(self) -> str:
        return self.base_url("openai")

    @property
    def anthropic_url(self) -> str:
        return self.base_url("anthropic")

    @property
    def openrouter_url(self) -> str:
        return self.base_url("openrouter")

    @property
    def perplexity_url(self) -> str:
        return self.base_url("perplexity")

    @property
    def tavily_url(self) -> str:
        return self.base_url("tavily")

    @property
    def elevenlabs_url(self) -> str:
        return self.base_url("elevenlabs")

    # Recorded requests.

    def requests_for(self, provider: Provider) -> list[ReceivedRequest]:
        with self._lock:
            return [request for request in self.requests if request.provider == provider]

    def last_request(self, provider: Provider | None = None) -> ReceivedRequest:
        with self._lock:
            for request in reversed(self.requests):
                if provider is None or request.provider == provider:
                    return request
        raise AssertionError(f"no request reached the fake {provider or ''}".rstrip())

    # The exchange.

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        split = urlsplit(request.path)
        path = unquote(split.path)
        query = dict(parse_qsl(split.query))
        raw = _read_body(request)
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {key.lower(): value for key, value in request.headers.items()}

        provider = next(
            (
                name
                for name, prefix in PREFIXES.items()
                if path == prefix or path.startswith(prefix + "/")
            ),
            None,
        )
        if provider is None:
            reply = _Reply(404, {"error": f"no fake provider serves {path}"})
            self._record(request, None, path, query, headers, body, None, False, "not_found", 404)
            self._send(request, reply, "ok", None)
            return

        state = self.providers[provider]
        sub_path = path[len(PREFIXES[provider]) :] or "/"
        key = self._key(provider, headers, body)
        key_valid = key is not None and key in state.valid_keys
        mode = self._take_mode(state) if key_valid else "unauthorized"
        reply = self._route(provider, state, request.command, sub_path, query, body, key, mode)
        outcome = reply.outcome or mode
        self._record(
            request, provider, sub_path, query, headers, body, key, key_valid, outcome, reply.status
        )
        if mode == "timeout":
            self._release.wait(state.hold_seconds)
        self._send(request, reply, mode, state)

    def _take_mode(self, state: ProviderState) -> Mode:
        with self._lock:
            mode = state.mode
            if state.mode_times is not None:
                state.mode_times -= 1
                if state.mode_times <= 0:
                    state.mode, state.mode_times = "ok", None
            return mode

    @staticmethod
    def _key(provider: Provider, headers: dict[str, str], body: Any) -> str | None:
        if provider == "elevenlabs":
            return headers.get("xi-api-key")
        if provider == "anthropic" and headers.get("x-api-key"):
            return headers["x-api-key"]
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        if provider == "tavily" and isinstance(body, dict) and isinstance(body.get("api_key"), str):
            return body["api_key"]
        return None

    def _record(
        self,
        request: BaseHTTPRequestHandler,
        provider: Provider | None,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
        key: str | None,
        key_valid: bool,
        outcome: str,
        status: int,
    ) -> None:
        shown = {
            name: redact(value) if name in SECRET_HEADERS else value
            for name, value in headers.items()
        }
        if isinstance(body, dict) and isinstance(body.get("api_key"), str):
            body = {**body, "api_key": redact(body["api_key"])}
        with self._lock:
            self.requests.append(
                ReceivedRequest(
                    provider=provider,
                    method=request.command,
                    path=path,
                    full_path=request.path,
                    query=query,
                    headers=shown,
                    body=body,
                    api_key=redact(key) if key is not None else None,
                    key_valid=key_valid,
                    outcome=outcome,
                    status=status,
                )
            )

    # Routing.

    def _route(
        self,
        provider: Provider,
        state: ProviderState,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        key: str | None,
        mode: Mode,
    ) -> _Reply:
        endpoint = _ENDPOINTS[provider].get((method, path))
        model_in_path = None
        if endpoint is None:
            for (allowed_method, prefix), candidate in _MODEL_ENDPOINTS[provider].items():
                if method == allowed_method and path.startswith(prefix) and len(path) > len(prefix):
                    endpoint, model_in_path = candidate, path[len(prefix) :]
                    break
        if endpoint is None:
            return _error(provider, "route", f"{method} {PREFIXES[provider]}{path}")
        if mode == "unauthorized":
            return _error(provider, "unauthorized", key)
        model = model_in_path
        if model is None and isinstance(body, dict) and isinstance(body.get("model"), str):
            model = body["model"]
        if mode in ERROR_MODES:
            reply = _error(provider, mode, model or "the requested model")
            if mode == "rate_limited":
                reply.headers["retry-after"] = str(math.ceil(state.retry_after_seconds))
                reply.headers["retry-after-ms"] = str(round(state.retry_after_seconds * 1000))
                reply.headers.update(_RATE_LIMIT_HEADERS.get(provider, {}))
            return reply
        if method == "POST" and not isinstance(body, dict):
            return _error(provider, "bad_request", "The request body must be a JSON object.")
        if model is not None and not state.model_allowed(model):
            return _error(provider, "model_not_found", model)
        return endpoint(state, body if isinstance(body, dict) else {}, model, query)

    # Sending.

    def _send(
        self,
        request: BaseHTTPRequestHandler,
        reply: _Reply,
        mode: Mode,
        state: ProviderState | None,
    ) -> None:
        try:
            if reply.frames is not None and reply.status == 200:
                assert state is not None
                self._send_stream(request, reply, mode, state)
            else:
                self._send_json(request, reply, mode)
        except _Aborted:
            _abort(request)
        except (BrokenPipeError, ConnectionResetError, OSError):
            # The client gave up (time-out tests) or the fake is stopping.
            request.close_connection = True

    @staticmethod
    def _send_json(request: BaseHTTPRequestHandler, reply: _Reply, mode: Mode) -> None:
        data = json.dumps(reply.payload).encode()
        ok = reply.status == 200
        if ok and mode == "malformed":
            data = data[: max(1, len(data) // 2)]
        request.send_response(reply.status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.send_header("x-request-id", _id("req_"))
        for name, value in reply.headers.items():
            request.send_header(name, value)
        request.end_headers()
        if ok and mode == "cut_stream":
            request.wfile.write(data[: len(data) // 2])
            raise _Aborted
        request.wfile.write(data)

    def _send_stream(
        self, request: BaseHTTPRequestHandler, reply: _Reply, mode: Mode, state: ProviderState
    ) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/event-stream; charset=utf-8")
        request.send_header("Cache-Control", "no-cache")
        request.send_header("Transfer-Encoding", "chunked")
        request.send_header("x-request-id", _id("req_"))
        for name, value in reply.headers.items():
            request.send_header(name, value)
        request.end_headers()
        tokens_sent = 0
        for frame, carries_token in reply.frames or []:
            if carries_token:
                if tokens_sent == state.cut_after_tokens:
                    if mode == "cut_stream":
                        raise _Aborted
                    if mode == "malformed":
                        _write_chunk(request, reply.malformed_frame)
                if state.token_delay > 0:
                    self._release.wait(state.token_delay)
                tokens_sent += 1
            _write_chunk(request, frame)
        if mode == "cut_stream":
            raise _Aborted  # fewer tokens than cut_after_tokens: still never finish the body
        request.wfile.write(b"0\r\n\r\n")


def fake_ai_providers(**options: Any) -> Iterator[FakeAIProviders]:
    """The body of a pytest fixture: `yield from fake_ai_providers()` (options go to the class).

    At teardown it fails the test if the fake itself crashed while answering.
    """
    with FakeAIProviders(**options) as fake:
        yield fake
    assert not fake.errors, f"the fake AI providers crashed: {fake.errors!r}"


# Wire helpers.


def _read_body(request: BaseHTTPRequestHandler) -> bytes:
    if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
        parts = []
        while size := int(request.rfile.readline().split(b";")[0].strip() or b"0", 16):
            parts.append(request.rfile.read(size))
            request.rfile.readline()
        while request.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(parts)
    length = int(request.headers.get("Content-Length") or 0)
    return request.rfile.read(length) if length else b""


def _write_chunk(request: BaseHTTPRequestHandler, text: str) -> None:
    data = text.encode()
    request.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


def _abort(request: BaseHTTPRequestHandler) -> None:
    """Close the socket in the middle of a body: the client sees the peer hang up."""
    request.close_connection = True
    with contextlib.suppress(OSError):
        request.connection.shutdown(socket.SHUT_RDWR)


def _id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


def _sse(data: Any, event: str | None = None) -> str:
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n"


def _estimate_tokens(value: Any) -> int:
    """A deterministic stand-in for the prompt token count.

    A token per 4 characters of JSON, and `IMAGE_TOKENS` per image part instead of its base64 size.
    """
    if not value:
        return 1
    text, images = _split_images(value)
    return max(1, len(json.dumps(text)) // 4) + images * IMAGE_TOKENS


def _split_images(value: Any) -> tuple[Any, int]:
    """`value` without its image parts (they only sit in content lists), and how many it had."""
    if isinstance(value, dict):
        split = {key: _split_images(item) for key, item in value.items()}
        return {key: kept for key, (kept, _) in split.items()}, sum(n for _, n in split.values())
    if not isinstance(value, list):
        return value, 0
    kept_items, images = [], 0
    for item in value:
        if isinstance(item, dict) and item.get("type") in _IMAGE_PARTS:
            images += 1
        else:
            kept, inner = _split_images(item)
            kept_items.append(kept)
            images += inner
    return kept_items, images


# Content parts of text requests.

Api = Literal["chat", "responses", "messages"]

# Each API's (text part, image part) types: another API's type is refused, unknown ones pass.
_PART_TYPES: dict[Api, tuple[str, str]] = {
    "chat": ("text", "image_url"),
    "responses": ("input_text", "input_image"),
    "messages": ("text", "image"),
}
_KNOWN_PARTS = frozenset(kind for pair in _PART_TYPES.values() for kind in pair)
_IMAGE_PARTS = frozenset(image for _, image in _PART_TYPES.values())
_IMAGE_MEDIA_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
IMAGE_TOKENS = 85  # OpenAI's price of a low-detail image: one fixed count for every image


def _turn_parts(body: Any) -> Iterator[tuple[str, str, Any]]:
    """(where, role, part) for each content part of a text request's turns."""
    key = "messages" if isinstance(body, dict) and "messages" in body else "input"
    turns = body.get(key) if isinstance(body, dict) else None
    for index, turn in enumerate(turns if isinstance(turns, list) else []):
        content = turn.get("content") if isinstance(turn, dict) else None
        for number, part in enumerate(content if isinstance(content, list) else []):
            yield f"{key}[{index}].content[{number}]", str(turn.get("role")), part


def _content_problem(api: Api, body: dict[str, Any]) -> str | None:
    """Why the API would refuse the turns' content parts, or None when it would take them."""
    text_type, image_type = _PART_TYPES[api]
    for where, role, part in _turn_parts(body):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind is None:
            return f"{where}.type: Field required"
        if kind in _KNOWN_PARTS - {text_type, image_type}:
            return f"{where}.type: Invalid value: '{kind}'"
        if kind == text_type and not isinstance(part.get("text"), str):
            return f"{where}.text: Field required"
        if kind == text_type and api == "messages" and not part["text"]:
            return f"{where}: text content blocks must be non-empty"
        if kind == image_type:
            try:
                _image(role, part)
            except ValueError as error:
                return f"{where}: {error}"
    return None


def _image(role: str, part: dict[str, Any]) -> ReceivedImage:
    """Decode one image part of any API; ValueError says what is wrong with it."""
    if part.get("type") == "image":
        source = part.get("source")
        if not isinstance(source, dict):
            raise ValueError("source: Field required")
        if source.get("type") == "url":
            if not isinstance(source.get("url"), str):
                raise ValueError("source.url: Field required")
            return ReceivedImage(role, None, None, source["url"])
        if source.get("type") != "base64":
            raise ValueError("source.type: expected 'base64' or 'url'")
        media_type = _media_type(source.get("media_type"))
        return ReceivedImage(role, media_type, _base64(source.get("data")), None)
    url = part.get("image_url")
    if part.get("type") == "image_url":
        url = url.get("url") if isinstance(url, dict) else None
    if not isinstance(url, str) or not url:
        raise ValueError("image_url: Field required")
    if not url.startswith("data:"):
        return ReceivedImage(role, None, None, url)
    head, comma, payload = url.removeprefix("data:").partition(",")
    media_type, _, encoding = head.partition(";")
    if not comma or encoding != "base64":
        raise ValueError("image_url: expected a base64 data URL")
    return ReceivedImage(role, _media_type(media_type), _base64(payload), None)


def _media_type(value: Any) -> str:
    if value not in _IMAGE_MEDIA_TYPES:
        raise ValueError(f"media_type: '{value}' is not one of {sorted(_IMAGE_MEDIA_TYPES)}")
    return value


def _base64(value: Any) -> bytes:
    if not isinstance(value, str) or not value:
        raise ValueError("data: Field required")
    return base64.b64decode(value, validate=True)  # binascii.Error is a ValueError


def _limited(state: ProviderState, limit: Any) -> tuple[list[str], bool]:
    """The reply tokens, cut to a max-tokens `limit`; and whether the limit cut them."""
    tokens = state.take_reply_tokens()
    if isinstance(limit, int) and 0 < limit < len(tokens):
        return tokens[:limit], True
    return tokens, False


# Error shapes, per provider.

_OPENAI_ERRORS: dict[str, tuple[int, str, str | None, str]] = {
    # kind: (status, type, code, message template)
    "unauthorized": (
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: {detail}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    "forbidden": (
        403,
        "invalid_request_error",
        None,
        "You have insufficient permissions for this operation. Missing scopes: model.request. "
        "Check that you have the correct role in your organization and project, and if you're "
        "using a restricted API key, that it has the necessary scopes.",
    ),
    "model_not_found": (
        404,
        "invalid_request_error",
        "model_not_found",
        "The model `{detail}` does not exist or you do not have access to it.",
    ),
    "rate_limited": (
        429,
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for {detail} in organization org-fake on requests per min (RPM): "
        "Limit 3, Used 3, Requested 1. Please try again in 1s.",
    ),
    "server_error": (
        500,
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    "overloaded": (
        503,
        "server_error",
        None,
        "The engine is currently overloaded, please try again later.",
    ),
    "bad_request": (400, "invalid_request_error", None, "{detail}"),
    "route": (404, "invalid_request_error", None, "Invalid URL ({detail})"),
}

_ANTHROPIC_ERRORS: dict[str, tuple[int, str, str]] = {
    "unauthorized": (401, "authentication_error", "invalid x-api-key"),
    "forbidden": (
        403,
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    "model_not_found": (404, "not_found_error", "model: {detail}"),
    "rate_limited": (
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per "
        "minute. Please try again later.",
    ),
    "server_error": (500, "api_error", "Internal server error"),
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "bad_request": (400, "invalid_request_error", "{detail}"),
    "route": (404, "not_found_error", "Not found: {detail}"),
}

_RATE_LIMIT_HEADERS: dict[Provider, dict[str, str]] = {
    "openai": {
        "x-ratelimit-limit-requests": "3",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1s",
    },
    "anthropic": {
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "0",
    },
    "openrouter": {"x-ratelimit-limit": "20", "x-ratelimit-remaining": "0"},
}

_STATUS = {
    "unauthorized": 401,
    "forbidden": 403,
    "model_not_found": 404,
    "rate_limited": 429,
    "server_error": 500,
    "overloaded": 503,
    "bad_request": 400,
    "route": 404,
}

_PLAIN_MESSAGES: dict[Provider, dict[str, str]] = {
    "openrouter": {
        "unauthorized": "User not found.",
        "forbidden": "This API key has been disabled.",
        "model_not_found": "No endpoints found for {detail}.",
        "rate_limited": "Rate limit exceeded: limit_rpm/{detail}. Please try again shortly.",
        "server_error": "Internal Server Error",
        "overloaded": "Provider returned error: the model is overloaded.",
        "bad_request": "{detail}",
        "route": "Not Found ({detail})",
    },
    "perplexity": {
        "unauthorized": "Invalid API key provided. Check your key and try again.",
        "forbidden": "Your API key is not permitted to use this resource.",
        "model_not_found": "Invalid model '{detail}'. Permitted models can be found in the "
        "documentation at https://docs.perplexity.ai/getting-started/models.",
        "rate_limited": "Rate limit exceeded. Please wait before making more requests.",
        "server_error": "Internal server error",
        "overloaded": "The service is temporarily overloaded.",
        "bad_request": "{detail}",
        "route": "Not found ({detail})",
    },
    "tavily": {
        "unauthorized": "Unauthorized: missing or invalid API key.",
        "forbidden": "Forbidden: this API key may not use this endpoint.",
        "model_not_found": "Not found: {detail}",
        "rate_limited": "Your request has been blocked due to excessive requests. "
        "Please reduce rate of requests.",
        "server_error": "Internal Server Error",
        "overloaded": "Service temporarily unavailable.",
        "bad_request": "{detail}",
        "route": "Not Found ({detail})",
    },
    "elevenlabs": {
        "unauthorized": "Invalid API key",
        "forbidden": "The API key you used is missing the permission user_read to execute "
        "this operation.",
        "model_not_found": "A model with model ID {detail} does not exist.",
        "rate_limited": "Too many concurrent requests for your subscription.",
        "server_error": "An internal server error occurred.",
        "overloaded": "The system is experiencing heavy traffic, please try again later.",
        "bad_request": "{detail}",
        "route": "Not Found ({detail})",
    },
}

_ELEVENLABS_STATUSES = {
    "unauthorized": "invalid_api_key",
    "forbidden": "missing_permissions",
    "model_not_found": "model_not_found",
    "rate_limited": "too_many_concurrent_requests",
    "server_error": "internal_server_error",
    "overloaded": "system_busy",
    "bad_request": "invalid_request",
    "route": "not_found",
}


def _mask_key(key: str | None) -> str:
    if not key:
        return "<none>"
    return f"{key[:3]}{'*' * max(4, len(key) - 7)}{key[-4:]}" if len(key) > 8 else "****"


def _error(provider: Provider, kind: str, detail: str | None) -> _Reply:
    """The provider's own error answer for `kind` (a failure mode, "bad_request" or "route")."""
    reply = _provider_error(provider, kind, detail)
    reply.outcome = "not_found" if kind == "route" else kind
    return reply


def _provider_error(provider: Provider, kind: str, detail: str | None) -> _Reply:
    if provider == "openai":
        status, kind_type, code, template = _OPENAI_ERRORS[kind]
        shown = _mask_key(detail) if kind == "unauthorized" else detail
        if kind == "unauthorized" and not detail:
            message = (
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
        else:
            message = template.format(detail=shown)
        payload = {"error": {"message": message, "type": kind_type, "param": None, "code": code}}
        return _Reply(status, payload)
    if provider == "anthropic":
        status, kind_type, template = _ANTHROPIC_ERRORS[kind]
        payload = {
            "type": "error",
            "error": {"type": kind_type, "message": template.format(detail=detail)},
            "request_id": _id("req_"),
        }
        return _Reply(status, payload, {"request-id": payload["request_id"]})
    status = _STATUS[kind]
    message = _PLAIN_MESSAGES[provider][kind].format(detail=detail)
    if provider == "openrouter":
        return _Reply(status, {"error": {"code": status, "message": message, "metadata": {}}})
    if provider == "perplexity":
        error_type = {401: "invalid_api_key", 429: "rate_limit_exceeded"}.get(status, kind)
        return _Reply(status, {"error": {"message": message, "type": error_type, "code": status}})
    if provider == "tavily":
        return _Reply(status, {"detail": {"error": message}})
    return _Reply(status, {"detail": {"status": _ELEVENLABS_STATUSES[kind], "message": message}})


# Endpoints.

Endpoint = Any  # Callable[[ProviderState, dict, str | None, dict[str, str]], _Reply]


def _openai_model(name: str, owner: str = "system") -> dict[str, Any]:
    return {"id": name, "object": "model", "created": _CREATED, "owned_by": owner}


def _openai_models(state: ProviderState, body: dict, model: str | None, query: dict) -> _Reply:
    names = sorted(state.allowed_models) if state.allowed_models is not None else state.models
    return _Reply(payload={"object": "list", "data": [_openai_model(name) for name in names]})


def _openai_model_get(state: ProviderState, body: dict, model: str | None, query: dict) -> _Reply:
    return _Reply(payload=_openai_model(model or ""))


def _chat(state: ProviderState, body: dict, model: str | None, query: dict) -> _Reply:
    """OpenAI Chat Completions; OpenRouter and Perplexity add their own fields."""
    provider = state.name
    if not model or not isinstance(body.get("messages"), list) or not body["messages"]:
        missing = "model" if not model else "messages"
        return _error(provider, "bad_request", f"Missing required parameter: '{missing}'.")
    if problem := _content_problem("chat", body):
        return _error(provider, "bad_request", problem)
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    tokens, cut = _limited(state, limit)
    finish = "length" if cut else "stop"
    prompt_tokens = _estimate_tokens(body["messages"])
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": len(tokens),
        "total_tokens": prompt_tokens + len(tokens),
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    extra: dict[str, Any] = {}
    if provider == "openrouter":
        extra["provider"] = "OpenAI"
        usage["cost"] = round(0.000001 * usage["total_tokens"], 8)
    if provider == "perplexity":
        extra["citations"] = [result["url"] for result in state.search_results]
        extra["search_results"] = [
            {"title": result["title"], "url": result["url"], "date": result.get("date")}
            for result in state.search_results
        ]
        usage["search_context_size"] = "low"
    base = {
        "id": _id("chatcmpl-"),
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_fake",
        "service_tier": "default",
    }
    if not body.get("stream"):
        message = {"role": "assistant", "content": "".join(tokens), "refusal": None}
        if provider == "openai":
            message["annotations"] = []
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
        payload = {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
        return _Reply(payload={**payload, **extra})

    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    # Perplexity and OpenRouter always send usage at the end of a stream.
    send_usage = include_usage or provider in ("perplexity", "openrouter")

    def chunk(delta: dict[str, Any], finish_reason: str | None) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        data = {**base, "object": "chat.completion.chunk", "choices": [choice], **extra}
        if include_usage:
            data["usage"] = None
        return _sse(data)

    frames = [(chunk({"role": "assistant", "content": "", "refusal": None}, None), False)]
    frames += [(chunk({"content": token}, None), True) for token in tokens]
    frames.append((chunk({}, finish), False))
    if send_usage:
        last = {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage, **extra}
        frames.append((_sse(last), False))
    frames.append((_sse("[DONE]"), False))
    return _Reply(frames=frames)


def _responses(state: ProviderState, body: dict, model: str | None, query: dict) -> _Reply:
    """OpenAI Responses API, plain and streamed."""
    if not model:
        return _error("openai", "bad_request", "Missing required parameter: 'model'.")
    if problem := _content_problem("responses", body):
        return _error("openai", "bad_request", problem)
    tokens, cut = _limited(state, body.get("max_output_tokens"))
    text = "".join(tokens)
    input_tokens = _estimate_tokens([body.get("instructions"), body.get("input")])
    usage = {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": len(tokens),
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + len(tokens),
    }
    response_id, item_id = _id("resp_"), _id("msg_")
    created = int(time.time())

    def response(status: str, output: list[Any], final_usage: Any) -> dict[str, Any]:
        return {
            "id": response_id,
            "object": "response",
            "created_at": created,
            "status": status,
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"}
            if status == "incomplete"
            else None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": model,
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": {"effort": None, "summary": None},
            "store": body.get("store", True),
            "temperature": body.get("temperature", 1.0),
            "text": {"format": {"type": "text"}},
            "tool_choice": "auto",
            "tools": [],
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": final_usage,
            "user": None,
            "metadata": body.get("metadata") or {},
        }

    def part(value: str) -> dict[str, Any]:
        return {"type": "output_text", "text": value, "annotations": [], "logprobs": []}

    def item(status: str, content: list[Any]) -> dict[str, Any]:
        return {
            "id": item_id,
            "type": "message",
            "status": status,
            "role": "assistant",
            "content": content,
        }

    final_status = "incomplete" if cut else "completed"
    final = response(final_status, [item(final_status, [part(text)])], usage)
    if not body.get("stream"):
        return _Reply(payload=final)

    events: list[tuple[dict[str, Any], bool]] = [
        ({"type": "response.created", "response": response("in_progress", [], None)}, False),
        ({"type": "response.in_progress", "response": response("in_progress", [], None)}, False),
        (
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": item("in_progress", []),
            },
            False,
        ),
        (
            {
                "type": "response.content_part.added",
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
                "part": part(""),
            },
            False,
        ),
    ]
    place = {"item_id": item_id, "output_index": 0, "content_index": 0}
    events += [
        ({"type": "response.output_text.delta", **place, "delta": token, "logprobs": []}, True)
        for token in tokens
    ]
    events += [
        ({"type": "response.output_text.done", **place, "text": text, "logprobs": []}, False),
        ({"type": "response.content_part.done", **place, "part": part(text)}, False),
        (
            {"type": "response.output_item.done", "output_index": 0, "item": final["output"][0]},
            False,
        ),
        ({"type": f"response.{final_status}", "response": final}, False),
    ]
    frames = [
        (_sse({**event, "sequence_number": number}, event["type"]), carries_token)
        for number, (event, carries_token) in enumerate(events)
    ]
    malformed = 'event: response.output_text.delta\ndata: {"type": "response.output_te\n\n'
    return _Reply(frames=frames, malformed_frame=malformed)


def _anthropic_model(name: str) -> dict[str, Any]:
    # claude-sonnet-4-6 -> "Claude Sonnet 4.6"
    words = name.removeprefix("claude-").split("-")
    family = " ".join(word.capitalize() for word in words if not word.isdigit())
    version = ".".join(word for word in words if word.isdigit() and len(word) < 8)
    display = f"Claude {family} {version}".strip()
    return {
        "type": "model",
        "id": name,
        "display_name": display,
        "created_at": "2025-09-29T00:00:00Z",
        "lifecycle": "active",
        "max_input_tokens": 200000,
        "max_tokens": 64000,
    }


def _anthropic_models(state: ProviderState, body: dict, model: str | None, query: dict) -> _Reply:
    names = sorted(state.allowed_models) if state.allowed_models is not None else state.models
    data = [_anthropic_model(name) for name in names]
    first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
    return _Reply(payload={"data": data, "has_more": False, "first_id": first, "last_id": last})


def _anthropic_model_get(
    state: ProviderState, body: dict, model: str | None, query: dict
) -> _Reply:
    return _Reply(payload=_anthropic_model(model or ""))


def _messages(state: ProviderState, body: dict, model: str | None, query: dict) -> _Reply:
    """Anthropic Messages, plain and streamed."""
    for required in ("model", "max_tokens", "messages"):
        if body.get(required) in (None, "", []):
            return _error("anthropic", "bad_request", f"{required}: Field required")
    if problem := _content_problem("messages", body):
        return _error("anthropic", "bad_request", problem)
    tokens, cut = _limited(state, body["max_tokens"])
    stop_reason = "max_tokens" if cut else "end_turn"
    input_tokens = _estimate_tokens([body.get("system"), body["messages"]])
    usage = {
        "input_tokens": input_tokens,
        "output_tokens": len(tokens),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "service_tier": "standard",
    }
    message: dict[str, Any] = {
        "id": _id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": "".join(tokens)}],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }
    request_id = _id("req_")
    if not body.get("stream"):
        return _Reply(payload=message, headers={"request-id": request_id})

    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "usage": {**usage, "output_tokens": 1},
    }
    frames = [
        (_sse({"type": "message_start", "message": start}, "message_start"), False),
        (
            _sse(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
                "content_block_start",
            ),
            False,
        ),
        (_sse({"type": "ping"}, "ping"), False),
    ]
    frames += [
        (
            _sse(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": token},
                },
                "content_block_delta",
            ),
            True,
        )
        for token in tokens
    ]
    frames += [
        (_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"), False),
        (
            _sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": len(tokens)},
                },
                "message_delta",
            ),
            False,
        ),
        (_sse({"type": "message_stop"}, "message_stop"), False),
    ]
    malformed = 'event: content_block_delta\ndata: {"type": "content_block_delta", "ind\n\n'
    return _Reply(frames=frames, headers={"request-id": request_id}, malformed_frame=malformed)


def _openrouter_key(state: ProviderState, body: dict, model: str | None, query: dict) -> _Reply:
    account = state.account
    limit, usage = account.get("limit"), account.get("usage", 0.0)
    data = {
        "label": account.get("label"),
        "limit": limit,
        "usage": usage,
        "limit_remaining": None if limit is None else round(limit - usage, 6),
        "limit_reset": account.get("limit_reset"),
        "is_free_tier": account.get("is_free_tier", False),
        "is_provisioning_key": False,
        "usage_daily": account.get("usage_daily", usage),
        "usage_weekly": account.get("usage_weekly", usage),
        "usage_monthly": account.get("usage_monthly", usage),
        "rate_limit": {"requests": -1, "interval": "10s"},
    }
    return _Reply(payload={"data": data})


def _tavily_search(state: ProviderState, body: dict, model: str | None, query: dict) -> _Reply:
    question = body.get("query")
    if not isinstance(question, str) or not question.strip():
        return _error("tavily", "bad_request", "Query is missing.")
    limit = body.get("max_results", 5)
    results = [
        {
            "url": result["url"],
            "title": result["title"],
            "content": result.get("content", ""),
            "score": result.get("score", 0.5),
            "raw_content": result.get("content") if body.get("include_raw_content") else None,
        }
        for result in state.search_results[: limit if isinstance(limit, int) else 5]
    ]
    return _Reply(
        payload={
            "query": question,
            "follow_up_questions": None,
            "answer": state.reply_text if body.get("include_answer") else None,
            "images": [],
            "results": results,
            "response_time": 0.01,
            "request_id": str(uuid.uuid4()),
        }
    )


def _tavily_usage(state: ProviderState, body: dict, model: str | None, query: dict) -> _Reply:
    account = state.account
    usage, limit = account.get("usage", 0), account.get("limit")
    return _Reply(
        payload={
            "key": {"usage": usage, "limit": limit, "search_usage": usage, "extract_usage": 0},
            "account": {
                "current_plan": account.get("plan"),
                "plan_usage": usage,
                "plan_limit": limit,
                "paygo_usage": 0,
                "paygo_limit": None,
                "search_usage": usage,
                "extract_usage": 0,
            },
        }
    )


def _elevenlabs_subscription_data(state: ProviderState) -> dict[str, Any]:
    account = state.account
    return {
        "tier": account.get("tier", "creator"),
        "character_count": account.get("character_count", 0),
        "character_limit": account.get("character_limit", 100000),
        "can_extend_character_limit": True,
        "allowed_to_extend_character_limit": True,
        "next_character_count_reset_unix": _CREATED + 30 * 86400,
        "voice_slots_used": 1,
        "voice_limit": 30,
        "professional_voice_limit": 1,
        "can_extend_voice_limit": False,
        "can_use_instant_voice_cloning": True,
        "can_use_professional_voice_cloning": True,
        "status": account.get("status", "active"),
        "currency": "usd",
        "billing_period": "monthly_period",
    }


def _elevenlabs_user(state: ProviderState, body: dict, model: str | None, query: dict) -> _Reply:
    return _Reply(
        payload={
            "user_id": "fake-user-0001",
            "subscription": _elevenlabs_subscription_data(state),
            "is_new_user": False,
            "xi_api_key": None,
            "can_use_delayed_payment_methods": False,
            "is_onboarding_completed": True,
            "is_onboarding_checklist_completed": True,
            "first_name": "Test",
        }
    )


def _elevenlabs_subscription(
    state: ProviderState, body: dict, model: str | None, query: dict
) -> _Reply:
    return _Reply(payload=_elevenlabs_subscription_data(state))


_ENDPOINTS: dict[Provider, dict[tuple[str, str], Endpoint]] = {
    "openai": {
        ("GET", "/models"): _openai_models,
        ("POST", "/chat/completions"): _chat,
        ("POST", "/responses"): _responses,
    },
    "anthropic": {
        ("GET", "/v1/models"): _anthropic_models,
        ("POST", "/v1/messages"): _messages,
    },
    "openrouter": {
        ("GET", "/key"): _openrouter_key,
        ("GET", "/auth/key"): _openrouter_key,
        ("POST", "/chat/completions"): _chat,
    },
    "perplexity": {("POST", "/chat/completions"): _chat},
    "tavily": {("POST", "/search"): _tavily_search, ("GET", "/usage"): _tavily_usage},
    "elevenlabs": {
        ("GET", "/v1/user"): _elevenlabs_user,
        ("GET", "/v1/user/subscription"): _elevenlabs_subscription,
    },
}

# Endpoints whose path ends with a model id: (method, path prefix).
_MODEL_ENDPOINTS: dict[Provider, dict[tuple[str, str], Endpoint]] = {
    "openai": {("GET", "/models/"): _openai_model_get},
    "anthropic": {("GET", "/v1/models/"): _anthropic_model_get},
    "openrouter": {},
    "perplexity": {},
    "tavily": {},
    "elevenlabs": {},
}
