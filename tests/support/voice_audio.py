"""Spoken test audio for the voice engine (espeak-ng's voice as PCM16 at any rate), and the
scripted ears and voice that stand in for Whisper and Piper where a test needs exact turns.

espeak-ng is a Debian package the set-up installs (`scripts/system-deps.sh`); its speech is
clear enough for the voice detector and Whisper, and generating it takes milliseconds.
"""

from __future__ import annotations

import functools
import subprocess
import time
from collections.abc import Iterator

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


MS_PER_CHAR = 40


class Ears:
    """A transcriber that hears the next scripted line, whatever was said."""

    def __init__(self, *lines: str) -> None:
        self.lines = list(lines)
        self.calls = 0
        self.heard_seconds: list[float] = []

    def __call__(self, pcm16k: bytes) -> str:
        self.calls += 1
        self.heard_seconds.append(len(pcm16k) / 32_000)
        return self.lines[min(self.calls, len(self.lines)) - 1] if self.lines else ""


class Voice:
    """A voice that says each sentence as a tone, optionally slowly (to be interrupted)."""

    def __init__(self, seconds_per_sentence: float = 0.0) -> None:
        self.spoken: list[str] = []
        self.delay = seconds_per_sentence

    def __call__(self, sentence: str, rate: int) -> Iterator[bytes]:
        self.spoken.append(sentence)
        if self.delay:
            time.sleep(self.delay)
        samples = int(rate * len(sentence) * MS_PER_CHAR / 1000)
        tone = (3000 * np.sin(np.arange(samples) * 2 * np.pi * 220 / rate)).astype("<i2")
        yield tone.tobytes()
