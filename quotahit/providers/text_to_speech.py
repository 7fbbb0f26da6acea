"""The text-to-speech capability: text in, a stream of 24 kHz 16-bit mono PCM out.

24 kHz PCM16 is what the browser's audio player and OpenAI Realtime use, so the voice engine
never resamples a provider's audio: OpenAI's `pcm` format is 24 kHz little-endian PCM16, and
ElevenLabs is asked for `pcm_24000`. Failures raise `SpeechProviderError` (see speech_to_text).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import httpx
import openai
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError as ElevenLabsApiError

from quotahit.providers.errors import translate_error
from quotahit.providers.speech_to_text import SDK_FAILURES, SpeechProviderError, speech_error

SAMPLE_RATE = 24_000
SAMPLE_WIDTH = 2  # bytes: PCM16
CHUNK_BYTES = 4_800  # 100 ms of audio: small enough to start playing at once

DEFAULT_MODELS = {"openai": "gpt-4o-mini-tts", "elevenlabs": "eleven_flash_v2_5"}

_FAILURES = (*SDK_FAILURES, ElevenLabsApiError)


def synthesize(
    *,
    provider: str,
    voice: str,
    secret: str,
    base_url: str,
    text: str,
    model: str | None = None,
    request_timeout: float = 60.0,
) -> Iterator[bytes]:
    """Stream `text` spoken by `voice` as 24 kHz PCM16 mono, each chunk whole samples.

    Nothing is sent until the first chunk is asked for. Audio already yielded stays valid when
    the stream fails later: the error then has kind "stream_cut".
    """
    if provider not in DEFAULT_MODELS:
        raise ValueError(f"no text-to-speech adapter for provider {provider!r}")
    return _synthesize(
        provider, voice, secret, base_url, text, model or DEFAULT_MODELS[provider], request_timeout
    )


def _synthesize(
    provider: str,
    voice: str,
    secret: str,
    base_url: str,
    text: str,
    model: str,
    request_timeout: float,
) -> Iterator[bytes]:
    speak = _openai_speech if provider == "openai" else _elevenlabs_speech
    produced = False
    try:
        for chunk in _whole_samples(speak(secret, base_url, voice, text, model, request_timeout)):
            produced = True
            yield chunk
    except _FAILURES as error:
        failure = translate_error(provider, error, SpeechProviderError)
        if produced and failure.kind == "unreachable":
            failure = speech_error(provider, "stream_cut")
        raise failure from None  # SDK errors may carry request headers (the key): never chain them


def _openai_speech(
    secret: str, base_url: str, voice: str, text: str, model: str, request_timeout: float
) -> Iterator[bytes]:
    with (
        openai.OpenAI(
            api_key=secret, base_url=base_url, timeout=request_timeout, max_retries=0
        ) as client,
        client.audio.speech.with_streaming_response.create(
            model=model, voice=voice, input=text, response_format="pcm"
        ) as response,
    ):
        _require_audio(response.headers.get("content-type", ""))
        yield from response.iter_bytes(CHUNK_BYTES)


def _elevenlabs_speech(
    secret: str, base_url: str, voice: str, text: str, model: str, request_timeout: float
) -> Iterator[bytes]:
    with httpx.Client(timeout=request_timeout, follow_redirects=False) as http:
        client = ElevenLabs(
            api_key=secret, base_url=base_url, httpx_client=http, timeout=request_timeout
        )
        with client.text_to_speech.with_raw_response.stream(
            voice,
            text=text,
            model_id=model,
            output_format="pcm_24000",
            request_options={"chunk_size": CHUNK_BYTES, "max_retries": 0},
        ) as response:
            _require_audio(response.headers.get("content-type", ""))
            yield from response.data


def _require_audio(content_type: str) -> None:
    """A 200 page of HTML or JSON (a captive proxy, a gateway) is not speech."""
    if content_type.startswith(("text/", "application/json")):
        raise ValueError(f"expected audio, got {content_type}")


def _whole_samples(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Re-cut the chunks at sample boundaries: HTTP chunks may split a 16-bit sample in two."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        cut = len(data) - len(data) % SAMPLE_WIDTH
        carry = data[cut:]
        if cut:
            yield data[:cut]
    if carry:
        raise ValueError("the audio ended in the middle of a sample")
