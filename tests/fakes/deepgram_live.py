"""A fake of Deepgram's live transcription websocket, served for real on 127.0.0.1.

`tests.fakes.audio_providers` fakes the pre-recorded `POST /v1/listen`; this is the streaming
`GET /v1/listen` upgrade, run by the `websockets` library's asyncio server on a thread of its own
(with its own event loop), so the real deepgram SDK connects to it as it would to Deepgram.

    with FakeDeepgramLive(script=["hello there", "how are you"]) as deepgram:
        async with live_transcriber(secret=deepgram.valid_key, base_url=deepgram.url) as live:
            ...
        deepgram.queries[0]["model"], deepgram.audio_bytes

The server "hears" `script`, whatever audio is sent: every `bytes_per_word` bytes of audio is the
next word. Each word sends an interim `Results` (`is_final` false: the utterance so far) when the
query asks for `interim_results=true`; the last word of an utterance sends its final `Results`
(`is_final` and `speech_final` true). `CloseStream` sends the utterance in progress as a final
(`speech_final` false), then a `Metadata` message, and closes the socket normally (1000).

The key is checked as Deepgram does (`Authorization: Token <key>` or `Bearer <key>`); a key
outside `valid_keys` gets an HTTP 401 instead of the upgrade. Failure `mode`:

* "ok": the above.
* "unauthorized": every handshake is refused with 401, whatever the key.
* "drop": the TCP connection is aborted (no close frame) right after the first `Results`.
* "error": after the first `Results`, an `Error` message and a close with code 1011.
* "slow": the upgrade is accepted and audio read, but nothing is ever answered.

Each connection's query is kept in `queries` (one dict per handshake), the `Authorization`
headers in `authorizations` redacted to their last 4 characters, the audio byte count in
`audio_bytes` and the JSON text messages (`KeepAlive`, `CloseStream` ...) in `control_messages`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

LiveMode = Literal["ok", "unauthorized", "drop", "error", "slow"]

VALID_KEY = "dg-live-test-key-0123456789abcdef"


def _redact(value: str) -> str:
    return f"...{value[-4:]}" if value else ""


@dataclass
class FakeDeepgramLive:
    """Deepgram's live `/v1/listen` websocket on an ephemeral port of 127.0.0.1."""

    script: list[str] = field(default_factory=lambda: ["hello there", "how are you today"])
    bytes_per_word: int = 3200  # 100 ms of 16 kHz linear16
    valid_keys: set[str] = field(default_factory=lambda: {VALID_KEY})
    mode: LiveMode = "ok"
    queries: list[dict[str, str]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    control_messages: list[dict[str, Any]] = field(default_factory=list)
    audio_bytes: int = 0
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _server: Server | None = None
    _thread: threading.Thread | None = None

    @property
    def valid_key(self) -> str:
        return next(iter(self.valid_keys))

    @property
    def url(self) -> str:
        """The base URL to hand the adapter (http, as configured for the REST API)."""
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeDeepgramLive:
        started = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)

            async def start() -> Server:
                return await serve(
                    self._handle, "127.0.0.1", 0, process_request=self._check_handshake
                )

            self._server = self._loop.run_until_complete(start())
            self.port = self._server.sockets[0].getsockname()[1]
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-deepgram-live", daemon=True)
        self._thread.start()
        if not started.wait(5):
            raise RuntimeError("the fake Deepgram live server did not start")
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

    # -- the protocol ------------------------------------------------------------------------

    def _check_handshake(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if parts.path != "/v1/listen":
            return connection.respond(HTTPStatus.NOT_FOUND, "no such path\n")
        self.queries.append(dict(parse_qsl(parts.query)))
        authorization = request.headers.get("Authorization", "")
        self.authorizations.append(_redact(authorization))
        scheme, _, key = authorization.partition(" ")
        if (
            self.mode == "unauthorized"
            or scheme not in ("Token", "Bearer")
            or key not in self.valid_keys
        ):
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid credentials\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        query = self.queries[-1] if self.queries else {}
        sample_rate = int(query.get("sample_rate", "16000"))
        bytes_per_second = sample_rate * (1 if query.get("encoding") == "mulaw" else 2)
        word_seconds = self.bytes_per_word / bytes_per_second
        interim = query.get("interim_results") == "true"
        words = [(u, w) for u, line in enumerate(self.script) for w in line.split()]
        heard = 0  # words sent so far
        pending = 0  # audio bytes not yet turned into a word
        current: list[str] = []  # the words of the utterance in progress
        utterance_start = 0.0
        sent_results = 0

        async def send_results(is_final: bool, speech_final: bool) -> None:
            nonlocal sent_results
            end = heard * word_seconds
            await connection.send(
                json.dumps(self._results(current, utterance_start, end, is_final, speech_final))
            )
            sent_results += 1

        try:
            async for message in connection:
                if isinstance(message, str):
                    control = json.loads(message)
                    self.control_messages.append(control)
                    if control.get("type") == "CloseStream" and self.mode != "slow":
                        if current:
                            await send_results(True, False)
                        await connection.send(json.dumps(self._metadata(heard * word_seconds)))
                        await connection.close(1000)
                        return
                    continue
                self.audio_bytes += len(message)
                if self.mode == "slow":
                    continue
                pending += len(message)
                while pending >= self.bytes_per_word and heard < len(words):
                    pending -= self.bytes_per_word
                    utterance, word = words[heard]
                    if not current:
                        utterance_start = heard * word_seconds
                    current.append(word)
                    heard += 1
                    last_word = heard == len(words) or words[heard][0] != utterance
                    if last_word:
                        await send_results(True, True)
                        current = []
                    elif interim:
                        await send_results(False, False)
                    if self.mode == "drop" and sent_results == 1:
                        connection.transport.abort()
                        return
                    if self.mode == "error" and sent_results == 1:
                        await connection.send(
                            json.dumps(
                                {
                                    "type": "Error",
                                    "variant": "InternalError",
                                    "description": "the fake failed on purpose",
                                }
                            )
                        )
                        await connection.close(1011, "NET-0000: internal error")
                        return
        except ConnectionClosed:
            return

    @staticmethod
    def _results(
        words: list[str], start: float, end: float, is_final: bool, speech_final: bool
    ) -> dict[str, Any]:
        return {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": round(end - start, 3),
            "start": round(start, 3),
            "is_final": is_final,
            "speech_final": speech_final,
            "channel": {
                "alternatives": [{"transcript": " ".join(words), "confidence": 0.98, "words": []}]
            },
            "metadata": {
                "request_id": str(uuid.uuid4()),
                "model_info": {"name": "general", "version": "fake", "arch": "nova-3"},
                "model_uuid": str(uuid.uuid4()),
            },
            "from_finalize": False,
        }

    @staticmethod
    def _metadata(duration: float) -> dict[str, Any]:
        return {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": str(uuid.uuid4()),
            "sha256": "0" * 64,
            "created": "2025-01-01T00:00:00.000Z",
            "duration": round(duration, 3),
            "channels": 1,
            "models": [],
            "model_info": {},
        }
