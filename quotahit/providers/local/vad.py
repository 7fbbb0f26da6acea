"""Voice activity detection with WebRTC's VAD: speech segments of a clip, and a live stream.

WebRTC's detector classifies 10/20/30 ms frames at 8, 16, 32 or 48 kHz; other rates (the
browser's 24 kHz, a 22.05 kHz file) are resampled to 16 kHz first. Its verdicts flicker
within words, so both interfaces smooth them: short gaps are bridged, short blips dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import webrtcvad

from quotahit.providers.local.audio import Pcm16Resampler

VAD_RATES = (8000, 16000, 32000, 48000)
FALLBACK_RATE = 16000


@dataclass(frozen=True)
class SpeechStarted:
    """The speaker started talking at `at_s` seconds into the stream."""

    at_s: float


@dataclass(frozen=True)
class SpeechEnded:
    """The speaker stopped at `at_s` (end of the last speech frame); the utterance began earlier."""

    at_s: float
    started_at_s: float


VadEvent = SpeechStarted | SpeechEnded


class _FrameClassifier:
    """Cuts PCM16 into VAD frames (resampling when needed) and says which hold speech."""

    def __init__(self, sample_rate: int, aggressiveness: int, frame_ms: int) -> None:
        if aggressiveness not in range(4):
            raise ValueError("aggressiveness must be 0 (lenient) to 3 (strict)")
        if frame_ms not in (10, 20, 30):
            raise ValueError("frame_ms must be 10, 20 or 30")
        self._rate = sample_rate if sample_rate in VAD_RATES else FALLBACK_RATE
        self._resampler = Pcm16Resampler(sample_rate, self._rate)
        self._vad = webrtcvad.Vad(aggressiveness)
        self._frame_bytes = self._rate * frame_ms // 1000 * 2
        self._pending = b""
        self.frame_s = frame_ms / 1000

    def frames(self, pcm: bytes, *, final: bool = False) -> Iterator[bool]:
        """Speech verdicts of each whole frame now available (a partial last frame is kept)."""
        self._pending += self._resampler.process(pcm)
        if final:
            self._pending += self._resampler.flush()
        usable = len(self._pending) - len(self._pending) % self._frame_bytes
        chunk, self._pending = self._pending[:usable], self._pending[usable:]
        for start in range(0, usable, self._frame_bytes):
            yield self._vad.is_speech(chunk[start : start + self._frame_bytes], self._rate)


def speech_segments(
    pcm: bytes,
    sample_rate: int,
    *,
    aggressiveness: int = 2,
    frame_ms: int = 30,
    min_silence_ms: int = 300,
    min_speech_ms: int = 90,
    padding_ms: int = 100,
) -> list[tuple[float, float]]:
    """Where a mono PCM16 clip has speech, as (start, end) seconds.

    Args:
        pcm: The clip, mono PCM16.
        sample_rate: Its sample rate in Hz.
        aggressiveness: 0 keeps the most audio as speech, 3 the least (noisy rooms).
        frame_ms: The VAD frame length: 10, 20 or 30 ms.
        min_silence_ms: Pauses shorter than this stay inside one segment.
        min_speech_ms: Speech runs shorter than this (clicks, coughs) are dropped.
        padding_ms: Audio kept before and after each segment, so word edges are not clipped.
    """
    classifier = _FrameClassifier(sample_rate, aggressiveness, frame_ms)
    frame_s = classifier.frame_s
    runs: list[list[float]] = []
    for index, voiced in enumerate(classifier.frames(pcm, final=True)):
        if not voiced:
            continue
        start = index * frame_s
        if runs and start - runs[-1][1] < min_silence_ms / 1000 - 1e-9:
            runs[-1][1] = start + frame_s
        else:
            runs.append([start, start + frame_s])
    clip_s = len(pcm) / 2 / sample_rate
    padding = padding_ms / 1000
    segments: list[tuple[float, float]] = []
    for start, end in runs:
        if end - start < min_speech_ms / 1000 - 1e-9:
            continue
        padded = (max(0.0, start - padding), min(clip_s, end + padding))
        if segments and padded[0] <= segments[-1][1]:
            segments[-1] = (segments[-1][0], padded[1])
        else:
            segments.append(padded)
    return [(round(start, 3), round(end, 3)) for start, end in segments]


class VadStream:
    """Turns live audio into speech-start and speech-end events for one speaker.

    Feed it the stream as it arrives (the browser and Twilio send 20 ms chunks; any length
    works). Speech starts once `start_ms` of consecutive speech frames are heard; it ends after
    `end_silence_ms` of silence, which is the end-of-utterance signal a voice pipeline waits for
    before answering. Times are seconds of audio pushed so far.
    """

    def __init__(
        self,
        sample_rate: int,
        *,
        aggressiveness: int = 2,
        frame_ms: int = 20,
        start_ms: int = 60,
        end_silence_ms: int = 600,
    ) -> None:
        self._classifier = _FrameClassifier(sample_rate, aggressiveness, frame_ms)
        self._frame_s = self._classifier.frame_s
        self._start_frames = max(1, round(start_ms / frame_ms))
        self._end_frames = max(1, round(end_silence_ms / frame_ms))
        self._frame_index = 0
        self._voiced_run = 0
        self._silent_run = 0
        self._started_at: float | None = None
        self._last_voice_end = 0.0

    @property
    def in_speech(self) -> bool:
        """Whether the speaker is talking now (between a start and its end event)."""
        return self._started_at is not None

    @property
    def last_voice_end_s(self) -> float:
        """When the last speech frame ended, in seconds of audio pushed so far."""
        return self._last_voice_end

    def push(self, pcm: bytes) -> list[VadEvent]:
        """Add audio; returns the events it completes, in order."""
        return self._advance(self._classifier.frames(pcm))

    def close(self) -> list[VadEvent]:
        """End of the stream: an utterance still open ends where its speech stopped."""
        events = self._advance(self._classifier.frames(b"", final=True))
        if self._started_at is not None:
            events.append(SpeechEnded(round(self._last_voice_end, 3), self._started_at))
            self._started_at = None
        return events

    def _advance(self, verdicts: Iterator[bool]) -> list[VadEvent]:
        events: list[VadEvent] = []
        for voiced in verdicts:
            frame_start = self._frame_index * self._frame_s
            self._frame_index += 1
            if voiced:
                self._voiced_run += 1
                self._silent_run = 0
                self._last_voice_end = frame_start + self._frame_s
            else:
                self._voiced_run = 0
                self._silent_run += 1
            if self._started_at is None and self._voiced_run >= self._start_frames:
                started = frame_start - (self._start_frames - 1) * self._frame_s
                self._started_at = round(started, 3)
                events.append(SpeechStarted(self._started_at))
            elif self._started_at is not None and self._silent_run >= self._end_frames:
                events.append(SpeechEnded(round(self._last_voice_end, 3), self._started_at))
                self._started_at = None
        return events
