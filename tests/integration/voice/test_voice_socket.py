"""`/api/voice/ws` on both databases: who may connect, a whole call on the local engine, and
every way a call ends (the rep, the maximum length, a drop with and without a resume, another
tab), with the transcript, the recording and the scorecard they leave behind."""

from __future__ import annotations

import asyncio
import contextlib
import json
import wave

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from quotahit.accounts import sessions
from quotahit.analysis.models import CallAnalysis
from quotahit.practice.models import PracticeSession
from quotahit.settings import get_settings
from tests.integration.conftest import Staff
from tests.integration.voice.conftest import REP_LINE, Call, VoiceServer


async def closed_with(server: VoiceServer, ticket: str, **options: object) -> int:
    async with server.connect(ticket, **options) as socket:  # type: ignore[arg-type]
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def close_code_after_reading(socket: ClientConnection) -> int | None:
    """Read (and drop) what the server still sends until it closes; the close code it sent."""
    with contextlib.suppress(ConnectionClosed):
        async with asyncio.timeout(10):
            async for _frame in socket:
                pass
    return socket.close_code


async def test_only_the_apps_own_pages_may_open_a_call(
    voice_server: VoiceServer, team: Staff
) -> None:
    session_id = voice_server.start_call(team.rep)
    for origin in (None, "https://evil.example", "http://127.0.0.1:3001"):
        ticket = voice_server.ticket(team.rep, session_id)
        assert await closed_with(voice_server, ticket, origin=origin) == 4403


async def test_a_call_needs_a_fresh_ticket_for_a_live_session_of_the_caller(
    voice_server: VoiceServer, team: Staff
) -> None:
    session_id = voice_server.start_call(team.rep)
    assert await closed_with(voice_server, "forged.ticket.value") == 4401
    used = voice_server.ticket(team.rep, session_id)
    async with voice_server.connect(used) as socket:
        await Call(socket).of_type("ready")
    assert await closed_with(voice_server, used) == 4401  # one ticket, one connection
    # A ticket naming someone else's session, or claiming to be someone else, opens nothing.
    other = voice_server.start_call(team.manager)
    assert await closed_with(voice_server, voice_server.ticket(team.rep, other)) == 4401
    forged_user = voice_server.ticket(team.rep, session_id, user_id=team.manager.user_id)
    assert await closed_with(voice_server, forged_user) == 4401
    # Signing out closes the door to new connections and resumes alike.
    ticket = voice_server.ticket(team.rep, session_id, resume=True)
    voice_server.accounts.call(sessions.log_out, token=team.rep.token)
    assert await closed_with(voice_server, ticket) == 4401


async def test_a_whole_call_on_the_local_engine_ends_in_a_scorecard(
    voice_server: VoiceServer, team: Staff
) -> None:
    session_id = voice_server.start_call(team.rep)
    async with voice_server.connect(voice_server.ticket(team.rep, session_id)) as socket:
        call = Call(socket)
        ready = await call.of_type("ready")
        assert ready["engine"] == "local"
        assert ready["session_id"] == session_id
        assert ready["resumed"] is False
        assert ready["resume_token"]
        opening = await call.until(lambda m: m["type"] == "transcript" and m["final"])
        assert opening["speaker"] == "buyer"
        assert "Sarah" in opening["text"]
        start = await call.of_type("audio_start")
        await call.of_type("audio_done")
        assert start["item_id"] == opening["item_id"]
        assert len(call.audio) > 24_000  # the greeting's audio came as binary frames
        await call.say(REP_LINE)
        rep = await call.until(
            lambda m: m["type"] == "transcript" and m["speaker"] == "rep" and m["final"]
        )
        assert rep["text"] == REP_LINE
        await call.until(
            lambda m: (
                m["type"] == "transcript"
                and m["speaker"] == "buyer"
                and m["final"]
                and m["item_id"] != opening["item_id"]
            )
        )
        ended = await call.end()
    assert ended["reason"] == "rep"
    assert ended["analysis_id"] in voice_server.dispatched
    session = voice_server.accounts.one(PracticeSession, PracticeSession.id == session_id)
    assert session.status == "ended"
    assert session.end_reason == "rep"
    turns = json.loads(session.transcript_json)
    assert [t["speaker"] for t in turns] == ["buyer", "rep", "buyer"]
    assert turns[1]["text"] == REP_LINE
    assert all(t["end"] > t["start"] for t in turns)
    assert turns[0]["start"] <= turns[1]["start"] <= turns[2]["start"]
    analysis = voice_server.accounts.one(CallAnalysis, CallAnalysis.id == ended["analysis_id"])
    assert analysis.speech_model_id == "voice"
    assert analysis.audio_path == ""  # the rep did not opt in to keeping the recording


async def test_script_coaching_answers_the_buyers_objection_on_the_call(
    voice_server: VoiceServer, team: Staff
) -> None:
    session_id = voice_server.start_call(
        team.rep, scenario="negotiation", focus="objection_handling"
    )
    async with voice_server.connect(voice_server.ticket(team.rep, session_id)) as socket:
        call = Call(socket)
        opening = await call.until(lambda m: m["type"] == "transcript" and m["final"])
        hint = await call.of_type("hint")
        await call.end()
    assert hint["kind"] == "objection", opening["text"]
    assert hint["title"]
    assert hint["body"]


async def test_without_script_coaching_no_hints_are_sent(
    voice_server: VoiceServer, team: Staff
) -> None:
    session_id = voice_server.start_call(
        team.rep, scenario="negotiation", focus="objection_handling", coaching=False
    )
    async with voice_server.connect(voice_server.ticket(team.rep, session_id)) as socket:
        call = Call(socket)
        await call.of_type("audio_done")
        await asyncio.sleep(1.2)
        await call.end()
    assert not [m for m in call.messages if m["type"] == "hint"]


async def test_a_kept_recording_is_a_stereo_wav_beside_the_scorecard(
    voice_server: VoiceServer, team: Staff
) -> None:
    session_id = voice_server.start_call(team.rep, keep_audio=True)
    async with voice_server.connect(voice_server.ticket(team.rep, session_id)) as socket:
        call = Call(socket)
        await call.of_type("audio_done")
        await call.say(REP_LINE)
        await call.until(
            lambda m: m["type"] == "transcript" and m["speaker"] == "rep" and m["final"]
        )
        ended = await call.end()
    analysis = voice_server.accounts.one(CallAnalysis, CallAnalysis.id == ended["analysis_id"])
    assert analysis.keep_audio
    path = get_settings().data_dir / "recordings" / analysis.audio_path
    with wave.open(str(path)) as recording:
        assert recording.getnchannels() == 2
        assert recording.getframerate() == 24_000
        assert recording.getnframes() / 24_000 > 2  # the rep's whole sentence and its silence


async def test_a_dropped_call_resumes_with_its_transcript_and_without_a_second_greeting(
    voice_server: VoiceServer, team: Staff
) -> None:
    session_id = voice_server.start_call(team.rep)
    async with voice_server.connect(voice_server.ticket(team.rep, session_id)) as socket:
        call = Call(socket)
        resume_token = (await call.of_type("ready"))["resume_token"]
        await call.of_type("audio_done")
        await call.say(REP_LINE)
        await call.until(
            lambda m: m["type"] == "transcript" and m["speaker"] == "rep" and m["final"]
        )
        await call.until(lambda m: m["type"] == "audio_done" and m["item_id"] != "buyer_1")
    # The socket closed without an "end": the call waits for its browser.
    await asyncio.sleep(0.2)
    voice_server.ears.lines = ["Can we talk about pricing next?"]
    voice_server.ears.calls = 0
    async with voice_server.connect(resume_token) as socket:
        call = Call(socket)
        ready = await call.of_type("ready")
        assert ready["resumed"] is True
        assert ready["elapsed_s"] > 1
        await call.say("Can we talk about pricing next?")
        await call.until(
            lambda m: m["type"] == "transcript" and m["speaker"] == "rep" and m["final"]
        )
        ended = await call.end()
        assert not [
            m for m in call.messages if m["type"] == "transcript" and "Sarah here" in m["text"]
        ]
    assert ended["reason"] == "rep"
    session = voice_server.accounts.one(PracticeSession, PracticeSession.id == session_id)
    turns = json.loads(session.transcript_json)
    said = [t["text"] for t in turns if t["speaker"] == "rep"]
    assert said == [REP_LINE, "Can we talk about pricing next?"]


async def test_a_call_that_never_comes_back_is_ended_and_scored(
    voice_server: VoiceServer, team: Staff
) -> None:
    session_id = voice_server.start_call(team.rep)
    async with voice_server.connect(voice_server.ticket(team.rep, session_id)) as socket:
        call = Call(socket)
        await call.of_type("audio_done")
        await call.say(REP_LINE)
        await call.until(
            lambda m: m["type"] == "transcript" and m["speaker"] == "rep" and m["final"]
        )
    for _ in range(60):  # QUOTAHIT_VOICE_RESUME_SECONDS is 1 here
        session = voice_server.accounts.one(PracticeSession, PracticeSession.id == session_id)
        if session.status == "ended" and session.analysis_id in voice_server.dispatched:
            break  # the job is dispatched just after the session is ended
        await asyncio.sleep(0.1)
    assert session.status == "ended"
    assert session.end_reason == "dropped"
    assert session.analysis_id in voice_server.dispatched


async def test_opening_the_call_in_another_tab_ends_the_first_connection(
    voice_server: VoiceServer, team: Staff
) -> None:
    first_id = voice_server.start_call(team.rep)
    second_id = voice_server.start_call(team.rep)
    async with voice_server.connect(
        voice_server.ticket(team.rep, first_id, client_token="tab-1")
    ) as first:
        first_call = Call(first)
        await first_call.of_type("ready")
        async with voice_server.connect(
            voice_server.ticket(team.rep, second_id, client_token="tab-2")
        ) as second:
            second_call = Call(second)
            ended = await first_call.of_type("ended")
            assert ended["reason"] == "replaced"
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(first.recv(), 5)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4409
            assert (await second_call.of_type("ready"))["session_id"] == second_id
            await second_call.end()
    first_session = voice_server.accounts.one(PracticeSession, PracticeSession.id == first_id)
    assert first_session.status == "ended"
    assert first_session.end_reason == "replaced"


async def test_the_same_call_opened_again_moves_to_the_new_connection_and_goes_on(
    voice_server: VoiceServer, team: Staff
) -> None:
    session_id = voice_server.start_call(team.rep)
    async with voice_server.connect(voice_server.ticket(team.rep, session_id)) as first:
        first_call = Call(first)
        await first_call.of_type("audio_done")
        await first_call.say(REP_LINE)
        await first_call.until(
            lambda m: m["type"] == "transcript" and m["speaker"] == "rep" and m["final"]
        )
        again = voice_server.ticket(team.rep, session_id, client_token="tab-2")
        async with voice_server.connect(again) as second:
            assert await close_code_after_reading(first) == 4409
            second_call = Call(second)
            ready = await second_call.of_type("ready")
            assert ready["session_id"] == session_id
            ended = await second_call.end()
    assert ended["reason"] == "rep"
    session = voice_server.accounts.one(PracticeSession, PracticeSession.id == session_id)
    turns = json.loads(session.transcript_json)
    assert [t["text"] for t in turns if t["speaker"] == "rep"] == [REP_LINE]
    assert session.end_reason == "rep"


async def test_a_call_ends_at_its_maximum_length(
    voice_server: VoiceServer, team: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUOTAHIT_VOICE_MAX_SECONDS", "5")
    get_settings.cache_clear()
    session_id = voice_server.start_call(team.rep)
    async with voice_server.connect(voice_server.ticket(team.rep, session_id)) as socket:
        call = Call(socket)
        assert (await call.of_type("ready"))["max_seconds"] == 5
        await call.of_type("audio_done")
        await call.say(REP_LINE)
        ended = await call.of_type("ended", within=15)
    assert ended["reason"] == "max_length"
    assert ended["analysis_id"] in voice_server.dispatched


async def test_a_malformed_frame_is_answered_and_the_call_goes_on(
    voice_server: VoiceServer, team: Staff
) -> None:
    session_id = voice_server.start_call(team.rep)
    async with voice_server.connect(voice_server.ticket(team.rep, session_id)) as socket:
        call = Call(socket)
        await call.of_type("ready")
        for junk in ("{", "[]", json.dumps({"type": "playback", "item_id": 5}), "x" * 10_000):
            await socket.send(junk)
        error = await call.of_type("error")
        assert error["code"] == "malformed"
        await socket.send(json.dumps({"type": "ping"}))
        await call.of_type("pong")
        ended = await call.end()
    assert ended["reason"] == "rep"
    assert ended["analysis_id"] is None  # nothing said, nothing to score


async def test_the_local_buyer_answers_from_the_context_the_call_was_started_with(
    voice_server: VoiceServer, team: Staff
) -> None:
    page = "Onboarding takes 14 days with a dedicated success manager. Pro costs $79 per seat."
    session_id = voice_server.start_call(
        team.rep,
        context=[{"kind": "url", "name": "https://acme.example/pricing", "text": page}],
    )
    voice_server.ears.lines = ["How long does onboarding take for a team like ours?"]
    async with voice_server.connect(voice_server.ticket(team.rep, session_id)) as socket:
        call = Call(socket)
        opening = await call.until(lambda m: m["type"] == "transcript" and m["final"])
        await call.say("How long does onboarding take for a team like ours?")
        answer = await call.until(
            lambda m: (
                m["type"] == "transcript"
                and m["final"]
                and m["speaker"] == "buyer"
                and m["item_id"] != opening["item_id"]
            )
        )
        await call.end()
    assert "Onboarding takes 14 days with a dedicated success manager." in answer["text"]
    assert "acme.example website" in answer["text"]
