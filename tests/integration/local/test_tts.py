"""The real Piper voice in its worker, and espeak-ng, checked by transcribing what they say."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from quotahit.providers.local import tts
from quotahit.providers.local.stt import transcribe, transcript_text
from quotahit.providers.local.tts import LocalSpeechSynthesizer
from quotahit.providers.local.vad import speech_segments
from tests.unit.local.media import word_error_rate

pytestmark = pytest.mark.usefixtures("whisper")

# Piper samples noise, so each rendering differs a little; this reply transcribed without an error
# in 24 renderings (at 24 and 8 kHz), where "the price is" was sometimes heard as "the prices".
SHORT = "We cannot afford a new contract this quarter."
REPLY = f"Thanks for calling. {SHORT} Please email me the proposal."


def best_of_three(
    piper: LocalSpeechSynthesizer, audio: bytes, rate: int, good_enough: float
) -> list[float]:
    """Word error rates of REPLY heard back, taking new takes until one is good enough (three
    at most). Piper samples noise: a take now and then is misheard ("email me" as "see you mail
    me", seen once in CI)."""
    errors = [word_error_rate(REPLY, transcript_text(transcribe(audio, rate)))]
    while errors[-1] > good_enough and len(errors) < 3:
        again = b"".join(piper.synthesize_stream(REPLY, sample_rate=rate))
        errors.append(word_error_rate(REPLY, transcript_text(transcribe(again, rate))))
    return errors


def test_piper_speaks_24k_pcm_that_transcribes_back_to_the_text(
    piper: LocalSpeechSynthesizer,
) -> None:
    started = time.perf_counter()
    first_chunk_at = None
    chunks = []
    for chunk in piper.synthesize_stream(REPLY):
        first_chunk_at = first_chunk_at or time.perf_counter() - started
        chunks.append(chunk)
    total = time.perf_counter() - started
    audio = b"".join(chunks)

    assert len(chunks) == 3  # one per sentence, streamed
    assert first_chunk_at is not None
    assert first_chunk_at < total
    assert all(len(chunk) % 2 == 0 for chunk in chunks)
    assert 3 < len(audio) / 2 / 24_000 < 10
    errors = best_of_three(piper, audio, 24_000, 0.1)
    assert min(errors) <= 0.1, errors


def test_piper_speaks_phone_rate_audio(piper: LocalSpeechSynthesizer) -> None:
    audio = b"".join(piper.synthesize_stream(REPLY, sample_rate=8_000))

    assert speech_segments(audio, 8_000)
    errors = best_of_three(piper, audio, 8_000, 0.25)
    assert min(errors) <= 0.25, errors


def test_an_interrupted_reply_leaves_the_worker_ready(piper: LocalSpeechSynthesizer) -> None:
    stream = piper.synthesize_stream(REPLY)
    next(stream)
    stream.close()

    after = b"".join(piper.synthesize_stream(SHORT))

    assert word_error_rate(SHORT, transcript_text(transcribe(after, 24_000))) <= 0.25


def test_espeak_fallback_speaks_the_text_when_piper_is_unavailable(tmp_path: Path) -> None:
    synthesizer = LocalSpeechSynthesizer(piper_command=[str(tmp_path / "no-such-python")])

    audio = b"".join(synthesizer.synthesize_stream(REPLY))

    assert synthesizer.voice == tts.ESPEAK_VOICE
    assert word_error_rate(REPLY, transcript_text(transcribe(audio, 24_000))) <= 0.25


def test_the_process_wide_synthesizer_speaks() -> None:
    # Piper's voice samples noise, so one take in a few is misheard by Whisper tiny ("cannot
    # afford" as "can add a Ford"): the best of three takes must be understood.
    errors = []
    for _take in range(3):
        audio = b"".join(tts.synthesize_stream(SHORT))
        errors.append(word_error_rate(SHORT, transcript_text(transcribe(audio, 24_000))))
        if errors[-1] <= 0.25:
            break

    assert tts.speech_synthesizer().voice == tts.PIPER_VOICE
    assert min(errors) <= 0.25, errors
    tts.speech_synthesizer().close()
