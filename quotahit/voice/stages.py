"""The small stages a local voice call is built from; each does one thing and knows no other.

    caller audio ─ InputDecoder ─ UtteranceDetector ─ (speech-to-text) ─ (dialogue)
                                                                           │
    caller audio ─ OutputEncoder ─ SpeechFramer ─ (text-to-speech) ────────┘

The decoders turn the caller's wire format (browser PCM16 24 kHz or phone mu-law 8 kHz) into
PCM16 16 kHz for the voice detector and Whisper, and the buyer's voice back into the wire format,
so an AI phone call reuses every stage by choosing `PHONE_AUDIO`.
"""

from __future__ import annotations

from dataclasses import dataclass

from quotahit.providers.local.audio import Pcm16Resampler, mulaw_to_pcm16, pcm16_to_mulaw
from quotahit.providers.local.vad import SpeechEnded, SpeechStarted, VadStream
from quotahit.voice.engine import AudioFormat

LISTEN_RATE = 16_000
PRE_ROLL_S = 0.3  # audio kept from before speech was detected, so first syllables are not cut
MAX_UTTERANCE_S = 30.0  # a rep who never pauses is transcribed every 30 s anyway


class InputDecoder:
    """Caller audio → PCM16 16 kHz mono."""

    def __init__(self, audio: AudioFormat) -> None:
        self._mulaw = audio.encoding == "mulaw"
        self._resampler = (
            Pcm16Resampler(audio.sample_rate, LISTEN_RATE)
            if audio.sample_rate != LISTEN_RATE
            else None
        )
        self._odd = b""

    def decode(self, data: bytes) -> bytes:
        """Any chunk size; an odd trailing PCM16 byte waits for the next chunk."""
        if self._mulaw:
            pcm = mulaw_to_pcm16(data)
        else:
            data, self._odd = self._odd + data, b""
            if len(data) % 2:
                data, self._odd = data[:-1], data[-1:]
            pcm = data
        return self._resampler.process(pcm) if self._resampler and pcm else pcm


class OutputEncoder:
    """PCM16 at the call's rate → the wire format (mu-law for phones)."""

    def __init__(self, audio: AudioFormat) -> None:
        self._mulaw = audio.encoding == "mulaw"

    def encode(self, pcm: bytes) -> bytes:
        """One chunk of the buyer's voice."""
        return pcm16_to_mulaw(pcm) if self._mulaw else pcm


def frames(pcm: bytes, audio: AudioFormat, frame_ms: int = 100) -> list[bytes]:
    """PCM16 at `audio.sample_rate` cut into `frame_ms` pieces (the last may be shorter).

    Small pieces let an interruption stop the buyer within one frame and let the browser start
    playing before a long sentence has been sent.
    """
    size = audio.sample_rate * 2 * frame_ms // 1000
    return [pcm[start : start + size] for start in range(0, len(pcm), size)]


@dataclass(frozen=True)
class UtteranceStarted:
    """The rep began speaking at `at_s` seconds of audio heard."""

    at_s: float


@dataclass(frozen=True)
class UtterancePaused:
    """A short silence: the rep may have finished; speculating on an answer may pay off."""

    pcm: bytes


@dataclass(frozen=True)
class UtteranceResumed:
    """The rep spoke again after a pause: an answer worked out at the pause is stale."""


@dataclass(frozen=True)
class UtteranceEnded:
    """The rep finished a turn: its audio (PCM16 16 kHz, with pre-roll) and timing."""

    pcm: bytes
    start_s: float
    end_s: float


UtteranceEvent = UtteranceStarted | UtterancePaused | UtteranceResumed | UtteranceEnded


class UtteranceDetector:
    """Voice activity → whole utterances, with an early "paused" signal.

    The turn ends after `end_silence_ms` of silence; `pause_ms` earlier the detector already
    says "paused" with the audio so far, so speech-to-text and the buyer's answer can be worked
    out while the silence is still being confirmed.
    """

    def __init__(self, *, end_silence_ms: int = 450, pause_ms: int = 200) -> None:
        self._vad = VadStream(LISTEN_RATE, end_silence_ms=end_silence_ms, start_ms=60)
        self._pause_s = pause_ms / 1000
        self._history = bytearray()  # recent audio, for the pre-roll
        self._speech = bytearray()
        self._heard_s = 0.0
        self._paused_sent = False

    @property
    def in_speech(self) -> bool:
        """Whether the rep is talking now."""
        return self._vad.in_speech

    @property
    def heard_s(self) -> float:
        """Seconds of audio pushed so far."""
        return self._heard_s

    def speech_so_far(self) -> bytes:
        """The utterance in progress (for interim transcripts)."""
        return bytes(self._speech)

    def push(self, pcm16k: bytes) -> list[UtteranceEvent]:
        """Add PCM16 16 kHz audio; returns what it completes."""
        out: list[UtteranceEvent] = []
        was_speaking = self._vad.in_speech
        events = self._vad.push(pcm16k)
        self._heard_s += len(pcm16k) / (2 * LISTEN_RATE)
        if was_speaking or events:
            self._speech += pcm16k
        else:
            self._history += pcm16k
            keep = int(PRE_ROLL_S * LISTEN_RATE) * 2
            del self._history[: max(0, len(self._history) - keep)]
        for event in events:
            if isinstance(event, SpeechStarted):
                self._speech = self._history + self._speech if not was_speaking else self._speech
                self._history = bytearray()
                self._paused_sent = False
                out.append(UtteranceStarted(event.at_s))
            elif isinstance(event, SpeechEnded):
                out.append(self._ended(event.started_at_s, event.at_s))
        if self._vad.in_speech:
            silent_for = self._heard_s - self._vad.last_voice_end_s
            if not self._paused_sent and silent_for >= self._pause_s:
                self._paused_sent = True
                out.append(UtterancePaused(bytes(self._speech)))
            elif self._paused_sent and silent_for < self._pause_s:
                self._paused_sent = False
                out.append(UtteranceResumed())
            if len(self._speech) > MAX_UTTERANCE_S * LISTEN_RATE * 2:
                start = self._heard_s - len(self._speech) / (2 * LISTEN_RATE)
                out.append(self._ended(start, self._heard_s))
        return out

    def _ended(self, start_s: float, end_s: float) -> UtteranceEnded:
        pcm, self._speech = bytes(self._speech), bytearray()
        self._paused_sent = False
        return UtteranceEnded(pcm, start_s, end_s)
