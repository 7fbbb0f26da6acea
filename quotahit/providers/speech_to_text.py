"""The speech-to-text capability: a recorded call in, a timed (and diarized) transcript out.

OpenAI and Deepgram are called through their official SDKs at a configurable base URL. Every
failure becomes a `SpeechProviderError` whose `kind` and `retryable` mean what they mean for
`quotahit.providers.text.TextProviderError`: `retryable` says whether waiting, another key or
another provider may help. The text-to-speech and Realtime token adapters share this error type
and its translation.
"""

from __future__ import annotations

import io
import logging
import wave
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import httpx2
import openai
from deepgram import DeepgramClient
from deepgram.core.api_error import ApiError as DeepgramApiError
from deepgram.environment import DeepgramClientEnvironment
from deepgram.types.listen_v1response import ListenV1Response

logger = logging.getLogger(__name__)

OPENAI_MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # the transcriptions endpoint refuses larger files

_LABELS = {
    "openai": "OpenAI",
    "deepgram": "Deepgram",
    "elevenlabs": "ElevenLabs",
    "tavily": "Tavily",
    "perplexity": "Perplexity",
}


@dataclass(frozen=True)
class Segment:
    """A stretch of speech with its time in seconds and, when diarized, who spoke it."""

    start: float
    end: float
    text: str
    speaker: str | None = None  # the provider's label: "A"/"B" (OpenAI), "0"/"1" (Deepgram)


@dataclass(frozen=True)
class Transcript:
    """What a provider heard in a recording."""

    text: str
    segments: list[Segment]
    duration: float | None  # seconds; None when neither the provider nor a WAV header says
    provider: str
    model: str


class SpeechProviderError(Exception):
    """A provider call failed; `retryable` says whether waiting or failing over may help."""

    def __init__(self, kind: str, message: str, *, retryable: bool, retry_after: float = 0.0):
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after


ProviderError = TypeVar("ProviderError", bound=Exception)

# kind, retryable, and the message (with the provider's name) for each way a call fails.
_FAILURES_BY_KIND: dict[str, tuple[bool, str]] = {
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
    provider: str,
    error: Exception,
    error_type: type[ProviderError] = SpeechProviderError,  # type: ignore[assignment]
) -> ProviderError:
    """Map an SDK or transport error of any provider adapter to one domain error."""
    status, headers, body = _status_of(error)
    retry_after = 0.0
    if status is not None and status >= 400:
        kind = _kind_for_status(status)
        retry_after = _retry_after(headers) if kind == "rate_limited" else 0.0
    elif isinstance(error, (openai.APITimeoutError, httpx.TimeoutException, httpx2.TimeoutException)):
        kind = "timeout"
    elif isinstance(error, (openai.APIConnectionError, httpx.TransportError, httpx2.TransportError)):
        kind = "unreachable"
    else:  # a 2xx body the SDK could not parse, or an answer that is not what was asked for
        kind = "malformed"
    retryable, template = _FAILURES_BY_KIND[kind]
    message = template.format(label=_LABELS.get(provider, provider))
    if kind == "bad_request" and (detail := _detail(body)):
        message = f"{message}: {detail[:200]}"  # never a key: 400s describe the request
    logger.info("%s call failed: %s (%s, status %s)", provider, kind, type(error).__name__, status)
    return error_type(kind, message, retryable=retryable, retry_after=retry_after)  # type: ignore[call-arg]


def failure(provider: str, kind: str) -> SpeechProviderError:
    """A `SpeechProviderError` of `kind` noticed by the adapter itself."""
    retryable, template = _FAILURES_BY_KIND[kind]
    return SpeechProviderError(
        kind, template.format(label=_LABELS.get(provider, provider)), retryable=retryable
    )


SDK_FAILURES: tuple[type[Exception], ...] = (
    openai.APIError,
    httpx.HTTPError,
    httpx2.HTTPError,
    DeepgramApiError,
    ValueError,  # a body that is not JSON, or JSON that does not fit the SDK's types
)


def transcribe(
    *,
    provider: str,
    model: str,
    secret: str,
    base_url: str,
    audio: bytes,
    filename: str,
    content_type: str,
    diarize: bool = False,
    request_timeout: float = 300.0,
) -> Transcript:
    """Transcribe a whole recording; with `diarize`, each segment says who spoke."""
    if provider == "openai":
        if diarize and not model.endswith("-diarize"):
            raise SpeechProviderError(
                "bad_request",
                f"OpenAI's {model} cannot tell speakers apart: use gpt-4o-transcribe-diarize",
                retryable=False,
            )
        if len(audio) > OPENAI_MAX_UPLOAD_BYTES:
            raise SpeechProviderError(
                "bad_request", "OpenAI transcribes files of 25 MB at most", retryable=False
            )
    elif provider != "deepgram":
        raise ValueError(f"no speech-to-text adapter for provider {provider!r}")
    try:
        if provider == "openai":
            return _openai_transcribe(
                secret, base_url, model, (filename, audio, content_type), request_timeout
            )
        return _deepgram_transcribe(
            secret, base_url, model, audio, content_type, diarize, request_timeout
        )
    except SDK_FAILURES as error:
        raise translate_error(provider, error) from error


def _openai_transcribe(
    secret: str,
    base_url: str,
    model: str,
    upload: tuple[str, bytes, str],
    request_timeout: float,
) -> Transcript:
    with openai.OpenAI(
        api_key=secret, base_url=base_url, timeout=request_timeout, max_retries=0
    ) as client:
        transcriptions = client.audio.transcriptions
        if model.startswith("whisper"):
            verbose = transcriptions.create(
                file=upload,
                model=model,
                response_format="verbose_json",
                timestamp_granularities=["segment"],
            )
            segments = [
                Segment(part.start, part.end, part.text.strip()) for part in verbose.segments or []
            ]
            return Transcript(verbose.text, segments, verbose.duration, "openai", model)
        if model.endswith("-diarize"):
            # Diarization of audio over 30 s needs a chunking strategy; "auto" is right for any.
            diarized = transcriptions.create(
                file=upload, model=model, response_format="diarized_json", chunking_strategy="auto"
            )
            segments = [
                Segment(part.start, part.end, part.text.strip(), part.speaker)
                for part in diarized.segments
            ]
            return Transcript(diarized.text, segments, diarized.duration, "openai", model)
        # gpt-4o-transcribe and its kin answer only `json`: the text without any timing.
        plain = transcriptions.create(file=upload, model=model, response_format="json")
    usage = plain.usage
    duration = usage.seconds if usage is not None and usage.type == "duration" else None
    duration = duration if duration is not None else _wav_seconds(upload[1])
    text = plain.text.strip()
    segments = [Segment(0.0, duration or 0.0, text)] if text else []
    return Transcript(plain.text, segments, duration, "openai", model)


def _wav_seconds(audio: bytes) -> float | None:
    try:
        with wave.open(io.BytesIO(audio)) as recording:
            return recording.getnframes() / recording.getframerate()
    except (wave.Error, EOFError):
        return None


def _deepgram_transcribe(
    secret: str,
    base_url: str,
    model: str,
    audio: bytes,
    content_type: str,
    diarize: bool,
    request_timeout: float,
) -> Transcript:
    base_url = base_url.rstrip("/")
    streaming_url = base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    # deepgram-sdk has no base_url: the environment carries every host (REST uses `base`).
    environment = DeepgramClientEnvironment(
        base=base_url, production=streaming_url, agent=streaming_url, agent_rest=base_url
    )
    with httpx.Client(timeout=request_timeout, follow_redirects=False) as http:
        client = DeepgramClient(
            api_key=secret,
            environment=environment,
            httpx_client=http,
            timeout=request_timeout,
            max_retries=0,
        )
        response = client.listen.v1.media.transcribe_file(
            request=audio,
            model=model,
            diarize=diarize,
            utterances=True,
            smart_format=True,
            # The SDK labels every upload application/octet-stream; say what the audio is.
            request_options={"additional_headers": {"content-type": content_type}},
        )
    if not isinstance(response, ListenV1Response):
        raise ValueError("Deepgram accepted the audio for a callback instead of answering")
    channels = response.results.channels or []
    alternatives = (channels[0].alternatives or []) if channels else []
    text = (alternatives[0].transcript or "") if alternatives else ""
    segments = [
        Segment(
            utterance.start or 0.0,
            utterance.end or 0.0,
            (utterance.transcript or "").strip(),
            str(utterance.speaker) if utterance.speaker is not None else None,
        )
        for utterance in response.results.utterances or []
    ]
    duration = response.metadata.duration
    if not segments and text.strip():
        segments = [Segment(0.0, duration, text.strip())]
    return Transcript(text, segments, duration, "deepgram", model)
