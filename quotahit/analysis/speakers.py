"""Who spoke when, without any provider: local two-speaker clustering, and labels for a transcript.

A mono recording is cut into ~1.5 s windows of speech (WebRTC's VAD finds the speech). Each window
is described by the shape of its spectrum (the means and spreads of its mel cepstra) and by the
speaker's median pitch, all computed here with numpy in the 8 kHz telephone band. Two-cluster
k-means splits the windows. Whether the clusters are two voices or one voice cut in two is told
by where their labels change: two speakers hand over at pauses, while a split of one voice flips
back and forth inside unbroken speech. Overlapping windows every 0.5 s, scored against the two
clusters, then place each hand-over within a fraction of a second. About 0.02 s of CPU per minute
of audio, half of it the VAD.

Transcript words (or segments) then take the label of the speech span they overlap, and
`choose_rep` decides which label is the rep: from a self-introduction, then from who asks more
questions, then from who speaks first.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from quotahit.analysis.metrics import PROSPECT, REP, Turn, is_question
from quotahit.providers.local.audio import resample_pcm16
from quotahit.providers.local.vad import speech_segments

FEATURE_RATE = 8_000  # the telephone band holds what tells voices apart, at half the work
FRAME = 256  # 32 ms
HOP = 160  # 20 ms
FRAMES_PER_SECOND = FEATURE_RATE // HOP
WINDOW_FRAMES = 75  # 1.5 s: long enough to average out what is said, short enough for a turn
SLIDE_FRAMES = 25  # labels come from windows every 0.5 s, so a hand-over lands within ~0.25 s
MEL_BANDS = 24
CEPSTRA = 12  # c1..c12; c0 is loudness, which changes with the phone's distance, not the voice
PITCH_MIN_HZ, PITCH_MAX_HZ = 70, 400
PITCH_WEIGHT = 3.0
VOICED_PEAK = 0.45  # normalized autocorrelation peak above which a frame is voiced
OCTAVE_TOLERANCE = 0.85
MIN_PITCHED_FRAMES = 3
QUIET_FRACTION = 0.25  # the quietest quarter of a span's frames are pauses and breaths
KMEANS_ROUNDS = 50
POWER_ITERATIONS = 100
MIN_WINDOWS = 4
# Two speakers' clusters change label between neighbouring windows of unbroken speech in 0-50 %
# of the pairs (the most with no pause at all between turns, or with noise); one voice split in
# two by k-means changes in 47-100 % once there are 15 pairs or more (about a minute of speech),
# and as little as 36 % with fewer. Measured on 96 two-voice and 44 one-voice calls of espeak-ng
# and Piper voices (tests/support/calls.py). Refusing a real call costs more than analysing a
# monologue, so a tie goes to two voices.
MAX_CHANGES_INSIDE_SPEECH = 0.5
ENOUGH_INSIDE_PAIRS = 15
MAX_CHANGES_FEW_PAIRS = 0.3
MIN_INSIDE_PAIRS = 6
# Fewer pairs still: only clusters this far apart (centroid distance over the spread along it)
# are two voices. One voice split in two scored up to 7.2, two voices of different pitch 8 and up.
CLEAR_SEPARATION = 7.5
MIN_RUN_FRAMES = 30  # 0.6 s: a speaker change inside unbroken speech lasts at least this long
MERGE_GAP_SECONDS = 1.0  # as metrics.MERGE_GAP_SECONDS: a shorter pause is a breath

FIRST, SECOND = "S1", "S2"
ORDINALS = {"first": 0, "second": 1, "1": 0, "2": 1}
# Only the opening counts for introductions: "thanks for taking the time" at the goodbye is
# said by both sides.
INTRODUCTION_SECONDS = 180.0
INTRODUCTIONS = (
    (re.compile(r"\bcalling (from|on behalf of)\b", re.IGNORECASE), 3),
    (re.compile(r"\bthis is [a-z]+( [a-z]+)? (from|with|at|over at)\b", re.IGNORECASE), 2),
    (re.compile(r"\b(i'?m|i am) [a-z]+ (from|with) [A-Z]", re.IGNORECASE), 1),
    (re.compile(r"\bmy name is\b", re.IGNORECASE), 1),
    (re.compile(r"\breaching out\b", re.IGNORECASE), 2),
    (
        re.compile(
            r"\bthanks?( you)?( so much)? for (taking|making) (the |some )?time\b", re.IGNORECASE
        ),
        2,
    ),
)
MIN_QUESTION_LEAD = 2
QUESTION_RATIO = 1.5
QUOTE_CHARS = 90
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
NO_SPEECH = "No speech was heard in this recording: it is silent, or too quiet to hear a voice."
TOO_LITTLE_SPEECH = (
    "Too little speech was heard in this recording to tell two voices apart: upload the full call."
)
ONE_VOICE = (
    "Only one voice was heard in this recording, so the rep and the prospect cannot be told "
    "apart. Upload the full call with both sides, or a dual-channel recording."
)


class SpeakerError(Exception):
    """The speakers of a recording cannot be told apart; the message says why."""


class NoSpeechError(SpeakerError):
    """The recording holds no speech at all."""


class OneVoiceError(SpeakerError):
    """A mono recording holds only one voice: there is no conversation to split."""


@dataclass(frozen=True)
class LabelledSegment:
    """A stretch of transcript and the raw label of who said it ("S1", "left", "A", "0", ...)."""

    start: float
    end: float
    text: str
    speaker: str


@dataclass(frozen=True)
class RepChoice:
    """Which raw label is the rep, and a sentence saying why, shown beside the analysis."""

    label: str
    reason: str


@dataclass(frozen=True)
class _Frames:
    """Per-frame features of every voiced span, in time order."""

    times: np.ndarray  # frame centres, seconds
    span: np.ndarray  # index of the VAD span each frame belongs to
    cepstra: np.ndarray  # (frames, CEPSTRA)
    pitch: np.ndarray  # log f0, NaN when unvoiced
    loud: np.ndarray  # not among the quietest frames of its span (pauses, breaths)


def cluster_speakers(pcm: bytes, sample_rate: int) -> list[tuple[float, float, str]]:
    """Split a mono recording into the stretches each of two speakers talks.

    Returns:
        (start, end, label) spans in seconds, in time order; "S1" is whoever speaks first.

    Raises:
        NoSpeechError: the recording has no speech.
        OneVoiceError: all the speech is one voice, or there is too little of it to tell.
    """
    samples = _at_feature_rate(pcm, sample_rate)
    spans = speech_segments(samples.tobytes(), FEATURE_RATE)
    frames = _frame_features(samples, spans)
    if len(frames.times) == 0:
        raise NoSpeechError(NO_SPEECH)
    windows = _windows(frames, hop=WINDOW_FRAMES)
    if len(windows) < MIN_WINDOWS:
        raise OneVoiceError(TOO_LITTLE_SPEECH)
    sliding = _windows(frames, hop=SLIDE_FRAMES)
    both = _window_stats(frames, np.concatenate([windows, sliding]))
    stats, sliding_stats = both[: len(windows)], both[len(windows) :]
    centre, scale = stats.mean(axis=0), stats.std(axis=0)
    scale[scale == 0] = 1.0
    labels, centroids, separation = _two_clusters(_standardized(stats, centre, scale))
    if not _two_voices(labels, frames.span[windows[:, 0]], separation):
        raise OneVoiceError(ONE_VOICE)
    features = _standardized(sliding_stats, centre, scale)
    distances = ((features[:, None, :] - centroids[None]) ** 2).sum(axis=2)
    votes = _frame_sums(distances[:, 0] - distances[:, 1], sliding, len(frames.times))
    frame_labels = _without_short_runs((votes > 0).astype(np.int8), frames.span)
    if frame_labels.min() == frame_labels.max():
        raise OneVoiceError(ONE_VOICE)
    return _labelled_spans(frames, frame_labels, spans)


def _at_feature_rate(pcm: bytes, sample_rate: int) -> np.ndarray:
    """Mono PCM16 at 8 kHz: an average over each group of samples when the rate is a multiple."""
    if len(pcm) % 2:
        raise ValueError("PCM16 data must have an even number of bytes")
    samples = np.frombuffer(pcm, dtype=np.int16)
    if sample_rate == FEATURE_RATE:
        return samples
    if sample_rate % FEATURE_RATE:
        return np.frombuffer(resample_pcm16(pcm, sample_rate, FEATURE_RATE), dtype=np.int16)
    factor = sample_rate // FEATURE_RATE
    out = np.empty(len(samples) // factor, dtype=np.int16)
    block = 1 << 18  # output samples per block: small temporaries even for hour-long recordings
    for first in range(0, len(out), block):
        last = min(first + block, len(out))
        piece = samples[first * factor : last * factor]
        total = piece[0::factor].astype(np.int32)
        for offset in range(1, factor):
            total += piece[offset::factor]
        out[first:last] = total // factor
    return out


def _mel_filters() -> np.ndarray:
    top = 2595 * np.log10(1 + 3_800 / 700)
    bottom = 2595 * np.log10(1 + 100 / 700)
    edges = 700 * (10 ** (np.linspace(bottom, top, MEL_BANDS + 2) / 2595) - 1)
    bins = np.fft.rfftfreq(FRAME, 1 / FEATURE_RATE)
    filters = np.empty((MEL_BANDS, len(bins)))
    for band in range(MEL_BANDS):
        low, centre, high = edges[band : band + 3]
        rising, falling = (bins - low) / (centre - low), (high - bins) / (high - centre)
        filters[band] = np.clip(np.minimum(rising, falling), 0, None)
    return filters.T


def _dct() -> np.ndarray:
    order = np.arange(1, CEPSTRA + 1)[:, None]
    band = np.arange(MEL_BANDS)[None, :]
    return np.cos(np.pi * order * (2 * band + 1) / (2 * MEL_BANDS)).T


# float64 throughout: numpy's FFT of float32 frames is several times slower.
_WINDOW = np.hanning(FRAME)
_WINDOW_CORRELATION = np.fft.irfft(np.abs(np.fft.rfft(_WINDOW)) ** 2)
_PITCH_LAGS = (FEATURE_RATE // PITCH_MAX_HZ, FEATURE_RATE // PITCH_MIN_HZ + 1)
_PITCH_NORM = (_WINDOW_CORRELATION / _WINDOW_CORRELATION[0])[slice(*_PITCH_LAGS)]
_MEL = _mel_filters()
_MEL_BINS = [
    (int(np.flatnonzero(column)[0]), int(np.flatnonzero(column)[-1]) + 1) for column in _MEL.T
]
_DCT = _dct()


def _frame_features(samples: np.ndarray, spans: Sequence[tuple[float, float]]) -> _Frames:
    """Cepstra, energy and pitch of 32 ms frames every 20 ms, inside the speech spans only."""
    times, span_ids, cepstra, pitch, loud = [], [], [], [], []
    for index, (start, end) in enumerate(spans):
        audio = samples[round(start * FEATURE_RATE) : round(end * FEATURE_RATE)]
        count = 1 + (len(audio) - FRAME) // HOP
        if count <= 0:
            continue
        framed = np.lib.stride_tricks.sliding_window_view(audio, FRAME)[::HOP][:count]
        spectrum = np.fft.rfft(framed * _WINDOW, axis=1)
        power = spectrum.real**2 + spectrum.imag**2
        cepstra.append(_cepstra(power))
        energy = np.log(power.sum(axis=1) + 1.0)
        loud.append(energy >= np.quantile(energy, QUIET_FRACTION))
        pitch.append(_log_pitch(power))
        times.append(start + (np.arange(count) * HOP + FRAME / 2) / FEATURE_RATE)
        span_ids.append(np.full(count, index))
    if not times:
        empty = np.zeros(0)
        return _Frames(empty, empty.astype(int), np.zeros((0, CEPSTRA)), empty, empty > 0)
    return _Frames(
        np.concatenate(times),
        np.concatenate(span_ids),
        np.concatenate(cepstra),
        np.concatenate(pitch),
        np.concatenate(loud),
    )


def _cepstra(power: np.ndarray) -> np.ndarray:
    """Mel cepstra c1..c12 of each frame's power spectrum.

    No matrix products here or in the clustering: numpy's OpenBLAS runs larger ones on every
    core, and its idle threads then spin for ~0.1 s of CPU each time, on the core Whisper
    needs. A dot product per mel band over its own few bins, and einsum, stay on one thread.
    """
    bands = np.empty((len(power), MEL_BANDS))
    for band, (low, high) in enumerate(_MEL_BINS):
        bands[:, band] = power[:, low:high] @ _MEL[low:high, band]
    return np.einsum("fb,bc->fc", np.log(bands + 1.0, out=bands), _DCT)


def _log_pitch(power: np.ndarray) -> np.ndarray:
    """Log f0 of each frame from its autocorrelation (NaN where the frame is not voiced).

    The autocorrelation comes from the frame's own power spectrum, so it wraps around; at the
    lags of a voice's pitch the wrapped part falls where the window has all but faded out.
    """
    # The power spectrum is real and even, so its inverse transform is its forward one over the
    # mirrored spectrum; numpy's rfft is about three times quicker than its irfft.
    mirrored = np.concatenate([power, power[:, -2:0:-1]], axis=1)
    correlation = np.fft.rfft(mirrored, axis=1).real
    lags = correlation[:, slice(*_PITCH_LAGS)] / (correlation[:, :1] + 1e-3) / _PITCH_NORM
    # Twice the period correlates about as well as the period itself: take the shortest lag
    # that is a local peak nearly as high as the best one, not the best one itself.
    top = lags.max(axis=1, keepdims=True)
    peaks = np.zeros_like(lags, dtype=bool)
    peaks[:, 1:-1] = (lags[:, 1:-1] >= lags[:, :-2]) & (lags[:, 1:-1] >= lags[:, 2:])
    candidates = peaks & (lags >= OCTAVE_TOLERANCE * top)
    best = np.where(candidates.any(axis=1), candidates.argmax(axis=1), lags.argmax(axis=1))
    peak = lags[np.arange(len(best)), best]
    log_f0 = np.log(FEATURE_RATE / (best + _PITCH_LAGS[0]))
    return np.where(peak > VOICED_PEAK, log_f0, np.nan)


def _windows(frames: _Frames, *, hop: int) -> np.ndarray:
    """(first, last) frame ranges of ~1.5 s windows inside each span, one every `hop` frames.

    With a hop of a whole window, each span is cut into equal pieces as near 1.5 s as can be;
    with a shorter hop the windows overlap, and a span shorter than a window is one window.
    """
    changes = np.flatnonzero(np.diff(frames.span)) + 1
    bounds = np.concatenate([[0], changes, [len(frames.span)]])
    windows: list[np.ndarray] = []
    for first, last in itertools.pairwise(bounds):
        length = last - first
        if hop >= WINDOW_FRAMES or length <= WINDOW_FRAMES:
            pieces = max(1, round(length / WINDOW_FRAMES)) if hop >= WINDOW_FRAMES else 1
            edges = np.linspace(first, last, pieces + 1).round().astype(int)
            windows.append(np.column_stack([edges[:-1], edges[1:]]))
        else:
            starts = np.arange(first, last - WINDOW_FRAMES + 1, hop)
            if starts[-1] + WINDOW_FRAMES < last:
                starts = np.append(starts, last - WINDOW_FRAMES)
            windows.append(np.column_stack([starts, starts + WINDOW_FRAMES]))
    return np.concatenate(windows)


def _window_stats(frames: _Frames, windows: np.ndarray) -> np.ndarray:
    """Per window: cepstral means and spreads over its louder frames, median pitch, voicing."""
    # Quiet frames weigh almost nothing, yet still describe a window made only of them.
    weights = frames.loud + 1e-3
    first, last = windows[:, 0], windows[:, 1]
    count = _prefix(weights)[last] - _prefix(weights)[first]
    total = _prefix(frames.cepstra * weights[:, None])
    squares = _prefix(frames.cepstra**2 * weights[:, None])
    mean = (total[last] - total[first]) / count[:, None]
    spread = np.sqrt(np.maximum((squares[last] - squares[first]) / count[:, None] - mean**2, 0))
    voiced = ~np.isnan(frames.pitch)
    voicing = (_prefix(voiced)[last] - _prefix(voiced)[first]) / (last - first)
    return np.column_stack([mean, spread, _median_pitch(frames.pitch, windows), voicing])


def _median_pitch(pitch: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """Median log f0 of each window's voiced frames; the call's median where too few are voiced.

    The median shrugs off the odd frame whose pitch came out an octave off.
    """
    width = int((windows[:, 1] - windows[:, 0]).max())
    index = windows[:, :1] + np.arange(width)
    inside = index < windows[:, 1:]
    values = np.where(inside, pitch[np.minimum(index, len(pitch) - 1)], np.nan)
    values.sort(axis=1)  # NaN sorts last
    heard = (~np.isnan(values)).sum(axis=1)
    rows = np.arange(len(windows))
    median = (values[rows, np.maximum(heard - 1, 0) // 2] + values[rows, heard // 2]) / 2
    known = heard >= MIN_PITCHED_FRAMES
    median[~known] = np.median(median[known]) if known.any() else 0.0
    return median


def _prefix(values: np.ndarray) -> np.ndarray:
    """Running sums with a leading zero: the sum over rows a..b-1 is result[b] - result[a]."""
    sums = np.cumsum(values, axis=0, dtype=np.float64)
    return np.concatenate([np.zeros((1, *sums.shape[1:])), sums])


def _standardized(stats: np.ndarray, centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Each column on one scale; pitch then counts PITCH_WEIGHT times, the strongest single cue."""
    features = (stats - centre) / scale
    features[:, 2 * CEPSTRA] *= PITCH_WEIGHT
    return features


def _two_clusters(features: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """K-means with two clusters, started deterministically from the main axis of the data.

    Returns:
        The label (0 or 1) of each row, the two centroids, and their separation: centroid
        distance over the spread of the rows along the line joining them.
    """
    centred = features - features.mean(axis=0)
    axis = _main_axis(centred)
    labels = (centred @ axis > 0).astype(np.int8)
    centroids = np.zeros((2, features.shape[1]))
    for _ in range(KMEANS_ROUNDS):
        if labels.min() == labels.max():
            return labels, centroids, 0.0
        centroids = np.stack([features[labels == k].mean(axis=0) for k in (0, 1)])
        distances = ((features[:, None, :] - centroids[None]) ** 2).sum(axis=2)
        updated = distances.argmin(axis=1).astype(np.int8)
        if np.array_equal(updated, labels):
            break
        labels = updated
    if labels.min() == labels.max():
        return labels, centroids, 0.0
    centroids = np.stack([features[labels == k].mean(axis=0) for k in (0, 1)])
    direction = centroids[1] - centroids[0]
    projected = features @ (direction / np.linalg.norm(direction))
    within = np.concatenate(
        [projected[labels == k] - projected[labels == k].mean() for k in (0, 1)]
    )
    return labels, centroids, float(np.linalg.norm(direction) / max(within.std(), 1e-9))


def _main_axis(centred: np.ndarray) -> np.ndarray:
    """The direction of largest variance, by power iteration (LAPACK's eigh would use BLAS)."""
    covariance = np.einsum("ni,nj->ij", centred, centred)
    axis = np.ones(covariance.shape[0]) / np.sqrt(covariance.shape[0])
    for _ in range(POWER_ITERATIONS):
        moved = covariance @ axis
        norm = np.linalg.norm(moved)
        if norm == 0:
            break
        axis = moved / norm
    return axis


def _two_voices(labels: np.ndarray, window_spans: np.ndarray, separation: float) -> bool:
    """Whether the two clusters are two voices rather than one voice split in two.

    A voice does not change in the middle of unbroken speech, so two real speakers leave the
    label unchanged between neighbouring windows of one speech span almost every time. One voice
    cut in two by k-means (high pitch and low, one vowel and another) changes label there about
    as often as anywhere else.
    """
    inside = window_spans[1:] == window_spans[:-1]
    pairs = int(inside.sum())
    if pairs < MIN_INSIDE_PAIRS:
        return separation >= CLEAR_SEPARATION
    changes = float((labels[1:][inside] != labels[:-1][inside]).mean())
    if pairs < ENOUGH_INSIDE_PAIRS:
        return changes <= MAX_CHANGES_FEW_PAIRS
    return changes <= MAX_CHANGES_INSIDE_SPEECH


def _frame_sums(values: np.ndarray, windows: np.ndarray, frame_count: int) -> np.ndarray:
    """For each frame, the sum of `values` over the windows that cover it."""
    starts = np.bincount(windows[:, 0], values, minlength=frame_count + 1)
    ends = np.bincount(windows[:, 1], values, minlength=frame_count + 1)
    return np.cumsum(starts - ends)[:frame_count]


def _without_short_runs(labels: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Flip runs shorter than MIN_RUN_FRAMES that sit inside one span between the other label.

    A short stretch alone between pauses is kept: that is a real "Right." or "Sure.".
    """
    labels = labels.copy()
    changes = np.flatnonzero((np.diff(labels) != 0) | (np.diff(spans) != 0)) + 1
    edges = np.concatenate([[0], changes, [len(labels)]])
    for before, first, last, after in zip(
        edges[:-3], edges[1:-2], edges[2:-1], edges[3:], strict=True
    ):
        inside = spans[before] == spans[first] == spans[after - 1]
        if inside and last - first < MIN_RUN_FRAMES and labels[before] == labels[last]:
            labels[first:last] = labels[before]
    return labels


def _labelled_spans(
    frames: _Frames, labels: np.ndarray, spans: Sequence[tuple[float, float]]
) -> list[tuple[float, float, str]]:
    """Runs of one label as (start, end, "S1"/"S2"), cut at span edges, short pauses merged."""
    half_hop = HOP / FEATURE_RATE / 2
    changes = np.flatnonzero((np.diff(labels) != 0) | (np.diff(frames.span) != 0)) + 1
    edges = np.concatenate([[0], changes, [len(labels)]])
    runs: list[tuple[float, float, int]] = []
    for first, last in itertools.pairwise(edges):
        span_start, span_end = spans[int(frames.span[first])]
        starts_span = first == 0 or frames.span[first - 1] != frames.span[first]
        ends_span = last == len(labels) or frames.span[last] != frames.span[last - 1]
        start = span_start if starts_span else float(frames.times[first]) - half_hop
        end = span_end if ends_span else float(frames.times[last - 1]) + half_hop
        label = int(labels[first])
        if runs and runs[-1][2] == label and start - runs[-1][1] <= MERGE_GAP_SECONDS:
            runs[-1] = (runs[-1][0], end, label)
        else:
            runs.append((start, end, label))
    names = {runs[0][2]: FIRST, 1 - runs[0][2]: SECOND}
    return [(round(start, 2), round(end, 2), names[label]) for start, end, label in runs]


def label_words(
    words: Sequence[tuple[float, float, str]], spans: Sequence[tuple[float, float, str]]
) -> list[LabelledSegment]:
    """Give each timed word the speaker whose span it overlaps most, then group them into turns.

    A word outside every span (VAD and Whisper disagree at the edges of speech) takes the nearest
    span's speaker. Consecutive words of one speaker form one segment, unless a pause of more
    than MERGE_GAP_SECONDS separates them.

    Raises:
        ValueError: there are no spans to take speakers from.
    """
    index = _SpanIndex(spans)
    segments: list[LabelledSegment] = []
    for start, end, text in sorted(words, key=lambda word: word[0]):
        word = text.strip()
        if not word:
            continue
        speaker = index.speaker(start, end)
        last = segments[-1] if segments else None
        if last and last.speaker == speaker and start - last.end <= MERGE_GAP_SECONDS:
            segments[-1] = LabelledSegment(
                last.start, max(last.end, end), f"{last.text} {word}", speaker
            )
        else:
            segments.append(LabelledSegment(start, end, word, speaker))
    return segments


def label_segments(
    segments: Sequence[tuple[float, float, str]], spans: Sequence[tuple[float, float, str]]
) -> list[LabelledSegment]:
    """Give each transcript segment the speaker whose spans cover most of it (nearest if none).

    For transcripts timed only segment by segment: a segment across a hand-over goes whole to
    whoever said most of it.

    Raises:
        ValueError: there are no spans to take speakers from.
    """
    index = _SpanIndex(spans)
    return [
        LabelledSegment(start, end, text.strip(), index.speaker(start, end))
        for start, end, text in sorted(segments, key=lambda segment: segment[0])
        if text.strip()
    ]


class _SpanIndex:
    """Speaker spans sorted by start, to find the one overlapping a stretch of time most."""

    def __init__(self, spans: Sequence[tuple[float, float, str]]) -> None:
        if not spans:
            raise ValueError("There are no speaker spans to label the transcript with.")
        self._spans = sorted(spans, key=lambda span: span[0])
        self._starts = [span[0] for span in self._spans]
        self._longest = max(end - start for start, end, _ in self._spans)
        # For each position, the span ending last among it and those before it.
        self._latest: list[int] = list(
            itertools.accumulate(
                range(len(self._spans)),
                lambda kept, new: new if self._spans[new][1] >= self._spans[kept][1] else kept,
            )
        )

    def speaker(self, start: float, end: float) -> str:
        """The label that overlaps [start, end] most, else the nearest one."""
        after = bisect.bisect_right(self._starts, end)  # spans before `after` start by `end`
        best, best_overlap = None, 0.0
        for position in range(after - 1, -1, -1):
            span_start, span_end, label = self._spans[position]
            if span_start < start - self._longest:
                break  # this span and every earlier one ended before `start`
            overlap = min(end, span_end) - max(start, span_start)
            if overlap > best_overlap:
                best, best_overlap = label, overlap
        if best is not None:
            return best
        nearest: list[tuple[float, str]] = []
        if after > 0:
            before = self._spans[self._latest[after - 1]]
            nearest.append((start - before[1], before[2]))
        if after < len(self._spans):
            nearest.append((self._spans[after][0] - end, self._spans[after][2]))
        return min(nearest, key=lambda candidate: candidate[0])[1]


def channel_segments(
    per_channel: Sequence[Sequence[tuple[float, float, str]]],
    labels: Sequence[str] = ("left", "right"),
) -> list[LabelledSegment]:
    """Merge the transcripts of a dual-channel recording, each channel one speaker, by start.

    Raises:
        ValueError: more channels than labels.
    """
    if len(per_channel) > len(labels):
        raise ValueError(f"{len(per_channel)} channels but only {len(labels)} labels")
    segments = [
        LabelledSegment(start, end, text.strip(), label)
        for transcript, label in zip(per_channel, labels, strict=False)
        for start, end, text in transcript
        if text.strip()
    ]
    return sorted(segments, key=lambda segment: (segment.start, segment.end))


def choose_rep(segments: Sequence[LabelledSegment], hint: str = "auto") -> RepChoice:
    """Decide which speaker label is the rep.

    Args:
        segments: The labelled transcript.
        hint: "auto" to decide from what was said; "first" or "second" for the speaker heard
            first or second; else a label of the transcript (any case). "1" and "2" mean first
            and second, unless the transcript has a label of that name (a provider's "1").

    Raises:
        ValueError: the hint names no speaker of this transcript; the message lists them.
    """
    order = _labels_in_order(segments)
    if not order:
        raise ValueError("The transcript has no speakers to choose the rep from.")
    wanted = hint.strip().lower()
    if wanted == "auto":
        return _guess_rep(segments, order)
    labels = {label.lower(): label for label in order}
    if wanted not in ("first", "second") and wanted in labels:
        return RepChoice(labels[wanted], f"You chose speaker {labels[wanted]} as the rep.")
    position = ORDINALS.get(wanted)
    if position is not None and position < len(order):
        which = "first" if position == 0 else "second"
        return RepChoice(order[position], f"You chose the {which} speaker to talk as the rep.")
    listing = ", ".join(order)
    raise ValueError(
        f"There is no speaker “{hint.strip()}” in this call. Choose one of: {listing} "
        "(or “first” / “second”)."
    )


def to_turns(segments: Sequence[LabelledSegment], rep_label: str) -> list[Turn]:
    """The transcript as metrics turns: `rep_label` is the rep, every other label the prospect.

    Raises:
        ValueError: `rep_label` is not a label of the transcript.
    """
    if segments and rep_label not in {segment.speaker for segment in segments}:
        raise ValueError(f"There is no speaker “{rep_label}” in this call.")
    return [
        Turn(
            REP if segment.speaker == rep_label else PROSPECT,
            segment.start,
            segment.end,
            segment.text,
        )
        for segment in sorted(segments, key=lambda segment: segment.start)
    ]


def _labels_in_order(segments: Sequence[LabelledSegment]) -> list[str]:
    order: list[str] = []
    for segment in sorted(segments, key=lambda segment: segment.start):
        if segment.speaker not in order:
            order.append(segment.speaker)
    return order


def _guess_rep(segments: Sequence[LabelledSegment], order: list[str]) -> RepChoice:
    """The rep from a self-introduction, else from who asks more questions, else who spoke first."""
    if len(order) == 1:
        return RepChoice(order[0], "Only one speaker was heard.")
    opening = min(segment.start for segment in segments) + INTRODUCTION_SECONDS
    scores = dict.fromkeys(order, 0)
    quotes: dict[str, str] = {}
    questions = dict.fromkeys(order, 0)
    for segment in sorted(segments, key=lambda segment: segment.start):
        for sentence in _SENTENCE_END.split(segment.text.strip()):
            if not sentence:
                continue
            questions[segment.speaker] += is_question(sentence)
            if segment.start > opening:
                continue
            weight = sum(w for pattern, w in INTRODUCTIONS if pattern.search(sentence))
            if weight:
                scores[segment.speaker] += weight
                quotes.setdefault(segment.speaker, sentence)
    ranked = sorted(order, key=lambda label: scores[label], reverse=True)
    if scores[ranked[0]] > scores[ranked[1]]:
        return RepChoice(ranked[0], f"Introduced themself: “{_quoted(quotes[ranked[0]])}”.")
    ranked = sorted(order, key=lambda label: questions[label], reverse=True)
    most, next_most = questions[ranked[0]], questions[ranked[1]]
    if most >= next_most + MIN_QUESTION_LEAD and most >= QUESTION_RATIO * next_most:
        return RepChoice(ranked[0], f"Asked more questions ({most} against {next_most}).")
    return RepChoice(order[0], "Spoke first (no introduction or clear lead in questions).")


def _quoted(sentence: str) -> str:
    sentence = sentence.rstrip(".")
    return sentence if len(sentence) <= QUOTE_CHARS else sentence[: QUOTE_CHARS - 1].rstrip() + "…"
