"""Decoding uploads with PyAV, resampling and mu-law, on files made by PyAV's own encoders."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from quotahit.providers.local import audio
from quotahit.providers.local.audio import (
    Pcm16Resampler,
    decode_audio,
    mulaw_to_pcm16,
    pcm16_to_mulaw,
    resample_pcm16,
    split_channels,
)
from quotahit.providers.local.errors import AudioError
from tests.unit.local.media import (
    SENTENCE,
    encode,
    espeak_pcm,
    interleave,
    m4a_with_cover_art,
    silence,
    tone,
    video_mp4,
)

RATE = 16_000
FORMATS = {
    "wav": ("wav", "pcm_s16le"),
    "mp3": ("mp3", "libmp3lame"),
    "m4a": ("mp4", "aac"),
    "ogg": ("ogg", "libopus"),
    "webm": ("webm", "libopus"),
    "flac": ("flac", "flac"),
}


@pytest.fixture(scope="module")
def speech() -> bytes:
    return espeak_pcm(SENTENCE, RATE)


@pytest.fixture(scope="module")
def files(speech: bytes) -> dict[str, bytes]:
    return {
        name: encode(speech, RATE, container=container, codec=codec)
        for name, (container, codec) in FORMATS.items()
    }


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Best normalised cross-correlation within +-100 ms (codecs add a little delay)."""
    n = min(len(a), len(b))
    a, b = a[:n].astype(np.float64), b[:n].astype(np.float64)
    best = 0.0
    for shift in range(0, 1600, 16):
        x, y = a[shift:], b[: n - shift]
        best = max(best, float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-9)))
        x, y = a[: n - shift], b[shift:]
        best = max(best, float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-9)))
    return best


@pytest.mark.parametrize("name", list(FORMATS))
def test_decodes_each_format_to_mono_pcm16_at_the_requested_rate(
    name: str, files: dict[str, bytes], speech: bytes, tmp_path: Path
) -> None:
    path = tmp_path / f"call.{name}"
    path.write_bytes(files[name])

    from_path = decode_audio(path, sample_rate=RATE)
    from_bytes = decode_audio(files[name], sample_rate=RATE)

    expected_s = len(speech) / 2 / RATE  # AAC adds up to two frames of encoder padding
    assert from_path.pcm == from_bytes.pcm
    assert from_path.sample_rate == RATE
    assert from_path.source_channels == 1
    assert from_path.duration_s == pytest.approx(expected_s, abs=0.15)
    assert _correlation(from_path.samples, np.frombuffer(speech, np.int16)) > 0.8


def test_decodes_to_another_rate(files: dict[str, bytes]) -> None:
    at_24k = decode_audio(files["webm"], sample_rate=24_000)
    at_8k = decode_audio(files["webm"], sample_rate=8_000)

    assert at_24k.sample_rate == 24_000
    assert len(at_24k.pcm) / 2 == pytest.approx(3 * len(at_8k.pcm) / 2, rel=0.01)
    assert at_24k.duration_s == pytest.approx(at_8k.duration_s, abs=0.01)


def test_stereo_is_mixed_down_and_split_channels_keeps_each_side(speech: bytes) -> None:
    quiet = silence(len(speech) / 2 / RATE, RATE)
    stereo = encode(interleave(speech, quiet), RATE, container="wav", codec="pcm_s16le", channels=2)

    mixed = decode_audio(stereo, sample_rate=RATE)
    rep, buyer = split_channels(stereo, sample_rate=RATE)

    assert mixed.source_channels == 2
    assert len(mixed.pcm) == len(speech)
    assert np.abs(mixed.samples).max() > 1000
    assert rep.pcm == speech
    assert buyer.pcm == quiet
    assert rep.source_channels == buyer.source_channels == 2


def test_split_channels_of_a_mono_file_is_one_track(files: dict[str, bytes]) -> None:
    tracks = split_channels(files["mp3"], sample_rate=RATE)

    assert len(tracks) == 1
    assert tracks[0].pcm == decode_audio(files["mp3"], sample_rate=RATE).pcm


def test_a_video_is_refused_with_a_clear_message() -> None:
    for data in (video_mp4(with_audio=True), video_mp4(with_audio=False)):
        with pytest.raises(AudioError, match=r"^This file is a video\."):
            decode_audio(data)


def test_an_m4a_with_cover_art_is_audio(speech: bytes) -> None:
    decoded = decode_audio(m4a_with_cover_art(speech, RATE), sample_rate=RATE)

    assert decoded.duration_s == pytest.approx(len(speech) / 2 / RATE, abs=0.15)


def test_a_file_without_an_audio_track_is_refused() -> None:
    with pytest.raises(AudioError, match="has no audio track"):
        decode_audio(m4a_with_cover_art(None))


def test_empty_input_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")

    for source in (b"", empty):
        with pytest.raises(AudioError, match="The file is empty"):
            decode_audio(source)


def test_random_bytes_and_text_are_refused() -> None:
    for data in (os.urandom(4096), b"this is a text file, not a recording\n" * 50):
        with pytest.raises(AudioError, match="could not be read as audio"):
            decode_audio(data)


def test_a_truncated_file_is_refused_with_a_clear_message(files: dict[str, bytes]) -> None:
    # mp3 and webm say how long they are: a file cut in half is caught by its missing audio.
    for name in ("mp3", "webm"):
        data = files[name]
        with pytest.raises(
            AudioError, match=r"looks cut off: it should last \d+\.\d s but only \d+\.\d s"
        ):
            decode_audio(data[: len(data) // 2])
    # An m4a keeps its index at the end: cut off, it cannot be opened at all.
    with pytest.raises(AudioError, match="damaged, cut off"):
        decode_audio(files["m4a"][: len(files["m4a"]) // 2])
    # A header with no samples after it.
    header_end = files["wav"].index(b"data") + 8
    with pytest.raises(AudioError, match="contains no sound"):
        decode_audio(files["wav"][:header_end])


def test_max_seconds_refuses_long_recordings(files: dict[str, bytes]) -> None:
    with pytest.raises(AudioError, match=r"longer than the 1 s we accept"):
        decode_audio(files["ogg"], max_seconds=1)
    assert decode_audio(files["ogg"], max_seconds=60).duration_s > 2


def test_playlists_are_not_opened() -> None:
    playlist = b"#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:9/segment.ts\n#EXT-X-ENDLIST\n"

    with pytest.raises(AudioError, match="could not be read as audio"):
        decode_audio(playlist)
    assert "hls" not in audio.ALLOWED_DEMUXERS.split(",")


def test_resample_keeps_duration_and_pitch() -> None:
    clip = tone(1.0, 22_050, frequency=440)

    resampled = resample_pcm16(clip, 22_050, 24_000)

    samples = np.frombuffer(resampled, np.int16).astype(np.float64)
    assert len(samples) == pytest.approx(24_000, abs=2)
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.fft.rfftfreq(len(samples), 1 / 24_000)[spectrum.argmax()] == pytest.approx(440, abs=2)
    assert resample_pcm16(clip, 22_050, 22_050) == clip
    assert resample_pcm16(b"", 8_000, 16_000) == b""


def test_streaming_resampler_matches_the_whole_clip_in_twenty_ms_chunks() -> None:
    clip = tone(1.0, 24_000)
    resampler = Pcm16Resampler(24_000, 16_000)

    streamed = b"".join(resampler.process(clip[i : i + 960]) for i in range(0, len(clip), 960))
    streamed += resampler.flush()

    assert len(streamed) == len(resample_pcm16(clip, 24_000, 16_000))
    assert abs(len(streamed) / 2 - 16_000) <= 2
    with pytest.raises(ValueError, match="even number"):
        Pcm16Resampler(8_000, 16_000).process(b"\x00")


def test_mulaw_round_trip_is_close_and_matches_audioop() -> None:
    speechlike = tone(0.5, 8_000, frequency=300)
    every_value = np.arange(-32768, 32768, dtype=np.int16).tobytes()

    encoded = pcm16_to_mulaw(speechlike)
    decoded = np.frombuffer(mulaw_to_pcm16(encoded), np.int16).astype(np.int32)

    assert len(encoded) == len(speechlike) // 2
    original = np.frombuffer(speechlike, np.int16).astype(np.int32)
    # G.711 keeps about 3 % relative precision; the absolute error is largest near full scale.
    assert np.all(np.abs(decoded - original) <= np.maximum(np.abs(original) // 16, 8))
    codes = bytes(code for code in range(256) if code != 0x7F)  # 0x7F is "-0", read back as 0xFF
    assert pcm16_to_mulaw(mulaw_to_pcm16(codes)) == codes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")  # removed in Python 3.13
    assert pcm16_to_mulaw(every_value) == audioop.lin2ulaw(every_value, 2)
    assert mulaw_to_pcm16(bytes(range(256))) == audioop.ulaw2lin(bytes(range(256)), 2)
