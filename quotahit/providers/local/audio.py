"""Audio in and out of the local engine: decoding uploads with PyAV, resampling, G.711 mu-law.

Everything here works on PCM16: signed 16-bit little-endian samples, mono unless said otherwise.
Decoding accepts what browsers and phones record (wav, mp3, m4a/AAC, ogg and webm with Opus,
flac, ...) and decides audio versus video by the streams inside the file, never by its name.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import av.error
import numpy as np

from quotahit.providers.local.errors import AudioError, VideoFileError

logger = logging.getLogger(__name__)

AudioSource = str | os.PathLike[str] | bytes | bytearray | memoryview

# Demuxers a recording may use. Anything else (playlists such as HLS, concat lists, raw device
# formats) is refused before FFmpeg parses it: some of them open further files or URLs themselves.
ALLOWED_DEMUXERS = (
    "wav,w64,mp3,aac,flac,ogg,matroska,webm,mov,mp4,m4a,3gp,3g2,mj2,aiff,caf,asf,amr,au"
)

# A file whose container promises much more audio than could be decoded was cut off in transit.
# Durations some containers estimate from the bitrate drift a little, hence the two margins.
TRUNCATED_FRACTION = 0.9
TRUNCATED_MIN_MISSING_S = 0.5

EMPTY_FILE = "The file is empty: upload the recording again."
UNREADABLE = (
    "This file could not be read as audio: it is damaged, cut off, or not an audio format we "
    "support (mp3, m4a, wav, ogg, webm, flac)."
)
VIDEO_FILE = (
    "This file is a video. Upload the call's audio instead (mp3, m4a, wav, ogg, webm or flac)."
)
NO_AUDIO_STREAM = "This file has no audio track."
NO_SAMPLES = "This file contains no sound: no audio could be decoded from it."


@dataclass(frozen=True)
class DecodedAudio:
    """A decoded recording: mono PCM16 at `sample_rate`, plus what the original file held."""

    pcm: bytes
    sample_rate: int
    source_channels: int  # channels in the original recording (the PCM itself is always mono)
    source_format: str  # FFmpeg's demuxer name, for logs ("mp3", "matroska,webm", ...)

    @property
    def duration_s(self) -> float:
        """Length of the decoded audio in seconds."""
        return len(self.pcm) / 2 / self.sample_rate

    @property
    def samples(self) -> np.ndarray:
        """The PCM as an int16 array (a read-only view, no copy)."""
        return np.frombuffer(self.pcm, dtype=np.int16)


def decode_audio(
    source: AudioSource,
    *,
    sample_rate: int = 16_000,
    max_seconds: float | None = None,
    allow_video: bool = False,
) -> DecodedAudio:
    """Decode a recording (a path or its bytes) to mono PCM16, mixing all channels down.

    Args:
        source: A path or the file's bytes.
        sample_rate: The rate of the PCM returned.
        max_seconds: Refuse recordings longer than this.
        allow_video: Take the audio track of a video (the user asked for it) instead of refusing.

    Raises:
        AudioError: the file is empty, unreadable, cut off, a video, has no audio track, or is
            longer than `max_seconds`.
    """
    samples, source_channels, source_format = _decode(
        source,
        sample_rate=sample_rate,
        keep_channels=False,
        max_seconds=max_seconds,
        allow_video=allow_video,
    )
    return DecodedAudio(samples.tobytes(), sample_rate, source_channels, source_format)


def split_channels(
    source: AudioSource,
    *,
    sample_rate: int = 16_000,
    max_seconds: float | None = None,
    allow_video: bool = False,
) -> list[DecodedAudio]:
    """Decode a recording keeping its channels apart: one mono track per channel, in order.

    Call recorders often put each side of the call on its own channel, which tells who spoke when
    without any diarization model.

    Raises:
        AudioError: as `decode_audio`.
    """
    samples, source_channels, source_format = _decode(
        source,
        sample_rate=sample_rate,
        keep_channels=True,
        max_seconds=max_seconds,
        allow_video=allow_video,
    )
    return [
        DecodedAudio(
            np.ascontiguousarray(samples[:, channel]).tobytes(),
            sample_rate,
            source_channels,
            source_format,
        )
        for channel in range(samples.shape[1])
    ]


def _decode(
    source: AudioSource,
    *,
    sample_rate: int,
    keep_channels: bool,
    max_seconds: float | None,
    allow_video: bool = False,
) -> tuple[np.ndarray, int, str]:
    with _open_container(source) as container:
        source_format = container.format.name
        videos = [
            stream
            for stream in container.streams.video
            if not stream.disposition & av.stream.Disposition.attached_pic  # cover art is fine
        ]
        if videos and not allow_video:
            raise VideoFileError(VIDEO_FILE)
        if not container.streams.audio:
            raise AudioError(NO_AUDIO_STREAM)
        stream = container.streams.audio[0]
        source_channels = stream.codec_context.channels
        declared_s = container.duration / av.time_base if container.duration else None
        max_samples = None if max_seconds is None else int(max_seconds * sample_rate)

        resampler: av.AudioResampler | None = None
        channels = 1
        chunks: list[np.ndarray] = []
        total = 0
        bad_packets = 0
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.error.InvalidDataError:
                    bad_packets += 1  # FFmpeg's own tools skip a corrupt packet and go on
                    continue
                for frame in frames:
                    if resampler is None:
                        layout = frame.layout if keep_channels else "mono"
                        channels = frame.layout.nb_channels if keep_channels else 1
                        resampler = av.AudioResampler(format="s16", layout=layout, rate=sample_rate)
                    for out in resampler.resample(frame):
                        chunks.append(out.to_ndarray().reshape(-1))
                        total += out.samples
                if max_samples is not None and total > max_samples:
                    raise AudioError(_too_long(max_seconds))
        except av.error.FFmpegError as error:
            if not chunks:
                raise AudioError(UNREADABLE) from error
            raise AudioError(_cut_off(declared_s, total / sample_rate)) from error
        if resampler is not None:
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
                total += out.samples
    if bad_packets:
        logger.info("skipped %d corrupt packets while decoding %s", bad_packets, source_format)
    if total == 0:
        raise AudioError(NO_SAMPLES)
    decoded_s = total / sample_rate
    if (
        declared_s is not None
        and decoded_s < TRUNCATED_FRACTION * declared_s
        and declared_s - decoded_s > TRUNCATED_MIN_MISSING_S
    ):
        raise AudioError(_cut_off(declared_s, decoded_s))
    if max_samples is not None and total > max_samples:
        raise AudioError(_too_long(max_seconds))
    samples = np.concatenate(chunks).reshape(-1, channels)
    return samples, source_channels, source_format


@contextmanager
def _open_container(source: AudioSource) -> Iterator[av.container.InputContainer]:
    file: BinaryIO
    if isinstance(source, bytes | bytearray | memoryview):
        file = io.BytesIO(bytes(source))
    else:
        # Opened by Python, not by FFmpeg: a path is then never taken for a URL or a device.
        file = Path(source).open("rb")  # noqa: SIM115  (closed in the finally below)
    try:
        if not file.read(1):
            raise AudioError(EMPTY_FILE)
        file.seek(0)
        try:
            container = av.open(file, mode="r", options={"format_whitelist": ALLOWED_DEMUXERS})
        except av.error.FFmpegError as error:
            raise AudioError(UNREADABLE) from error
        with container:
            yield container
    finally:
        file.close()


def _cut_off(declared_s: float | None, decoded_s: float) -> str:
    promised = f"it should last {declared_s:.1f} s but " if declared_s else ""
    return (
        f"This recording looks cut off: {promised}only {decoded_s:.1f} s could be read. "
        "Upload the complete file."
    )


def _too_long(max_seconds: float | None) -> str:
    limit = (
        f"{max_seconds / 60:g} minutes"
        if max_seconds and max_seconds >= 60
        else f"{max_seconds:g} s"
    )
    return f"This recording is longer than the {limit} we accept."


class Pcm16Resampler:
    """Resamples a stream of mono PCM16 chunks, keeping the filter state across chunks.

    Use one per stream (a call, a synthesized reply): resampling each chunk on its own would put
    a click at every chunk boundary. Call `flush` once at the end for the last few samples.
    """

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.from_rate = from_rate
        self.to_rate = to_rate
        self._resampler = (
            None
            if from_rate == to_rate
            else av.AudioResampler(format="s16", layout="mono", rate=to_rate)
        )
        self._time_base = Fraction(1, from_rate)
        self._pts = 0

    def process(self, pcm: bytes) -> bytes:
        """Resample one chunk; may return a little less than its share until `flush`."""
        if len(pcm) % 2:
            raise ValueError("PCM16 data must have an even number of bytes")
        if self._resampler is None or not pcm:
            return bytes(pcm)
        samples = np.frombuffer(pcm, dtype=np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = self.from_rate
        frame.time_base = self._time_base
        frame.pts = self._pts
        self._pts += samples.shape[1]
        return _join(self._resampler.resample(frame))

    def flush(self) -> bytes:
        """The samples still held in the filter; the resampler is finished afterwards."""
        if self._resampler is None:
            return b""
        resampler, self._resampler = self._resampler, None
        if self._pts == 0:
            return b""
        return _join(resampler.resample(None))


def _join(frames: list[av.AudioFrame]) -> bytes:
    return b"".join(frame.to_ndarray().tobytes() for frame in frames)


def resample_pcm16(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample a whole mono PCM16 clip."""
    resampler = Pcm16Resampler(from_rate, to_rate)
    return resampler.process(pcm) + resampler.flush()


def _mulaw_tables() -> tuple[np.ndarray, np.ndarray]:
    # G.711 exactly as CPython's audioop computes it (14-bit magnitude, bias 33, clip 8159), so
    # our output matches the audioop bytes that Twilio's own examples produce.
    linear = np.arange(-32768, 32768, dtype=np.int32) >> 2
    negative = linear < 0
    magnitude = np.minimum(np.abs(linear), 8159) + 33
    segment_ends = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
    segment = np.searchsorted(segment_ends, magnitude)
    code = np.where(
        segment >= 8, 0x7F, (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F)
    ) ^ np.where(negative, 0x7F, 0xFF)
    # Indexed by the sample's bit pattern read as uint16.
    encode = np.empty(65536, dtype=np.uint8)
    encode[np.arange(-32768, 32768, dtype=np.int32).astype(np.int16).view(np.uint16)] = code
    inverted = ~np.arange(256, dtype=np.uint8)
    step = (((inverted & 0x0F).astype(np.int32) << 3) + 0x84) << ((inverted & 0x70) >> 4)
    decode = np.where(inverted & 0x80, 0x84 - step, step - 0x84).astype(np.int16)
    return encode, decode


_MULAW_ENCODE, _MULAW_DECODE = _mulaw_tables()


def pcm16_to_mulaw(pcm: bytes) -> bytes:
    """G.711 mu-law encode (one byte per sample), as Twilio Media Streams expect at 8 kHz."""
    if len(pcm) % 2:
        raise ValueError("PCM16 data must have an even number of bytes")
    return _MULAW_ENCODE[np.frombuffer(pcm, dtype=np.uint16)].tobytes()


def mulaw_to_pcm16(mulaw: bytes) -> bytes:
    """G.711 mu-law decode to PCM16 at the same sample rate (8 kHz for Twilio)."""
    return _MULAW_DECODE[np.frombuffer(mulaw, dtype=np.uint8)].tobytes()
