"""A fake of OpenAI's Realtime websocket (GA interface), served for real on 127.0.0.1.

`tests.fakes.audio_providers` fakes the REST side (`POST /realtime/client_secrets`); this is the
`GET /v1/realtime?model=...` upgrade, run by the `websockets` library's asyncio server on a thread
of its own (with its own event loop), so the real openai SDK (or a browser) connects to it as it
would to OpenAI.

    with FakeOpenAIRealtime(script=["Hi, it's Sam"], replies=["Who is this?"]) as fake:
        client = openai.AsyncOpenAI(api_key=fake.valid_key, base_url=fake.base_url)
        async with client.realtime.connect(model="gpt-realtime") as connection:
            ...
        fake.sessions[0], fake.client_events, fake.truncations

Handshake. The key is taken from `Authorization: Bearer <key>` or, as browsers send it, from the
subprotocol `openai-insecure-api-key.<key>`; the subprotocol `realtime` is selected when offered.
A key outside `valid_keys` gets HTTP 401 (OpenAI's JSON error body) instead of the upgrade; add a
minted `ek_...` secret to `valid_keys` to accept it. A beta client (`OpenAI-Beta: realtime=v1`,
or the subprotocol `openai-beta.realtime-v1`) is upgraded and closed at once with 4000
`beta_api_shape_disabled`, as OpenAI does since GA.

The session. `session.created` comes first, with OpenAI's defaults (server VAD, no input
transcription). `session.update` is checked (session type; audio formats, `audio/pcm` at 24 kHz or
`audio/pcmu`, the fake refusing OpenAI's third, `audio/pcma`; `idle_timeout_ms` within 5000 to
30000 ms), deep-merged into the session (an object with a `type`, such as a format or
`turn_detection`, is replaced whole; a null `turn_detection` turns it off) and answered with
`session.updated`.

What the fake "hears". `input_audio_buffer.append` takes base64 PCM16 24 kHz, or G.711 mu-law
8 kHz when the input format is `audio/pcmu`. With server VAD, an energy detector (`EnergyVad`:
speech is 10 ms frames whose RMS is above `speech_rms` for at least 60 ms; it ends after
`silence_duration_ms` of quieter frames) emits `input_audio_buffer.speech_started`, then
`speech_stopped`, `committed`, the user item (`conversation.item.added` / `done`), its
transcription (`conversation.item.input_audio_transcription.delta` per word, `completed`) when the
session asks for one, and, with `create_response`, the buyer's answer. The text of a rep's turn is
`transcriber(pcm16_24khz)` if given, else the next line of `script`, else "(speech)".
Without turn detection, `input_audio_buffer.commit` commits what was appended (100 ms at least).

What the fake "says". A response streams the GA sequence `response.created` →
`response.output_item.added` (+ `conversation.item.added`) → `response.content_part.added` →
`response.output_audio_transcript.delta` and `response.output_audio.delta` (one ~100 ms chunk at a
time, the words spread over the chunks) → `response.output_audio.done` →
`response.output_audio_transcript.done` → `response.content_part.done` →
`response.output_item.done` (+ `conversation.item.done`) → `response.done`. The text is the quoted
line of a `response.create` whose instructions say `say exactly: "..."`, else the next of `replies`
(cycled). The audio is `synthesizer(text)` (PCM16 24 kHz) if given, else a 220 Hz tone of 60 ms a
character, converted to the session's output format. `pace` is the wall-clock seconds spent per
second of audio: 0 (the default) sends as fast as possible, yielding between chunks; 1.0 is real
time.

Interruptions and silence. With `interrupt_response`, speech that starts during a response
cancels it: the response ends early with `response.done` status "cancelled" (reason
"turn_detected"); `response.cancel` does the same (reason "client_cancelled"; an error when nothing
is in progress). `conversation.item.truncate` is answered with `conversation.item.truncated`, or an
error when the item is unknown or `audio_end_ms` is longer than the audio sent. With
`idle_timeout_ms`, once a response is over and the buyer's audio would have finished playing, that
long without speech emits `input_audio_buffer.timeout_triggered`, commits the silence and creates a
response: the buyer fills the silence. Time is counted in appended audio, not on a clock (the
browser streams its microphone, silence included, so the two agree), which keeps the fake
deterministic: a client that sends nothing never times out.

Errors are `{"type": "error", "event_id", "error": {"type", "code", "message", "param",
"event_id"}}`: invalid JSON, a missing or unknown `type`, a bad field, a second `response.create`
while one is in progress.

Failure `mode`:

* "ok": the above.
* "unauthorized": every handshake is refused with 401, whatever the key.
* "drop": the TCP connection is aborted (no close frame) after the second audio chunk of the
  first response.
* "error": right after the first `response.created`, a `server_error` error event, then a close
  with 1011.
* "slow": the upgrade is accepted and everything read, but nothing is ever sent (not even
  `session.created`).
* "rate_limited": the session works, but every response fails as OpenAI's do when a key is over
  its limits: `response.created`, `rate_limits.updated` (nothing remaining), then `response.done`
  with status "failed" and `status_details.error` `{"type": "requests", "code":
  "rate_limit_exceeded", "message": ...}` (the shape openai-python issue #2502 shows for
  "inference_rate_limit_exceeded"; no error event, the socket stays open).

Records, per connection in `connections` (a `RealtimeConnection`): the query, the key redacted to
its last 4 characters, the subprotocols offered (keys redacted) and selected, the merged session
configuration, the type of every client event, the audio bytes appended, the truncations, the
responses (trigger, instructions, text, status, audio bytes) and the items created. The fake's own
crashes are kept in `errors`. `fake.sessions`, `fake.client_events`, `fake.audio_bytes`,
`fake.truncations`, `fake.instructions` and `fake.authorizations` gather them over connections.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import itertools
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import numpy as np
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from quotahit.providers.local.audio import mulaw_to_pcm16, pcm16_to_mulaw, resample_pcm16

logger = logging.getLogger(__name__)

RealtimeMode = Literal["ok", "unauthorized", "drop", "error", "slow", "rate_limited"]
ResponseTrigger = Literal["client", "vad", "idle"]

VALID_KEY = "sk-realtime-test-0123456789abcdef"
PCM_RATE = 24_000
FRAME_MS = 10
MIN_COMMIT_MS = 100
MIN_IDLE_TIMEOUT_MS, MAX_IDLE_TIMEOUT_MS = 5_000, 30_000
KEY_SUBPROTOCOL = "openai-insecure-api-key."
BETA_SUBPROTOCOL = "openai-beta.realtime-v1"
SAY_EXACTLY = re.compile(r'say exactly:\s*"(.*)"', re.IGNORECASE | re.DOTALL)

DEFAULT_REPLIES = (
    "Sure, go on.",
    "We already have a vendor for that, to be honest.",
    "What would it cost us?",
)


_serial = itertools.count(1)


def _id(prefix: str) -> str:
    """A fresh id; a counter rather than random, so runs repeat exactly."""
    return f"{prefix}{next(_serial):08d}"


def _redact(value: str) -> str:
    return f"...{value[-4:]}" if value else ""


def tone(
    seconds: float, *, hz: float = 220.0, amplitude: int = 3_000, rate: int = PCM_RATE
) -> bytes:
    """A sine tone as PCM16 LE mono: the fake buyer's "voice"."""
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * math.pi * hz * t)).astype("<i2").tobytes()


def _api_error(status: HTTPStatus, message: str, code: str | None) -> Response:
    body = json.dumps(
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": code,
            }
        }
    ).encode()
    headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return Response(status.value, status.phrase, headers, body)


@dataclass(frozen=True)
class VadEvent:
    """Speech started (at `ms`, prefix padding included) or stopped (at `ms`, silence included)."""

    kind: Literal["speech_started", "speech_stopped"]
    ms: int


class EnergyVad:
    """A deterministic energy detector over 10 ms frames of PCM16.

    A frame is loud when its RMS is above `threshold_rms`. Speech starts after `min_speech_ms` of
    consecutive loud frames (reported `prefix_padding_ms` before the first of them) and stops after
    `silence_ms` of consecutive quiet ones (reported at the end of that silence).
    """

    def __init__(
        self,
        *,
        sample_rate: int,
        threshold_rms: float = 1_000.0,
        min_speech_ms: int = 60,
        silence_ms: int = 500,
        prefix_padding_ms: int = 300,
        start_ms: int = 0,
    ) -> None:
        self.sample_rate = sample_rate
        self.threshold_rms = threshold_rms
        self.min_speech_ms = min_speech_ms
        self.silence_ms = silence_ms
        self.prefix_padding_ms = prefix_padding_ms
        self.position_ms = start_ms  # the end of the last whole frame fed
        self.speaking = False
        self._frame = sample_rate * FRAME_MS // 1000
        self._carry = np.empty(0, dtype="<i2")
        self._loud_ms = 0
        self._loud_start_ms = 0
        self._quiet_ms = 0

    def feed(self, pcm: bytes) -> list[VadEvent]:
        """Detect in more audio; a partial frame waits for the next call."""
        samples = np.concatenate([self._carry, np.frombuffer(pcm, dtype="<i2")])
        whole = len(samples) // self._frame * self._frame
        self._carry = samples[whole:]
        frames = samples[:whole].reshape(-1, self._frame).astype(np.float64)
        loud_frames = np.sqrt((frames**2).mean(axis=1)) > self.threshold_rms
        events: list[VadEvent] = []
        for loud in loud_frames.tolist():
            frame_start = self.position_ms
            self.position_ms += FRAME_MS
            if not self.speaking:
                if not loud:
                    self._loud_ms = 0
                    continue
                if self._loud_ms == 0:
                    self._loud_start_ms = frame_start
                self._loud_ms += FRAME_MS
                if self._loud_ms >= self.min_speech_ms:
                    self.speaking, self._quiet_ms = True, 0
                    start = max(0, self._loud_start_ms - self.prefix_padding_ms)
                    events.append(VadEvent("speech_started", start))
            elif loud:
                self._quiet_ms = 0
            else:
                self._quiet_ms += FRAME_MS
                if self._quiet_ms >= self.silence_ms:
                    self.speaking, self._loud_ms = False, 0
                    events.append(VadEvent("speech_stopped", self.position_ms))
        return events

    def reset(self) -> None:
        """Forget speech in progress (the buffer was cleared or committed)."""
        self.speaking, self._loud_ms, self._quiet_ms = False, 0, 0


@dataclass(frozen=True)
class RecordedTruncation:
    """A `conversation.item.truncate` as received, and whether the fake accepted it."""

    item_id: str
    content_index: int
    audio_end_ms: int
    accepted: bool


@dataclass
class RecordedResponse:
    """One response: why it was made, what it said, how it ended."""

    id: str
    trigger: ResponseTrigger
    instructions: str | None
    text: str
    item_id: str | None = None
    status: str = "in_progress"  # "completed" | "cancelled" | "failed"
    audio_bytes: int = 0  # sent, in the output format


@dataclass
class RealtimeConnection:
    """One handshake and, if upgraded, everything on that socket."""

    path: str
    query: dict[str, str]
    authorization: str  # the key, redacted
    subprotocols: list[str]  # offered; keys redacted
    beta: bool
    accepted: bool = False
    selected_subprotocol: str | None = None
    session: dict[str, Any] = field(default_factory=dict)
    client_events: list[str] = field(default_factory=list)
    server_events: list[str] = field(default_factory=list)
    audio_bytes: int = 0
    truncations: list[RecordedTruncation] = field(default_factory=list)
    responses: list[RecordedResponse] = field(default_factory=list)
    items_created: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False

    @property
    def instructions(self) -> list[str | None]:
        """The `instructions` of each client `response.create`, in order."""
        return [r.instructions for r in self.responses if r.trigger == "client"]


@dataclass
class FakeOpenAIRealtime:
    """OpenAI's Realtime websocket on an ephemeral port of 127.0.0.1."""

    replies: list[str] = field(default_factory=lambda: list(DEFAULT_REPLIES))
    script: list[str] = field(default_factory=list)
    transcriber: Callable[[bytes], str] | None = None
    synthesizer: Callable[[str], bytes] | None = None
    valid_keys: set[str] = field(default_factory=lambda: {VALID_KEY})
    mode: RealtimeMode = "ok"
    pace: float = 0.0  # wall seconds per second of buyer audio; 0: as fast as possible
    speech_rms: float = 1_000.0
    ms_per_character: float = 60.0
    delta_ms: int = 100
    connections: list[RealtimeConnection] = field(default_factory=list, repr=False)
    errors: list[BaseException] = field(default_factory=list)
    port: int = 0
    _records: dict[int, RealtimeConnection] = field(default_factory=dict, repr=False)
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _server: Server | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def valid_key(self) -> str:
        return next(iter(self.valid_keys))

    @property
    def base_url(self) -> str:
        """The REST base URL to hand the SDK (`base_url`); it derives the websocket URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def ws_url(self) -> str:
        """The websocket base URL (the SDK's `websocket_base_url`)."""
        return f"ws://127.0.0.1:{self.port}/v1"

    @property
    def upgraded(self) -> list[RealtimeConnection]:
        return [record for record in self.connections if record.accepted]

    @property
    def sessions(self) -> list[dict[str, Any]]:
        """The session configuration of each upgraded connection, updates merged in."""
        return [record.session for record in self.upgraded]

    @property
    def client_events(self) -> list[str]:
        return [kind for record in self.connections for kind in record.client_events]

    @property
    def audio_bytes(self) -> int:
        return sum(record.audio_bytes for record in self.connections)

    @property
    def truncations(self) -> list[RecordedTruncation]:
        return [truncation for record in self.connections for truncation in record.truncations]

    @property
    def responses(self) -> list[RecordedResponse]:
        return [response for record in self.connections for response in record.responses]

    @property
    def instructions(self) -> list[str | None]:
        return [text for record in self.connections for text in record.instructions]

    @property
    def authorizations(self) -> list[str]:
        return [record.authorization for record in self.connections]

    def wait_until(self, condition: Callable[[], object], within: float = 2.0) -> None:
        """Block until `condition()` holds (checked after each event in or out), e.g. until a
        truncation the client sent has landed.

        Raises:
            AssertionError: it did not hold within `within` seconds.
        """
        with self._changed:
            if not self._changed.wait_for(condition, within):
                raise AssertionError(f"the fake Realtime server did not get there in {within} s")

    async def wait_for(self, condition: Callable[[], object], within: float = 2.0) -> None:
        """`wait_until` for async tests (the test's own event loop keeps running)."""
        await asyncio.to_thread(self.wait_until, condition, within)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def __enter__(self) -> FakeOpenAIRealtime:
        started = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)

            async def start() -> Server:
                return await serve(
                    self._handle,
                    "127.0.0.1",
                    0,
                    process_request=self._check_handshake,
                    select_subprotocol=self._select_subprotocol,
                    max_size=None,
                    compression=None,
                )

            self._server = self._loop.run_until_complete(start())
            self.port = self._server.sockets[0].getsockname()[1]
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-openai-realtime", daemon=True)
        self._thread.start()
        if not started.wait(5):
            raise RuntimeError("the fake OpenAI Realtime server did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        async def shut() -> None:
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(shut(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        loop.close()
        self._loop = self._server = self._thread = None

    def _check_handshake(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        offered = [
            name.strip()
            for header in request.headers.get_all("Sec-WebSocket-Protocol")
            for name in header.split(",")
            if name.strip()
        ]
        authorization = request.headers.get("Authorization", "")
        scheme, _, key = authorization.partition(" ")
        if scheme != "Bearer":
            key = next(
                (
                    name[len(KEY_SUBPROTOCOL) :]
                    for name in offered
                    if name.startswith(KEY_SUBPROTOCOL)
                ),
                "",
            )
        record = RealtimeConnection(
            path=parts.path,
            query=dict(parse_qsl(parts.query)),
            authorization=_redact(key),
            subprotocols=[
                KEY_SUBPROTOCOL + _redact(name[len(KEY_SUBPROTOCOL) :])
                if name.startswith(KEY_SUBPROTOCOL)
                else name
                for name in offered
            ],
            beta=request.headers.get("OpenAI-Beta", "").lower().startswith("realtime")
            or BETA_SUBPROTOCOL in offered,
        )
        self.connections.append(record)
        self._notify()
        if parts.path != "/v1/realtime":
            return _api_error(HTTPStatus.NOT_FOUND, f"Invalid URL (GET {parts.path})", None)
        if self.mode == "unauthorized" or key not in self.valid_keys:
            return _api_error(
                HTTPStatus.UNAUTHORIZED,
                f"Incorrect API key provided: {_redact(key) or 'none'}.",
                "invalid_api_key",
            )
        if "model" not in record.query:
            return _api_error(
                HTTPStatus.BAD_REQUEST,
                "Missing required parameter: 'model'.",
                "missing_required_parameter",
            )
        record.accepted = True
        self._records[id(connection)] = record
        return None

    @staticmethod
    def _select_subprotocol(connection: ServerConnection, subprotocols: Any) -> Subprotocol | None:
        # Browsers fail the handshake unless the server picks one of the subprotocols offered.
        return Subprotocol("realtime") if "realtime" in subprotocols else None

    async def _handle(self, connection: ServerConnection) -> None:
        record = self._records.pop(id(connection))
        record.selected_subprotocol = connection.subprotocol
        call = _RealtimeCall(self, connection, record)
        try:
            await call.run()
        except ConnectionClosed:
            pass
        except Exception as error:
            self.errors.append(error)
            logger.exception("the fake OpenAI Realtime server failed")
            raise
        finally:
            record.closed = True
            await call.stop_response()
            self._notify()


def _default_session(model: str) -> dict[str, Any]:
    """What OpenAI's `session.created` holds before any update."""
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": _id("sess_"),
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "You are a helpful, witty, and friendly AI.",
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "prompt": None,
        "include": None,
        "expires_at": int(time.time()) + 3600,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": PCM_RATE},
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 200,
                    "idle_timeout_ms": None,
                    "create_response": True,
                    "interrupt_response": True,
                },
            },
            "output": {
                "format": {"type": "audio/pcm", "rate": PCM_RATE},
                "voice": "alloy",
                "speed": 1.0,
            },
        },
    }


def _merge(into: dict[str, Any], update: dict[str, Any]) -> None:
    """Merge an update into the session; an object with a `type` (an audio format, the turn
    detection) is one choice of a union, so it replaces the old one whole."""
    for name, value in update.items():
        if isinstance(value, dict) and "type" not in value and isinstance(into.get(name), dict):
            _merge(into[name], value)
        else:
            into[name] = value


def _format_problem(audio_format: Any) -> str | None:
    if not isinstance(audio_format, dict):
        return "must be an object"
    kind = audio_format.get("type")
    if kind == "audio/pcm":
        return None if audio_format.get("rate", PCM_RATE) == PCM_RATE else "rate must be 24000"
    if kind == "audio/pcmu":
        return None
    # OpenAI also takes "audio/pcma" (G.711 A-law); the fake refuses it rather than mishear it.
    return f"unsupported type {kind!r}"


@dataclass
class _Item:
    id: str
    role: str
    audio_bytes: int = 0
    transcript: str = ""


@dataclass
class _ActiveResponse:
    record: RecordedResponse
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = ""


class _RealtimeCall:
    """The protocol on one accepted socket."""

    def __init__(
        self, fake: FakeOpenAIRealtime, connection: ServerConnection, record: RealtimeConnection
    ) -> None:
        self.fake = fake
        self.ws = connection
        self.record = record
        record.session = _default_session(record.query["model"])
        self.session = record.session
        self.vad: EnergyVad | None = None
        self.input_ms = 0.0  # audio appended so far, in ms: the fake's clock
        self.pending = bytearray()  # PCM16 at the input rate since the last commit
        self.pending_start_ms = 0.0
        self.speech_item: str | None = None
        self.speech_start_ms = 0
        self.last_item_id: str | None = None
        self.items: dict[str, _Item] = {}
        self.active: _ActiveResponse | None = None
        self.response_task: asyncio.Task[None] | None = None
        self.idle_anchor_ms: float | None = None  # when the buyer's last answer stopped playing
        self.heard = 0  # script lines used
        self.said = 0  # replies used
        self.first_response = True
        self._configure_input()

    async def send(self, kind: str, **fields: Any) -> None:
        self.record.server_events.append(kind)
        await self.ws.send(json.dumps({"type": kind, "event_id": _id("event_"), **fields}))
        self.fake._notify()

    async def error(
        self,
        message: str,
        *,
        code: str | None,
        param: str | None = None,
        event_id: str | None = None,
        kind: str = "invalid_request_error",
    ) -> None:
        await self.send(
            "error",
            error={
                "type": kind,
                "code": code,
                "message": message,
                "param": param,
                "event_id": event_id,
            },
        )

    @property
    def input_format(self) -> dict[str, Any]:
        return self.session["audio"]["input"]["format"]

    @property
    def output_format(self) -> dict[str, Any]:
        return self.session["audio"]["output"]["format"]

    @property
    def input_rate(self) -> int:
        return 8_000 if self.input_format.get("type") == "audio/pcmu" else PCM_RATE

    @property
    def turn_detection(self) -> dict[str, Any] | None:
        detection = self.session["audio"]["input"].get("turn_detection")
        return detection if isinstance(detection, dict) else None

    def _configure_input(self) -> None:
        detection = self.turn_detection
        if detection is None:
            self.vad = None
            return
        rate = self.input_rate
        if self.vad is None or self.vad.sample_rate != rate:
            self.vad = EnergyVad(
                sample_rate=rate,
                threshold_rms=self.fake.speech_rms,
                start_ms=round(self.input_ms),
            )
        self.vad.silence_ms = int(detection.get("silence_duration_ms") or 500)
        self.vad.prefix_padding_ms = int(detection.get("prefix_padding_ms") or 300)

    async def run(self) -> None:
        if self.record.beta:
            await self.ws.close(4000, "beta_api_shape_disabled")
            return
        if self.fake.mode == "slow":
            async for message in self.ws:
                self._note(message)
                self.fake._notify()
            return
        await self.send("session.created", session=self.session)
        async for message in self.ws:
            await self.on_message(message)
            self.fake._notify()

    def _note(self, message: str | bytes) -> dict[str, Any] | None:
        try:
            event = json.loads(message)
        except ValueError:
            return None
        if isinstance(event, dict) and isinstance(event.get("type"), str):
            self.record.client_events.append(event["type"])
            return event
        return None

    async def on_message(self, message: str | bytes) -> None:
        if isinstance(message, bytes):
            await self.error(
                "Binary frames are not supported: send JSON text.", code="invalid_event"
            )
            return
        try:
            json.loads(message)
        except ValueError:
            await self.error(
                "We could not parse the JSON body of your request.", code="invalid_json"
            )
            return
        event = self._note(message)
        if event is None:
            await self.error("The 'type' field is missing.", code="invalid_event", param="type")
            return
        handler = self.handlers.get(event["type"])
        if handler is None:
            await self.error(
                f"Invalid value: '{event['type'][:64]}'. Supported values are: "
                + ", ".join(f"'{name}'" for name in self.handlers),
                code="invalid_value",
                param="type",
                event_id=event.get("event_id"),
            )
            return
        await handler(self, event)

    async def on_session_update(self, event: dict[str, Any]) -> None:
        update = event.get("session")
        event_id = event.get("event_id")
        problem = self._session_problem(update)
        if problem is not None:
            param, message = problem
            await self.error(message, code="invalid_value", param=param, event_id=event_id)
            return
        assert isinstance(update, dict)
        _merge(self.session, update)
        new_detection = "turn_detection" in ((update.get("audio") or {}).get("input") or {})
        if new_detection and self.idle_anchor_ms is not None:
            self.idle_anchor_ms = self.input_ms  # the idle timer starts again with new settings
        self._configure_input()
        await self.send("session.updated", session=self.session)

    @staticmethod
    def _session_problem(update: Any) -> tuple[str, str] | None:
        if not isinstance(update, dict):
            return "session", "Missing required parameter: 'session'."
        if update.get("type") != "realtime":
            return "session.type", "Invalid value for 'session.type': expected 'realtime'."
        audio = update.get("audio") or {}
        if not isinstance(audio, dict) or not all(
            isinstance(audio.get(side) or {}, dict) for side in ("input", "output")
        ):
            return "session.audio", "Invalid 'session.audio': expected an object."
        for side in ("input", "output"):
            if "format" in (audio.get(side) or {}):
                problem = _format_problem(audio[side]["format"])
                if problem is not None:
                    return f"session.audio.{side}.format", f"Invalid audio format: {problem}."
        detection = (audio.get("input") or {}).get("turn_detection")
        if isinstance(detection, dict):
            idle = detection.get("idle_timeout_ms")
            if idle is not None and not MIN_IDLE_TIMEOUT_MS <= idle <= MAX_IDLE_TIMEOUT_MS:
                return (
                    "session.audio.input.turn_detection.idle_timeout_ms",
                    f"Invalid 'idle_timeout_ms': {idle}. Expected a value between "
                    f"{MIN_IDLE_TIMEOUT_MS} and {MAX_IDLE_TIMEOUT_MS}.",
                )
        return None

    async def on_append(self, event: dict[str, Any]) -> None:
        try:
            audio = base64.b64decode(event.get("audio") or "", validate=True)
        except (binascii.Error, ValueError):
            await self.error(
                "Invalid 'audio': not base64.",
                code="invalid_value",
                param="audio",
                event_id=event.get("event_id"),
            )
            return
        self.record.audio_bytes += len(audio)
        pcm = mulaw_to_pcm16(audio) if self.input_rate == 8_000 else audio
        self.pending += pcm
        self.input_ms += len(pcm) / 2 / self.input_rate * 1000
        if self.vad is None:
            return
        for vad_event in self.vad.feed(pcm):
            if vad_event.kind == "speech_started":
                await self._speech_started(vad_event.ms)
            else:
                await self._speech_stopped(vad_event.ms)
        if not self.vad.speaking:
            self._trim_pending()
            await self._maybe_fill_silence()

    def _bytes_at(self, ms: float) -> int:
        offset = round((ms - self.pending_start_ms) * self.input_rate / 1000) * 2
        return min(len(self.pending), max(0, offset))

    def _drop_pending(self, n_bytes: int) -> None:
        del self.pending[:n_bytes]
        self.pending_start_ms += n_bytes / 2 / self.input_rate * 1000

    def _trim_pending(self) -> None:
        """Between turns, keep only the audio a speech start could still reach back to."""
        keep_ms = (self.vad.prefix_padding_ms if self.vad else 0) + 1_000
        self._drop_pending(self._bytes_at(self.input_ms - keep_ms))

    async def _speech_started(self, ms: int) -> None:
        self.speech_item, self.speech_start_ms = _id("item_"), ms
        self.idle_anchor_ms = None
        await self.send(
            "input_audio_buffer.speech_started", audio_start_ms=ms, item_id=self.speech_item
        )
        detection = self.turn_detection or {}
        if self.active is not None and detection.get("interrupt_response", True):
            await self.stop_response("turn_detected")

    async def _speech_stopped(self, ms: int) -> None:
        item_id = self.speech_item or _id("item_")
        self.speech_item = None
        await self.send("input_audio_buffer.speech_stopped", audio_end_ms=ms, item_id=item_id)
        start, end = self._bytes_at(self.speech_start_ms), self._bytes_at(ms)
        speech = bytes(self.pending[start:end])
        self._drop_pending(end)
        await self._commit(item_id, speech)
        detection = self.turn_detection or {}
        if detection.get("create_response", True) and self.active is None:
            self.start_response("vad", None)

    async def _commit(self, item_id: str, speech: bytes | None) -> None:
        """The user item, and its transcription when the session asks for one."""
        previous, self.last_item_id = self.last_item_id, item_id
        await self.send("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id)
        item = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "role": "user",
            "status": "completed",
            "content": [{"type": "input_audio", "transcript": None}],
        }
        self.items[item_id] = _Item(item_id, "user")
        await self.send("conversation.item.added", previous_item_id=previous, item=item)
        await self.send("conversation.item.done", previous_item_id=previous, item=item)
        if speech is None or not self.session["audio"]["input"].get("transcription"):
            return
        text = self._hear(speech)
        for word in re.findall(r"\S+\s*", text):
            await self.send(
                "conversation.item.input_audio_transcription.delta",
                item_id=item_id,
                content_index=0,
                delta=word,
            )
        await self.send(
            "conversation.item.input_audio_transcription.completed",
            item_id=item_id,
            content_index=0,
            transcript=text,
            usage={"type": "duration", "seconds": round(len(speech) / 2 / self.input_rate, 3)},
        )

    def _hear(self, speech: bytes) -> str:
        if self.fake.transcriber is not None:
            pcm = (
                speech
                if self.input_rate == PCM_RATE
                else resample_pcm16(speech, self.input_rate, PCM_RATE)
            )
            return self.fake.transcriber(pcm)
        if self.heard < len(self.fake.script):
            self.heard += 1
            return self.fake.script[self.heard - 1]
        return "(speech)"

    async def _maybe_fill_silence(self) -> None:
        detection = self.turn_detection or {}
        idle = detection.get("idle_timeout_ms")
        anchor = self.idle_anchor_ms
        if idle is None or anchor is None or self.active is not None:
            return
        if self.input_ms < anchor + idle:
            return
        self.idle_anchor_ms = None
        item_id = _id("item_")
        await self.send(
            "input_audio_buffer.timeout_triggered",
            audio_start_ms=round(anchor),
            audio_end_ms=round(self.input_ms),
            item_id=item_id,
        )
        self.pending.clear()
        self.pending_start_ms = self.input_ms
        await self._commit(item_id, None)
        self.start_response("idle", None)

    async def on_commit(self, event: dict[str, Any]) -> None:
        buffered_ms = len(self.pending) / 2 / self.input_rate * 1000
        if buffered_ms < MIN_COMMIT_MS:
            await self.error(
                "Error committing input audio buffer: buffer too small. Expected at least "
                f"{MIN_COMMIT_MS}ms of audio, but buffer only has {buffered_ms:.2f}ms of audio.",
                code="input_audio_buffer_commit_empty",
                event_id=event.get("event_id"),
            )
            return
        speech = bytes(self.pending)
        self.pending.clear()
        self.pending_start_ms = self.input_ms
        if self.vad is not None:
            self.vad.reset()
        item_id, self.speech_item = self.speech_item or _id("item_"), None
        await self._commit(item_id, speech)

    async def on_clear(self, event: dict[str, Any]) -> None:
        self.pending.clear()
        self.pending_start_ms = self.input_ms
        self.speech_item = None
        if self.vad is not None:
            self.vad.reset()
        await self.send("input_audio_buffer.cleared")

    async def on_item_create(self, event: dict[str, Any]) -> None:
        item = event.get("item")
        if not isinstance(item, dict) or item.get("type") not in (
            "message",
            "function_call",
            "function_call_output",
        ):
            await self.error(
                "Invalid 'item'.",
                code="invalid_value",
                param="item",
                event_id=event.get("event_id"),
            )
            return
        self.record.items_created.append(item)
        item = {"object": "realtime.item", "status": "completed", **item}
        item.setdefault("id", _id("item_"))
        self.items[item["id"]] = _Item(item["id"], str(item.get("role", "")))
        previous, self.last_item_id = self.last_item_id, item["id"]
        await self.send("conversation.item.added", previous_item_id=previous, item=item)
        await self.send("conversation.item.done", previous_item_id=previous, item=item)

    async def on_truncate(self, event: dict[str, Any]) -> None:
        item_id, content_index = event.get("item_id"), event.get("content_index", 0)
        audio_end_ms = event.get("audio_end_ms")
        item = self.items.get(item_id) if isinstance(item_id, str) else None
        problem: tuple[str, str, str] | None = None
        if item is None:
            problem = ("item_id", "item_not_found", f"Item with item_id '{item_id}' not found.")
        elif item.role != "assistant":
            problem = ("item_id", "invalid_value", "Only assistant messages can be truncated.")
        elif (
            isinstance(audio_end_ms, bool) or not isinstance(audio_end_ms, int) or audio_end_ms < 0
        ):
            problem = ("audio_end_ms", "invalid_value", "Invalid 'audio_end_ms'.")
        elif audio_end_ms > self._audio_ms(item.audio_bytes):
            problem = (
                "audio_end_ms",
                "invalid_value",
                f"Audio content of {self._audio_ms(item.audio_bytes):.0f}ms is already shorter "
                f"than {audio_end_ms}ms",
            )
        self.record.truncations.append(
            RecordedTruncation(
                str(item_id),
                content_index if isinstance(content_index, int) else -1,
                audio_end_ms if isinstance(audio_end_ms, int) else -1,
                accepted=problem is None,
            )
        )
        if problem is not None:
            param, code, message = problem
            await self.error(message, code=code, param=param, event_id=event.get("event_id"))
            return
        assert item is not None
        item.transcript = ""  # OpenAI drops the unheard transcript
        await self.send(
            "conversation.item.truncated",
            item_id=item_id,
            content_index=content_index,
            audio_end_ms=audio_end_ms,
        )

    async def on_response_create(self, event: dict[str, Any]) -> None:
        options = event.get("response") or {}
        instructions = options.get("instructions") if isinstance(options, dict) else None
        if self.active is not None:
            self.record.responses.append(
                RecordedResponse(_id("resp_"), "client", instructions, "", status="refused")
            )
            await self.error(
                "Conversation already has an active response in progress: "
                f"{self.active.record.id}. Wait until the response is finished before creating "
                "a new one.",
                code="conversation_already_has_active_response",
                event_id=event.get("event_id"),
            )
            return
        self.start_response("client", instructions)

    async def on_response_cancel(self, event: dict[str, Any]) -> None:
        if self.active is None:
            await self.error(
                "Cancellation failed: no active response found",
                code="response_cancel_not_active",
                event_id=event.get("event_id"),
            )
            return
        await self.stop_response("client_cancelled")

    def start_response(self, trigger: ResponseTrigger, instructions: str | None) -> None:
        quoted = SAY_EXACTLY.search(instructions or "")
        if quoted is not None:
            text = quoted.group(1).strip()
        elif self.fake.mode == "rate_limited":
            text = ""  # a failed response says nothing and leaves the replies for later
        else:
            replies = self.fake.replies or ["(reply)"]
            text = replies[self.said % len(replies)]
            self.said += 1
        record = RecordedResponse(_id("resp_"), trigger, instructions, text)
        self.record.responses.append(record)
        self.active = _ActiveResponse(record)
        self.response_task = asyncio.get_running_loop().create_task(self._respond(self.active))

    async def stop_response(self, reason: str = "client_cancelled") -> None:
        """Cancel the response in progress and wait until its last event is sent."""
        active, task = self.active, self.response_task
        if active is not None:
            active.reason = reason
            active.cancelled.set()
        if task is not None and task is not asyncio.current_task():
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await task

    def _audio_ms(self, n_bytes: int) -> float:
        return n_bytes / self._bytes_per_ms()

    def _voice(self, text: str) -> bytes:
        """The buyer's audio for `text` in the session's output format."""
        if self.fake.synthesizer is not None:
            pcm = self.fake.synthesizer(text)
        else:
            pcm = tone(max(0.1, len(text) * self.fake.ms_per_character / 1000))
        if self.output_format.get("type") == "audio/pcmu":
            return pcm16_to_mulaw(resample_pcm16(pcm, PCM_RATE, 8_000))
        return pcm

    async def _respond(self, active: _ActiveResponse) -> None:
        try:
            await self._stream(active)
        finally:
            if self.active is active:
                self.active = None
                self.response_task = None

    async def _stream(self, active: _ActiveResponse) -> None:
        record = active.record
        first, self.first_response = self.first_response, False
        output = self.session["audio"]["output"]
        response = {
            "object": "realtime.response",
            "id": record.id,
            "status": "in_progress",
            "status_details": None,
            "output": [],
            "conversation_id": "conv_fake",
            "output_modalities": ["audio"],
            "audio": {"output": {"format": output["format"], "voice": output.get("voice")}},
            "usage": None,
            "metadata": None,
        }
        await self.send("response.created", response=response)
        if self.fake.mode == "error" and first:
            await self.error(
                "The server had an error while processing your request. Sorry about that!",
                code=None,
                kind="server_error",
            )
            await self.ws.close(1011, "internal_error")
            return
        if self.fake.mode == "rate_limited":
            await self._rate_limited(record, response)
            return

        item_id = _id("item_")
        record.item_id = item_id
        item = _Item(item_id, "assistant")
        self.items[item_id] = item
        previous, self.last_item_id = self.last_item_id, item_id
        message: dict[str, Any] = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        where = {"response_id": record.id, "item_id": item_id, "output_index": 0}
        await self.send(
            "response.output_item.added", response_id=record.id, output_index=0, item=message
        )
        await self.send("conversation.item.added", previous_item_id=previous, item=message)
        await self.send(
            "response.content_part.added",
            **where,
            content_index=0,
            part={"type": "audio", "transcript": ""},
        )

        audio = self._voice(record.text)
        step = round(self._bytes_per_ms() * self.fake.delta_ms)
        chunks = [audio[i : i + step] for i in range(0, len(audio), step)] or [b""]
        words = re.findall(r"\S+\s*", record.text)
        spoken = 0  # words sent
        for index, chunk in enumerate(chunks):
            if active.cancelled.is_set():
                break
            due = math.ceil((index + 1) / len(chunks) * len(words))
            for word in words[spoken:due]:
                await self.send(
                    "response.output_audio_transcript.delta", **where, content_index=0, delta=word
                )
            spoken = max(spoken, due)
            await self.send(
                "response.output_audio.delta",
                **where,
                content_index=0,
                delta=base64.b64encode(chunk).decode(),
            )
            item.audio_bytes += len(chunk)
            record.audio_bytes += len(chunk)
            if self.fake.mode == "drop" and first and index == 1:
                self.ws.transport.abort()
                return
            delay = self.fake.pace * len(chunk) / self._bytes_per_ms() / 1000
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(active.cancelled.wait(), delay)
            else:
                await asyncio.sleep(0)

        transcript = "".join(words[:spoken]).strip()
        item.transcript = transcript
        cancelled = active.cancelled.is_set()
        status = record.status = "cancelled" if cancelled else "completed"
        content = [{"type": "output_audio", "transcript": transcript}]
        done_item = {
            **message,
            "status": "incomplete" if cancelled else "completed",
            "content": content,
        }
        await self.send("response.output_audio.done", **where, content_index=0)
        await self.send(
            "response.output_audio_transcript.done", **where, content_index=0, transcript=transcript
        )
        await self.send(
            "response.content_part.done",
            **where,
            content_index=0,
            part={"type": "audio", "transcript": transcript},
        )
        await self.send(
            "response.output_item.done", response_id=record.id, output_index=0, item=done_item
        )
        await self.send("conversation.item.done", previous_item_id=previous, item=done_item)
        await self.send(
            "response.done",
            response={
                **response,
                "status": status,
                "status_details": {"type": "cancelled", "reason": active.reason}
                if cancelled
                else None,
                "output": [done_item],
                "usage": {"total_tokens": 0, "input_tokens": 0, "output_tokens": 0},
            },
        )
        # The buyer's audio plays on after response.done; the idle timer starts when it ends.
        self.idle_anchor_ms = self.input_ms + self._audio_ms(item.audio_bytes)

    async def _rate_limited(self, record: RecordedResponse, response: dict[str, Any]) -> None:
        await self.send(
            "rate_limits.updated",
            rate_limits=[
                {"name": "requests", "limit": 100, "remaining": 0, "reset_seconds": 20.0},
                {"name": "tokens", "limit": 40_000, "remaining": 0, "reset_seconds": 20.0},
            ],
        )
        record.status = "failed"
        await self.send(
            "response.done",
            response={
                **response,
                "status": "failed",
                "status_details": {
                    "type": "failed",
                    "error": {
                        "type": "requests",
                        "code": "rate_limit_exceeded",
                        "message": "Rate limit reached for requests. Please try again in 20s.",
                    },
                },
            },
        )

    def _bytes_per_ms(self) -> float:
        return 8.0 if self.output_format.get("type") == "audio/pcmu" else 48.0

    handlers: dict[str, Callable[[_RealtimeCall, dict[str, Any]], Any]] = {
        "session.update": on_session_update,
        "input_audio_buffer.append": on_append,
        "input_audio_buffer.commit": on_commit,
        "input_audio_buffer.clear": on_clear,
        "conversation.item.create": on_item_create,
        "conversation.item.truncate": on_truncate,
        "response.create": on_response_create,
        "response.cancel": on_response_cancel,
    }
