"""The call's recording, written only when the rep opted in: rep left, buyer right.

The rep's audio arrives in real time and is the clock; the buyer's voice is queued and laid
beside it as the browser would play it, and an interruption drops what was never heard. The WAV
file is written as the call goes, so a long call never sits in memory.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from quotahit.analysis.storage import RecordingSink


class CallRecorder:
    """Writes a stereo PCM16 WAV into private recording storage."""

    def __init__(self, data_dir: Path, organization_id: int, *, sample_rate: int, max_seconds: int):
        self._sink = RecordingSink(data_dir, organization_id, max_bytes=0)
        self._sink.close()  # only its private path is used: the WAV writer needs to seek
        self._file = self._sink.path.open("r+b")
        self._max_frames = max_seconds * sample_rate
        self._wav = wave.open(self._file, "wb")  # noqa: SIM115 - closed in close()
        self._wav.setnchannels(2)
        self._wav.setsampwidth(2)
        self._wav.setframerate(sample_rate)
        self._buyer = bytearray()
        self._frames = 0
        self._closed = False

    def rep(self, pcm: bytes) -> None:
        """The rep's audio (mono PCM16): written with the buyer audio playing at that moment."""
        if self._closed or not pcm or self._frames >= self._max_frames:
            return
        rep = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2")
        take = min(len(self._buyer), rep.size * 2)
        buyer = np.zeros(rep.size, dtype="<i2")
        buyer[: take // 2] = np.frombuffer(bytes(self._buyer[:take]), dtype="<i2")
        del self._buyer[:take]
        stereo = np.empty(rep.size * 2, dtype="<i2")
        stereo[0::2], stereo[1::2] = rep, buyer
        self._wav.writeframesraw(stereo.tobytes())
        self._frames += rep.size

    def buyer(self, pcm: bytes) -> None:
        """The buyer's voice as it is sent to the browser."""
        if not self._closed:
            self._buyer += pcm

    def interrupted(self) -> None:
        """The browser stopped the buyer: what was still queued was never heard."""
        self._buyer.clear()

    @property
    def seconds(self) -> float:
        """Seconds recorded so far."""
        return self._frames / self._wav.getframerate()

    def close(self) -> tuple[str, int]:
        """Finish the file; returns its path relative to the store and its size."""
        if not self._closed:
            self._closed = True
            self._wav.close()  # writes the final sizes into the header
            self._file.close()
        return self._sink.relative, self._sink.path.stat().st_size

    def discard(self) -> None:
        """Drop the recording (nothing said, or the rep did not opt in after all)."""
        if not self._closed:
            self._closed = True
            self._wav.close()
            self._file.close()
        self._sink.discard()
