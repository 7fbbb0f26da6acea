"""Live speech-to-text: audio streamed in as it is spoken, partial and final text streamed out.

Deepgram's `/v1/listen` websocket, through the official SDK's async client at a configurable base
URL (the same base URL as the pre-recorded adapter in `quotahit.providers.speech_to_text`; its
scheme is switched to ws/wss here).

    async with live_transcriber(secret=key, base_url=url, encoding="mulaw", sample_rate=8000) as l:
        await l.send(chunk)                  # as many times as there is audio
        await l.finish()                     # CloseStream: Deepgram flushes what it still holds
        async for event in l.events():       # Partial(text) / Final(text, start, end, speech_final)
            ...

`events()` may just as well run in another task while audio is being sent. Every failure is a
`SpeechProviderError` (`kind` and `retryable` as in the other adapters): a refused key "auth", a
connection that fails or drops "unreachable", a socket closed with an error code "server" (or
"bad_request" for audio Deepgram cannot decode), no answer in time "timeout". Results received
before a failure are still delivered by `events()`, which raises the error after them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Literal

from deepgram import AsyncDeepgramClient
from deepgram.core.api_error import ApiError as DeepgramApiError
from deepgram.environment import DeepgramClientEnvironment
from deepgram.listen.v1.socket_client import AsyncV1SocketClient
from deepgram.listen.v1.types.listen_v1error import ListenV1Error
from deepgram.listen.v1.types.listen_v1metadata import ListenV1Metadata
from deepgram.listen.v1.types.listen_v1results import ListenV1Results
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, InvalidHandshake

from quotahit.providers.errors import translate_error
from quotahit.providers.speech_to_text import SpeechProviderError, speech_error

logger = logging.getLogger(__name__)

LiveEncoding = Literal["linear16", "mulaw"]

# Close codes with which Deepgram says the audio or the request was wrong, not that it failed.
_BAD_REQUEST_CLOSE_CODES = {1003, 1007, 1008}
_NO_CLOSE_FRAME = 1006


@dataclass(frozen=True)
class Partial:
    """An interim guess at the utterance in progress; the next one replaces it."""

    text: str


@dataclass(frozen=True)
class Final:
    """Text that will not change, with its time in seconds from the start of the stream.

    `speech_final` says the speaker paused (endpointing): the utterance is over.
    """

    text: str
    start: float
    end: float
    speech_final: bool


LiveEvent = Partial | Final


@dataclass(frozen=True)
class _End:
    error: SpeechProviderError | None


class LiveTranscription:
    """One open live transcription; made by `live_transcriber`."""

    def __init__(self, socket: AsyncV1SocketClient, *, idle_timeout: float, finish_timeout: float):
        self._socket = socket
        self._idle_timeout = idle_timeout
        self._finish_timeout = finish_timeout
        self._queue: asyncio.Queue[LiveEvent | _End] = asyncio.Queue()
        self._error: SpeechProviderError | None = None
        self._ended = False
        self._finished = False
        self._unanswered_since: float | None = None  # when audio was sent and nothing came back
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def send(self, audio: bytes) -> None:
        """Send a chunk of audio in the encoding and sample rate the stream was opened with."""
        if self._finished:
            raise RuntimeError("the live transcription was already finished")
        if self._error is not None:
            raise self._error
        try:
            await self._socket.send_media(audio)
        except ConnectionClosed as error:
            await asyncio.wait({self._reader}, timeout=1.0)  # let the reader say why
            raise self._error or _closed_error(error) from None
        if self._unanswered_since is None:
            self._unanswered_since = asyncio.get_running_loop().time()

    async def keep_alive(self) -> None:
        """Keep the stream open through a pause in the audio (Deepgram closes it after 10 s)."""
        await self._socket.send_keep_alive()

    async def finish(self) -> None:
        """Say the audio is over (CloseStream) and wait until Deepgram has sent the rest.

        The rest is still delivered by `events()`. Raises the stream's error, if it failed.
        """
        if not self._finished:
            self._finished = True
            with contextlib.suppress(ConnectionClosed):  # the reader has the reason
                await self._socket.send_close_stream()
        done, _ = await asyncio.wait({self._reader}, timeout=self._finish_timeout)
        if not done:
            self._reader.cancel()
            self._fail(speech_error("deepgram", "timeout"))
        if self._error is not None:
            raise self._error

    async def events(self) -> AsyncIterator[LiveEvent]:
        """Partial and final results as they come, until the stream ends (or its error)."""
        while not self._ended:
            item = await self._queue.get()
            if isinstance(item, _End):
                self._ended = True
                if item.error is not None:
                    raise item.error
                return
            yield item

    # -- the reader ----------------------------------------------------------------------------

    def _fail(self, error: SpeechProviderError) -> None:
        if self._error is None:
            self._error = error
            self._queue.put_nowait(_End(error))

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        poll = min(0.25, self._idle_timeout)
        try:
            while True:
                try:
                    # Cancelling the websockets recv() is safe: no message is lost.
                    async with asyncio.timeout(poll):
                        message = await self._socket.recv()
                except TimeoutError:
                    since = self._unanswered_since
                    if since is not None and loop.time() - since > self._idle_timeout:
                        logger.info("deepgram live transcription: no answer in time")
                        self._fail(speech_error("deepgram", "timeout"))
                        return
                    continue
                self._unanswered_since = None
                if isinstance(message, ListenV1Results):
                    event = _event(message)
                    if event is not None:
                        self._queue.put_nowait(event)
                elif isinstance(message, ListenV1Error):
                    logger.info("deepgram live transcription error: %s", message.variant)
                elif isinstance(message, ListenV1Metadata) and self._finished:
                    logger.debug("deepgram live transcription flushed: %.2f s", message.duration)
        except ConnectionClosedOK:
            self._queue.put_nowait(_End(None))
        except ConnectionClosed as error:
            self._fail(_closed_error(error))
        except (ValueError, TypeError):  # a text frame that is not JSON
            self._fail(speech_error("deepgram", "malformed"))


def _event(results: ListenV1Results) -> LiveEvent | None:
    alternatives = results.channel.alternatives or []
    text = (alternatives[0].transcript or "").strip() if alternatives else ""
    if results.is_final:
        # Empty finals (silence) still matter: speech_final marks the end of an utterance.
        if not text and not results.speech_final:
            return None
        return Final(
            text, results.start, results.start + results.duration, bool(results.speech_final)
        )
    return Partial(text) if text else None


def _closed_error(error: ConnectionClosed) -> SpeechProviderError:
    """What a socket closed by Deepgram (or lost on the way) means."""
    close = error.rcvd
    code = close.code if close is not None else _NO_CLOSE_FRAME
    reason = close.reason if close is not None else ""
    logger.info("deepgram live transcription closed: code %s %s", code, reason[:200])
    if code == _NO_CLOSE_FRAME:
        return speech_error("deepgram", "unreachable")
    if code in _BAD_REQUEST_CLOSE_CODES:
        failure = speech_error("deepgram", "bad_request")
        if reason:
            return SpeechProviderError(
                "bad_request", f"{failure}: {reason[:200]}", retryable=failure.retryable
            )
        return failure
    return speech_error("deepgram", "server")


def _streaming_environment(base_url: str) -> DeepgramClientEnvironment:
    base_url = base_url.rstrip("/")
    streaming_url = base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    # deepgram-sdk has no base_url: the environment carries every host (sockets: `production`).
    return DeepgramClientEnvironment(
        base=base_url, production=streaming_url, agent=streaming_url, agent_rest=base_url
    )


@asynccontextmanager
async def live_transcriber(
    *,
    secret: str,
    base_url: str,
    model: str = "nova-3",
    sample_rate: int = 16000,
    encoding: LiveEncoding = "linear16",
    channels: int = 1,
    interim_results: bool = True,
    endpointing_ms: int | None = 300,
    smart_format: bool = True,
    connect_timeout: float = 10.0,
    idle_timeout: float = 15.0,
    finish_timeout: float = 10.0,
) -> AsyncIterator[LiveTranscription]:
    """Open a live transcription; the socket is closed when the block ends.

    `idle_timeout`: how long audio may go unanswered before the stream fails with "timeout";
    `finish_timeout`: how long `finish()` waits for Deepgram's last results.
    """
    # The SDK masks the Authorization header in the websockets library's DEBUG handshake logs.
    client = AsyncDeepgramClient(api_key=secret, environment=_streaming_environment(base_url))
    async with AsyncExitStack() as stack:
        connecting = stack.enter_async_context(
            client.listen.v1.connect(
                model=model,
                encoding=encoding,
                sample_rate=str(sample_rate),
                channels=str(channels),
                # The SDK would send Python's "True"; Deepgram reads "true".
                interim_results="true" if interim_results else "false",
                endpointing=str(endpointing_ms) if endpointing_ms is not None else "false",
                smart_format="true" if smart_format else "false",
            )
        )
        try:
            async with asyncio.timeout(connect_timeout):
                socket = await connecting
        except DeepgramApiError as error:
            # `from None`: the SDK's ApiError carries the request headers, the key among them.
            raise translate_error("deepgram", error, SpeechProviderError) from None
        except TimeoutError:
            logger.info("deepgram live transcription: no handshake in %s s", connect_timeout)
            raise speech_error("deepgram", "timeout") from None
        except (OSError, InvalidHandshake) as error:
            logger.info("deepgram live transcription: connection failed (%s)", type(error).__name__)
            raise speech_error("deepgram", "unreachable") from None
        logger.debug(
            "deepgram live transcription open: %s, %s at %s Hz", model, encoding, sample_rate
        )
        live = LiveTranscription(socket, idle_timeout=idle_timeout, finish_timeout=finish_timeout)
        try:
            yield live
        finally:
            live._reader.cancel()
            await asyncio.gather(live._reader, return_exceptions=True)
