"""The fake Realtime server speaks OpenAI's GA websocket protocol to any client (here a bare
`websockets` one, as a browser would connect), and its energy VAD decides turns
deterministically, chunk by chunk."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from tests.fakes.openai_realtime import EnergyVad, FakeOpenAIRealtime, VadEvent, tone

RATE = 24_000
KEY = "sk-fake-realtime-unit-test-7f3a"


def silence(ms: int, rate: int = RATE) -> bytes:
    return bytes(2 * rate * ms // 1000)


def loud(ms: int, rate: int = RATE) -> bytes:
    return tone(ms / 1000, amplitude=8_000, rate=rate)


def test_speech_starts_after_60_ms_of_loud_frames_and_reaches_back_by_the_prefix() -> None:
    vad = EnergyVad(sample_rate=RATE, prefix_padding_ms=300, silence_ms=500)

    events = vad.feed(silence(1_000) + loud(400) + silence(600))

    assert events == [VadEvent("speech_started", 700), VadEvent("speech_stopped", 1_900)]
    assert vad.position_ms == 2_000
    assert not vad.speaking


def test_a_blip_shorter_than_60_ms_is_not_speech() -> None:
    vad = EnergyVad(sample_rate=RATE)

    assert vad.feed(silence(200) + loud(50) + silence(600) + loud(50)) == []


def test_pauses_shorter_than_the_silence_duration_keep_the_turn_open() -> None:
    vad = EnergyVad(sample_rate=RATE, prefix_padding_ms=0, silence_ms=500)

    events = vad.feed(loud(200) + silence(400) + loud(200) + silence(490))
    assert events == [VadEvent("speech_started", 0)]
    assert vad.feed(silence(10)) == [VadEvent("speech_stopped", 1_300)]


def test_chunks_split_anywhere_give_the_same_events() -> None:
    audio = silence(300) + loud(250) + silence(700)
    whole = EnergyVad(sample_rate=RATE).feed(audio)

    vad = EnergyVad(sample_rate=RATE)
    pieces = [vad.feed(audio[i : i + 962]) for i in range(0, len(audio), 962)]  # odd sizes

    assert [event for piece in pieces for event in piece] == whole
    assert whole == [VadEvent("speech_started", 0), VadEvent("speech_stopped", 1_050)]


def test_quiet_audio_under_the_threshold_is_silence() -> None:
    vad = EnergyVad(sample_rate=8_000, threshold_rms=1_000)

    assert vad.feed(tone(1.0, amplitude=1_000, rate=8_000)) == []  # RMS ~707
    assert vad.feed(tone(0.1, amplitude=2_000, rate=8_000)) == [VadEvent("speech_started", 700)]


@pytest.fixture
def fake() -> Iterator[FakeOpenAIRealtime]:
    with FakeOpenAIRealtime(valid_keys={KEY}, script=["Hello there"], replies=["Who is it?"]) as f:
        yield f
        assert not f.errors


@pytest.fixture
async def socket(fake: FakeOpenAIRealtime) -> AsyncIterator[ClientConnection]:
    async with connect(
        f"{fake.ws_url}/realtime?model=gpt-realtime",
        additional_headers={"Authorization": f"Bearer {KEY}"},
    ) as ws:
        assert (await receive(ws))["type"] == "session.created"
        yield ws


async def receive(ws: ClientConnection) -> dict[str, Any]:
    return json.loads(await ws.recv())


async def receive_until(ws: ClientConnection, kind: str) -> list[dict[str, Any]]:
    events = [await receive(ws)]
    while events[-1]["type"] != kind:
        events.append(await receive(ws))
    return events


async def send(ws: ClientConnection, kind: str, **fields: Any) -> None:
    await ws.send(json.dumps({"type": kind, **fields}))


async def test_a_browser_authenticates_with_subprotocols_and_gets_realtime_selected(
    fake: FakeOpenAIRealtime,
) -> None:
    async with connect(
        f"{fake.ws_url}/realtime?model=gpt-realtime-mini",
        subprotocols=["realtime", f"openai-insecure-api-key.{KEY}"],  # type: ignore[list-item]
    ) as ws:
        created = await receive(ws)

    assert ws.subprotocol == "realtime"
    assert created["session"]["model"] == "gpt-realtime-mini"
    [record] = fake.connections
    assert record.authorization == "...7f3a"
    assert record.subprotocols == ["realtime", "openai-insecure-api-key....7f3a"]
    assert record.selected_subprotocol == "realtime"


async def test_a_wrong_key_gets_401_before_the_upgrade(fake: FakeOpenAIRealtime) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(
            f"{fake.ws_url}/realtime?model=gpt-realtime",
            additional_headers={"Authorization": "Bearer sk-wrong-key-0000"},
        )

    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body)["error"]["code"] == "invalid_api_key"
    assert fake.authorizations == ["...0000"]
    assert not fake.upgraded


async def test_a_beta_client_is_closed_with_4000(fake: FakeOpenAIRealtime) -> None:
    async with connect(
        f"{fake.ws_url}/realtime?model=gpt-realtime",
        additional_headers={"Authorization": f"Bearer {KEY}", "OpenAI-Beta": "realtime=v1"},
    ) as ws:
        with pytest.raises(ConnectionClosedError) as closed:
            await ws.recv()

    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4000, "beta_api_shape_disabled")


async def test_bad_json_and_unknown_events_get_error_events(socket: ClientConnection) -> None:
    await socket.send("{not json")
    bad_json = await receive(socket)
    await send(socket, "response.audio.delta", event_id="evt_mine")
    unknown = await receive(socket)

    assert bad_json["type"] == "error"
    assert bad_json["error"]["code"] == "invalid_json"
    assert unknown["error"]["type"] == "invalid_request_error"
    assert (unknown["error"]["code"], unknown["error"]["param"]) == ("invalid_value", "type")
    assert unknown["error"]["event_id"] == "evt_mine"


async def test_an_idle_timeout_out_of_range_is_refused_and_changes_nothing(
    fake: FakeOpenAIRealtime, socket: ClientConnection
) -> None:
    detection = {"type": "server_vad", "idle_timeout_ms": 1_000}
    await send(
        socket,
        "session.update",
        session={"type": "realtime", "audio": {"input": {"turn_detection": detection}}},
    )

    refused = await receive(socket)

    assert refused["error"]["param"] == "session.audio.input.turn_detection.idle_timeout_ms"
    assert fake.sessions[0]["audio"]["input"]["turn_detection"]["idle_timeout_ms"] is None


async def test_cancel_without_a_response_and_a_second_response_are_errors(
    fake: FakeOpenAIRealtime, socket: ClientConnection
) -> None:
    fake.pace = 1.0
    await send(socket, "response.cancel")
    assert (await receive(socket))["error"]["code"] == "response_cancel_not_active"

    await send(socket, "response.create")
    await receive_until(socket, "response.output_audio.delta")
    await send(socket, "response.create")
    refused = await receive_until(socket, "error")
    await send(socket, "response.cancel")
    done = (await receive_until(socket, "response.done"))[-1]

    assert refused[-1]["error"]["code"] == "conversation_already_has_active_response"
    assert done["response"]["status"] == "cancelled"
    assert done["response"]["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
    assert [r.status for r in fake.responses] == ["cancelled", "refused"]


async def test_without_turn_detection_the_client_commits_and_asks_for_the_answer(
    fake: FakeOpenAIRealtime, socket: ClientConnection
) -> None:
    update = {"input": {"turn_detection": None, "transcription": {"model": "whisper-1"}}}
    await send(socket, "session.update", session={"type": "realtime", "audio": update})
    await receive_until(socket, "session.updated")
    speech = base64.b64encode(loud(50)).decode()

    await send(socket, "input_audio_buffer.append", audio=speech)
    await send(socket, "input_audio_buffer.commit")
    too_short = await receive(socket)
    await send(socket, "input_audio_buffer.append", audio=speech)
    await send(socket, "input_audio_buffer.commit")
    committed = await receive_until(socket, "conversation.item.input_audio_transcription.completed")
    await send(socket, "response.create", response={"instructions": 'Say exactly: "Yes?"'})
    answer = await receive_until(socket, "response.done")

    assert too_short["error"]["code"] == "input_audio_buffer_commit_empty"
    assert [e["type"] for e in committed][:3] == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    assert committed[-1]["transcript"] == "Hello there"
    transcript = next(e for e in answer if e["type"] == "response.output_audio_transcript.done")
    assert transcript["transcript"] == "Yes?"
    assert "input_audio_buffer.speech_started" not in fake.connections[0].server_events
    assert fake.audio_bytes == 2 * len(loud(50))
