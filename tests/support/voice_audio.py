"""Spoken test audio for the voice engine: espeak-ng's voice as PCM16 at any rate.

espeak-ng is a Debian package the set-up installs (`scripts/system-deps.sh`); its speech is
clear enough for the voice detector and Whisper, and generating it takes milliseconds.
"""

from __future__ import annotations

import functools
import subprocess

import numpy as np

from quotahit.providers.local.audio import decode_audio, resample_pcm16


@functools.lru_cache(maxsize=64)
def speech_pcm(text: str, rate: int = 24_000) -> bytes:
    """`text` spoken by espeak-ng, mono PCM16 at `rate`, with its own short silences trimmed."""
    wav = subprocess.run(
        ["espeak-ng", "--stdout", "-s", "160", text], capture_output=True, check=True
    ).stdout
    decoded = decode_audio(wav)
    samples = np.frombuffer(decoded.pcm, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples) > 300)
    trimmed = samples[loud[0] : loud[-1] + 1] if loud.size else samples
    return resample_pcm16(trimmed.tobytes(), decoded.sample_rate, rate)


def silence(seconds: float, rate: int = 24_000) -> bytes:
    """Digital silence."""
    return b"\0\0" * int(seconds * rate)


def chunks(pcm: bytes, rate: int = 24_000, ms: int = 40) -> list[bytes]:
    """Audio cut as the browser sends it (40 ms frames)."""
    size = rate * 2 * ms // 1000
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]
