"""From a recording to who said what when: decode, transcribe (in parallel chunks), find speakers.

Dual-channel recordings are split by channel (each side of the call is on its own track). Mono
recordings use the provider's diarization when the model has one and the call fits in one
request, else the local speaker clustering of `speakers.py`. The built-in Whisper runs on the
CPU, one recording at a time; provider models get overlapping chunks sent side by side.
"""

from __future__ import annotations

import asyncio
import bisect
import io
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from quotahit.accounts.identity import Identity
from quotahit.ai.service import Gateway
from quotahit.ai.speech import transcribe_recording
from quotahit.analysis import speakers
from quotahit.analysis.models import Stage
from quotahit.analysis.speakers import LabelledSegment
from quotahit.providers.catalogue import MODELS_BY_ID
from quotahit.providers.local import audio as local_audio
from quotahit.providers.local import stt as local_stt
from quotahit.providers.local import vad
from quotahit.providers.local.errors import AudioError, VideoFileError

RATE = 16_000
LOCAL_SPEECH_MODEL = "local-whisper"
# Models that time what they hear (the analyzer needs timing to measure anything); the plain
# gpt-4o-transcribe answers text only, so it is not offered here.
ANALYSIS_SPEECH_MODELS = (
    "local-whisper",
    "whisper-1",
    "gpt-4o-transcribe-diarize",
    "deepgram-nova-3",
)
DIARIZING_MODELS = frozenset({"gpt-4o-transcribe-diarize", "deepgram-nova-3"})
# Ten minutes of 16 kHz mono WAV is 19.2 MB, under OpenAI's 25 MB upload limit.
CHUNK_SECONDS = 600.0
OVERLAP_SECONDS = 4.0
PARALLEL_CHUNKS = 6
MIN_SPEECH_SECONDS = 1.0
# Two channels this alike are one mono signal stored twice, not two sides of a call.
SAME_CHANNEL_RATIO = 0.05

NO_SPEECH = (
    "No speech was found in this recording: it is silent, or holds only noise or music. "
    "Upload the recording of a conversation."
)
ONE_VOICE = (
    "Only one voice was heard in this recording. The analyzer needs a conversation between a "
    "rep and a prospect: upload the full call (both sides), or a dual-channel recording."
)
ONE_SIDE = (
    "Only one side of this dual-channel recording has speech: the other channel is silent. "
    "Upload the recording with both sides of the call."
)

Progress = Callable[[str, float], None]


class AnalysisError(Exception):
    """The recording cannot be analysed; the message says why and what to do."""

    def __init__(self, message: str, *, video: bool = False) -> None:
        super().__init__(message)
        self.video = video


@dataclass(frozen=True)
class HeardCall:
    """What was said, by which raw speaker label, and how it was found."""

    segments: list[LabelledSegment]
    duration: float
    dual_channel: bool
    speech_model_id: str
    notices: list[str] = field(default_factory=list)


def _decode(path: Path, max_seconds: float | None, allow_video: bool) -> list[np.ndarray]:
    try:
        tracks = local_audio.split_channels(
            path, sample_rate=RATE, max_seconds=max_seconds, allow_video=allow_video
        )
    except VideoFileError as error:
        raise AnalysisError(str(error), video=True) from None
    except AudioError as error:
        raise AnalysisError(str(error)) from None
    return [track.samples for track in tracks]


def _is_two_sides(tracks: list[np.ndarray]) -> bool:
    if len(tracks) != 2:
        return False
    # Every 16th sample is plenty to tell copies apart, and a two-hour stereo call then needs
    # tens of megabytes here, not gigabytes.
    left, right = (track[::16].astype(np.float32) for track in tracks)
    level = float(np.abs(left).mean() + np.abs(right).mean()) / 2
    return level > 0 and float(np.abs(left - right).mean()) > SAME_CHANNEL_RATIO * level


def _speech_seconds(samples: np.ndarray) -> float:
    return sum(end - start for start, end in vad.speech_segments(samples.tobytes(), RATE))


def _mix(tracks: list[np.ndarray]) -> np.ndarray:
    if len(tracks) == 1:
        return tracks[0]
    # Each channel is divided before adding, so the sum fits in int16 without a wider copy of
    # the whole call.
    count = len(tracks)
    mixed = tracks[0] // count
    for track in tracks[1:]:
        mixed += track // count
    return mixed


def _wav(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def chunk_bounds(duration: float) -> list[tuple[float, float]]:
    """Overlapping (start, end) windows covering the recording, each at most CHUNK_SECONDS."""
    bounds = []
    start = 0.0
    while True:
        end = min(duration, start + CHUNK_SECONDS)
        bounds.append((start, end))
        if end >= duration:
            return bounds
        start = end - OVERLAP_SECONDS


def merge_chunks(
    bounds: Sequence[tuple[float, float]], parts: Sequence[Sequence[LabelledSegment]]
) -> list[LabelledSegment]:
    """Chunk transcripts (already on the call's clock) joined, each overlap kept once.

    A segment belongs to the chunk in which its middle falls before the middle of the overlap.
    """
    merged: list[LabelledSegment] = []
    for index, segments in enumerate(parts):
        low = (bounds[index][0] + bounds[index - 1][1]) / 2 if index else float("-inf")
        high = (
            (bounds[index + 1][0] + bounds[index][1]) / 2
            if index + 1 < len(bounds)
            else float("inf")
        )
        merged += [s for s in segments if low <= (s.start + s.end) / 2 < high]
    return merged


class _ChunkProgress:
    """Progress of chunks finishing in any order, reported as one fraction."""

    def __init__(self, total: int, progress: Progress) -> None:
        self.total, self.done, self.progress = total, 0, progress

    def finished(self) -> None:
        self.done += 1
        self.progress(Stage.TRANSCRIBING.value, self.done / self.total)


async def _provider_track(
    *,
    gateway: Gateway,
    identity: Identity,
    samples: np.ndarray,
    model_id: str,
    label: str | None,
    tick: _ChunkProgress,
    notices: list[str],
) -> list[LabelledSegment]:
    duration = len(samples) / RATE
    bounds = chunk_bounds(duration)
    gate = asyncio.Semaphore(PARALLEL_CHUNKS)
    diarize = model_id in DIARIZING_MODELS and label is None and len(bounds) == 1

    async def one(index: int, start: float, end: float) -> list[LabelledSegment]:
        async with gate:
            piece = samples[round(start * RATE) : round(end * RATE)]
            wav = await asyncio.to_thread(_wav, piece)
            result = await transcribe_recording(
                gateway=gateway,
                identity=identity,
                module="analysis",
                audio=wav,
                filename=f"call-part-{index + 1}.wav",
                content_type="audio/wav",
                model_id=model_id,
                diarize=diarize,
                decoded=local_audio.DecodedAudio(piece.tobytes(), RATE, 1, "wav"),
            )
        await asyncio.to_thread(tick.finished)
        notices.extend(n for n in result.notices if n not in notices)
        return [
            LabelledSegment(
                round(start + s.start, 3),
                round(start + s.end, 3),
                s.text,
                label or (f"speaker {s.speaker}" if s.speaker is not None else ""),
            )
            for s in result.transcript.segments
            if s.text.strip()
        ]

    parts = await asyncio.gather(*(one(i, s, e) for i, (s, e) in enumerate(bounds)))
    return merge_chunks(bounds, parts)


def _local_words(
    samples: np.ndarray, progress: Progress, offset: float, share: float
) -> list[local_stt.Segment]:
    total = max(len(samples) / RATE, 1e-6)

    def report(seconds: float) -> None:
        progress(Stage.TRANSCRIBING.value, offset + share * min(1.0, seconds / total))

    return local_stt.transcribe(
        samples.tobytes(), RATE, word_timestamps=True, skip_silence=True, on_progress=report
    )


async def hear_call(
    *,
    gateway: Gateway,
    identity: Identity,
    path: Path,
    speech_model_id: str = LOCAL_SPEECH_MODEL,
    allow_video: bool = False,
    max_seconds: float | None = None,
    progress: Progress,
) -> HeardCall:
    """Decode, transcribe and diarize one recording, reporting each stage's progress.

    `progress` may raise (a cancelled job): the pipeline stops there.

    Raises:
        AnalysisError: the file is not a usable recording of a conversation.
    """
    if speech_model_id not in ANALYSIS_SPEECH_MODELS:
        raise AnalysisError(f"“{speech_model_id}” cannot time a transcript; pick another model.")
    await asyncio.to_thread(progress, Stage.DECODING.value, 0.0)
    tracks = await asyncio.to_thread(_decode, path, max_seconds, allow_video)
    duration = len(tracks[0]) / RATE
    dual = _is_two_sides(tracks)
    if dual:
        speech = await asyncio.gather(*(asyncio.to_thread(_speech_seconds, t) for t in tracks))
        if max(speech) < MIN_SPEECH_SECONDS:
            raise AnalysisError(NO_SPEECH)
        if min(speech) < MIN_SPEECH_SECONDS:
            raise AnalysisError(ONE_SIDE)
    else:
        tracks = [_mix(tracks)]
        if await asyncio.to_thread(_speech_seconds, tracks[0]) < MIN_SPEECH_SECONDS:
            raise AnalysisError(NO_SPEECH)
    await asyncio.to_thread(progress, Stage.TRANSCRIBING.value, 0.0)

    notices: list[str] = []
    labels: list[str | None] = ["left", "right"] if dual else [None]
    used_model = speech_model_id
    words: list[list[local_stt.Segment]] = [[] for _ in tracks]
    per_track: list[list[LabelledSegment]] = []
    if speech_model_id == LOCAL_SPEECH_MODEL:
        for index, (track, label) in enumerate(zip(tracks, labels, strict=True)):
            share = 1 / len(tracks)
            found = await asyncio.to_thread(_local_words, track, progress, index * share, share)
            words[index] = found
            per_track.append(
                [LabelledSegment(s.start, s.end, s.text, label or "") for s in found if s.text]
            )
    else:
        chunks = sum(len(chunk_bounds(len(t) / RATE)) for t in tracks)
        tick = _ChunkProgress(chunks, progress)
        per_track = list(
            await asyncio.gather(
                *(
                    _provider_track(
                        gateway=gateway,
                        identity=identity,
                        samples=track,
                        model_id=speech_model_id,
                        label=label,
                        tick=tick,
                        notices=notices,
                    )
                    for track, label in zip(tracks, labels, strict=True)
                )
            )
        )
        if any("local Whisper" in notice for notice in notices):
            used_model = LOCAL_SPEECH_MODEL

    await asyncio.to_thread(progress, Stage.SPEAKERS.value, 0.0)
    if dual:
        sides = await asyncio.gather(
            *(
                asyncio.to_thread(_channel_turns, track, label or "", found, timed)
                for track, label, found, timed in zip(tracks, labels, per_track, words, strict=True)
            )
        )
        segments = sorted((s for side in sides for s in side), key=lambda s: s.start)
    else:
        segments = await asyncio.to_thread(_diarize_mono, tracks[0], per_track[0], words[0])
    if not segments:
        raise AnalysisError(NO_SPEECH)
    if len({s.speaker for s in segments}) < 2:
        raise AnalysisError(ONE_SIDE if dual else ONE_VOICE)
    await asyncio.to_thread(progress, Stage.SPEAKERS.value, 1.0)
    return HeardCall(segments, round(duration, 2), dual, used_model, notices)


def _channel_turns(
    samples: np.ndarray,
    label: str,
    segments: list[LabelledSegment],
    words: list[local_stt.Segment],
) -> list[LabelledSegment]:
    """One side of a dual-channel call: its words grouped into turns at pauses, trimmed to the
    channel's voiced audio (Whisper's segments on a channel span the other side's turns)."""
    spans = [(start, end, label) for start, end in vad.speech_segments(samples.tobytes(), RATE)]
    if not spans:
        return []
    return _turns_within(spans, segments, words)


def _diarize_mono(
    samples: np.ndarray,
    segments: list[LabelledSegment],
    words: list[local_stt.Segment],
) -> list[LabelledSegment]:
    """The provider's speaker labels when it gave two or more, else local clustering."""
    provider_labels = {s.speaker for s in segments if s.speaker}
    if len(provider_labels) >= 2 and all(s.speaker for s in segments):
        return segments
    if provider_labels and len(provider_labels) == 1 and all(s.speaker for s in segments):
        raise AnalysisError(ONE_VOICE)
    try:
        spans = speakers.cluster_speakers(samples.tobytes(), RATE)
    except speakers.OneVoiceError:
        raise AnalysisError(ONE_VOICE) from None
    except speakers.NoSpeechError:
        raise AnalysisError(NO_SPEECH) from None
    return _turns_within(spans, segments, words)


def _turns_within(
    spans: Sequence[tuple[float, float, str]],
    segments: list[LabelledSegment],
    words: list[local_stt.Segment],
) -> list[LabelledSegment]:
    """Words (or, without word timing, segments) given the speaker of the spans they fall in,
    grouped into turns and trimmed to the voiced audio."""
    timed_words = [(w.start, w.end, w.text) for s in words for w in s.words]
    if timed_words:
        labelled = speakers.label_words(timed_words, spans)
    else:
        labelled = speakers.label_segments([(s.start, s.end, s.text) for s in segments], spans)
    return clip_to_speech(labelled, spans)


def clip_to_speech(
    segments: Sequence[LabelledSegment], spans: Sequence[tuple[float, float, str]]
) -> list[LabelledSegment]:
    """Trim each segment to the voiced audio of its speaker.

    Whisper's word timings run up to half a second into the silence around speech; the voice
    activity spans are exact, and talk time and monologues are measured from these edges.
    """
    starts = [span[0] for span in spans]
    clipped = []
    for segment in segments:
        first = max(0, bisect.bisect_right(starts, segment.start) - 1)
        inside = [
            span
            for span in spans[first : bisect.bisect_left(starts, segment.end)]
            if span[2] == segment.speaker and span[1] > segment.start
        ]
        if not inside:
            clipped.append(segment)
            continue
        start = max(segment.start, inside[0][0])
        end = min(segment.end, inside[-1][1])
        clipped.append(
            LabelledSegment(start, end, segment.text, segment.speaker) if end > start else segment
        )
    return clipped


def speech_model_label(model_id: str) -> str:
    """The model's name as the page shows it."""
    if model_id == LOCAL_SPEECH_MODEL:
        return "Built-in Whisper (tiny.en)"
    model = MODELS_BY_ID.get(model_id)
    return model.label if model else model_id
