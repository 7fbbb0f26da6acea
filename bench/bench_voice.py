"""Live voice practice: what the relay adds, how fast the local engine answers, how many relayed
calls one worker carries.

Set-up, all made here: a temporary data folder and SQLite database migrated with the real
Alembic migrations; an organisation whose admin stored an OpenAI key for it, so
`service.choose_engine` picks Realtime for every member; reps signed in with
`sessions.open_session`; calls started with `service.start_call` (script coaching on, no
recording). The app is one uvicorn worker in a subprocess serving `/api/voice/ws` alone, reached
as a browser reaches it (a signed ticket, the app's own Origin, permessage-deflate offered).
OpenAI is `FakeOpenAIRealtime` in a subprocess of its own: its energy VAD ends a turn after the
session's 500 ms of silence, counted in audio received, and it answers with a tone. The clients
run in this process, apart from the server's (on 2 cores the three processes still share the
CPU, and so does whatever else runs on the machine: the load average is printed first). The
database is a file on disk, as a local install's is, so the route's saves pay for the disk. Ended
calls are not scored: the worker would spend later runs on their analysis jobs.

A turn, the same for every client: 40 ms frames of PCM16 24 kHz, each sent on a fixed 40 ms
schedule; 0.6 s of a loud tone, then silence until the buyer's reply is over, then a short gap.
Its latency runs from sending the last tone frame to the first frame of the buyer's audio (a
binary frame through the route, `response.output_audio.delta` direct), so it includes the 13
silence frames (520 ms) the fake's VAD waits for. The baseline talks the Realtime protocol
straight to the same fake: the session the bridge configures (`session_config`), the bridge's
opening request, no compression (as the openai SDK connects). Every call first hears out the
buyer's opening line.

1. Relay overhead: one call through the route and one direct session, turns alternating between
   them (RELAY_TURNS each after RELAY_WARMUP_TURNS untimed), the fake answering at once
   (pace 0). p50 and p99 of both and their difference (the p99 of 30 is the slowest turn).
   Target: added p50 and p99 <= 5 ms.

2. Local engine: `LocalVoiceSession` driven in this process (no socket; the worker is stopped),
   warmed as the app warms it (`api.warm_local_engine` for Whisper and Piper, the brain's warm-up
   for the buyer's embeddings) and after one untimed turn. LOCAL_SENTENCES spoken by espeak-ng
   (trimmed, so the end of the audio is the end of speech) are sent in real time, then silence
   until the buyer's first `AudioDelta`, and on until the buyer is done. From outside: when the
   engine declared the turn over (`SpeechStopped`; it waits `end_silence_ms` of silence and
   starts Whisper and the buyer at a `pause_ms` pause), how long the Whisper pass it answered
   took, Piper's time to its first chunk, and the local buyer's answer to the same sentences
   timed alone. Target: p50 <= 1000 ms on 2 cores.

3. Concurrent calls: K calls at once, started evenly over CONCURRENT_STAGGER_S (so their turns
   do not all end together), each streaming the microphone and taking CONCURRENT_TURNS turns in
   real time while the fake speaks in real time (pace 1.0); the same K sessions straight to the
   fake are the baseline. K climbs CONCURRENCY_LADDER until the added p95 passes
   CONCURRENT_LIMIT_MS, a turn goes unanswered, or CONCURRENT_BUDGET_S is spent; the largest K
   within the limit is reported. So is the worker's CPU time per second of relayed call, which
   the load of other processes hardly moves: a core's worth of it is a ceiling on K.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from workers import uvicorn_worker  # bench/workers.py (this folder is on sys.path)

from quotahit import db, migrations, settings, wiring
from quotahit.accounts import sessions
from quotahit.accounts.identity import Identity
from quotahit.accounts.models import Membership, Role, User
from quotahit.analysis import jobs
from quotahit.brain import warmup
from quotahit.db import get_engine, session_scope, utcnow
from quotahit.keys import service as vault
from quotahit.keys.crypto import Keyring
from quotahit.practice.models import PracticeSession
from quotahit.providers.key_check import KeyStatus, Verdict
from quotahit.providers.local import tts
from quotahit.voice import api, service
from quotahit.voice import events as ev
from quotahit.voice.dialogue import BuyerBrain
from quotahit.voice.engine import CallSetup
from quotahit.voice.local_engine import LocalVoiceSession, local_voice, whisper_transcribe
from quotahit.voice.realtime_bridge import OPENING_INSTRUCTIONS
from quotahit.voice.realtime_session import session_config
from tests.fakes.openai_realtime import FakeOpenAIRealtime
from tests.support.app_server import app_environment, free_port
from tests.support.seed import Seeder, signed_in
from tests.support.voice_audio import chunks, speech_pcm

HERE = Path(__file__).resolve().parent
KEY = "sk-proj-bench-voice-0123456789abcdef"
PERSONA = "michael_chen"  # the shortest opening line of the built-in personas
REP_LINE = "What are your biggest challenges with the sales team right now?"
BUYER_REPLY = "What would that cost us?"

FRAME_S = 0.040
RATE = 24_000
SPEECH_S = 0.6
TONE_HZ, TONE_AMPLITUDE = 300, 8_000  # RMS ~5 700, far above the fake's speech threshold
GAP_S = 0.08  # silence after the buyer's reply before the rep speaks again
TURN_TIMEOUT_S = 15.0

RELAY_TURNS = 30
RELAY_WARMUP_TURNS = 2
RELAY_TARGET_MS = 5.0

LOCAL_WARMUP_SENTENCE = "Hello there and thanks for picking up the phone today."
LOCAL_SENTENCES = (
    "What are your biggest challenges with the sales team right now?",
    "How do you track your pipeline today?",
    "Who else is involved when you choose a new tool?",
    "We help teams like yours close deals faster.",
    "What happens if nothing changes this year?",
    "Can you walk me through your current process?",
    "How many reps are on your team?",
    "What would a good result look like for you?",
    "Is budget the main concern here?",
    "Could we set up a short call next week?",
)
LOCAL_TARGET_MS = 1_000.0

CONCURRENCY_LADDER = (10, 25, 40, 50, 60, 80, 100)
CONCURRENT_TURNS = 3
CONCURRENT_STAGGER_S = 2.0
CONCURRENT_MS_PER_CHARACTER = 30  # the fake's voice: the 56-character opening plays 1.7 s
CONCURRENT_LIMIT_MS = 20.0
CONCURRENT_BUDGET_S = 150.0  # no new level starts after this long (a level takes ~20 s)

SILENCE = bytes(int(FRAME_S * RATE) * 2)
AUDIO_DELTA = '{"type": "response.output_audio.delta"'  # how the fake starts an audio event


def _tone_frames(seconds: float) -> list[bytes]:
    samples = np.arange(round(seconds * RATE)) / RATE
    tone = (TONE_AMPLITUDE * np.sin(2 * np.pi * TONE_HZ * samples)).astype("<i2").tobytes()
    return chunks(tone, RATE, round(FRAME_S * 1000))


SPEECH = _tone_frames(SPEECH_S)


class BenchError(RuntimeError):
    """The benchmark could not measure what it claims to (the server died, a call broke)."""


class TurnMissed(BenchError):
    """A turn got no answer in time (under load, counted; otherwise, an error)."""


def voice_app() -> Starlette:
    """The voice route alone, for the uvicorn worker (`--factory`); analysis jobs are skipped."""

    async def skip_analysis(_analysis_id: int) -> None:
        return None

    jobs.dispatch = skip_analysis
    return Starlette(routes=[WebSocketRoute("/api/voice/ws", api.voice_socket)])


def serve_fake() -> None:
    """`bench_voice.py fake-realtime`: the fake OpenAI in this process until stdin closes.

    Prints its port, then applies `name=value` lines from stdin to the fake (e.g. `pace=1.0`)
    and answers each with "ok".
    """
    with FakeOpenAIRealtime(
        valid_keys={KEY}, replies=[BUYER_REPLY], transcriber=lambda _pcm: REP_LINE
    ) as fake:
        print(fake.port, flush=True)
        for line in sys.stdin:
            for setting in line.split():
                name, _, value = setting.partition("=")
                setattr(fake, name, float(value))
            print("ok", flush=True)
        if fake.errors:
            sys.exit(f"the fake OpenAI Realtime crashed: {fake.errors!r}")


@dataclass
class FakeProcess:
    """The fake OpenAI Realtime running in its own process."""

    process: subprocess.Popen[str]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1"

    def configure(self, **values: float) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(" ".join(f"{n}={v}" for n, v in values.items()) + "\n")
        self.process.stdin.flush()
        if self.process.stdout.readline().strip() != "ok":
            raise BenchError("the fake OpenAI Realtime did not take its settings")


@contextmanager
def fake_realtime(log: Path) -> Iterator[FakeProcess]:
    """The fake in a subprocess; raises if it crashed while serving."""
    with log.open("w") as handle:
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "fake-realtime"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=handle,
            text=True,
            cwd=HERE.parent,
        )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        port = process.stdout.readline().strip()
        if not port.isdigit():
            raise BenchError(f"the fake OpenAI Realtime did not start:\n{log.read_text()[-4000:]}")
        yield FakeProcess(process, int(port))
    finally:
        process.stdin.close()
        try:
            code = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait(timeout=10)
    if code != 0:
        raise BenchError(f"the fake OpenAI Realtime failed:\n{log.read_text()[-4000:]}")


@dataclass(frozen=True)
class Worker:
    """The uvicorn worker serving `voice_app`."""

    port: int
    pid: int

    def cpu_seconds(self) -> float | None:
        """User and system CPU time so far (Linux), None where /proc cannot say."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def voice_worker(env: dict[str, str], log: Path) -> Iterator[Worker]:
    """One uvicorn worker serving `voice_app` on QUOTAHIT_PORT; raises if it logged a crash."""
    with uvicorn_worker(f"{Path(__file__).stem}:voice_app", HERE, env, log) as process:
        yield Worker(int(env["QUOTAHIT_PORT"]), process.pid)


def _clear_caches() -> None:
    settings.get_settings.cache_clear()
    db._engine_for.cache_clear()
    wiring.keyring.cache_clear()
    api.ticket_book.cache_clear()


def _seed(database_url: str, reps: int) -> list[Identity]:
    """An organisation with an OpenAI key of its own and `reps` signed-in members (one live
    call per user, so one rep per simultaneous call)."""
    migrations.upgrade(database_url)
    admin = Seeder(database_url).organization(
        name="Bench", email="admin@bench.test", password="quiet lantern ridge", person="Ben"
    )
    identities = []
    with Session(get_engine(), expire_on_commit=False) as db_session:
        vault.save_key(
            db_session=db_session,
            identity=signed_in(db_session, admin),
            keyring=wiring.keyring(),
            validator=lambda _provider, _secret: Verdict(KeyStatus.VALID, "ok"),
            provider="openai",
            raw_key=KEY,
            scope=vault.Scope.ORGANIZATION,
        )
        # Members straight into the tables: hashing a password per rep would take seconds.
        password_hash = db_session.get(User, admin.user_id).password_hash  # type: ignore[union-attr]
        for number in range(reps):
            user = User(
                email=f"rep{number}@bench.test",
                name=f"Rep {number}",
                password_hash=password_hash,
                email_confirmed_at=utcnow(),
            )
            db_session.add(user)
            db_session.flush()
            assert user.id is not None
            db_session.add(
                Membership(
                    organization_id=admin.organization_id, user_id=user.id, role=Role.REP.value
                )
            )
            token = sessions.open_session(
                db_session,
                user=user,
                organization_id=admin.organization_id,
                session_max=timedelta(days=1),
                ip_address="127.0.0.1",
                user_agent="bench",
            )
            db_session.commit()
            identity = sessions.resolve_session(db_session=db_session, token=token)
            assert identity is not None
            identities.append(identity)
    return identities


def _start_call(identity: Identity, engine: str = "openai") -> PracticeSession:
    with session_scope() as db_session:
        return service.start_call(
            db_session=db_session,
            identity=identity,
            persona_key=PERSONA,
            scenario="discovery",
            focus="discovery_questions",
            difficulty="medium",
            engine=engine,
            patience_s=20.0,
            coaching=True,
            keep_audio=False,
        )


class Microphone:
    """Frames on a fixed 40 ms schedule, as a browser's capture worklet sends them; late frames
    go at once."""

    def __init__(self, send: Callable[[bytes], Awaitable[None]]) -> None:
        self._send = send
        self._next_at = time.perf_counter()

    def restart(self) -> None:
        """Start the schedule now (after the microphone was idle)."""
        self._next_at = time.perf_counter()

    async def send(self, frame: bytes) -> None:
        self._next_at += FRAME_S
        await asyncio.sleep(max(0.0, self._next_at - time.perf_counter()))
        await self._send(frame)

    async def say(self, frames: list[bytes]) -> float:
        """Send the frames; when the last one left."""
        for frame in frames:
            await self.send(frame)
        return time.perf_counter()

    async def silence_until(self, done: asyncio.Event) -> None:
        """Stream silence until `done`, then for GAP_S more."""
        deadline = time.perf_counter() + TURN_TIMEOUT_S
        while not done.is_set():
            if time.perf_counter() > deadline:
                raise TurnMissed(f"no whole reply within {TURN_TIMEOUT_S:g} s")
            await self.send(SILENCE)
        for _ in range(round(GAP_S / FRAME_S)):
            await self.send(SILENCE)


class Leg:
    """One call as its client sees it: through the route, or straight to the fake."""

    def __init__(self, connection: ClientConnection, *, direct: bool) -> None:
        self.connection = connection
        self.direct = direct
        self.opened_at = time.perf_counter()
        self.engine = ""
        self.first_audio_at = 0.0
        self.problem = ""
        self.reply_done = asyncio.Event()
        self.ended = asyncio.Event()
        self.microphone = Microphone(self._send)
        self._reader = asyncio.create_task(self._read())

    async def _send(self, frame: bytes) -> None:
        if self.direct:
            audio = base64.b64encode(frame).decode("ascii")
            await self.connection.send(
                json.dumps({"type": "input_audio_buffer.append", "audio": audio})
            )
        else:
            await self.connection.send(frame)

    async def _read(self) -> None:
        try:
            async for message in self.connection:
                self._receive(message)
        except ConnectionClosed as error:
            self.problem = self.problem or f"the socket closed: {error}"
        finally:
            self.ended.set()
            self.reply_done.set()  # wakes a turn waiting on a socket that is gone

    def _receive(self, message: str | bytes) -> None:
        if isinstance(message, bytes) or message.startswith(AUDIO_DELTA):
            if not self.first_audio_at:
                self.first_audio_at = time.perf_counter()
            return
        event = json.loads(message)
        kind = event.get("type")
        if kind in ("audio_done", "response.done"):  # the route's, and OpenAI's
            self.reply_done.set()
        elif kind == "ready":
            self.engine = event["engine"]
        elif kind == "ended":
            self.ended.set()
        elif kind == "error":
            self.problem = self.problem or f"error: {message[:300]}"

    async def _until_reply_done(self) -> None:
        await self.microphone.silence_until(self.reply_done)
        if self.problem:
            raise TurnMissed(self.problem)

    async def hear_opening(self) -> None:
        """Stream silence while the buyer says the opening line."""
        self.microphone.restart()
        await self._until_reply_done()
        if not self.direct and self.engine != "openai":
            raise BenchError(f"the call runs on {self.engine!r}, not OpenAI Realtime")

    async def take_turn(self) -> float:
        """Speak, then stream silence until the reply is over; ms from the last spoken frame to
        the reply's first audio."""
        self.first_audio_at = 0.0
        self.reply_done.clear()
        spoken = await self.microphone.say(SPEECH)
        await self._until_reply_done()
        if not self.first_audio_at:
            raise TurnMissed(self.problem or "a reply without audio")
        return (self.first_audio_at - spoken) * 1000

    async def close(self) -> float:
        """Hang up (the route ends the call) and close the socket; seconds the call lasted."""
        try:
            if not self.direct and not self.ended.is_set():
                await self.connection.send(json.dumps({"type": "end"}))
                async with asyncio.timeout(30):
                    await self.ended.wait()
        finally:
            await self.connection.close()
            await self._reader
        return time.perf_counter() - self.opened_at


@dataclass(frozen=True)
class Endpoints:
    """Where the clients connect: the app worker and the fake."""

    worker: Worker
    fake: FakeProcess

    async def relay(self, identity: Identity, call: PracticeSession) -> Leg:
        """A browser's connection to a started call: ticket, Origin, deflate offered."""
        assert call.id is not None
        ticket = api.ticket_book().issue(
            auth_session_id=identity.session_id,
            user_id=identity.user_id,
            organization_id=identity.organization_id,
            practice_session_id=call.id,
            client_token=f"bench-{call.id}",
            resume=False,
        )
        connection = await connect(
            f"ws://127.0.0.1:{self.worker.port}/api/voice/ws?ticket={ticket}",
            additional_headers={"Origin": f"http://127.0.0.1:{self.worker.port}"},
            max_size=None,
            open_timeout=30,
        )
        return Leg(connection, direct=False)

    async def direct(self, setup: CallSetup) -> Leg:
        """A Realtime session opened and configured as the bridge does it."""
        connection = await connect(
            f"{self.fake.ws_url}/realtime?model={setup.model}",
            additional_headers={"Authorization": f"Bearer {KEY}"},
            compression=None,
            max_size=None,
            open_timeout=30,
        )
        created = json.loads(await connection.recv())
        if created.get("type") != "session.created":
            raise BenchError(f"the fake opened with {created!r}")
        config = {name: value for name, value in session_config(setup).items() if name != "model"}
        opening = OPENING_INSTRUCTIONS.format(
            instructions=setup.instructions, line=setup.opening_line
        )
        await connection.send(json.dumps({"type": "session.update", "session": config}))
        await connection.send(
            json.dumps({"type": "response.create", "response": {"instructions": opening}})
        )
        return Leg(connection, direct=True)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _stat_line(name: str, ours: float, baseline: float) -> str:
    return f"BENCH {name} {ours:.1f} ms baseline {baseline:.1f} ratio {ours / baseline:.3f}"


async def measure_relay_overhead(
    endpoints: Endpoints, identity: Identity, setup: CallSetup
) -> None:
    """One relayed call and one direct session, turn for turn, on a fake that answers at once."""
    endpoints.fake.configure(pace=0.0)
    relay = await endpoints.relay(identity, await asyncio.to_thread(_start_call, identity))
    direct = await endpoints.direct(setup)
    relayed: list[float] = []
    straight: list[float] = []
    try:
        await relay.hear_opening()
        await direct.hear_opening()
        for turn in range(RELAY_WARMUP_TURNS + RELAY_TURNS):
            order = [(relay, relayed), (direct, straight)]
            for leg, into in order if turn % 2 else order[::-1]:
                leg.microphone.restart()
                latency = await leg.take_turn()
                if turn >= RELAY_WARMUP_TURNS:
                    into.append(latency)
    finally:
        await relay.close()
        await direct.close()
    rows = {
        "p50": (_percentile(relayed, 0.5), _percentile(straight, 0.5)),
        "p99": (_percentile(relayed, 0.99), _percentile(straight, 0.99)),
    }
    for name, (ours, baseline) in rows.items():
        print(_stat_line(f"voice_relay_first_audio_{name}", ours, baseline))
    added = {name: ours - baseline for name, (ours, baseline) in rows.items()}
    for name, value in added.items():
        print(f"BENCH voice_relay_added_{name} {value:.1f} ms")
    met = max(added.values()) <= RELAY_TARGET_MS
    verdict = "met" if met else "missed"
    print(f"# voice relay: target added p50 and p99 <= {RELAY_TARGET_MS:g} ms {verdict}")


@dataclass
class Level:
    """What K simultaneous calls measured: each turn's latency (None: missed), call seconds."""

    latencies: list[float | None]
    call_seconds: float

    @property
    def answered(self) -> list[float]:
        return [latency for latency in self.latencies if latency is not None]

    @property
    def missed(self) -> int:
        return self.latencies.count(None)


async def _run_calls(openers: list[Callable[[], Awaitable[Leg]]]) -> Level:
    """The calls at once, started evenly over CONCURRENT_STAGGER_S."""

    async def one(index: int, open_leg: Callable[[], Awaitable[Leg]]) -> Level:
        await asyncio.sleep(index * CONCURRENT_STAGGER_S / len(openers))
        try:
            leg = await open_leg()
        except (OSError, TimeoutError, InvalidHandshake):
            return Level([None] * CONCURRENT_TURNS, 0.0)  # refused under load
        latencies: list[float | None] = []
        try:
            await leg.hear_opening()
            for _ in range(CONCURRENT_TURNS):
                latencies.append(await leg.take_turn())
        except TurnMissed:
            latencies += [None] * (CONCURRENT_TURNS - len(latencies))
        finally:
            seconds = await leg.close()
        return Level(latencies, seconds)

    calls = await asyncio.gather(*(one(index, opener) for index, opener in enumerate(openers)))
    return Level(
        [latency for call in calls for latency in call.latencies],
        sum(call.call_seconds for call in calls),
    )


async def measure_concurrent_calls(
    endpoints: Endpoints, identities: list[Identity], setup: CallSetup
) -> None:
    """Climb the ladder of simultaneous calls, each level relayed and then direct."""
    endpoints.fake.configure(pace=1.0, ms_per_character=CONCURRENT_MS_PER_CHARACTER)
    started = time.monotonic()
    largest = 0
    cpu_seconds = call_seconds = 0.0
    for calls in CONCURRENCY_LADDER:
        callers = identities[:calls]
        started_calls = [await asyncio.to_thread(_start_call, who) for who in callers]
        cpu_before = endpoints.worker.cpu_seconds()
        relayed = await _run_calls(
            [
                partial(endpoints.relay, who, call)
                for who, call in zip(callers, started_calls, strict=True)
            ]
        )
        cpu_after = endpoints.worker.cpu_seconds()
        if cpu_before is not None and cpu_after is not None:
            cpu_seconds += cpu_after - cpu_before
            call_seconds += relayed.call_seconds
        straight = await _run_calls([partial(endpoints.direct, setup)] * calls)
        missed = relayed.missed + straight.missed
        if missed and calls == CONCURRENCY_LADDER[0]:
            raise BenchError(f"{missed} turns of {calls} calls went unanswered at the first level")
        if not relayed.answered or not straight.answered:
            print(f"# voice concurrent: {calls} calls missed every turn")
            break
        p95 = _percentile(relayed.answered, 0.95), _percentile(straight.answered, 0.95)
        p50 = _percentile(relayed.answered, 0.5), _percentile(straight.answered, 0.5)
        print(_stat_line(f"voice_concurrent_k{calls}_first_audio_p95", *p95))
        print(f"BENCH voice_concurrent_k{calls}_added_p95 {p95[0] - p95[1]:.1f} ms")
        print(f"BENCH voice_concurrent_k{calls}_added_p50 {p50[0] - p50[1]:.1f} ms")
        if missed:
            print(f"# voice concurrent: {calls} calls missed {missed} turns")
        if missed or p95[0] - p95[1] > CONCURRENT_LIMIT_MS:
            break
        largest = calls
        if time.monotonic() - started > CONCURRENT_BUDGET_S:
            print(f"# voice concurrent: stopped after {calls} calls, the time budget is spent")
            break
    print(f"BENCH voice_concurrent_calls_max {largest} calls")
    if call_seconds:
        per_call = cpu_seconds / call_seconds * 1000
        print(f"BENCH voice_concurrent_worker_cpu_per_call {per_call:.1f} ms/s")


@dataclass
class StageClock:
    """Times the local engine's Whisper passes and Piper's first chunks, from outside."""

    whisper: list[tuple[float, float]] = field(default_factory=list)  # (started, finished)
    voice: list[tuple[float, float]] = field(default_factory=list)  # (asked, first chunk)

    def transcribe(self, pcm16k: bytes) -> str:
        started = time.perf_counter()
        text = whisper_transcribe(pcm16k)
        self.whisper.append((started, time.perf_counter()))
        return text

    def speak(self, sentence: str, sample_rate: int) -> Iterator[bytes]:
        asked = time.perf_counter()  # the engine's worker thread asks for the first chunk
        pieces = local_voice(sentence, sample_rate)
        try:
            first = next(pieces, None)
            self.voice.append((asked, time.perf_counter()))
            if first is not None:
                yield first
                yield from pieces
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()

    def reply_asked(self, spoken: float) -> tuple[float, float]:
        """When the reply's first sentence was asked of Piper, and when its first chunk came."""
        return min((asked, first) for asked, first in self.voice if asked >= spoken)

    def whisper_ms(self, spoken: float) -> float:
        """The Whisper pass answered: the last to finish before the reply was asked for."""
        asked, _ = self.reply_asked(spoken)
        started, finished = max(
            (run for run in self.whisper if run[1] <= asked), key=lambda run: run[1]
        )
        return (finished - started) * 1000


class LocalCall:
    """A `LocalVoiceSession` driven as the route drives it, timed from outside."""

    def __init__(self, setup: CallSetup, clock: StageClock) -> None:
        self.session = LocalVoiceSession(
            setup, transcribe=clock.transcribe, voice=clock.speak, warm_up=api.warm_local_engine
        )
        self.microphone = Microphone(self.session.send_audio)
        self.stopped_at = 0.0
        self.first_audio_at = 0.0
        self.hung_up = False
        self.reply_done = asyncio.Event()
        self._armed = False
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for event in self.session.events():
            now = time.perf_counter()
            if isinstance(event, ev.SpeechStopped) and self._armed and not self.stopped_at:
                self.stopped_at = now
            elif isinstance(event, ev.AudioDelta) and self._armed and not self.first_audio_at:
                self.first_audio_at = now
            elif isinstance(event, ev.AudioDone):
                self.reply_done.set()
            elif isinstance(event, ev.BuyerHungUp):
                self.hung_up = True

    async def open(self) -> None:
        """Warm up and hear out the greeting."""
        await self.session.start()
        self.microphone.restart()
        await self.microphone.silence_until(self.reply_done)

    async def take_turn(self, sentence: str) -> float:
        """Say `sentence` and let the buyer answer it whole; when the speech ended."""
        self.stopped_at = self.first_audio_at = 0.0
        self._armed = False
        self.reply_done.clear()
        self.microphone.restart()
        spoken = await self.microphone.say(
            chunks(speech_pcm(sentence, RATE), RATE, round(FRAME_S * 1000))
        )
        self._armed = True
        await self.microphone.silence_until(self.reply_done)
        if not self.first_audio_at:
            raise BenchError(f"the local buyer answered {sentence!r} without audio")
        return spoken

    async def close(self) -> None:
        await self.session.close()
        await self._reader


async def measure_local_engine(setup: CallSetup) -> None:
    """Real Whisper, buyer and Piper, sentence after sentence; a buyer who hangs up is redialled."""
    await warmup.warm_local_engine()
    clock = StageClock()
    call = LocalCall(setup, clock)
    await call.open()
    await call.take_turn(LOCAL_WARMUP_SENTENCE)
    first_audio, stopped, whisper, piper = [], [], [], []
    try:
        for sentence in LOCAL_SENTENCES:
            if call.hung_up:
                await call.close()
                call = LocalCall(setup, clock)
                await call.open()
            spoken = await call.take_turn(sentence)
            first_audio.append((call.first_audio_at - spoken) * 1000)
            stopped.append((call.stopped_at - spoken) * 1000)
            whisper.append(clock.whisper_ms(spoken))
            asked, first_chunk = clock.reply_asked(spoken)
            piper.append((first_chunk - asked) * 1000)
    finally:
        await call.close()
        tts.speech_synthesizer().close()
    brain = BuyerBrain(
        persona_json=setup.persona_json,
        scenario=setup.scenario,
        difficulty=setup.difficulty,
        seed=setup.seed,
    )
    buyer = []
    for sentence in LOCAL_SENTENCES:
        started = time.perf_counter()
        brain.answer(sentence)
        buyer.append((time.perf_counter() - started) * 1000)

    print(f"BENCH voice_local_first_audio_p50 {_percentile(first_audio, 0.5):.0f} ms")
    print(f"BENCH voice_local_first_audio_p90 {_percentile(first_audio, 0.9):.0f} ms")
    print(f"BENCH voice_local_first_audio_max {max(first_audio):.0f} ms")
    defaults = inspect.signature(LocalVoiceSession).parameters
    print(f"BENCH voice_local_end_silence {defaults['end_silence_ms'].default} ms")
    print(f"BENCH voice_local_speech_pause {defaults['pause_ms'].default} ms")
    print(f"BENCH voice_local_turn_detected_p50 {statistics.median(stopped):.0f} ms")
    print(f"BENCH voice_local_whisper_p50 {statistics.median(whisper):.0f} ms")
    print(f"BENCH voice_local_buyer_p50 {statistics.median(buyer):.0f} ms")
    print(f"BENCH voice_local_piper_first_chunk_p50 {statistics.median(piper):.0f} ms")
    verdict = "met" if _percentile(first_audio, 0.5) <= LOCAL_TARGET_MS else "missed"
    print(f"# voice local: target p50 <= {LOCAL_TARGET_MS:g} ms {verdict}")


def _environment(data_dir: Path, port: int, fake: FakeProcess) -> dict[str, str]:
    """A local-mode app on SQLite whose OpenAI is the fake, with no platform key."""
    return app_environment(
        data_dir,
        port,
        QUOTAHIT_SECRET_KEY="bench-secret-key-0123456789",
        QUOTAHIT_ENCRYPTION_KEYS=Keyring.generate_entry(1),
        OPENAI_API_KEY="",
        OPENAI_BASE_URL=fake.base_url,
        OPENAI_REALTIME_URL=fake.ws_url,
    )


async def main() -> None:
    """The relay and the concurrent calls against one worker, then the local engine alone."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"# voice: load average {load} on {os.cpu_count()} cores before the run")
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        with fake_realtime(data_dir / "fake.log") as fake:
            env = _environment(data_dir, free_port(), fake)
            os.environ.update(env)  # this process issues the tickets and starts the calls
            _clear_caches()
            reps = max(CONCURRENCY_LADDER)
            identities = await asyncio.to_thread(_seed, env["DATABASE_URL"], reps)
            setup = service.call_setup(await asyncio.to_thread(_start_call, identities[0]))
            with voice_worker(env, data_dir / "uvicorn.log") as worker:
                endpoints = Endpoints(worker, fake)
                await measure_relay_overhead(endpoints, identities[0], setup)
                await measure_concurrent_calls(endpoints, identities, setup)
        local = await asyncio.to_thread(_start_call, identities[0], "local")
        await measure_local_engine(service.call_setup(local))
        get_engine().dispose()
        _clear_caches()


if __name__ == "__main__":
    if sys.argv[1:] == ["fake-realtime"]:
        serve_fake()
    else:
        asyncio.run(main())
