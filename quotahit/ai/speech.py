"""Speech-to-text through the gateway: keys, failover, the local Whisper as last resort, metering.

The recording is decoded locally first, so a video or a broken file is refused before anything is
sent anywhere, and every attempt is metered with the audio's real duration.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from quotahit.accounts.identity import Identity
from quotahit.ai.service import WHOSE, Gateway, call_fields, keys_within_caps, meter_call
from quotahit.keys.service import KeySource, ResolvedKey
from quotahit.providers.catalogue import MODELS_BY_ID, STT, Model
from quotahit.providers.local import audio as local_audio
from quotahit.providers.local import stt as local_stt
from quotahit.providers.speech_to_text import Segment, SpeechProviderError, Transcript, transcribe
from quotahit.usage.service import CallRecord

# Deepgram serves the platform's calling features: it is an infrastructure key, never a user's.
INFRASTRUCTURE_PROVIDERS = frozenset({"deepgram"})


@dataclass(frozen=True)
class SpeechResult:
    """The transcript, who produced it, and what the user should be told about how."""

    transcript: Transcript
    model_id: str
    key_source: str
    audio_seconds: float
    notices: list[str] = field(default_factory=list)


def _keys_for(
    gateway: Gateway, identity: Identity, model: Model
) -> tuple[list[ResolvedKey], list[str]]:
    if model.provider in INFRASTRUCTURE_PROVIDERS:
        secret = gateway.platform_keys.get(model.provider, "")
        if secret:
            return [ResolvedKey(KeySource.PLATFORM, model.provider, secret)], []
        return [], [f"no {model.provider} key on the platform"]
    return keys_within_caps(gateway, identity, model.provider)


def _local(decoded: local_audio.DecodedAudio) -> Transcript:
    segments = local_stt.transcribe(decoded.pcm, decoded.sample_rate, word_timestamps=False)
    return Transcript(
        text=local_stt.transcript_text(segments),
        segments=[Segment(s.start, s.end, s.text) for s in segments],
        duration=decoded.duration_s,
        provider="local",
        model="tiny.en",
    )


async def transcribe_recording(
    *,
    gateway: Gateway,
    identity: Identity,
    module: str,
    audio: bytes,
    filename: str,
    content_type: str,
    model_id: str = "whisper-1",
    diarize: bool = False,
    max_seconds: float | None = None,
    decoded: local_audio.DecodedAudio | None = None,
) -> SpeechResult:
    """Transcribe with the chosen model's keys in order, else the local Whisper, saying so.

    `decoded` is the same audio already decoded by the caller (a chunk it cut itself): the
    check and the decoding are then skipped.

    Raises:
        AudioError: the file is not usable audio (a video, empty, broken, too long).
    """
    if decoded is None:
        decoded = await asyncio.to_thread(
            local_audio.decode_audio, audio, sample_rate=16_000, max_seconds=max_seconds
        )
    seconds = decoded.duration_s
    model = MODELS_BY_ID[model_id]
    if STT not in model.capabilities:
        raise ValueError(f"{model_id} does not transcribe audio")
    reasons: list[str] = []
    if model.provider != "local":
        candidates, reasons = _keys_for(gateway, identity, model)
        for key in candidates:
            started = time.perf_counter()
            call = {
                **call_fields(identity, module, model.provider, model.id, key),
                "audio_seconds": seconds,
            }
            try:
                transcript = await asyncio.to_thread(
                    transcribe,
                    provider=model.provider,
                    model=model.api_model,
                    secret=key.secret or "",
                    base_url=gateway.base_urls[model.provider],
                    audio=audio,
                    filename=filename,
                    content_type=content_type,
                    diarize=diarize,
                )
            except SpeechProviderError as error:
                meter_call(
                    gateway,
                    CallRecord(
                        **call,
                        latency_ms=round((time.perf_counter() - started) * 1000),
                        outcome=error.kind,
                        detail=str(error),
                    ),
                )
                reasons.append(f"{model.label} with {WHOSE[key.source]} failed ({error})")
                if not error.retryable:
                    break
                continue
            meter_call(
                gateway,
                CallRecord(
                    **call,
                    latency_ms=round((time.perf_counter() - started) * 1000),
                    cost_usd=model.cost(0, 0, seconds),
                ),
            )
            notices = (
                [f"Transcribed with {WHOSE[key.source]}: " + "; ".join(reasons) + "."]
                if (reasons)
                else []
            )
            return SpeechResult(transcript, model.id, key.source.value, seconds, notices)
    started = time.perf_counter()
    transcript = await asyncio.to_thread(_local, decoded)
    meter_call(
        gateway,
        CallRecord(
            **call_fields(identity, module, "local", "local-whisper", None),
            audio_seconds=seconds,
            latency_ms=round((time.perf_counter() - started) * 1000),
        ),
    )
    notices = (
        ["Transcribed by the built-in local Whisper: " + "; ".join(reasons) + "."]
        if reasons
        else []
    )
    return SpeechResult(transcript, "local-whisper", "local", seconds, notices)
