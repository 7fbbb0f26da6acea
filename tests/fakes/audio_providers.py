"""Fakes of the speech providers QuotaHit calls, all served by one real HTTP server on 127.0.0.1.

The same style as `tests.fakes.ai_providers` (whose wire helpers and error shapes it reuses): each
SDK is pointed at its own path prefix with its base-URL setting.

    with FakeAudioProviders() as audio:
        client = openai.OpenAI(base_url=audio.openai_url, api_key="sk-test-valid", max_retries=0)
        audio.set_mode("deepgram", "rate_limited", times=1)   # the next Deepgram request gets a 429

Base URLs (`audio.base_url(name)`, or `audio.openai_url` ...), key header, endpoints:

* openai      `{url}/openai/v1`  Bearer        POST /audio/transcriptions (multipart: json, text,
                                                verbose_json, diarized_json),
                                                POST /audio/speech (pcm or wav of a tone, chunked),
                                                POST /realtime/client_secrets
* deepgram    `{url}/deepgram`   Token/Bearer  POST /v1/listen (raw audio body; results with words,
                                                utterances and speakers as asked)
* elevenlabs  `{url}/elevenlabs` xi-api-key    POST /v1/text-to-speech/{voice_id}(/stream)
                                                (`output_format=pcm_*`: a tone, chunked)

The transcription endpoints "hear" `state.script`, whatever audio is sent; speech is a sine tone
of `state.speech_seconds` (default: 50 ms a character, 0.2 to 3 s). Each provider's
`AudioProviderState` (`audio.openai`, ...) holds its valid keys, voices and a failure `mode`:

* "ok": the normal answer.
* "unauthorized" 401, "forbidden" 403, "rate_limited" 429 (+ `retry-after`, `retry-after-ms`),
  "server_error" 500: each in that provider's error JSON shape.
* "timeout": the request is held open `hold_seconds` (released at once by `stop()`), then answered.
* "malformed": half a JSON body; for audio, a 200 HTML page (what a captive proxy sends).
* "cut_stream": the connection is closed halfway through the body.

`latency_seconds` and `latency_per_megabyte` make every answer wait like a real service does.

A key outside `valid_keys` always gets 401, whatever the mode. Every request is kept in
`audio.requests` with the key headers redacted to their last 4 characters; uploaded files and raw
audio bodies are kept as `UploadedFile` (a raw body has no filename). Minted Realtime client
secrets are kept in `audio.client_secrets`.
"""

from __future__ import annotations

import io
import json
import math
import secrets
import sys
import time
import uuid
import wave
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes.ai_providers import (
    SECRET_HEADERS,
    _abort,
    _Aborted,
    _error,
    _read_body,
    redact,
)
from tests.fakes.loopback import LoopbackFake

AudioProvider = Literal["openai", "deepgram", "elevenlabs"]
AudioMode = Literal[
    "ok",
    "unauthorized",
    "forbidden",
    "rate_limited",
    "server_error",
    "timeout",
    "malformed",
    "cut_stream",
]

PROVIDERS: tuple[AudioProvider, ...] = get_args(AudioProvider)
MODES: tuple[AudioMode, ...] = get_args(AudioMode)
ERROR_MODES: tuple[AudioMode, ...] = ("forbidden", "rate_limited", "server_error")

PREFIXES: dict[AudioProvider, str] = {
    "openai": "/openai/v1",
    "deepgram": "/deepgram",
    "elevenlabs": "/elevenlabs",
}

DEFAULT_KEYS: dict[AudioProvider, tuple[str, ...]] = {
    "openai": ("sk-test-valid",),
    "deepgram": ("dg-test-valid",),
    "elevenlabs": ("el-test-valid",),
}

# Models each endpoint knows; another name gets the provider's "no such model" answer.
TRANSCRIPTION_MODELS = frozenset(
    {
        "whisper-1",
        "gpt-4o-transcribe",
        "gpt-4o-mini-transcribe",
        "gpt-4o-transcribe-diarize",
        "gpt-transcribe",
    }
)
SPEECH_MODELS = frozenset({"gpt-4o-mini-tts", "tts-1", "tts-1-hd"})
DEEPGRAM_MODELS = frozenset({"nova-3", "nova-3-general", "nova-2", "nova-2-phonecall", "base"})
ELEVENLABS_MODELS = frozenset(
    {"eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_multilingual_v2", "eleven_v3"}
)

DEFAULT_VOICES: dict[AudioProvider, tuple[str, ...]] = {
    "openai": (
        "alloy",
        "ash",
        "ballad",
        "coral",
        "echo",
        "fable",
        "nova",
        "onyx",
        "sage",
        "shimmer",
        "verse",
        "marin",
        "cedar",
    ),
    "deepgram": (),
    "elevenlabs": ("21m00Tcm4TlvDq8ikWAM", "JBFqnCBsd6RMkjVDRZzb"),
}

OPENAI_PCM_RATE = 24_000  # OpenAI's "pcm" is 24 kHz 16-bit little-endian mono
CAPTIVE_PAGE = b"<html><body><h1>Network login required</h1></body></html>"


@dataclass(frozen=True)
class ScriptLine:
    """One turn the fake transcribers "hear": speaker index, start and end in seconds, words."""

    speaker: int
    start: float
    end: float
    text: str


DEFAULT_SCRIPT: tuple[ScriptLine, ...] = (
    ScriptLine(0, 0.0, 2.4, "Hi, this is Sam from QuotaHit."),
    ScriptLine(1, 2.7, 4.1, "Hello. What is this about?"),
    ScriptLine(0, 4.4, 8.2, "We help sales teams ramp new reps faster. Do you have a minute?"),
    ScriptLine(1, 8.6, 9.9, "Sure, go ahead."),
)


@dataclass
class AudioProviderState:
    """The configuration of one provider; change its attributes at any time."""

    name: AudioProvider
    valid_keys: set[str]
    voices: set[str]
    script: list[ScriptLine] = field(default_factory=lambda: list(DEFAULT_SCRIPT))
    mode: AudioMode = "ok"
    mode_times: int | None = None  # None: until changed; n: the next n requests, then "ok"
    hold_seconds: float = 10.0  # "timeout" mode
    retry_after_seconds: float = 1.0  # "rate_limited" mode
    speech_seconds: float | None = None  # None: 50 ms a character of text, 0.2 to 3 s
    tone_hz: float = 440.0
    chunk_bytes: int = 4800  # audio is sent in chunks of this size (100 ms of 24 kHz PCM16)
    chunk_delay: float = 0.0
    extra_bytes: bytes = b""  # appended to every audio body (e.g. half a sample)
    # Processing time before answering, like a real service: a fixed part plus a part that
    # grows with the uploaded audio (benchmarks of chunked, parallel transcription use it).
    latency_seconds: float = 0.0
    latency_per_megabyte: float = 0.0

    def set_mode(self, mode: AudioMode, times: int | None = None) -> None:
        """Answer in `mode`: for good, or only for the next `times` requests."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; pick one of {MODES}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        self.mode, self.mode_times = mode, times

    @property
    def duration(self) -> float:
        return max((line.end for line in self.script), default=0.0)

    def seconds_for(self, text: str) -> float:
        if self.speech_seconds is not None:
            return self.speech_seconds
        return min(3.0, max(0.2, 0.05 * len(text)))


@dataclass(frozen=True)
class UploadedFile:
    """A file sent as a multipart part, or as the whole body (then it has no filename)."""

    filename: str | None
    content_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class MintedSecret:
    """A Realtime client secret the fake handed out."""

    value: str = field(repr=False)
    expires_at: int
    session: dict[str, Any]


@dataclass(frozen=True)
class ReceivedAudioRequest:
    """One request as the fake saw it."""

    provider: AudioProvider | None
    method: str
    path: str  # below the provider prefix, e.g. "/audio/transcriptions"
    full_path: str  # as received, with the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names; key headers redacted
    body: Any  # parsed JSON, a dict of form fields, an UploadedFile (a raw body), or None
    api_key: str | None  # the key sent, redacted ("****alid")
    key_valid: bool
    outcome: str  # the mode that answered ("unauthorized" for a wrong key; "not_found", ...)
    status: int


@dataclass
class _Reply:
    status: int = 200
    payload: Any = None  # a JSON answer
    audio: bytes | None = None  # an audio answer, sent chunked
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    outcome: str | None = None


class FakeAudioProviders(LoopbackFake):
    """Start with `with FakeAudioProviders() as audio:`; `audio.deepgram_url` is Deepgram's base."""

    server_name = "FakeAudioProviders"

    def __init__(
        self,
        *,
        keys: Mapping[AudioProvider, Iterable[str]] | None = None,
        hold_seconds: float = 10.0,
        retry_after_seconds: float = 1.0,
    ) -> None:
        self._keys = {**DEFAULT_KEYS, **(keys or {})}
        self._hold_seconds, self._retry_after_seconds = hold_seconds, retry_after_seconds
        self.providers: dict[AudioProvider, AudioProviderState] = self._fresh_states()
        self.requests: list[ReceivedAudioRequest] = []
        self.client_secrets: dict[str, MintedSecret] = {}
        super().__init__()

    # Configuration.

    @property
    def openai(self) -> AudioProviderState:
        return self.providers["openai"]

    @property
    def deepgram(self) -> AudioProviderState:
        return self.providers["deepgram"]

    @property
    def elevenlabs(self) -> AudioProviderState:
        return self.providers["elevenlabs"]

    def set_mode(
        self, provider: AudioProvider | Literal["all"], mode: AudioMode, times: int | None = None
    ) -> None:
        """Switch one provider (or "all") to `mode`, for good or for the next `times` requests."""
        names = PROVIDERS if provider == "all" else (provider,)
        with self._lock:
            for name in names:
                self.providers[name].set_mode(mode, times)

    def reset(self) -> None:
        """Every provider back to its first configuration; forget requests and minted secrets."""
        with self._lock:
            self.providers = self._fresh_states()
            self.requests.clear()
            self.client_secrets.clear()

    def _fresh_states(self) -> dict[AudioProvider, AudioProviderState]:
        return {
            name: AudioProviderState(
                name=name,
                valid_keys=set(self._keys[name]),
                voices=set(DEFAULT_VOICES[name]),
                hold_seconds=self._hold_seconds,
                retry_after_seconds=self._retry_after_seconds,
            )
            for name in PROVIDERS
        }

    # Addresses.

    def base_url(self, provider: AudioProvider) -> str:
        return self.url + PREFIXES[provider]

    @property
    def base_urls(self) -> dict[AudioProvider, str]:
        return {name: self.base_url(name) for name in PROVIDERS}

    @property
    def openai_url(self) -> str:
        return self.base_url("openai")

    @property
    def deepgram_url(self) -> str:
        return self.base_url("deepgram")

    @property
    def elevenlabs_url(self) -> str:
        return self.base_url("elevenlabs")

    # Recorded requests.

    def requests_for(self, provider: AudioProvider) -> list[ReceivedAudioRequest]:
        with self._lock:
            return [request for request in self.requests if request.provider == provider]

    def last_request(self, provider: AudioProvider | None = None) -> ReceivedAudioRequest:
        with self._lock:
            for request in reversed(self.requests):
                if provider is None or request.provider == provider:
                    return request
        raise AssertionError(f"no request reached the fake {provider or ''}".rstrip())

    # The exchange.

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        split = urlsplit(request.path)
        path = unquote(split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {key.lower(): value for key, value in request.headers.items()}
        body = _parse_body(headers.get("content-type", ""), _read_body(request))
        provider = next(
            (name for name, prefix in PREFIXES.items() if path.startswith(prefix + "/")), None
        )
        if provider is None:
            reply = _Reply(404, {"error": f"no fake provider serves {path}"}, outcome="not_found")
            self._record(request, None, path, query, headers, body, None, False, reply)
            self._send(request, reply, "ok", None)
            return

        state = self.providers[provider]
        sub_path = path[len(PREFIXES[provider]) :]
        key = _key(provider, headers)
        key_valid = key is not None and key in state.valid_keys
        mode = self._take_mode(state) if key_valid else "unauthorized"
        reply = self._route(provider, state, request.command, sub_path, query, body, key, mode)
        reply.outcome = reply.outcome or mode
        self._record(request, provider, sub_path, query, headers, body, key, key_valid, reply)
        if mode == "timeout":
            self._release.wait(state.hold_seconds)
        uploaded = body.size if isinstance(body, UploadedFile) else 0
        if isinstance(body, dict):
            uploaded = sum(v.size for v in body.values() if isinstance(v, UploadedFile))
        delay = state.latency_seconds + state.latency_per_megabyte * uploaded / 1e6
        if delay > 0:
            self._release.wait(delay)
        self._send(request, reply, mode, state)

    def _take_mode(self, state: AudioProviderState) -> AudioMode:
        with self._lock:
            mode = state.mode
            if state.mode_times is not None:
                state.mode_times -= 1
                if state.mode_times <= 0:
                    state.mode, state.mode_times = "ok", None
            return mode

    def _record(
        self,
        request: BaseHTTPRequestHandler,
        provider: AudioProvider | None,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
        key: str | None,
        key_valid: bool,
        reply: _Reply,
    ) -> None:
        shown = {
            name: redact(value) if name in SECRET_HEADERS else value
            for name, value in headers.items()
        }
        with self._lock:
            self.requests.append(
                ReceivedAudioRequest(
                    provider=provider,
                    method=request.command,
                    path=path,
                    full_path=request.path,
                    query=query,
                    headers=shown,
                    body=body,
                    api_key=redact(key) if key is not None else None,
                    key_valid=key_valid,
                    outcome=reply.outcome or "ok",
                    status=reply.status,
                )
            )

    def _route(
        self,
        provider: AudioProvider,
        state: AudioProviderState,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        key: str | None,
        mode: AudioMode,
    ) -> _Reply:
        endpoint, voice = _endpoint(provider, method, path)
        if endpoint is None:
            return _failure(provider, "route", f"{method} {PREFIXES[provider]}{path}")
        if mode == "unauthorized":
            return _failure(provider, "unauthorized", key)
        if mode in ERROR_MODES:
            reply = _failure(provider, mode, None)
            if mode == "rate_limited":
                reply.headers["retry-after"] = str(math.ceil(state.retry_after_seconds))
                reply.headers["retry-after-ms"] = str(round(state.retry_after_seconds * 1000))
            return reply
        return endpoint(_Call(self, state, body, query, voice))

    # Sending.

    def _send(
        self,
        request: BaseHTTPRequestHandler,
        reply: _Reply,
        mode: AudioMode,
        state: AudioProviderState | None,
    ) -> None:
        try:
            if reply.status == 200 and reply.audio is not None and mode != "malformed":
                assert state is not None
                self._send_audio(request, reply, mode, state)
                return
            payload = reply.payload
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            content_type = reply.content_type
            if reply.status == 200 and mode == "malformed":
                if reply.audio is None:
                    data = data[: max(1, len(data) // 2)]
                else:
                    content_type, data = "text/html; charset=utf-8", CAPTIVE_PAGE
            request.send_response(reply.status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(data)))
            request.send_header("x-request-id", str(uuid.uuid4()))
            for name, value in reply.headers.items():
                request.send_header(name, value)
            request.end_headers()
            if reply.status == 200 and mode == "cut_stream":
                request.wfile.write(data[: len(data) // 2])
                raise _Aborted
            request.wfile.write(data)
        except _Aborted:
            _abort(request)
        except OSError:
            request.close_connection = True  # the client gave up, or the fake is stopping

    def _send_audio(
        self,
        request: BaseHTTPRequestHandler,
        reply: _Reply,
        mode: AudioMode,
        state: AudioProviderState,
    ) -> None:
        data = reply.audio or b""
        size = max(1, state.chunk_bytes)
        chunks = [data[start : start + size] for start in range(0, len(data), size)]
        request.send_response(200)
        request.send_header("Content-Type", reply.content_type)
        request.send_header("Transfer-Encoding", "chunked")
        request.send_header("x-request-id", str(uuid.uuid4()))
        request.end_headers()
        for number, chunk in enumerate(chunks):
            if mode == "cut_stream" and number >= max(1, len(chunks) // 2):
                raise _Aborted
            if state.chunk_delay > 0:
                self._release.wait(state.chunk_delay)
            request.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            request.wfile.flush()
        request.wfile.write(b"0\r\n\r\n")


def fake_audio_providers(**options: Any) -> Iterator[FakeAudioProviders]:
    """The body of a pytest fixture: `yield from fake_audio_providers()` (options go to the class).

    At teardown it fails the test if the fake itself crashed while answering.
    """
    with FakeAudioProviders(**options) as fake:
        yield fake
    assert not fake.errors, f"the fake audio providers crashed: {fake.errors!r}"


# Audio.


def tone_pcm16(
    seconds: float, *, rate: int = OPENAI_PCM_RATE, frequency: float = 440.0, level: float = 0.3
) -> bytes:
    """A sine tone as 16-bit little-endian mono PCM."""
    count = round(seconds * rate)
    step = 2 * math.pi * frequency / rate
    samples = array("h", (round(level * 32767 * math.sin(step * n)) for n in range(count)))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def wav_bytes(pcm: bytes, *, rate: int = OPENAI_PCM_RATE) -> bytes:
    """PCM16 mono wrapped in a WAV header."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


# Wire helpers.


def _parse_body(content_type: str, raw: bytes) -> Any:
    if not raw:
        return None
    if content_type.startswith("multipart/form-data"):
        return _form_fields(content_type, raw)
    if content_type.startswith("application/json"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace")
    return UploadedFile(None, content_type, raw)


def _form_fields(content_type: str, raw: bytes) -> dict[str, Any]:
    """Multipart form fields; repeated names (`timestamp_granularities[]`) become lists.

    Parts are cut at the boundary with bytes operations and only their headers go through the
    e-mail parser: parsing a 20 MB upload line by line would cost seconds of CPU.
    """
    boundary = (
        BytesParser(policy=policy.HTTP)
        .parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode())
        .get_boundary()
    )
    fields: dict[str, Any] = {}
    if not boundary:
        return fields
    for chunk in raw.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        part = BytesParser(policy=policy.HTTP).parsebytes(head + b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        value: Any = (
            UploadedFile(filename, part.get_content_type(), data)
            if filename is not None
            else data.decode("utf-8", "replace")
        )
        if name in fields or str(name).endswith("[]"):
            previous = fields.get(name, [])
            fields[name] = [*(previous if isinstance(previous, list) else [previous]), value]
        else:
            fields[name] = value
    return fields


def _key(provider: AudioProvider, headers: dict[str, str]) -> str | None:
    if provider == "elevenlabs":
        return headers.get("xi-api-key")
    scheme, _, token = headers.get("authorization", "").partition(" ")
    schemes = {"token", "bearer"} if provider == "deepgram" else {"bearer"}
    return token.strip() if scheme.lower() in schemes and token.strip() else None


def _id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


# Errors.

_DEEPGRAM_ERRORS: dict[str, tuple[int, str, str]] = {
    "unauthorized": (401, "INVALID_AUTH", "Invalid credentials."),
    "forbidden": (
        403,
        "INSUFFICIENT_PERMISSIONS",
        "Project does not have access to the requested model.",
    ),
    "rate_limited": (429, "TOO_MANY_REQUESTS", "Too many requests. Please try again later."),
    "server_error": (500, "INTERNAL_SERVER_ERROR", "An internal server error occurred."),
    "bad_request": (400, "Bad Request", "{detail}"),
    "route": (404, "NOT_FOUND", "Not found: {detail}"),
}


def _failure(provider: AudioProvider, kind: str, detail: str | None) -> _Reply:
    """The provider's own error answer for `kind` (a failure mode, "bad_request" or "route")."""
    outcome = "not_found" if kind == "route" else kind
    if provider == "deepgram":
        status, code, template = _DEEPGRAM_ERRORS[kind]
        payload = {
            "err_code": code,
            "err_msg": template.format(detail=detail),
            "request_id": str(uuid.uuid4()),
        }
        return _Reply(status, payload, outcome=outcome)
    ai = _error(provider, kind, detail)
    return _Reply(ai.status, ai.payload, headers=dict(ai.headers), outcome=outcome)


def _bad_request(provider: AudioProvider, message: str) -> _Reply:
    return _failure(provider, "bad_request", message)


# Endpoints.


@dataclass(frozen=True)
class _Call:
    """What an endpoint is given: the fake, the provider's state and the parsed request."""

    fake: FakeAudioProviders
    state: AudioProviderState
    body: Any
    query: dict[str, str]
    voice: str | None  # ElevenLabs: the voice id in the path


Endpoint = Callable[[_Call], _Reply]


def _endpoint(
    provider: AudioProvider, method: str, path: str
) -> tuple[Endpoint | None, str | None]:
    """The endpoint serving `method path`, and the voice id when the path carries one."""
    if method != "POST":
        return None, None
    if provider == "openai":
        routes = {
            "/audio/transcriptions": _transcriptions,
            "/audio/speech": _openai_speech,
            "/realtime/client_secrets": _client_secrets,
        }
        return routes.get(path), None
    if provider == "deepgram":
        return (_listen if path == "/v1/listen" else None), None
    parts = path.strip("/").split("/")
    if parts[:2] == ["v1", "text-to-speech"] and len(parts) in (3, 4) and parts[2]:
        return (_elevenlabs_speech, parts[2]) if parts[3:] in ([], ["stream"]) else (None, None)
    return None, None


def _transcriptions(call: _Call) -> _Reply:
    """OpenAI `audio.transcriptions.create`, with the real API's format rules per model."""
    state, form = call.state, call.body if isinstance(call.body, dict) else {}
    model, upload = form.get("model"), form.get("file")
    if not model:
        return _bad_request("openai", "you must provide a model parameter")
    if not isinstance(upload, UploadedFile) or not upload.size:
        return _bad_request("openai", "Audio file might be corrupted or unsupported")
    if model not in TRANSCRIPTION_MODELS:
        return _failure("openai", "model_not_found", model)
    response_format = form.get("response_format", "json")
    granularities = form.get("timestamp_granularities[]", [])
    diarizer = model.endswith("-diarize")
    allowed = (
        {"json", "text", "srt", "vtt", "verbose_json"}
        if model == "whisper-1"
        else ({"json", "text", "diarized_json"} if diarizer else {"json", "text"})
    )
    if response_format not in allowed:
        return _bad_request(
            "openai",
            f"response_format '{response_format}' is not compatible with model '{model}'.",
        )
    if granularities and response_format != "verbose_json":
        return _bad_request(
            "openai", "timestamp_granularities requires response_format=verbose_json."
        )
    if diarizer and state.duration > 30 and not form.get("chunking_strategy"):
        return _bad_request(
            "openai", "chunking_strategy is required for diarization of audio over 30 seconds."
        )
    text = " ".join(line.text for line in state.script)
    duration = round(state.duration, 2)
    if response_format == "text":
        return _Reply(payload=text, content_type="text/plain")
    if response_format == "json":
        usage = {"type": "tokens", "input_tokens": 40, "output_tokens": 20, "total_tokens": 60}
        if model == "whisper-1":
            usage = {"type": "duration", "seconds": math.ceil(duration)}
        return _Reply(payload={"text": text, "usage": usage})
    usage = {"type": "duration", "seconds": math.ceil(duration)}
    if response_format == "diarized_json":
        segments = [
            {
                "id": f"seg_{number}",
                "type": "transcript.text.segment",
                "start": line.start,
                "end": line.end,
                "speaker": chr(ord("A") + line.speaker),
                "text": line.text,
            }
            for number, line in enumerate(state.script)
        ]
        return _Reply(
            payload={
                "task": "transcribe",
                "duration": duration,
                "text": text,
                "segments": segments,
                "usage": usage,
            }
        )
    verbose: dict[str, Any] = {
        "task": "transcribe",
        "language": "english",
        "duration": duration,
        "text": text,
        "usage": usage,
    }
    if not granularities or "segment" in granularities:
        verbose["segments"] = [
            {
                "id": number,
                "seek": 0,
                "start": line.start,
                "end": line.end,
                "text": " " + line.text,
                "tokens": [50364 + number],
                "temperature": 0.0,
                "avg_logprob": -0.2,
                "compression_ratio": 1.3,
                "no_speech_prob": 0.01,
            }
            for number, line in enumerate(state.script)
        ]
    if "word" in granularities:
        verbose["words"] = [
            {"word": word["word"], "start": word["start"], "end": word["end"]}
            for line in state.script
            for word in _words(line, diarize=False)
        ]
    return _Reply(payload=verbose)


def _words(line: ScriptLine, *, diarize: bool) -> list[dict[str, Any]]:
    """The line's words spread evenly over its time, in Deepgram's word shape."""
    tokens = line.text.split()
    step = (line.end - line.start) / max(1, len(tokens))
    words = []
    for number, token in enumerate(tokens):
        word: dict[str, Any] = {
            "word": token.strip(".,?!").lower(),
            "start": round(line.start + number * step, 3),
            "end": round(line.start + (number + 1) * step, 3),
            "confidence": 0.98,
            "punctuated_word": token,
        }
        if diarize:
            word.update(speaker=line.speaker, speaker_confidence=0.9)
        words.append(word)
    return words


def _listen(call: _Call) -> _Reply:
    """Deepgram pre-recorded `POST /v1/listen` with a raw audio body."""
    state, body, query = call.state, call.body, call.query
    if not isinstance(body, UploadedFile) or not body.size:
        return _bad_request(
            "deepgram", "Bad Request: failed to process audio: corrupt or unsupported data"
        )
    model = query.get("model", "base")
    if model not in DEEPGRAM_MODELS:
        return _bad_request("deepgram", "No such model/language/tier combination found.")
    diarize = query.get("diarize") == "true" or "diarize_model" in query
    words = [word for line in state.script for word in _words(line, diarize=diarize)]
    transcript = " ".join(line.text for line in state.script)
    model_id = str(uuid.UUID(int=len(model)))
    results: dict[str, Any] = {
        "channels": [
            {"alternatives": [{"transcript": transcript, "confidence": 0.97, "words": words}]}
        ]
    }
    if query.get("utterances") == "true":
        results["utterances"] = [
            {
                "start": line.start,
                "end": line.end,
                "confidence": 0.96,
                "channel": 0,
                "transcript": line.text,
                "words": _words(line, diarize=diarize),
                "id": str(uuid.uuid4()),
                **({"speaker": line.speaker} if diarize else {}),
            }
            for line in state.script
        ]
    metadata = {
        "transaction_key": "deprecated",
        "request_id": str(uuid.uuid4()),
        "sha256": "0" * 64,
        "created": "2026-01-01T00:00:00.000Z",
        "duration": round(state.duration, 3),
        "channels": 1,
        "models": [model_id],
        "model_info": {model_id: {"name": f"general-{model}", "version": "1", "arch": model}},
    }
    return _Reply(payload={"metadata": metadata, "results": results})


def _openai_speech(call: _Call) -> _Reply:
    """OpenAI `audio.speech.create`: "pcm" (24 kHz PCM16) or "wav" of a tone."""
    state, body = call.state, call.body
    if not isinstance(body, dict):
        return _bad_request("openai", "The request body must be a JSON object.")
    text, model = body.get("input"), body.get("model")
    if not isinstance(text, str) or not text.strip():
        return _bad_request("openai", "Missing required parameter: 'input'.")
    if len(text) > 4096:
        return _bad_request("openai", "'input' must be at most 4096 characters.")
    if model not in SPEECH_MODELS:
        return _failure("openai", "model_not_found", str(model))
    chosen = body.get("voice")
    name = chosen.get("id") if isinstance(chosen, dict) else chosen
    if name not in state.voices:
        return _bad_request("openai", f"Invalid value for 'voice': {name!r}.")
    pcm = tone_pcm16(state.seconds_for(text), frequency=state.tone_hz) + state.extra_bytes
    response_format = body.get("response_format", "mp3")
    if response_format == "pcm":
        return _Reply(audio=pcm, content_type="audio/pcm")
    if response_format == "wav":
        return _Reply(audio=wav_bytes(pcm), content_type="audio/wav")
    return _bad_request("openai", f"The fake encodes only pcm and wav, not {response_format!r}.")


def _elevenlabs_speech(call: _Call) -> _Reply:
    """ElevenLabs `text_to_speech.convert` / `.stream` with `output_format=pcm_<rate>`."""
    state, body, voice = call.state, call.body, call.voice
    if voice not in state.voices:
        return _Reply(
            404,
            {
                "detail": {
                    "status": "voice_not_found",
                    "message": f"A voice with voice_id {voice} was not found.",
                }
            },
            outcome="voice_not_found",
        )
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        missing = {"type": "missing", "loc": ["body", "text"], "msg": "Field required"}
        return _Reply(422, {"detail": [missing]}, outcome="bad_request")
    model = body.get("model_id") or "eleven_multilingual_v2"
    if model not in ELEVENLABS_MODELS:
        return _failure("elevenlabs", "model_not_found", model)
    output_format = call.query.get("output_format", "mp3_44100_128")
    kind, _, rate = output_format.partition("_")
    if kind != "pcm" or not rate.isdigit():
        return _bad_request("elevenlabs", f"The fake encodes only pcm_*, not {output_format!r}.")
    pcm = tone_pcm16(state.seconds_for(text), rate=int(rate), frequency=state.tone_hz)
    return _Reply(audio=pcm + state.extra_bytes, content_type="audio/pcm")


def _client_secrets(call: _Call) -> _Reply:
    """OpenAI Realtime GA `POST /realtime/client_secrets`: an `ek_` secret and the session."""
    body = call.body if isinstance(call.body, dict) else {}
    expires_after = body.get("expires_after") or {}
    seconds = expires_after.get("seconds", 600)
    if expires_after.get("anchor", "created_at") != "created_at":
        return _bad_request("openai", "Invalid 'expires_after.anchor': expected 'created_at'.")
    if not isinstance(seconds, int) or not 10 <= seconds <= 7200:
        return _bad_request("openai", "Invalid 'expires_after.seconds': must be 10 to 7200.")
    session = dict(body.get("session") or {"type": "realtime"})
    kind = session.get("type")
    if kind not in ("realtime", "transcription"):
        return _bad_request("openai", "Invalid 'session.type': expected realtime or transcription.")
    if kind == "realtime":
        session.setdefault("model", "gpt-realtime")
        session.setdefault("output_modalities", ["audio"])
    echoed = {
        **session,
        "id": _id("sess_"),
        "object": "realtime.session" if kind == "realtime" else "realtime.transcription_session",
        "expires_at": 0,
    }
    minted = MintedSecret(
        value="ek_" + secrets.token_hex(16), expires_at=int(time.time()) + seconds, session=echoed
    )
    with call.fake._lock:
        call.fake.client_secrets[minted.value] = minted
    return _Reply(
        payload={"value": minted.value, "expires_at": minted.expires_at, "session": echoed}
    )
