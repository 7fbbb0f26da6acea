"""WAV files for Chromium's fake microphone (`--use-file-for-fake-audio-capture=FILE.wav`).

Chromium plays the file in a loop for as long as the page captures, so the silence at its end is
the pause a voice-activity detector sees between two repetitions of the phrase.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from tests.support.voice_audio import silence, speech_pcm

TONE_AMPLITUDE = 10_000  # about a third of full scale


def write_wav(path: Path, pcm: bytes, rate: int) -> Path:
    """Mono PCM16 LE as a WAV file."""
    with wave.open(str(path), "wb") as output:
        output.setnchannels(1)
        output.setsampwidth(2)
        output.setframerate(rate)
        output.writeframes(pcm)
    return path


def speech_wav(
    path: Path,
    text: str,
    *,
    leading_silence_s: float,
    trailing_silence_s: float,
    rate: int = 48_000,
) -> Path:
    """A WAV of espeak-ng saying `text` between two stretches of silence."""
    pcm = (
        silence(leading_silence_s, rate)
        + speech_pcm(text, rate)
        + silence(trailing_silence_s, rate)
    )
    return write_wav(path, pcm, rate)


def tone_pcm(seconds: float, *, rate: int, frequency: float = 440.0) -> bytes:
    """A sine tone as PCM16."""
    t = np.arange(round(seconds * rate)) / rate
    return (np.sin(2 * np.pi * frequency * t) * TONE_AMPLITUDE).astype("<i2").tobytes()


def tone_wav(
    path: Path,
    seconds: float,
    *,
    frequency: float = 440.0,
    trailing_silence_s: float = 0.0,
    rate: int = 48_000,
) -> Path:
    """A WAV of a sine tone followed by silence."""
    pcm = tone_pcm(seconds, rate=rate, frequency=frequency) + silence(trailing_silence_s, rate)
    return write_wav(path, pcm, rate)
