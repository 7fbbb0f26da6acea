"""Text-to-speech on the CPU: Piper's "joe" voice in a worker process, espeak-ng as the fallback.

Both engines are GPL programs, so both run as separate processes. Piper stays loaded in one
long-lived worker (loading takes about half a second, a first sentence then about 0.1-0.3 s);
espeak-ng is started per sentence (tens of milliseconds). Audio streams out sentence by sentence
as mono PCM16, resampled to the rate the caller asks for (24 kHz for the browser by default).
"""

from __future__ import annotations

import atexit
import base64
import collections
import contextlib
import itertools
import json
import logging
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

from quotahit.providers.local.audio import decode_audio, resample_pcm16
from quotahit.providers.local.errors import AudioError, SpeechSynthesisError

logger = logging.getLogger(__name__)

OUTPUT_RATE = 24_000
PIPER_VOICE = "Piper joe (US English, neural)"
ESPEAK_VOICE = "espeak-ng en-us (robotic)"
ESPEAK_RATE = 22_050
ESPEAK_WORDS_PER_MINUTE = 165
START_TIMEOUT_S = 30.0
SENTENCE_TIMEOUT_S = 30.0

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


def split_sentences(text: str) -> list[str]:
    """Cut text where a sentence ends, so the first one can be spoken while the rest waits."""
    return [sentence.strip() for sentence in _SENTENCE_END.split(text) if sentence.strip()]


def _source_root() -> str:
    return str(Path(__file__).resolve().parents[3])


class PiperWorker:
    """A long-lived `piper_worker` process and the client side of its line-based JSON protocol.

    Several threads may call `synthesize` at once: the worker speaks the requests in turn, and a
    reader thread hands each request's audio to the caller waiting for it.
    """

    def __init__(
        self, command: Sequence[str] | None = None, *, start_timeout_s: float = START_TIMEOUT_S
    ) -> None:
        self._command = list(
            command or [sys.executable, "-m", "quotahit.providers.local.piper_worker"]
        )
        self._start_timeout_s = start_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._waiting_lock = threading.Lock()
        self._output_closed = False
        self._write_lock = threading.Lock()
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self.sample_rate = 0

    @property
    def alive(self) -> bool:
        """Whether the worker process is running."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the worker and wait until its voice is loaded.

        Raises:
            SpeechSynthesisError: the worker could not start or load the voice.
        """
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": os.pathsep.join(
                filter(None, [_source_root(), os.environ.get("PYTHONPATH")])
            ),
        }
        try:
            process = subprocess.Popen(  # noqa: S603  (our own command, no shell)
                self._command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
        except OSError as error:
            raise SpeechSynthesisError(f"The Piper voice could not start: {error}") from error
        self._process = process
        ready: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(
            target=self._read_messages, args=(process, ready), name="piper-out", daemon=True
        ).start()
        stderr_reader = threading.Thread(
            target=self._read_stderr, args=(process,), name="piper-err", daemon=True
        )
        stderr_reader.start()
        try:
            hello = ready.get(timeout=self._start_timeout_s)
        except queue.Empty:
            hello = {"ready": False, "error": f"not ready after {self._start_timeout_s:g} s"}
        if not hello.get("ready"):
            self.close(timeout_s=0)
            stderr_reader.join(timeout=1)  # its last words usually say why
            detail = hello.get("error") or " | ".join(self._stderr_tail) or "it exited"
            raise SpeechSynthesisError(f"The Piper voice could not start: {detail}")
        self.sample_rate = int(hello["sample_rate"])

    def synthesize(self, text: str) -> Generator[bytes, None, None]:
        """Mono PCM16 at `sample_rate`, one chunk per sentence as Piper finishes it.

        Closing the iterator early (the listener interrupted) cancels the rest of the request.

        Raises:
            SpeechSynthesisError: the worker died or failed on this text.
        """
        request_id = next(self._ids)
        replies: queue.Queue[dict[str, Any]] = queue.Queue()
        with self._waiting_lock:
            if self._output_closed:
                raise SpeechSynthesisError("The Piper voice is not running.")
            self._waiting[request_id] = replies
        finished = False
        try:
            self._send({"id": request_id, "text": text})
            while True:
                try:
                    reply = replies.get(timeout=SENTENCE_TIMEOUT_S)
                except queue.Empty:
                    raise SpeechSynthesisError("The Piper voice stopped answering.") from None
                if "audio" in reply:
                    yield base64.b64decode(reply["audio"])
                elif reply.get("done"):
                    finished = True
                    return
                else:
                    raise SpeechSynthesisError(f"The Piper voice failed: {reply.get('error')}")
        finally:
            with self._waiting_lock:
                self._waiting.pop(request_id, None)
            if not finished and self.alive:
                with contextlib.suppress(SpeechSynthesisError):
                    self._send({"cancel": request_id})

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the worker: closing its stdin lets it finish; it is killed if it lingers."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin:
                process.stdin.close()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _send(self, message: dict[str, Any]) -> None:
        process = self._process
        if process is None or process.stdin is None or process.poll() is not None:
            raise SpeechSynthesisError("The Piper voice is not running.")
        try:
            with self._write_lock:
                process.stdin.write(json.dumps(message).encode() + b"\n")
                process.stdin.flush()
        except OSError as error:
            raise SpeechSynthesisError(f"The Piper voice stopped: {error}") from error

    def _read_messages(
        self, process: subprocess.Popen[bytes], ready: queue.Queue[dict[str, Any]]
    ) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                logger.warning("piper worker wrote a line that is not JSON: %.80r", line)
                continue
            if "ready" in message:
                ready.put(message)
                continue
            with self._waiting_lock:
                replies = self._waiting.get(message.get("id", -1))
            if replies is not None:  # None: a cancelled request's last sentence
                replies.put(message)
        ready.put({"ready": False})
        with self._waiting_lock:
            self._output_closed = True
            waiting = list(self._waiting.values())
        for replies in waiting:
            replies.put({"error": "the worker process exited"})

    def _read_stderr(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            line = raw.decode(errors="replace").rstrip()
            if line:
                self._stderr_tail.append(line)
                logger.debug("piper worker: %s", line)


class EspeakSynthesizer:
    """espeak-ng, one process per sentence: robotic, but small and always quick."""

    def __init__(self, binary: str = "espeak-ng", voice: str = "en-us") -> None:
        self._path = shutil.which(binary)
        self._voice = voice
        self.sample_rate = ESPEAK_RATE

    @property
    def available(self) -> bool:
        """Whether the espeak-ng program is installed."""
        return self._path is not None

    def synthesize(self, text: str) -> Generator[bytes, None, None]:
        """Mono PCM16 at `sample_rate`, one chunk per sentence.

        Raises:
            SpeechSynthesisError: espeak-ng is missing or failed.
        """
        if self._path is None:
            raise SpeechSynthesisError("espeak-ng is not installed.")
        for sentence in split_sentences(text):
            try:
                result = subprocess.run(  # noqa: S603  (our own command, text goes via stdin)
                    [self._path, "--stdout", "-v", self._voice, "-s", str(ESPEAK_WORDS_PER_MINUTE)],
                    input=sentence.encode(),
                    capture_output=True,
                    timeout=SENTENCE_TIMEOUT_S,
                    check=True,
                )
                yield decode_audio(result.stdout, sample_rate=self.sample_rate).pcm
            except (OSError, subprocess.SubprocessError, AudioError) as error:
                raise SpeechSynthesisError(f"espeak-ng failed: {error}") from error


class LocalSpeechSynthesizer:
    """Speaks with Piper while it works, with espeak-ng when it does not.

    Piper starts on first use (or on `start`). When it cannot start, espeak-ng speaks for the
    rest of the process; when a running worker dies, the next request starts a new one.
    """

    def __init__(
        self, *, piper_command: Sequence[str] | None = None, espeak_binary: str = "espeak-ng"
    ) -> None:
        self._piper_command = piper_command
        self._piper: PiperWorker | None = None
        self._piper_failed = False
        self._lock = threading.Lock()
        self._espeak = EspeakSynthesizer(espeak_binary)

    @property
    def voice(self) -> str | None:
        """The voice that will speak (None when neither engine is usable), without starting it."""
        if not self._piper_failed:
            return PIPER_VOICE
        return ESPEAK_VOICE if self._espeak.available else None

    def start(self) -> str | None:
        """Start Piper now so that the first reply is fast; returns the voice that will speak."""
        self._running_piper()
        return self.voice

    def synthesize_stream(self, text: str, *, sample_rate: int = OUTPUT_RATE) -> Iterator[bytes]:
        """Mono PCM16 at `sample_rate`, one chunk per sentence, the first as soon as it is ready.

        Raises:
            SpeechSynthesisError: neither Piper nor espeak-ng could speak the text.
        """
        if not text.strip():
            return
        piper = self._running_piper()
        if piper is not None:
            spoken = False
            try:
                for chunk in _resampled(piper.synthesize(text), piper.sample_rate, sample_rate):
                    spoken = True
                    yield chunk
                return
            except SpeechSynthesisError:
                # The worker may not be reaped yet and still look alive: drop it now, so the
                # next reply starts a fresh one instead of falling back to espeak-ng.
                self._discard(piper)
                if spoken:
                    raise
                logger.warning("piper failed before speaking; espeak-ng speaks instead")
        if not self._espeak.available:
            raise SpeechSynthesisError("No local voice is available: install espeak-ng.")
        yield from _resampled(self._espeak.synthesize(text), self._espeak.sample_rate, sample_rate)

    def close(self) -> None:
        """Stop the Piper worker, if running."""
        with self._lock:
            piper, self._piper = self._piper, None
        if piper is not None:
            piper.close()

    def _discard(self, worker: PiperWorker) -> None:
        with self._lock:
            if self._piper is worker:
                self._piper = None
        worker.close()

    def _running_piper(self) -> PiperWorker | None:
        with self._lock:
            if self._piper_failed:
                return None
            if self._piper is not None and self._piper.alive:
                return self._piper
            worker = PiperWorker(self._piper_command)
            try:
                worker.start()
            except SpeechSynthesisError as error:
                logger.warning("%s; espeak-ng will speak instead", error)
                self._piper_failed = True
                return None
            self._piper = worker
            return worker


def _resampled(
    chunks: Generator[bytes, None, None], from_rate: int, to_rate: int
) -> Iterator[bytes]:
    # Each chunk is a whole sentence, starting and ending in silence: resampling the chunks one
    # by one adds no clicks, and no chunk waits for the next.
    with contextlib.closing(chunks):  # an interrupted reply cancels the rest at once
        for chunk in chunks:
            yield resample_pcm16(chunk, from_rate, to_rate)


_default: LocalSpeechSynthesizer | None = None
_default_lock = threading.Lock()


def speech_synthesizer() -> LocalSpeechSynthesizer:
    """The process-wide synthesizer (its Piper worker is stopped when the process exits)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = LocalSpeechSynthesizer()
            atexit.register(_default.close)
        return _default


def synthesize_stream(text: str, *, sample_rate: int = OUTPUT_RATE) -> Iterator[bytes]:
    """Speak `text` with the process-wide synthesizer: mono PCM16 chunks, sentence by sentence."""
    return speech_synthesizer().synthesize_stream(text, sample_rate=sample_rate)
