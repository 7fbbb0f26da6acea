"""Voice activity detection on espeak-ng speech framed by known stretches of silence."""

from __future__ import annotations

import pytest

from quotahit.providers.local.vad import SpeechEnded, SpeechStarted, VadStream, speech_segments
from tests.unit.local.media import SENTENCE, espeak_pcm, silence

LEAD, GAP, TAIL = 1.0, 1.5, 1.0


def _clip(rate: int) -> tuple[bytes, list[tuple[float, float]]]:
    """Silence, a sentence, a pause, a short question, silence; and where the speech is."""
    first = espeak_pcm(SENTENCE, rate)
    second = espeak_pcm("can you call me next week", rate)
    first_s, second_s = len(first) / 2 / rate, len(second) / 2 / rate
    clip = silence(LEAD, rate) + first + silence(GAP, rate) + second + silence(TAIL, rate)
    second_start = LEAD + first_s + GAP
    return clip, [(LEAD, LEAD + first_s), (second_start, second_start + second_s)]


def _inside(found: tuple[float, float], expected: tuple[float, float]) -> bool:
    """espeak pads each clip with up to ~0.3 s of silence; segments may start late / end early."""
    return expected[0] - 0.2 <= found[0] <= expected[0] + 0.3 and (
        expected[1] - 0.5 <= found[1] <= expected[1] + 0.2
    )


@pytest.mark.parametrize("rate", [8_000, 16_000, 22_050, 24_000, 48_000])
def test_speech_segments_finds_both_utterances(rate: int) -> None:
    clip, expected = _clip(rate)

    segments = speech_segments(clip, rate)

    assert len(segments) == 2, segments
    assert all(_inside(found, want) for found, want in zip(segments, expected, strict=True))


def test_short_pauses_are_bridged_and_padding_is_applied() -> None:
    clip, _ = _clip(16_000)

    merged = speech_segments(clip, 16_000, min_silence_ms=2_000)
    tight = speech_segments(clip, 16_000, padding_ms=0)
    padded = speech_segments(clip, 16_000, padding_ms=300)

    assert len(merged) == 1
    assert padded[0][0] == pytest.approx(tight[0][0] - 0.3, abs=0.01)
    assert padded[0][1] == pytest.approx(tight[0][1] + 0.3, abs=0.01)


def test_silence_has_no_speech() -> None:
    assert speech_segments(silence(2.0, 16_000), 16_000) == []
    assert speech_segments(b"", 16_000) == []


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="aggressiveness"):
        speech_segments(b"", 16_000, aggressiveness=4)
    with pytest.raises(ValueError, match="frame_ms"):
        VadStream(16_000, frame_ms=25)


@pytest.mark.parametrize("rate", [8_000, 24_000])
def test_stream_emits_start_and_end_of_each_utterance(rate: int) -> None:
    clip, expected = _clip(rate)
    stream = VadStream(rate, end_silence_ms=600)
    frame = rate // 50 * 2  # 20 ms, as the browser and Twilio send it

    events = []
    for start in range(0, len(clip), frame):
        events.extend(stream.push(clip[start : start + frame]))
    events.extend(stream.close())

    assert [type(event) for event in events] == [SpeechStarted, SpeechEnded] * 2
    for (started, ended), want in zip(
        [(events[0], events[1]), (events[2], events[3])], expected, strict=True
    ):
        assert isinstance(started, SpeechStarted)
        assert isinstance(ended, SpeechEnded)
        assert ended.started_at_s == started.at_s
        assert _inside((started.at_s, ended.at_s), want)


def test_end_of_utterance_waits_for_the_silence_and_close_ends_open_speech() -> None:
    rate = 16_000
    speech = espeak_pcm(SENTENCE, rate)
    stream = VadStream(rate, end_silence_ms=800)

    assert [type(event) for event in stream.push(speech)] == [SpeechStarted]
    assert stream.in_speech
    assert stream.push(silence(0.3, rate)) == []  # espeak's own tail + 0.3 s < 0.8 s
    ended = stream.push(silence(0.8, rate))
    assert [type(event) for event in ended] == [SpeechEnded]
    assert not stream.in_speech

    stream.push(speech)
    closing = stream.close()
    assert [type(event) for event in closing] == [SpeechEnded]
