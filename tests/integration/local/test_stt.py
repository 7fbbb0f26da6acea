"""Whisper tiny.en on generated speech: accuracy, timings, the phone band and uploaded files."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest

from quotahit.providers.local import stt
from quotahit.providers.local.audio import (
    decode_audio,
    mulaw_to_pcm16,
    pcm16_to_mulaw,
)
from quotahit.providers.local.stt import transcribe, transcript_text
from quotahit.providers.local.vad import speech_segments
from tests.unit.local.media import SENTENCE, encode, espeak_pcm, silence, word_error_rate

pytestmark = pytest.mark.usefixtures("whisper")

SECOND = "Can you send me a proposal with a smaller package next week?"


@pytest.mark.parametrize("rate", [16_000, 24_000])
def test_transcribes_a_sentence(rate: int) -> None:
    segments = transcribe(espeak_pcm(SENTENCE, rate), rate)

    assert word_error_rate(SENTENCE, transcript_text(segments)) <= 0.25


def test_transcribes_phone_audio_after_a_mulaw_round_trip() -> None:
    phone = mulaw_to_pcm16(pcm16_to_mulaw(espeak_pcm(SENTENCE, 8_000)))

    assert word_error_rate(SENTENCE, transcript_text(transcribe(phone, 8_000))) <= 0.25


def test_segments_and_words_are_timed_where_the_speech_is() -> None:
    rate = 16_000
    clip = (
        silence(1.0, rate)
        + espeak_pcm(SENTENCE, rate)
        + silence(2.0, rate)
        + espeak_pcm(SECOND, rate)
        + silence(0.5, rate)
    )

    segments = transcribe(clip, rate)
    words = [word for segment in segments for word in segment.words]

    assert word_error_rate(f"{SENTENCE} {SECOND}", transcript_text(segments)) <= 0.25
    vad = speech_segments(clip, rate)
    assert len(vad) == 2
    assert words[0].start == pytest.approx(vad[0][0], abs=0.5)
    assert words[-1].end == pytest.approx(vad[1][1], abs=0.5)
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    assert all(0 <= word.start <= word.end <= len(clip) / 2 / rate for word in words)
    assert not transcribe(clip, rate, word_timestamps=False)[0].words


def test_an_uploaded_webm_is_transcribed() -> None:
    upload = encode(espeak_pcm(SENTENCE, 16_000), 16_000, container="webm", codec="libopus")

    decoded = decode_audio(upload, sample_rate=16_000)

    assert word_error_rate(SENTENCE, transcript_text(transcribe(decoded.pcm, 16_000))) <= 0.25


def test_no_audio_is_no_segments() -> None:
    assert transcribe(b"", 16_000) == []


def test_threads_share_one_model_and_get_the_same_text() -> None:
    pcm = espeak_pcm(SENTENCE, 16_000)

    with ThreadPoolExecutor(3) as pool:
        models = list(pool.map(lambda _: stt.load_model(), range(3)))
        texts = list(pool.map(lambda _: transcript_text(transcribe(pcm, 16_000)), range(3)))

    assert all(model is models[0] for model in models)
    assert len(set(texts)) == 1
