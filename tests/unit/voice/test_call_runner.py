"""The call runner between a browser socket and an engine, both faked: relaying, keeping the
transcript, coaching, and every way a call ends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from quotahit.voice import events as ev
from quotahit.voice.call import CallHooks, CallRunner
from quotahit.voice.coaching import LiveCoach
from quotahit.voice.engine import CallSetup
from quotahit.voice.transcript import CallTranscript


def setup(**overrides: Any) -> CallSetup:
    options: dict[str, Any] = {
        "session_id": 9,
        "persona_json": "{}",
        "scenario": "discovery",
        "focus": "discovery_questions",
        "difficulty": "medium",
        "instructions": "",
        "opening_line": "",
        "max_seconds": 60,
    }
    return CallSetup(**(options | overrides))


class Browser:
    """The browser's socket: frames the test sends in, frames the runner sent out."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.texts: list[dict[str, Any]] = []
        self.audio: list[bytes] = []
        self.closed_with: int | None = None

    async def send_text(self, text: str) -> None:
        self.texts.append(json.loads(text))

    async def send_bytes(self, data: bytes) -> None:
        self.audio.append(data)

    async def receive(self) -> str | bytes | None:
        return await self.inbox.get()

    async def close(self, code: int) -> None:
        self.closed_with = code

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [t for t in self.texts if t["type"] == kind]


class Engine:
    """An engine that says what the test tells it to, and records what it is given."""

    def __init__(self, *, fail_at_start: ev.EngineFailed | None = None) -> None:
        self.queue: asyncio.Queue[ev.VoiceEvent | None] = asyncio.Queue()
        self.audio = bytearray()
        self.playback: list[tuple[str, int]] = []
        self.muted: list[bool] = []
        self.closed = False
        self.fail_at_start = fail_at_start
        self.buyer_memory = {"turns": 1}

    async def start(self) -> None:
        self.queue.put_nowait(self.fail_at_start or ev.Ready("fake", "fake-model", "fake-voice"))

    async def send_audio(self, audio: bytes) -> None:
        self.audio += audio

    async def playback_stopped(self, item_id: str, played_ms: int) -> None:
        self.playback.append((item_id, played_ms))

    async def set_muted(self, muted: bool) -> None:
        self.muted.append(muted)

    async def events(self) -> AsyncIterator[ev.VoiceEvent]:
        while (event := await self.queue.get()) is not None:
            yield event

    async def close(self) -> None:
        self.closed = True
        self.queue.put_nowait(None)

    def say(self, *events: ev.VoiceEvent) -> None:
        for event in events:
            self.queue.put_nowait(event)


class Hooks:
    def __init__(self) -> None:
        self.saved: list[list[dict[str, Any]]] = []
        self.finished: list[tuple[str, Any]] = []
        self.snapshots: list[dict[str, Any]] = []

    async def save(self, turns: list[dict[str, Any]], memory: dict | None, elapsed: float) -> None:
        self.saved.append(turns)

    async def finish(self, reason: str, audio: tuple[str, int] | None) -> int | None:
        self.finished.append((reason, audio))
        return 77

    def hooks(self) -> CallHooks:
        return CallHooks(
            save=self.save,
            finish=self.finish,
            resume_token=lambda: "resume-token",
            on_update=self.snapshots.append,
        )


async def eventually(check, within: float = 3.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(within / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


def runner(engine: Engine, browser: Browser, hooks: Hooks, **options: Any) -> CallRunner:
    return CallRunner(
        setup=options.pop("setup", setup()),
        transport=browser,
        engine=engine,
        hooks=hooks.hooks(),
        transcript=CallTranscript([], bytes_per_second=48_000),
        coach=options.pop("coach", None),
        recorder=None,
        **options,
    )


async def test_a_call_relays_both_ways_keeps_the_transcript_and_ends_when_the_rep_hangs_up() -> (
    None
):
    engine, browser, hooks = Engine(), Browser(), Hooks()
    call = asyncio.create_task(runner(engine, browser, hooks).run())
    await eventually(lambda: browser.of("ready"))
    ready = browser.of("ready")[0]
    assert ready["engine"] == "fake"
    assert ready["resume_token"] == "resume-token"
    assert ready["session_id"] == 9
    engine.say(
        ev.TranscriptDelta("buyer", "b1", "Hi, "),
        ev.AudioDelta("b1", b"\1\0" * 2400),
        ev.AudioDelta("b1", b"\1\0" * 2400),
        ev.TranscriptDelta("buyer", "b1", "Sarah here."),
        ev.AudioDone("b1"),
        ev.TranscriptDone("buyer", "b1", "Hi, Sarah here."),
    )
    await eventually(lambda: browser.of("audio_done"))
    assert [t["type"] for t in browser.texts].count("audio_start") == 1
    assert len(browser.audio) == 2
    await browser.inbox.put(b"\0\0" * 960)
    engine.say(
        ev.SpeechStarted(),
        ev.SpeechStopped(),
        ev.TranscriptDone("rep", "r1", "What keeps you up at night?"),
    )
    await eventually(lambda: any(t.get("speaker") == "rep" for t in browser.of("transcript")))
    assert bytes(engine.audio) == b"\0\0" * 960
    await browser.inbox.put(json.dumps({"type": "end"}))
    outcome = await asyncio.wait_for(call, 3)
    assert outcome.reason == "rep"
    assert outcome.analysis_id == 77
    assert hooks.finished == [("rep", None)]
    ended = browser.of("ended")[0]
    assert ended == {"type": "ended", "reason": "rep", "session_id": 9, "analysis_id": 77}
    assert browser.closed_with == 1000
    turns = hooks.saved[-1]
    assert [(t["speaker"], t["text"]) for t in turns] == [
        ("buyer", "Hi, Sarah here."),
        ("rep", "What keeps you up at night?"),
    ]
    assert turns[0]["end"] - turns[0]["start"] == pytest.approx(0.2, abs=0.01)  # 200 ms of audio
    assert engine.closed


async def test_a_barge_in_report_reaches_the_engine_and_the_turn_is_cut() -> None:
    engine, browser, hooks = Engine(), Browser(), Hooks()
    call = asyncio.create_task(runner(engine, browser, hooks).run())
    engine.say(
        ev.AudioDelta("b1", b"\1\0" * 24_000),
        ev.TranscriptDone("buyer", "b1", "One two three four."),
    )
    await eventually(lambda: browser.of("transcript"))
    await browser.inbox.put(json.dumps({"type": "playback", "item_id": "b1", "played_ms": 250}))
    await eventually(lambda: engine.playback == [("b1", 250)])
    engine.say(ev.Truncated("b1", 250, "One"))
    await eventually(lambda: browser.of("truncated"))
    await browser.inbox.put(json.dumps({"type": "mute", "muted": True}))
    await eventually(lambda: engine.muted == [True])
    await browser.inbox.put(json.dumps({"type": "ping"}))
    await eventually(lambda: browser.of("pong"))
    await browser.inbox.put("{not json")
    await eventually(lambda: browser.of("error"))
    await browser.inbox.put(json.dumps({"type": "end"}))
    await asyncio.wait_for(call, 3)
    assert [t["text"] for t in hooks.saved[-1]] == ["One"]
    assert hooks.saved[-1][0]["interrupted"] is True  # the page marks it as cut off
    assert hooks.snapshots[-1]["turns"][0]["interrupted"] is True


async def test_a_dropped_socket_keeps_the_call_for_a_resume() -> None:
    engine, browser, hooks = Engine(), Browser(), Hooks()
    call = asyncio.create_task(runner(engine, browser, hooks).run())
    engine.say(ev.TranscriptDone("rep", "r1", "Hello?"))
    await eventually(lambda: browser.of("transcript"))
    await browser.inbox.put(None)
    outcome = await asyncio.wait_for(call, 3)
    assert outcome.reason == ""
    assert hooks.finished == []
    assert hooks.saved[-1][0]["text"] == "Hello?"
    assert hooks.snapshots[-1]["status"] == "reconnecting"


async def test_the_call_ends_at_its_maximum_length() -> None:
    engine, browser, hooks = Engine(), Browser(), Hooks()
    outcome = await asyncio.wait_for(
        runner(engine, browser, hooks, setup=setup(max_seconds=1)).run(), 5
    )
    assert outcome.reason == "max_length"
    assert any("maximum length" in n["message"] for n in browser.of("notice"))


async def test_an_engine_failing_mid_call_ends_it_with_the_reason() -> None:
    engine, browser, hooks = Engine(), Browser(), Hooks()
    call = asyncio.create_task(runner(engine, browser, hooks).run())
    await eventually(lambda: browser.of("ready"))
    engine.say(ev.EngineFailed("unreachable", "The connection to OpenAI was lost."))
    outcome = await asyncio.wait_for(call, 3)
    assert outcome.reason == "error"
    assert browser.of("error")[0]["code"] == "unreachable"
    assert browser.of("ended")[0]["reason"] == "error"


async def test_an_engine_failing_at_start_hands_over_to_the_fallback() -> None:
    failing = Engine(fail_at_start=ev.EngineFailed("auth", "OpenAI refused the key."))
    spare, browser, hooks = Engine(), Browser(), Hooks()
    call = asyncio.create_task(runner(failing, browser, hooks, fallback=lambda: spare).run())
    await eventually(lambda: browser.of("ready"))
    assert browser.of("ready")[0]["engine"] == "fake"
    assert "OpenAI refused the key." in browser.of("notice")[0]["message"]
    assert failing.closed
    await browser.inbox.put(json.dumps({"type": "end"}))
    assert (await asyncio.wait_for(call, 3)).reason == "rep"


async def test_opening_the_call_elsewhere_replaces_this_connection() -> None:
    engine, browser, hooks = Engine(), Browser(), Hooks()
    run = runner(engine, browser, hooks)
    call = asyncio.create_task(run.run())
    await eventually(lambda: browser.of("ready"))
    run.replace()
    outcome = await asyncio.wait_for(call, 3)
    assert outcome.reason == "replaced"
    assert browser.closed_with == 4409


async def test_the_buyer_hanging_up_ends_the_call_after_the_last_words_play() -> None:
    engine, browser, hooks = Engine(), Browser(), Hooks()
    call = asyncio.create_task(runner(engine, browser, hooks).run())
    engine.say(
        ev.AudioDelta("b1", b"\1\0" * 12_000),  # 0.5 s still to play
        ev.TranscriptDone("buyer", "b1", "I have to go. Bye."),
        ev.BuyerHungUp("I have to go. Bye."),
    )
    started = asyncio.get_running_loop().time()
    outcome = await asyncio.wait_for(call, 5)
    assert outcome.reason == "buyer"
    assert asyncio.get_running_loop().time() - started >= 0.5


async def test_coaching_hints_reach_the_browser_and_the_page() -> None:
    engine, browser, hooks = Engine(), Browser(), Hooks()
    coach = LiveCoach("objection_handling", "objection_handling")
    call = asyncio.create_task(runner(engine, browser, hooks, coach=coach).run())
    engine.say(
        ev.TranscriptDone(
            "buyer", "b1", "Honestly this is too expensive, the price is way over our budget."
        )
    )
    await eventually(lambda: browser.of("hint"))
    hint = browser.of("hint")[0]
    assert hint["kind"] == "objection"
    await eventually(lambda: hooks.snapshots and hooks.snapshots[-1]["hints"])
    await browser.inbox.put(json.dumps({"type": "end"}))
    await asyncio.wait_for(call, 3)
