"""The engine → call queue merges transcript words still waiting and keeps everything else."""

from __future__ import annotations

import asyncio

from quotahit.voice import events as ev
from quotahit.voice.event_queue import EventQueue, merged


def drain(queue: EventQueue) -> list[ev.VoiceEvent | None]:
    out: list[ev.VoiceEvent | None] = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


async def test_queued_deltas_of_one_turn_become_one_delta_with_all_the_words() -> None:
    queue = EventQueue()
    for word in ("What ", "are ", "your ", "goals?"):
        queue.put_nowait(ev.TranscriptDelta("rep", "r1", word))
    assert drain(queue) == [ev.TranscriptDelta("rep", "r1", "What are your goals?")]


async def test_deltas_of_other_turns_or_speakers_are_not_merged() -> None:
    queue = EventQueue()
    events = [
        ev.TranscriptDelta("rep", "r1", "Hello "),
        ev.TranscriptDelta("rep", "r2", "Second "),
        ev.TranscriptDelta("buyer", "r2", "Buyer "),
    ]
    for event in events:
        queue.put_nowait(event)
    assert drain(queue) == events


async def test_audio_between_deltas_keeps_its_place_and_stops_the_merge() -> None:
    queue = EventQueue()
    events = [
        ev.TranscriptDelta("buyer", "b1", "Well "),
        ev.AudioDelta("b1", b"\x01\x02"),
        ev.TranscriptDelta("buyer", "b1", "maybe."),
    ]
    for event in events:
        queue.put_nowait(event)
    assert drain(queue) == events


async def test_a_replacing_delta_drops_the_stale_words_queued_before_it() -> None:
    queue = EventQueue()
    queue.put_nowait(ev.TranscriptDelta("rep", "r1", "we sell", replace=True))
    queue.put_nowait(ev.TranscriptDelta("rep", "r1", " tools"))
    queue.put_nowait(ev.TranscriptDelta("rep", "r1", "we help sales teams", replace=True))
    queue.put_nowait(ev.TranscriptDelta("rep", "r1", " win"))
    assert drain(queue) == [
        ev.TranscriptDelta("rep", "r1", "we help sales teams win", replace=True)
    ]
    assert merged(
        ev.TranscriptDelta("rep", "r1", "a", replace=True), ev.TranscriptDelta("rep", "r1", "b")
    ) == ev.TranscriptDelta("rep", "r1", "ab", replace=True)


async def test_the_final_text_absorbs_its_queued_delta_but_not_another_turns() -> None:
    queue = EventQueue()
    queue.put_nowait(ev.TranscriptDelta("rep", "r1", "What are"))
    queue.put_nowait(ev.TranscriptDone("rep", "r1", "What are your goals?"))
    queue.put_nowait(ev.TranscriptDelta("buyer", "b1", "We "))
    queue.put_nowait(ev.TranscriptDone("buyer", "b2", "Other."))
    assert drain(queue) == [
        ev.TranscriptDone("rep", "r1", "What are your goals?"),
        ev.TranscriptDelta("buyer", "b1", "We "),
        ev.TranscriptDone("buyer", "b2", "Other."),
    ]


async def test_a_waiting_reader_gets_the_first_delta_and_the_end_marker_still_arrives() -> None:
    queue = EventQueue()
    got = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait(ev.TranscriptDelta("rep", "r1", "Hi"))
    assert await asyncio.wait_for(got, 1) == ev.TranscriptDelta("rep", "r1", "Hi")
    queue.put_nowait(ev.TranscriptDelta("rep", "r1", " there"))
    queue.put_nowait(None)
    assert drain(queue) == [ev.TranscriptDelta("rep", "r1", " there"), None]
