"""The local voice engine: VAD → faster-whisper → the local buyer → Piper, all on this machine.

Latency is what makes a call feel like a call, so the engine never waits when it need not:

* At a short pause (200 ms) the utterance is already transcribed and answered on a copy of the
  buyer's memory; if the silence is confirmed (450 ms) that answer is used, else dropped.
* The answer is spoken sentence by sentence: the first sentence's audio leaves while the next
  is still being synthesised, in 100 ms frames so an interruption stops it within a frame.
* The rep talking over the buyer (barge-in) stops the voice at once; the browser then says how
  much was heard, and the buyer's turn is cut to those words.

Whisper and the buyer run in worker threads; Piper runs in its own process. The event loop only
moves audio and events.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from quotahit.providers.local import stt, tts
from quotahit.providers.local.errors import SpeechSynthesisError
from quotahit.voice import events as ev
from quotahit.voice.dialogue import BuyerBrain, BuyerLine
from quotahit.voice.engine import CallSetup
from quotahit.voice.event_queue import EventQueue
from quotahit.voice.stages import (
    LISTEN_RATE,
    InputDecoder,
    OutputEncoder,
    UtteranceDetector,
    UtteranceEnded,
    UtterancePaused,
    UtteranceResumed,
    UtteranceStarted,
    frames,
)

logger = logging.getLogger(__name__)

MIN_SPEECH_S = 0.25  # shorter "utterances" are coughs and clicks, not turns
INTERIM_EVERY_S = 2.0
MAX_FILLERS = 2  # silences the buyer fills in a row before waiting quietly

Transcriber = Callable[[bytes], str]  # PCM16 16 kHz → text
SentenceVoice = Callable[[str, int], Iterator[bytes]]  # (sentence, sample rate) → PCM16 chunks


def whisper_transcribe(pcm16k: bytes) -> str:
    """The bundled Whisper tiny.en on one utterance."""
    segments = stt.transcribe(pcm16k, LISTEN_RATE, word_timestamps=False)
    return stt.transcript_text(segments).strip()


def local_voice(sentence: str, sample_rate: int) -> Iterator[bytes]:
    """Piper (espeak-ng when Piper cannot run) speaking one sentence."""
    return tts.synthesize_stream(sentence, sample_rate=sample_rate)


@dataclass
class _Spoken:
    """A buyer item being spoken: its sentences and how much audio each took."""

    item_id: str
    text: str
    sentences: list[tuple[str, int]] = field(default_factory=list)  # (text, audio ms)

    @property
    def audio_ms(self) -> int:
        return sum(ms for _, ms in self.sentences)

    def heard(self, played_ms: int) -> str:
        """The words the rep heard in `played_ms` of audio, cut at a word."""
        words: list[str] = []
        left = played_ms
        for text, ms in self.sentences:
            if left >= ms:
                words.extend(text.split())
                left -= ms
                continue
            sentence_words = text.split()
            words.extend(sentence_words[: int(len(sentence_words) * left / ms)] if ms else [])
            break
        return " ".join(words)


@dataclass
class _Speculation:
    """An answer worked out at a pause: the rep's words, the reply and the task making them."""

    task: asyncio.Task[tuple[str, BuyerLine | None]]


class LocalVoiceSession:
    """One call on the local engine (see the module docstring)."""

    def __init__(
        self,
        setup: CallSetup,
        *,
        buyer_memory: dict | None = None,
        transcribe: Transcriber = whisper_transcribe,
        voice: SentenceVoice = local_voice,
        voice_name: str | None = None,
        end_silence_ms: int = 450,
        pause_ms: int = 200,
        clock: Callable[[], float] = time.monotonic,
        warm_up: Callable[[], Any] | None = None,
    ) -> None:
        self._setup = setup
        self._brain = BuyerBrain(
            persona_json=setup.persona_json,
            scenario=setup.scenario,
            difficulty=setup.difficulty,
            seed=setup.seed,
            memory=buyer_memory,
            context=setup.context_documents,
        )
        self._transcribe = transcribe
        self._voice = voice
        self._voice_name = voice_name
        self._clock = clock
        self._warm_up = warm_up
        self._decoder = InputDecoder(setup.audio)
        self._encoder = OutputEncoder(setup.audio)
        self._detector = UtteranceDetector(end_silence_ms=end_silence_ms, pause_ms=pause_ms)
        self._events = EventQueue()
        self._ids = itertools.count(1)
        self._rep_item: str | None = None
        # The rep's words whose answer was cut short by the rep speaking again: the next
        # utterance continues the same turn (same item id) instead of starting another.
        self._pending_rep = ""
        self._pending_item: str | None = None
        self._speculation: _Speculation | None = None
        self._responding: asyncio.Task[None] | None = None
        self._speaking: _Spoken | None = None
        self._spoken: dict[str, _Spoken] = {}
        self._interim: asyncio.Task[None] | None = None
        self._interim_at_s = 0.0
        self._watchdog: asyncio.Task[None] | None = None
        self._muted = False
        self._closed = False
        self._quiet_since = clock()
        self._playing_until = 0.0
        self._fillers = 0

    # The VoiceSession interface.

    async def start(self) -> None:
        """Warm the models, greet, and start watching silences."""
        try:
            if self._warm_up is not None:
                await asyncio.to_thread(self._warm_up)
        except Exception:  # a slow first answer is better than no call
            logger.exception("warming up the local voice engine failed")
        voice = self._voice_name or tts.speech_synthesizer().voice or "none"
        self._emit(ev.Ready(engine="local", model="local buyer", voice=voice))
        if self._brain.memory is None:
            line = await asyncio.to_thread(self._brain.opening)
            self._responding = asyncio.create_task(self._speak(line, commit=False))
        else:
            self._quiet_since = self._clock()
        self._watchdog = asyncio.create_task(self._watch_silence())

    async def send_audio(self, audio: bytes) -> None:
        """The rep's audio: detect turns, interrupt the buyer, answer finished turns."""
        if self._closed or self._muted:
            return
        pcm = self._decoder.decode(audio)
        if not pcm:
            return
        for event in self._detector.push(pcm):
            if isinstance(event, UtteranceStarted):
                self._on_speech_started()
            elif isinstance(event, UtterancePaused):
                self._speculate(event.pcm)
            elif isinstance(event, UtteranceResumed):
                self._drop_speculation()
            elif isinstance(event, UtteranceEnded):
                self._on_speech_ended(event)
        if self._detector.in_speech:
            self._quiet_since = self._clock()
            self._maybe_interim()

    async def playback_stopped(self, item_id: str, played_ms: int) -> None:
        """Cut the buyer's interrupted turn to what the rep heard."""
        spoken = self._spoken.get(item_id)
        if spoken is None:
            return
        played = min(played_ms, spoken.audio_ms)
        if played >= spoken.audio_ms and spoken is not self._speaking:
            return  # all of it was heard
        self._emit(ev.Truncated(item_id, played, spoken.heard(played)))

    async def set_muted(self, muted: bool) -> None:
        """A muted rep is not listened to, and the buyer does not fill the silence."""
        self._muted = muted
        self._quiet_since = self._clock()

    async def events(self) -> AsyncIterator[ev.VoiceEvent]:
        """Everything the engine says, until close()."""
        while True:
            event = await self._events.get()
            if event is None:
                return
            yield event

    async def close(self) -> None:
        """Stop every task; idempotent."""
        if self._closed:
            return
        self._closed = True
        for task in (self._watchdog, self._responding, self._interim):
            if task is not None:
                task.cancel()
        self._drop_speculation()
        self._events.put_nowait(None)

    @property
    def buyer_memory(self) -> dict | None:
        """The buyer's memory, to keep with the session for a resumed call."""
        return self._brain.memory

    # Turn taking.

    def _emit(self, event: ev.VoiceEvent) -> None:
        if not self._closed:
            self._events.put_nowait(event)

    def _on_speech_started(self) -> None:
        self._emit(ev.SpeechStarted())
        self._rep_item = self._pending_item or f"rep_{next(self._ids)}"
        self._interim_at_s = self._detector.heard_s
        self._fillers = 0
        if self._responding is not None and not self._responding.done():
            # The buyer was about to answer, or answering: the rep goes first.
            self._responding.cancel()
            self._responding = None

    def _on_speech_ended(self, utterance: UtteranceEnded) -> None:
        self._emit(ev.SpeechStopped())
        self._quiet_since = self._clock()
        item_id = self._rep_item or f"rep_{next(self._ids)}"
        self._rep_item = None
        if self._interim is not None:
            self._interim.cancel()
            self._interim = None
        speculation, self._speculation = self._speculation, None
        if utterance.end_s - utterance.start_s < MIN_SPEECH_S and speculation is None:
            return
        self._responding = asyncio.create_task(self._respond(item_id, utterance, speculation))

    def _speculate(self, pcm: bytes) -> None:
        self._drop_speculation()
        prefix = self._pending_rep
        self._speculation = _Speculation(
            asyncio.create_task(asyncio.to_thread(self._hear_and_answer, prefix, pcm))
        )

    def _drop_speculation(self) -> None:
        if self._speculation is not None:
            self._speculation.task.cancel()
            self._speculation = None

    def _hear_and_answer(self, prefix: str, pcm: bytes) -> tuple[str, BuyerLine | None]:
        heard = self._transcribe(pcm)
        text = " ".join(part for part in (prefix, heard) if part).strip()
        return text, (self._brain.answer(text) if heard else None)

    async def _respond(
        self, item_id: str, utterance: UtteranceEnded, speculation: _Speculation | None
    ) -> None:
        try:
            if speculation is not None:
                text, line = await speculation.task
            else:
                text, line = await asyncio.to_thread(
                    self._hear_and_answer, self._pending_rep, utterance.pcm
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("the local engine could not hear or answer a turn")
            self._emit(ev.Notice("That turn could not be heard; please say it again."))
            return
        if line is None:
            return  # only noise
        self._pending_rep, self._pending_item = text, item_id  # until the answer starts
        self._emit(ev.TranscriptDone("rep", item_id, text))
        await self._speak(line, commit=True)

    async def _speak(self, line: BuyerLine, *, commit: bool) -> None:
        """Say `line` sentence by sentence; the rep speaking cancels this task."""
        item_id = f"buyer_{next(self._ids)}"
        spoken = _Spoken(item_id, line.text)
        self._spoken[item_id] = spoken
        sentences = tts.split_sentences(line.text) or [line.text]
        started = False
        try:
            for sentence in sentences:
                chunks = self._voice(sentence, self._setup.audio.sample_rate)
                async for pcm in _in_thread(chunks):
                    if not started:
                        started = True
                        self._pending_rep, self._pending_item = "", None
                        if commit:
                            self._brain.commit(line)
                        self._speaking = spoken
                        self._emit(ev.TranscriptDelta("buyer", item_id, ""))
                        self._playing_until = max(self._playing_until, self._clock())
                    self._send_voice(spoken, sentence, pcm)
                if started:
                    self._emit(ev.TranscriptDelta("buyer", item_id, sentence + " "))
        except SpeechSynthesisError as error:
            self._emit(ev.Notice(f"The buyer's voice failed: {error}"))
        finally:
            if started:
                self._speaking = None
                self._emit(ev.AudioDone(item_id))
                self._emit(ev.TranscriptDone("buyer", item_id, line.text))
                self._quiet_since = max(self._clock(), self._playing_until)
        if line.ended and started:
            self._emit(ev.BuyerHungUp(line.text))

    def _send_voice(self, spoken: _Spoken, sentence: str, pcm: bytes) -> None:
        rate = self._setup.audio.sample_rate
        ms = round(len(pcm) / 2 / rate * 1000)
        if spoken.sentences and spoken.sentences[-1][0] == sentence:
            text, before = spoken.sentences[-1]
            spoken.sentences[-1] = (text, before + ms)
        else:
            spoken.sentences.append((sentence, ms))
        self._playing_until = max(self._playing_until, self._clock()) + ms / 1000
        for frame in frames(pcm, self._setup.audio):
            self._emit(ev.AudioDelta(spoken.item_id, self._encoder.encode(frame)))

    # Live transcript and silences.

    def _maybe_interim(self) -> None:
        if self._interim is not None and not self._interim.done():
            return
        if self._detector.heard_s - self._interim_at_s < INTERIM_EVERY_S:
            return
        self._interim_at_s = self._detector.heard_s
        item_id, pcm = self._rep_item, self._detector.speech_so_far()
        if item_id is None:
            return

        async def interim() -> None:
            text = await asyncio.to_thread(self._transcribe, pcm)
            if text and self._rep_item == item_id:
                prefix = f"{self._pending_rep} " if self._pending_rep else ""
                self._emit(ev.TranscriptDelta("rep", item_id, prefix + text, replace=True))

        self._interim = asyncio.create_task(interim())

    async def _watch_silence(self) -> None:
        """Fill a silence longer than the persona's patience (the rep froze, or went away)."""
        patience = max(1.0, self._setup.patience_s)
        while not self._closed:
            await asyncio.sleep(0.25)
            busy = (
                self._muted
                or self._detector.in_speech
                or (self._responding is not None and not self._responding.done())
                or self._speculation is not None
                or self._fillers >= MAX_FILLERS
            )
            now = self._clock()
            if busy:
                if self._muted or self._detector.in_speech:
                    self._quiet_since = now
                continue
            if now - max(self._quiet_since, self._playing_until) < patience:
                continue
            self._fillers += 1
            line = await asyncio.to_thread(self._brain.answer, "")
            self._responding = asyncio.create_task(self._speak(line, commit=True))


async def _in_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Iterate a blocking generator in a worker thread; cancelling closes it when it is free."""
    pending: asyncio.Future[Any] | None = None
    done = object()
    try:
        while True:
            pending = asyncio.ensure_future(asyncio.to_thread(next, chunks, done))
            chunk = await asyncio.shield(pending)
            pending = None
            if chunk is done:
                return
            yield chunk
    finally:
        if pending is not None:
            # The thread is still inside the generator: close it once that step returns.
            pending.add_done_callback(lambda _f: _close_quietly(chunks))
        else:
            _close_quietly(chunks)


def _close_quietly(chunks: Iterator[bytes]) -> None:
    with contextlib.suppress(Exception):
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
