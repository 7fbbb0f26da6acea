"""One live call: the browser's socket on one side, a voice engine on the other.

The runner relays audio both ways, keeps the transcript (saved as it grows, so a dropped call
loses nothing), asks the live coach for hints, records the call when the rep opted in, and ends
the call for whichever reason comes first: the rep hangs up, the buyer does, the maximum length
is reached, the engine fails, or the same user opens a call elsewhere.

It knows neither Starlette nor Reflex: the route hands it a `Transport` and callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from quotahit.voice import events as ev
from quotahit.voice.coaching import Hint, LiveCoach
from quotahit.voice.engine import CallSetup, VoiceSession
from quotahit.voice.protocol import (
    End,
    Mute,
    Ping,
    Playback,
    ProtocolError,
    parse_client_text,
    server_message,
)
from quotahit.voice.recorder import CallRecorder
from quotahit.voice.transcript import CallTranscript

logger = logging.getLogger(__name__)

SAVE_EVERY_S = 5.0
SAVE_DELAY_S = 0.5
# The coach reads a finished turn this long after it: the rep's final words arrive just before
# the buyer's first audio, which must not wait for the coach (a hint 50 ms later is unseen).
COACH_DELAY_S = 0.05
LAST_MINUTE_S = 60
MAX_HANG_UP_WAIT_S = 12.0


class Transport(Protocol):
    """The browser's end of the call."""

    async def send_text(self, text: str) -> None: ...

    async def send_bytes(self, data: bytes) -> None: ...

    async def receive(self) -> str | bytes | None:
        """The next frame; None when the browser went away."""

    async def close(self, code: int) -> None: ...


@dataclass
class CallHooks:
    """What the runner asks of the rest of the app (all blocking work happens in them)."""

    save: Callable[[list[dict[str, Any]], dict | None, float], Awaitable[None]]
    finish: Callable[[str, tuple[str, int] | None], Awaitable[int | None]]
    resume_token: Callable[[], str]
    on_update: Callable[[dict[str, Any]], None] = lambda _snapshot: None
    on_engine_end: Callable[[str, float], Awaitable[None]] | None = None


@dataclass
class CallOutcome:
    """How the connection ended: the call's end reason, or "" when it may be resumed."""

    reason: str
    analysis_id: int | None = None


@dataclass
class _Live:
    status: str = "connecting"
    engine: str = ""
    notices: list[str] = field(default_factory=list)
    hints: list[dict[str, Any]] = field(default_factory=list)
    analysis_id: int | None = None


class CallRunner:
    """Runs one connection of a call until it ends or drops."""

    def __init__(
        self,
        *,
        setup: CallSetup,
        transport: Transport,
        engine: VoiceSession,
        hooks: CallHooks,
        transcript: CallTranscript,
        coach: LiveCoach | None,
        recorder: CallRecorder | None,
        fallback: Callable[[], VoiceSession] | None = None,
        resumed: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._setup = setup
        self._transport = transport
        self._engine = engine
        self._hooks = hooks
        self._transcript = transcript
        self._coach = coach
        self._recorder = recorder
        self._fallback = fallback
        self._resumed = resumed
        self._clock = clock
        self._offset = transcript.offset
        self._started = clock()
        self._audio_item: str | None = None
        self._playing_until = 0.0
        self._ready = False
        self._ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._live = _Live()
        self._last_save = clock()
        self._saver: asyncio.Task[None] | None = None
        self._save_wanted = False
        self._coaching: set[asyncio.Task[None]] = set()
        self._warned = False
        self.outcome: CallOutcome | None = None
        self._closed = asyncio.Event()

    @property
    def elapsed(self) -> float:
        """Seconds of call so far, counting a resumed call's earlier part."""
        return self._offset + self._clock() - self._started

    def replace(self, *, same_call: bool = False) -> None:
        """The same user opened a call elsewhere: this connection ends.

        When it is this very call coming back (a resume that arrived before this socket's drop
        was noticed), the call is not ended: the new connection carries it on.
        """
        self._end("moved" if same_call else "replaced")

    def end(self, reason: str) -> None:
        """End the call from outside (the page); "discarded" ends it without a scorecard."""
        self._end(reason)

    async def ended(self) -> CallOutcome | None:
        """Wait for the runner to finish closing (after `end`)."""
        await self._closed.wait()
        return self.outcome

    async def run(self) -> CallOutcome:
        """Relay until the call ends (or the browser goes away)."""
        tasks = [
            asyncio.create_task(self._pump_engine()),
            asyncio.create_task(self._pump_browser()),
            asyncio.create_task(self._tick()),
        ]
        for task in tasks:
            task.add_done_callback(self._task_done)
        await self._engine.start()
        try:
            reason = await self._ended
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        try:
            return await self._close(reason)
        finally:
            self._closed.set()

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("a voice call task failed", exc_info=task.exception())
            self._end("error")

    # Ending.

    def _end(self, reason: str) -> None:
        if not self._ended.done():
            self._ended.set_result(reason)

    async def _close(self, reason: str) -> CallOutcome:
        await self._engine.close()
        if self._coaching:  # the last turn's hints belong to the call's record
            await asyncio.gather(*self._coaching, return_exceptions=True)
        if self._saver is not None:
            self._saver.cancel()  # a write under way still completes (the hook shields it)
            await asyncio.gather(self._saver, return_exceptions=True)  # then the final save
        buyer_memory = getattr(self._engine, "buyer_memory", None)
        await self._hooks.save(self._transcript.stored(), buyer_memory, self.elapsed)
        if self._hooks.on_engine_end is not None:
            await self._hooks.on_engine_end(self._live.engine, self._clock() - self._started)
        if reason in ("dropped", "moved"):
            if self._recorder is not None:
                self._recorder.discard()  # a resumed call records afresh from where it is
            if reason == "moved":
                self._live.notices.append("This call continued in another tab or window.")
                self._push(status="elsewhere")
                with contextlib.suppress(Exception):
                    await self._transport.close(4409)
                self.outcome = CallOutcome("moved")
            else:
                self._push(status="reconnecting")
                self.outcome = CallOutcome("")
            self._closed.set()
            return self.outcome
        audio = None
        if self._recorder is not None:
            keep = self._recorder.seconds > 1 and reason != "discarded"
            audio = self._recorder.close() if keep else None
            if audio is None:
                self._recorder.discard()
        analysis_id = None if reason == "discarded" else await self._hooks.finish(reason, audio)
        self._live.analysis_id = analysis_id
        self._push(status="ended")
        with contextlib.suppress(Exception):
            await self._transport.send_text(
                server_message(
                    "ended",
                    reason=reason,
                    session_id=self._setup.session_id,
                    analysis_id=analysis_id,
                )
            )
            await self._transport.close(1000 if reason != "replaced" else 4409)
        self.outcome = CallOutcome(reason, analysis_id)
        self._closed.set()
        return self.outcome

    # Browser → engine.

    async def _pump_browser(self) -> None:
        while True:
            frame = await self._transport.receive()
            if frame is None:
                self._end("dropped")
                return
            if isinstance(frame, bytes):
                if self._recorder is not None:
                    self._recorder.rep(frame)
                await self._engine.send_audio(frame)
                continue
            try:
                message = parse_client_text(frame)
            except ProtocolError as error:
                logger.info("a voice call sent a malformed frame: %s", error)
                await self._send("error", code="malformed", message="The call sent a bad frame.")
                continue
            if isinstance(message, Playback):
                if self._recorder is not None:
                    self._recorder.interrupted()
                self._playing_until = self._clock()
                await self._engine.playback_stopped(message.item_id, message.played_ms)
            elif isinstance(message, Mute):
                await self._engine.set_muted(message.muted)
                self._push(status="muted" if message.muted else "live")
            elif isinstance(message, End):
                self._end("rep")
                return
            elif isinstance(message, Ping):
                await self._send("pong")

    # Engine → browser.

    async def _pump_engine(self) -> None:
        while True:
            async for event in self._engine.events():
                if isinstance(event, ev.EngineFailed) and not self._ready and self._fallback:
                    await self._fall_back(event)
                    break
                await self._relay(event)
            else:
                return

    async def _fall_back(self, failure: ev.EngineFailed) -> None:
        assert self._fallback is not None
        logger.info(
            "the realtime engine failed at start (%s); the local engine takes over", failure.code
        )
        await self._engine.close()
        self._engine = self._fallback()
        self._fallback = None
        self._live.notices.append(f"{failure.message} The local engine plays the buyer instead.")
        await self._send("notice", message=self._live.notices[-1])
        await self._engine.start()

    async def _relay(self, event: ev.VoiceEvent) -> None:
        now = self.elapsed
        changed = self._transcript.apply(event, now)
        if isinstance(event, ev.AudioDelta):
            if event.item_id != self._audio_item:
                self._audio_item = event.item_id
                await self._send("audio_start", item_id=event.item_id)
            await self._transport.send_bytes(event.pcm)
            if self._recorder is not None:
                self._recorder.buyer(event.pcm)
            seconds = len(event.pcm) / self._setup.audio.bytes_per_second
            self._playing_until = max(self._playing_until, self._clock()) + seconds
            return
        if isinstance(event, ev.Ready):
            self._ready = True
            self._live.engine = event.engine
            self._push(status="live")
            await self._send(
                "ready",
                engine=event.engine,
                model=event.model,
                voice=event.voice,
                max_seconds=self._setup.max_seconds,
                session_id=self._setup.session_id,
                resumed=self._resumed,
                elapsed_s=round(self.elapsed, 1),
                resume_token=self._hooks.resume_token(),
            )
        elif isinstance(event, ev.SpeechStarted):
            await self._send("speech_started")
            if self._coach is not None:
                self._coach.rep_speech(now)  # a monologue is caught while it is still going
        elif isinstance(event, ev.SpeechStopped):
            await self._send("speech_stopped")
            if self._coach is not None:
                self._coach.rep_speech(None)
        elif isinstance(event, ev.AudioDone):
            await self._send("audio_done", item_id=event.item_id)
        elif isinstance(event, ev.Truncated):
            await self._send("truncated", item_id=event.item_id, text=event.text)
        elif isinstance(event, ev.Notice):
            self._live.notices.append(event.message)
            await self._send("notice", message=event.message)
        elif isinstance(event, ev.EngineFailed):
            await self._send("error", code=event.code, message=event.message)
            self._live.notices.append(event.message)
            self._end("error")
        elif isinstance(event, ev.BuyerHungUp):
            wait = min(MAX_HANG_UP_WAIT_S, max(0.0, self._playing_until - self._clock()))
            await asyncio.sleep(wait + 0.3)
            self._end("buyer")
        if changed is not None:
            await self._send(
                "transcript",
                speaker=changed.speaker,
                item_id=changed.item_id,
                text=changed.text.strip(),
                final=changed.final,
            )
            if changed.final and isinstance(event, ev.TranscriptDone | ev.Truncated):
                self._coach_soon(changed.speaker, changed.text, changed.start, changed.end)
                self._save_soon()
            self._push()

    def _coach_soon(self, speaker: str, text: str, start: float, end: float) -> None:
        if self._coach is None or not text.strip():
            return
        task = asyncio.create_task(self._coach_turn(speaker, text, start, end))
        self._coaching.add(task)
        task.add_done_callback(self._coaching.discard)

    async def _coach_turn(self, speaker: str, text: str, start: float, end: float) -> None:
        await asyncio.sleep(COACH_DELAY_S)
        assert self._coach is not None
        hints = self._coach.observe(speaker, text, start_s=start, end_s=end)  # type: ignore[arg-type]
        await self._send_hints(hints)

    async def _send_hints(self, hints: list[Hint]) -> None:
        for hint in hints:
            shown = {"kind": hint.kind, "title": hint.title, "body": hint.body, "at_s": hint.at_s}
            self._live.hints.append(shown)
            await self._send("hint", kind=hint.kind, title=hint.title, body=hint.body)
        if hints:
            self._push()

    # Housekeeping.

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            elapsed = self.elapsed
            if elapsed >= self._setup.max_seconds:
                await self._notice("The call reached its maximum length.")
                self._end("max_length")
                return
            if not self._warned and elapsed >= self._setup.max_seconds - LAST_MINUTE_S > 0:
                self._warned = True
                await self._notice("One minute left on this call.")
            if self._coach is not None:
                await self._send_hints(self._coach.tick(elapsed))
            if self._clock() - self._last_save >= SAVE_EVERY_S:
                self._save_soon()

    def _save_soon(self) -> None:
        """Save in the background: a database write must never hold up the buyer's voice
        (it cost 5 ms to 0.5 s of added latency per turn; bench/bench_voice.py)."""
        self._save_wanted = True
        if self._saver is None or self._saver.done():
            self._saver = asyncio.create_task(self._save_while_wanted())

    async def _save_while_wanted(self) -> None:
        while self._save_wanted:
            # A turn's end is when the buyer's answer starts: write a moment later, so the
            # write's thread does not compete with relaying the first words.
            await asyncio.sleep(SAVE_DELAY_S)
            self._save_wanted = False
            self._last_save = self._clock()
            buyer_memory = getattr(self._engine, "buyer_memory", None)
            try:
                await self._hooks.save(self._transcript.stored(), buyer_memory, self.elapsed)
            except Exception:
                logger.exception("could not save a voice call's transcript")

    async def _notice(self, message: str) -> None:
        self._live.notices.append(message)
        await self._send("notice", message=message)
        self._push()

    async def _send(self, message_type: str, /, **fields: Any) -> None:
        with contextlib.suppress(Exception):  # a closed socket shows up as a drop on receive
            await self._transport.send_text(server_message(message_type, **fields))

    def _push(self, *, status: str | None = None) -> None:
        if status is not None:
            self._live.status = status
        with contextlib.suppress(Exception):
            self._hooks.on_update(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        """What the page shows of the call: status, engine, turns, hints, notices."""
        return {
            "status": self._live.status,
            "engine": self._live.engine,
            "turns": self._transcript.stored(),
            "hints": list(self._live.hints[-20:]),
            "notices": list(self._live.notices[-5:]),
            "talk": self._transcript.talk_seconds(),
            "analysis_id": self._live.analysis_id,
        }
