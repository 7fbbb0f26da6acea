"""Live transcription through the real deepgram SDK, against a real websocket fake of Deepgram."""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import struct
from collections.abc import Iterator

import pytest

from quotahit.providers.live_transcription import Final, Partial, live_transcriber
from quotahit.providers.speech_to_text import SpeechProviderError
from tests.fakes.deepgram_live import FakeDeepgramLive

CHUNK = 3200  # one scripted word per chunk: 100 ms of 16 kHz linear16


def _tone(n_bytes: int) -> bytes:
    samples = n_bytes // 2
    return struct.pack(
        f"<{samples}h",
        *(int(8000 * math.sin(i * 440 * 2 * math.pi / 16000)) for i in range(samples)),
    )


@pytest.fixture
def deepgram() -> Iterator[FakeDeepgramLive]:
    with FakeDeepgramLive(
        script=["hello there", "how are you today"], bytes_per_word=CHUNK
    ) as fake:
        yield fake


async def _stream(fake: FakeDeepgramLive, chunks: int, **options: object) -> list[Partial | Final]:
    async with live_transcriber(secret=fake.valid_key, base_url=fake.url, **options) as live:
        audio = _tone(CHUNK)
        for _ in range(chunks):
            await live.send(audio)
        await live.finish()
        return [event async for event in live.events()]


async def test_partials_and_finals_carry_the_scripted_text(deepgram: FakeDeepgramLive) -> None:
    events = await _stream(deepgram, chunks=6)

    finals = [event for event in events if isinstance(event, Final)]
    partials = [event for event in events if isinstance(event, Partial)]
    assert [final.text for final in finals] == ["hello there", "how are you today"]
    assert all(final.speech_final for final in finals)
    assert finals[0].start == 0.0
    assert finals[0].end == pytest.approx(0.2)
    assert finals[1].start == pytest.approx(0.2)
    assert finals[1].end == pytest.approx(0.6)
    assert [partial.text for partial in partials] == ["hello", "how", "how are", "how are you"]
    assert deepgram.audio_bytes == 6 * CHUNK
    assert deepgram.control_messages == [{"type": "CloseStream"}]
    assert deepgram.queries[0]["model"] == "nova-3"
    assert deepgram.queries[0]["encoding"] == "linear16"
    assert deepgram.queries[0]["sample_rate"] == "16000"
    assert deepgram.queries[0]["interim_results"] == "true"
    assert deepgram.queries[0]["endpointing"] == "300"


async def test_finish_flushes_the_utterance_in_progress(deepgram: FakeDeepgramLive) -> None:
    events = await _stream(deepgram, chunks=4, interim_results=False)

    assert events == [
        Final("hello there", 0.0, pytest.approx(0.2), True),  # type: ignore[arg-type]
        Final("how are", pytest.approx(0.2), pytest.approx(0.4), False),  # type: ignore[arg-type]
    ]
    assert deepgram.queries[0]["interim_results"] == "false"


async def test_events_stream_while_audio_is_sent(deepgram: FakeDeepgramLive) -> None:
    async with live_transcriber(secret=deepgram.valid_key, base_url=deepgram.url) as live:
        await live.send(_tone(2 * CHUNK))
        first = await asyncio.wait_for(anext(aiter(live.events())), 5)
        assert first == Partial("hello")


async def test_mulaw_and_sample_rate_are_passed(deepgram: FakeDeepgramLive) -> None:
    events = await _stream(deepgram, chunks=2, encoding="mulaw", sample_rate=8000, model="nova-2")

    assert deepgram.queries[0]["encoding"] == "mulaw"
    assert deepgram.queries[0]["sample_rate"] == "8000"
    assert deepgram.queries[0]["model"] == "nova-2"
    final = next(event for event in events if isinstance(event, Final))
    assert final.end == pytest.approx(2 * CHUNK / 8000)  # one byte a sample


async def test_wrong_key_is_an_auth_error(deepgram: FakeDeepgramLive) -> None:
    with pytest.raises(SpeechProviderError) as raised:
        async with live_transcriber(secret="dg-wrong-key-9999", base_url=deepgram.url):
            pass
    assert raised.value.kind == "auth"
    assert raised.value.retryable
    assert "dg-wrong-key" not in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
    assert deepgram.authorizations == ["...9999"]


async def test_unauthorized_mode_refuses_even_the_right_key(deepgram: FakeDeepgramLive) -> None:
    deepgram.mode = "unauthorized"
    with pytest.raises(SpeechProviderError) as raised:
        async with live_transcriber(secret=deepgram.valid_key, base_url=deepgram.url):
            pass
    assert raised.value.kind == "auth"


async def test_dropped_socket_is_retryable_after_the_finals_received(
    deepgram: FakeDeepgramLive,
) -> None:
    deepgram.mode = "drop"
    deepgram.script = ["hi", "there friend"]
    received: list[Partial | Final] = []

    async def listen() -> None:
        async with live_transcriber(secret=deepgram.valid_key, base_url=deepgram.url) as live:
            await live.send(_tone(CHUNK))
            async for event in live.events():
                received.append(event)
                await live.send(_tone(CHUNK))  # the socket is gone: raises, or events() does

    with pytest.raises(SpeechProviderError) as raised:
        await listen()
    assert received == [Final("hi", 0.0, pytest.approx(0.1), True)]  # type: ignore[arg-type]
    assert raised.value.kind == "unreachable"
    assert raised.value.retryable


async def test_server_error_close_is_a_retryable_server_error(deepgram: FakeDeepgramLive) -> None:
    deepgram.mode = "error"
    with pytest.raises(SpeechProviderError) as raised:
        await _stream(deepgram, chunks=1)
    assert raised.value.kind == "server"
    assert raised.value.retryable


async def test_unanswered_audio_times_out(deepgram: FakeDeepgramLive) -> None:
    deepgram.mode = "slow"
    async with live_transcriber(
        secret=deepgram.valid_key, base_url=deepgram.url, idle_timeout=0.3, finish_timeout=0.5
    ) as live:
        await live.send(_tone(CHUNK))
        with pytest.raises(SpeechProviderError) as raised:
            async for _ in live.events():
                pass
    assert raised.value.kind == "timeout"
    assert raised.value.retryable


async def test_finish_times_out_when_nothing_is_flushed(deepgram: FakeDeepgramLive) -> None:
    deepgram.mode = "slow"
    async with live_transcriber(
        secret=deepgram.valid_key, base_url=deepgram.url, idle_timeout=30, finish_timeout=0.3
    ) as live:
        with pytest.raises(SpeechProviderError) as raised:
            await live.finish()
    assert raised.value.kind == "timeout"


async def test_silent_handshake_times_out() -> None:
    with socket.socket() as listener:  # accepts the TCP connection, never answers the upgrade
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(SpeechProviderError) as raised:
            async with live_transcriber(
                secret="k", base_url=f"http://127.0.0.1:{port}", connect_timeout=0.3
            ):
                pass
    assert raised.value.kind == "timeout"


async def test_refused_connection_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(SpeechProviderError) as raised:
            async with live_transcriber(secret="k", base_url=f"http://127.0.0.1:{port}"):
                pass
    assert raised.value.kind == "unreachable"
    assert raised.value.retryable


async def test_the_key_is_never_logged(
    deepgram: FakeDeepgramLive, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("websockets").setLevel(logging.DEBUG)
    await _stream(deepgram, chunks=3)
    with pytest.raises(SpeechProviderError):
        async with live_transcriber(secret="dg-wrong-key-secret", base_url=deepgram.url):
            pass

    assert any("websockets" in record.name for record in caplog.records)  # the handshake logs
    assert deepgram.valid_key not in caplog.text
    assert "dg-wrong-key-secret" not in caplog.text
