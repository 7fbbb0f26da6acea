"""The local pipeline's stages: codecs, framing, and turning live audio into utterances."""

from __future__ import annotations

from quotahit.providers.local.audio import pcm16_to_mulaw
from quotahit.voice.engine import BROWSER_AUDIO, PHONE_AUDIO
from quotahit.voice.stages import (
    LISTEN_RATE,
    InputDecoder,
    OutputEncoder,
    UtteranceDetector,
    UtteranceEnded,
    UtterancePaused,
    UtteranceResumed,
    UtteranceStarted,
    frames,
)
from tests.support.voice_audio import chunks, silence, speech_pcm


def _detect(detector: UtteranceDetector, pcm16k: bytes) -> list[object]:
    events: list[object] = []
    for chunk in chunks(pcm16k, LISTEN_RATE, 20):
        events += detector.push(chunk)
    return events


def test_browser_audio_is_resampled_to_16_khz_and_odd_bytes_wait() -> None:
    decoder = InputDecoder(BROWSER_AUDIO)
    one_second = silence(1.0)
    out = decoder.decode(one_second[:-1]) + decoder.decode(one_second[-1:]) + decoder.decode(b"")
    assert abs(len(out) - 32_000) <= 64  # resampler latency may hold a few samples back


def test_phone_audio_is_mu_law_both_ways() -> None:
    speech = speech_pcm("hello there", 8_000)
    decoded = InputDecoder(PHONE_AUDIO).decode(pcm16_to_mulaw(speech))
    assert abs(len(decoded) - len(speech) * 2) <= 64
    assert OutputEncoder(PHONE_AUDIO).encode(speech) == pcm16_to_mulaw(speech)
    assert OutputEncoder(BROWSER_AUDIO).encode(speech) == speech


def test_frames_are_100_ms_pieces() -> None:
    pieces = frames(silence(0.25), BROWSER_AUDIO)
    assert [len(p) for p in pieces] == [4_800, 4_800, 2_400]


def test_one_sentence_is_one_utterance_with_a_pause_before_its_end() -> None:
    speech = speech_pcm("What are your biggest challenges right now?", LISTEN_RATE)
    detector = UtteranceDetector(end_silence_ms=450, pause_ms=200)
    events = _detect(detector, silence(0.5, LISTEN_RATE) + speech + silence(1.0, LISTEN_RATE))
    kinds = [type(e) for e in events]
    assert kinds[0] is UtteranceStarted
    assert kinds[-1] is UtteranceEnded
    assert UtterancePaused in kinds
    assert kinds.index(UtterancePaused) < kinds.index(UtteranceEnded)
    ended = events[-1]
    assert isinstance(ended, UtteranceEnded)
    # The utterance keeps the speech (plus pre-roll and the confirming silence).
    assert len(speech) <= len(ended.pcm) <= len(speech) + 2 * LISTEN_RATE * 2
    assert 0.3 <= ended.start_s <= 0.7
    assert not detector.in_speech


def test_speaking_again_after_a_short_pause_makes_the_pause_stale() -> None:
    words = speech_pcm("Well", LISTEN_RATE)
    more = speech_pcm("let me think about that for a moment", LISTEN_RATE)
    detector = UtteranceDetector(end_silence_ms=450, pause_ms=200)
    events = _detect(detector, words + silence(0.3, LISTEN_RATE) + more + silence(1.0, LISTEN_RATE))
    kinds = [type(e) for e in events]
    assert UtteranceResumed in kinds
    assert kinds.count(UtteranceStarted) == 1
    assert kinds.count(UtteranceEnded) == 1


def test_silence_alone_is_no_utterance() -> None:
    assert _detect(UtteranceDetector(), silence(3.0, LISTEN_RATE)) == []
