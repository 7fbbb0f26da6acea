"""The speech-to-text capability: a recorded call in, a timed (and diarized) transcript out.

OpenAI and Deepgram are called through their official SDKs at a configurable base URL. Every
failure becomes a `SpeechProviderError` whose `kind` and `retryable` mean what they mean for
`quotahit.providers.text.TextProviderError`: `retryable` says whether waiting, another key or
another provider may help. The text-to-speech and Realtime token adapters raise the same error,
and every adapter shares the base in `quotahit.providers.errors`.
"""

from __future__ import annotations

import io
import logging
import wave
from dataclasses import dataclass

import httpx
import httpx2
import openai
from deepgram import DeepgramClient
from deepgram.core.api_error import ApiError as DeepgramApiError
from deepgram.environment import DeepgramClientEnvironment
from deepgram.types.listen_v1response import ListenV1Response

from quotahit.providers.errors import (
    FAILURES_BY_KIND,
    PROVIDER_LABELS,
    ProviderError,
    translate_error,
)

logger = logging.getLogger(__name__)

OPENAI_MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # the transcriptions endpoint refuses larger files


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


class SpeechProviderError(ProviderError):
    """A speech-to-text, text-to-speech or Realtime token call failed."""


def speech_error(provider: str, kind: str) -> SpeechProviderError:
    """A `SpeechProviderError` of `kind` that the adapter noticed itself."""
    retryable, template = FAILURES_BY_KIND[kind]
    return SpeechProviderError(
        kind, template.format(label=PROVIDER_LABELS.get(provider, provider)), retryable=retryable
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
        # `from None`: Deepgram's ApiError keeps the request headers, key included, and prints
        # them; chaining it would put the key in any logged traceback.
        raise translate_error(provider, error, SpeechProviderError) from None


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
            segments = segments or _one_segment(verbose.text, verbose.duration)
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
    return Transcript(plain.text, _one_segment(plain.text, duration), duration, "openai", model)


def _one_segment(text: str, duration: float | None) -> list[Segment]:
    """The whole recording as one segment, for answers that carry no timing."""
    return [Segment(0.0, duration or 0.0, text.strip())] if text.strip() else []


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
    return Transcript(text, segments or _one_segment(text, duration), duration, "deepgram", model)
