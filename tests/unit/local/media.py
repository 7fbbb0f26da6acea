"""Test media made at test time: speech from espeak-ng, files from PyAV's own encoders."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import av
import numpy as np
import pytest

from quotahit.providers.local.audio import decode_audio

SENTENCE = "the price is too high for our budget this quarter"


def espeak_pcm(text: str, sample_rate: int = 16_000, words_per_minute: int = 160) -> bytes:
    """Mono PCM16 of espeak-ng saying `text` (a test fails, clearly, when espeak-ng is missing)."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        pytest.fail("espeak-ng is missing: run `make system-deps` (scripts/system-deps.sh)")
    wav = subprocess.run(
        [binary, "--stdout", "-v", "en-us", "-s", str(words_per_minute)],
        input=text.encode(),
        capture_output=True,
        check=True,
    ).stdout
    return decode_audio(wav, sample_rate=sample_rate).pcm


def silence(seconds: float, sample_rate: int) -> bytes:
    """Digital silence."""
    return bytes(2 * round(seconds * sample_rate))


def tone(seconds: float, sample_rate: int, frequency: float = 440.0) -> bytes:
    """A sine tone at a third of full scale."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    return (np.sin(2 * np.pi * frequency * t) * 10_000).astype(np.int16).tobytes()


def interleave(left: bytes, right: bytes) -> bytes:
    """Two mono PCM16 tracks of equal length as one stereo PCM16 stream."""
    pair = np.stack([np.frombuffer(left, np.int16), np.frombuffer(right, np.int16)], axis=1)
    return pair.tobytes()


def encode(pcm: bytes, sample_rate: int, *, container: str, codec: str, channels: int = 1) -> bytes:
    """Encode PCM16 with PyAV into a file of the given container and codec."""
    layout = "mono" if channels == 1 else "stereo"
    out_rate = 48_000 if codec == "libopus" else sample_rate
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(codec, rate=out_rate, layout=layout)
        _write_audio(output, stream, pcm, sample_rate, layout)
    return buffer.getvalue()


def video_mp4(*, with_audio: bool) -> bytes:
    """A tiny real MP4 video (MPEG-4 part 2, 64x64, 10 frames), with or without a sound track."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as output:
        video = output.add_stream("mpeg4", rate=10)
        video.width = video.height = 64
        video.pix_fmt = "yuv420p"
        audio = output.add_stream("aac", rate=16_000, layout="mono") if with_audio else None
        for index in range(10):
            image = np.full((64, 64, 3), index * 20, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
            frame.pts = index
            for packet in video.encode(frame):
                output.mux(packet)
        for packet in video.encode(None):
            output.mux(packet)
        if audio is not None:
            _write_audio(output, audio, tone(1.0, 16_000), 16_000, "mono")
    return buffer.getvalue()


def m4a_with_cover_art(pcm: bytes | None, sample_rate: int = 16_000) -> bytes:
    """An m4a with a cover picture (a video stream marked attached_pic); silent if `pcm` is None."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as output:
        audio = output.add_stream("aac", rate=sample_rate, layout="mono") if pcm else None
        picture = output.add_stream("mjpeg")
        picture.width = picture.height = 32
        picture.pix_fmt = "yuvj420p"
        picture.disposition = av.stream.Disposition.attached_pic
        image = np.zeros((32, 32, 3), dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuvj420p")
        for packet in [*picture.encode(frame), *picture.encode(None)]:
            output.mux(packet)
        if audio is not None and pcm:
            _write_audio(output, audio, pcm, sample_rate, "mono")
    return buffer.getvalue()


def _write_audio(
    output: av.container.OutputContainer,
    stream: av.AudioStream,
    pcm: bytes,
    sample_rate: int,
    layout: str,
) -> None:
    samples = np.frombuffer(pcm, dtype=np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout=layout)
    frame.sample_rate = sample_rate
    codec_format = stream.codec_context.format
    resampler = av.AudioResampler(
        format=codec_format.name if codec_format else "s16", layout=layout, rate=stream.rate
    )
    for converted in [*resampler.resample(frame), *resampler.resample(None)]:
        for packet in stream.encode(converted):
            output.mux(packet)
    for packet in stream.encode(None):
        output.mux(packet)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance over the reference length, ignoring case and punctuation."""
    ref, hyp = _words(reference), _words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, start=1):
        current = [i]
        for j, hyp_word in enumerate(hyp, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
            )
        previous = current
    return previous[-1] / max(1, len(ref))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())
