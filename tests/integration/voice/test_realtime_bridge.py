"""The OpenAI Realtime engine through the real openai SDK, against a websocket fake of OpenAI."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from quotahit.providers.local.audio import pcm16_to_mulaw
from quotahit.voice.engine import PHONE_AUDIO, CallSetup
from quotahit.voice.events import (
    AudioDelta,
    AudioDone,
    EngineFailed,
    Notice,
    Ready,
    SpeechStarted,
    SpeechStopped,
    TranscriptDelta,
    TranscriptDone,
    Truncated,
    VoiceEvent,
)
from quotahit.voice.realtime_bridge import RealtimeVoiceSession, heard_text
from quotahit.voice.realtime_session import session_config
from tests.fakes.openai_realtime import FakeOpenAIRealtime, RealtimeMode, tone
from tests.support.app_server import free_port

KEY = "sk-proj-realtime-bridge-test-KEY9"
OPENING = "Dana speaking, who is this?"  # 27 characters: 1.62 s of the fake's voice
PITCH = "Hi Dana, it's Sam from QuotaHit."
REPLIES = ["Okay Sam, what is this about?", "We already have a vendor for that."]
BYTES_PER_MS = 48  # PCM16 at 24 kHz
CHUNK_MS = 40  # what a browser's AudioWorklet sends at a time

SETUP = CallSetup(
    session_id=42,
    persona_json="{}",
    scenario="cold call",
    focus="discovery",
    difficulty="medium",
    instructions="You are Dana, CFO of Northwind. Stay in character.",
    opening_line=OPENING,
    voice="marin",
    patience_s=5.0,
)


@pytest.fixture
def fake() -> Iterator[FakeOpenAIRealtime]:
    with FakeOpenAIRealtime(script=[PITCH], replies=list(REPLIES), valid_keys={KEY}) as server:
        yield server
        assert not server.errors


def _session(
    fake: FakeOpenAIRealtime, setup: CallSetup = SETUP, **options: Any
) -> RealtimeVoiceSession:
    return RealtimeVoiceSession(setup, api_key=KEY, base_url=fake.base_url, **options)


class Call:
    """A started session and everything it has said so far."""

    def __init__(self, session: RealtimeVoiceSession) -> None:
        self.session = session
        self.stream: AsyncIterator[VoiceEvent] = session.events()
        self.events: list[VoiceEvent] = []

    async def until(
        self, done: Callable[[VoiceEvent], bool], within: float = 2.0
    ) -> list[VoiceEvent]:
        """Read events up to and including the first one `done` accepts; returns those read."""
        read: list[VoiceEvent] = []
        async with asyncio.timeout(within):
            async for event in self.stream:
                read.append(event)
                if done(event):
                    break
        self.events += read
        return read

    async def rest(self, within: float = 2.0) -> list[VoiceEvent]:
        """Every event until the stream ends."""
        async with asyncio.timeout(within):
            read = [event async for event in self.stream]
        self.events += read
        return read

    async def speak(self, audio: bytes, chunk: int = CHUNK_MS * BYTES_PER_MS) -> None:
        for start in range(0, len(audio), chunk):
            await self.session.send_audio(audio[start : start + chunk])


@pytest.fixture
async def call(fake: FakeOpenAIRealtime) -> AsyncIterator[Call]:
    session = _session(fake)
    await session.start()
    opened = Call(session)
    yield opened
    await session.close()
    _assert_no_key(opened.events)


def _assert_no_key(events: list[VoiceEvent]) -> None:
    for event in events:
        assert KEY not in repr(event)
        assert KEY[-4:] not in str(getattr(event, "message", ""))


def loud(ms: int, rate: int = 24_000) -> bytes:
    return tone(ms / 1000, hz=440, amplitude=8_000, rate=rate)


def silence(ms: int, rate: int = 24_000) -> bytes:
    return bytes(2 * rate * ms // 1000)


def buyer_done(event: VoiceEvent) -> bool:
    return isinstance(event, TranscriptDone) and event.speaker == "buyer"


def audio_of(events: list[VoiceEvent], item_id: str) -> bytes:
    return b"".join(e.pcm for e in events if isinstance(e, AudioDelta) and e.item_id == item_id)


def subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            name in actual and subset(value, actual[name]) for name, value in expected.items()
        )
    return expected == actual


async def test_the_buyer_opens_then_answers_the_reps_turn(
    call: Call, fake: FakeOpenAIRealtime
) -> None:
    opening = await call.until(buyer_done)

    assert opening[0] == Ready("openai", "gpt-realtime", "marin")
    [item_id] = {e.item_id for e in opening if isinstance(e, AudioDelta)}
    assert len(audio_of(opening, item_id)) == round(len(OPENING) * 60) * BYTES_PER_MS
    # Deltas still queued when the final text arrives are folded into it (EventQueue), so the
    # words streamed so far are the start of the final text, however the events were timed.
    assert OPENING.startswith("".join(e.text for e in opening if isinstance(e, TranscriptDelta)))
    assert AudioDone(item_id) in opening
    assert opening[-1] == TranscriptDone("buyer", item_id, OPENING)
    [instructions] = fake.instructions
    assert instructions is not None
    assert instructions.startswith(SETUP.instructions)
    assert f'Say exactly: "{OPENING}"' in instructions

    await call.speak(loud(400) + silence(700))
    turn = await call.until(buyer_done)

    kinds = [type(e) for e in turn]
    assert kinds.index(SpeechStarted) < kinds.index(SpeechStopped)
    rep_done = next(e for e in turn if isinstance(e, TranscriptDone) and e.speaker == "rep")
    assert rep_done.text == PITCH
    rep_words = [e for e in turn if isinstance(e, TranscriptDelta) and e.speaker == "rep"]
    assert PITCH.startswith("".join(e.text for e in rep_words))  # maybe none: see above
    assert {e.item_id for e in rep_words} <= {rep_done.item_id}
    assert turn[-1] == TranscriptDone("buyer", turn[-1].item_id, REPLIES[0])  # type: ignore[union-attr]
    reply_id = turn[-1].item_id  # type: ignore[union-attr]
    assert reply_id not in (item_id, rep_done.item_id)
    assert len(audio_of(turn, reply_id)) == round(len(REPLIES[0]) * 60) * BYTES_PER_MS
    await fake.wait_for(lambda: fake.audio_bytes == (400 + 700) * BYTES_PER_MS)
    assert [r.trigger for r in fake.responses] == ["client", "vad"]


async def test_the_session_openai_receives_is_the_calls_config(
    call: Call, fake: FakeOpenAIRealtime
) -> None:
    await call.until(buyer_done)

    [session] = fake.sessions
    expected = session_config(SETUP)
    assert subset(expected, session)
    assert session["model"] == SETUP.model
    assert fake.connections[0].query == {"model": SETUP.model}
    assert fake.authorizations == ["..." + KEY[-4:]]
    assert fake.client_events[:2] == ["session.update", "response.create"]


async def test_pictures_the_rep_shared_reach_the_buyer_before_the_greeting(
    fake: FakeOpenAIRealtime,
) -> None:
    picture = "data:image/png;base64,iVBORw0KGgo="
    session = _session(fake, dataclasses.replace(SETUP, context_images=(picture,)))
    await session.start()
    call = Call(session)

    await call.until(buyer_done)
    await session.close()

    [item] = fake.connections[0].items_created
    assert item["role"] == "user"
    assert {"type": "input_image", "image_url": picture} in item["content"]
    assert fake.client_events[:3] == [
        "session.update",
        "conversation.item.create",
        "response.create",
    ]


async def test_the_websocket_address_can_be_given_apart_from_the_rest_api(
    fake: FakeOpenAIRealtime,
) -> None:
    session = RealtimeVoiceSession(
        SETUP, api_key=KEY, base_url="http://127.0.0.1:9/v1", websocket_base_url=fake.ws_url
    )
    await session.start()
    call = Call(session)

    await call.until(buyer_done)
    await session.close()

    assert fake.connections[0].path == "/v1/realtime"


async def test_settings_openai_refuses_end_the_call(
    fake: FakeOpenAIRealtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def impatient(setup: CallSetup) -> dict[str, Any]:
        config = session_config(setup)
        config["audio"]["input"]["turn_detection"]["idle_timeout_ms"] = 1_000  # under the minimum
        return config

    monkeypatch.setattr("quotahit.voice.realtime_bridge.session_config", impatient)

    events = await _failed_call(fake, "ok")

    assert events[0] == Ready("openai", "gpt-realtime", "marin")
    assert events[-1] == EngineFailed(
        "bad_request", "OpenAI refused the call's settings (model, voice or audio format)."
    )


async def test_the_rep_barges_in_and_the_bridge_says_what_was_heard(
    fake: FakeOpenAIRealtime,
) -> None:
    fake.pace = 1.0  # the opening line streams in real time: 1.6 s, cut after ~0.1 s
    session = _session(fake)
    await session.start()
    call = Call(session)
    try:
        first_audio = await call.until(lambda e: isinstance(e, AudioDelta))
        item_id = first_audio[-1].item_id  # type: ignore[union-attr]

        await call.speak(loud(200))
        interrupted = await call.until(buyer_done)
        assert SpeechStarted() in interrupted
        await fake.wait_for(lambda: fake.responses[0].status == "cancelled")
        heard = interrupted[-1].text  # type: ignore[union-attr]
        assert OPENING.startswith(heard)
        assert heard != OPENING
        received_ms = len(audio_of(call.events, item_id)) // BYTES_PER_MS
        assert 0 < received_ms < len(OPENING) * 60

        await session.playback_stopped(item_id, played_ms=60_000)  # more than was ever sent
        [truncated] = await call.until(lambda e: isinstance(e, Truncated))

        assert truncated == Truncated(item_id, received_ms, heard)
        await fake.wait_for(lambda: fake.truncations)
        [recorded] = fake.truncations
        assert (recorded.item_id, recorded.content_index) == (item_id, 0)
        assert recorded.audio_end_ms == received_ms
        assert recorded.accepted
    finally:
        await session.close()


async def test_a_truncated_turn_is_cut_in_proportion_at_a_word_boundary(
    call: Call, fake: FakeOpenAIRealtime
) -> None:
    opening = await call.until(buyer_done)
    item_id = opening[-1].item_id  # type: ignore[union-attr]
    total_ms = len(OPENING) * 60

    await call.session.playback_stopped(item_id, played_ms=total_ms // 2)
    [truncated] = await call.until(lambda e: isinstance(e, Truncated))

    # Half of "Dana speaking, who is this?" ends inside "who": the word is not counted as heard.
    assert truncated == Truncated(item_id, total_ms // 2, "Dana speaking,")
    await fake.wait_for(lambda: fake.truncations)
    assert fake.truncations[0].audio_end_ms == total_ms // 2

    await call.session.playback_stopped(item_id, played_ms=total_ms)  # reported twice: once
    await call.session.playback_stopped("item_unknown", played_ms=100)
    await call.session.close()
    assert not [e for e in await call.rest() if isinstance(e, Truncated)]
    assert len(fake.truncations) == 1


@pytest.mark.parametrize(
    ("text", "heard_ms", "total_ms", "expected"),
    [
        ("one two three four", 540, 1_080, "one two"),
        ("one two three four", 480, 1_080, "one two"),
        ("one two three four", 1_080, 1_080, "one two three four"),
        ("one two three four", 5_000, 1_080, "one two three four"),
        ("one two three four", 0, 1_080, ""),
        ("one two three four", 100, 1_080, ""),
        ("", 500, 1_000, ""),
        ("anything", 500, 0, ""),
    ],
)
def test_heard_text(text: str, heard_ms: int, total_ms: int, expected: str) -> None:
    assert heard_text(text, heard_ms, total_ms) == expected


async def test_the_buyer_fills_a_silence_longer_than_their_patience(
    call: Call, fake: FakeOpenAIRealtime
) -> None:
    await call.until(buyer_done)
    opening_ms = len(OPENING) * 60
    patience_ms = 5_000

    await call.speak(silence(opening_ms + patience_ms - 200), chunk=200 * BYTES_PER_MS)
    await fake.wait_for(lambda: fake.audio_bytes == (opening_ms + patience_ms - 200) * BYTES_PER_MS)
    assert len(fake.responses) == 1

    await call.speak(silence(400), chunk=200 * BYTES_PER_MS)
    filled = await call.until(buyer_done)

    assert filled[-1].text == REPLIES[0]  # type: ignore[union-attr]
    assert not [
        e for e in filled if isinstance(e, (SpeechStarted, TranscriptDone)) and e != filled[-1]
    ]
    assert [r.trigger for r in fake.responses] == ["client", "idle"]


async def test_a_muted_rep_sends_nothing_and_the_buyer_does_not_fill_the_silence(
    call: Call, fake: FakeOpenAIRealtime
) -> None:
    await call.until(buyer_done)

    await call.session.set_muted(True)
    await call.speak(loud(400) + silence(700))
    await fake.wait_for(
        lambda: fake.sessions[0]["audio"]["input"]["turn_detection"]["idle_timeout_ms"] is None
    )
    assert fake.audio_bytes == 0
    assert "input_audio_buffer.append" not in fake.client_events

    await call.session.set_muted(True)  # no change, nothing sent
    await call.session.set_muted(False)
    await fake.wait_for(
        lambda: fake.sessions[0]["audio"]["input"]["turn_detection"]["idle_timeout_ms"] == 5_000
    )
    assert fake.client_events.count("session.update") == 3

    await call.speak(loud(400) + silence(700))
    turn = await call.until(buyer_done)
    await fake.wait_for(lambda: fake.audio_bytes == 1_100 * BYTES_PER_MS)
    assert turn[-1].text == REPLIES[0]  # type: ignore[union-attr]


async def test_a_phone_call_speaks_mu_law_at_8_khz_both_ways(fake: FakeOpenAIRealtime) -> None:
    session = _session(fake, replace(SETUP, audio=PHONE_AUDIO))
    await session.start()
    call = Call(session)
    try:
        opening = await call.until(buyer_done)
        item_id = opening[-1].item_id  # type: ignore[union-attr]
        expected_bytes = len(OPENING) * 60 * 8  # one byte a sample at 8 kHz
        assert abs(len(audio_of(opening, item_id)) - expected_bytes) <= 16
        assert fake.sessions[0]["audio"]["input"]["format"] == {"type": "audio/pcmu"}
        assert fake.sessions[0]["audio"]["output"]["format"] == {"type": "audio/pcmu"}

        rep = pcm16_to_mulaw(loud(400, rate=8_000) + silence(700, rate=8_000))
        await call.speak(rep, chunk=160)  # Twilio sends 20 ms frames
        turn = await call.until(buyer_done)

        assert SpeechStarted() in turn
        assert TranscriptDone("rep", turn[-1].item_id, PITCH) not in turn  # type: ignore[union-attr]
        assert any(
            e == TranscriptDone("rep", e.item_id, PITCH)
            for e in turn
            if isinstance(e, TranscriptDone)
        )
        await fake.wait_for(lambda: fake.audio_bytes == len(rep))
        await session.playback_stopped(item_id, played_ms=1_000)
        [truncated] = await call.until(lambda e: isinstance(e, Truncated))
        assert truncated.audio_end_ms == 1_000
    finally:
        await session.close()


async def test_close_is_idempotent_and_ends_the_events(
    call: Call, fake: FakeOpenAIRealtime
) -> None:
    await call.until(buyer_done)

    await call.session.close()
    await call.session.close()
    await call.session.send_audio(loud(100))

    assert await call.rest() == []
    await fake.wait_for(lambda: fake.connections[0].closed)
    assert fake.audio_bytes == 0


async def _failed_call(
    fake: FakeOpenAIRealtime, mode: RealtimeMode, **options: Any
) -> list[VoiceEvent]:
    fake.mode = mode
    session = _session(fake, **options)
    await session.start()
    call = Call(session)
    try:
        if mode in ("drop", "error"):
            await call.rest()
        else:
            await call.until(lambda e: isinstance(e, EngineFailed))
            assert await call.rest() == []
    finally:
        await session.close()
    _assert_no_key(call.events)
    return call.events


async def test_a_refused_key_fails_with_auth_and_never_shows_the_key(
    fake: FakeOpenAIRealtime,
) -> None:
    assert await _failed_call(fake, "unauthorized") == [
        EngineFailed("auth", "OpenAI refused the key: check it on the API keys page.")
    ]
    assert fake.authorizations == ["..." + KEY[-4:]]
    assert not fake.upgraded


async def test_a_key_openai_does_not_know_fails_with_auth(fake: FakeOpenAIRealtime) -> None:
    fake.valid_keys = {"sk-some-other-key"}

    [failure] = await _failed_call(fake, "ok")

    assert failure.code == "auth"  # type: ignore[union-attr]


async def test_a_dropped_connection_fails_after_the_events_already_received(
    fake: FakeOpenAIRealtime,
) -> None:
    events = await _failed_call(fake, "drop")

    assert events[0] == Ready("openai", "gpt-realtime", "marin")
    # The fake aborts right after writing its second chunk, which may die in the socket buffer.
    assert 1 <= len([e for e in events if isinstance(e, AudioDelta)]) <= 2
    assert events[-1] == EngineFailed("unreachable", "The connection to OpenAI was lost.")


async def test_a_server_error_that_closes_the_socket_fails_with_server(
    fake: FakeOpenAIRealtime,
) -> None:
    events = await _failed_call(fake, "error")

    assert events[0] == Ready("openai", "gpt-realtime", "marin")
    assert events[-1].code == "server"  # type: ignore[union-attr]
    assert not [e for e in events if isinstance(e, AudioDelta)]


async def test_a_silent_server_times_out_within_the_connect_timeout(
    fake: FakeOpenAIRealtime,
) -> None:
    started = time.monotonic()

    [failure] = await _failed_call(fake, "slow", connect_timeout=0.3)

    assert failure == EngineFailed("timeout", "OpenAI did not answer in time: try the call again.")
    assert time.monotonic() - started < 5  # the SDK's own default would be 10 s


async def test_nothing_listening_fails_as_unreachable() -> None:
    session = RealtimeVoiceSession(
        SETUP, api_key=KEY, base_url=f"http://127.0.0.1:{free_port()}/v1"
    )
    await session.start()

    events = await Call(session).rest()

    assert [e.code for e in events] == ["unreachable"]  # type: ignore[union-attr]
    await session.close()


async def test_a_rate_limited_key_gets_a_notice_and_the_call_goes_on(
    fake: FakeOpenAIRealtime,
) -> None:
    fake.mode = "rate_limited"  # read for each response: the opening line fails too
    session = _session(fake)
    await session.start()
    call = Call(session)
    try:
        opening = await call.until(lambda e: isinstance(e, Notice))
        assert "rate-limiting" in opening[-1].message  # type: ignore[union-attr]

        await call.speak(loud(400) + silence(700))
        turn = await call.until(lambda e: isinstance(e, Notice))
        assert TranscriptDone("rep", turn[-2].item_id, PITCH) in turn  # type: ignore[union-attr]
        assert [r.status for r in fake.responses] == ["failed", "failed"]

        fake.mode = "ok"
        await call.speak(loud(400) + silence(700))
        answer = await call.until(buyer_done)
        assert answer[-1].text == REPLIES[0]  # type: ignore[union-attr]
        assert not [e for e in call.events if isinstance(e, EngineFailed)]
    finally:
        await session.close()


async def test_the_key_never_reaches_the_logs(
    fake: FakeOpenAIRealtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for mode in ("ok", "unauthorized"):
        fake.mode = mode  # type: ignore[assignment]
        session = _session(fake)
        await session.start()
        call = Call(session)
        await call.until(lambda e: isinstance(e, (TranscriptDone, EngineFailed)))
        await session.close()

    # The fake's own server logs the headers it receives; only our side of the socket counts.
    ours = [r for r in caplog.records if not r.name.startswith(("websockets.server", "tests."))]
    assert any(r.name.startswith("quotahit.voice") for r in ours)
    assert not [r for r in ours if KEY in r.getMessage() or KEY[-4:] in r.getMessage()]
