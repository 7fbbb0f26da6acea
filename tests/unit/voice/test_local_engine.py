"""The local voice engine end to end, with scripted ears and voice so turns are exact.

The voice detector and the buyer's dialogue manager are real; Whisper and Piper are replaced by
a script and a tone generator (they have their own tests, and the benchmark runs them live).
"""

from __future__ import annotations

import asyncio
import time

from quotahit.practice import library
from quotahit.practice.personas import BUILT_IN_PERSONAS
from quotahit.providers.local.audio import pcm16_to_mulaw
from quotahit.voice import events as ev
from quotahit.voice.engine import PHONE_AUDIO, CallSetup
from quotahit.voice.local_engine import LocalVoiceSession
from tests.support.voice_audio import MS_PER_CHAR, Ears, Voice, chunks, silence, speech_pcm


def setup(**overrides: object) -> CallSetup:
    options: dict = {
        "session_id": 1,
        "persona_json": library.persona_json(BUILT_IN_PERSONAS["sarah_mitchell"]),
        "scenario": "discovery",
        "focus": "discovery_questions",
        "difficulty": "medium",
        "instructions": "",
        "opening_line": "",
        "patience_s": 30.0,
        "seed": 7,
    }
    return CallSetup(**(options | overrides))


class Recorder:
    """Collects the engine's events in a task."""

    def __init__(self, engine: LocalVoiceSession) -> None:
        self.events: list[ev.VoiceEvent] = []
        self._task = asyncio.create_task(self._collect(engine))

    async def _collect(self, engine: LocalVoiceSession) -> None:
        async for event in engine.events():
            self.events.append(event)

    async def until(self, predicate, within: float = 5.0) -> ev.VoiceEvent:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + within
        seen = 0
        while time.monotonic() < deadline:
            for event in self.events[seen:]:
                if predicate(event):
                    return event
            seen = len(self.events)
            await asyncio.sleep(0.01)
        raise AssertionError(f"not seen in {within} s; events: {self.kinds()}")

    def kinds(self) -> list[str]:
        return [type(e).__name__ for e in self.events]

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


async def say(
    engine: LocalVoiceSession, text: str, *, rate: int = 24_000, tail: float = 0.8
) -> None:
    for chunk in chunks(speech_pcm(text, rate) + silence(tail, rate), rate):
        await engine.send_audio(chunk)
        await asyncio.sleep(0)


def buyer_done(event: ev.VoiceEvent) -> bool:
    return isinstance(event, ev.TranscriptDone) and event.speaker == "buyer"


async def test_the_buyer_opens_then_answers_a_spoken_question() -> None:
    ears, voice = Ears("What are your biggest challenges with the team right now?"), Voice()
    engine = LocalVoiceSession(setup(), transcribe=ears, voice=voice, voice_name="test")
    recorder = Recorder(engine)
    await engine.start()
    opening = await recorder.until(buyer_done)
    assert isinstance(opening, ev.TranscriptDone)
    assert "Sarah" in opening.text
    assert isinstance(recorder.events[0], ev.Ready)
    assert recorder.events[0].engine == "local"
    await say(engine, "What are your biggest challenges with the team right now?")
    rep = await recorder.until(lambda e: isinstance(e, ev.TranscriptDone) and e.speaker == "rep")
    assert rep.text == "What are your biggest challenges with the team right now?"
    answer = await recorder.until(lambda e: buyer_done(e) and e is not opening)
    assert answer.text
    assert answer.text != opening.text
    kinds = recorder.kinds()
    assert kinds.index("SpeechStarted") < kinds.index("SpeechStopped")
    # The answer worked out at the pause was used: the whole turn was transcribed once (an
    # earlier, shorter pass is the live transcript while the rep was still talking).
    spoken_s = len(speech_pcm("What are your biggest challenges with the team right now?")) / 48_000
    assert [s for s in ears.heard_seconds if s >= spoken_s] == [ears.heard_seconds[-1]]
    audio = [e for e in recorder.of(ev.AudioDelta) if e.item_id == answer.item_id]
    assert audio
    assert all(len(a.pcm) <= 4_800 for a in audio)
    assert voice.spoken[-1] in answer.text
    await engine.close()


async def test_talking_over_the_buyer_stops_the_voice_and_cuts_the_turn_to_what_was_heard() -> None:
    voice = Voice(seconds_per_sentence=0.25)
    engine = LocalVoiceSession(
        setup(), transcribe=Ears("Sorry, can I jump in?"), voice=voice, voice_name="test"
    )
    recorder = Recorder(engine)
    await engine.start()
    first_audio = await recorder.until(lambda e: isinstance(e, ev.AudioDelta))
    await say(engine, "Sorry, can I jump in here for a second?")
    await recorder.until(lambda e: isinstance(e, ev.SpeechStarted))
    done = await recorder.until(lambda e: isinstance(e, ev.AudioDone))
    opening_sentences = len(library.persona_from_json(setup().persona_json).opening_line.split("."))
    assert done.item_id == first_audio.item_id
    # The browser says it played 300 ms: the turn keeps only the words of those 300 ms.
    await engine.playback_stopped(first_audio.item_id, 300)
    cut = await recorder.until(lambda e: isinstance(e, ev.Truncated))
    assert cut.item_id == first_audio.item_id
    assert cut.audio_end_ms == 300
    full = next(e for e in recorder.of(ev.TranscriptDone) if e.item_id == first_audio.item_id)
    assert len(cut.text.split()) < len(full.text.split())
    assert full.text.startswith(cut.text)
    assert len(voice.spoken) <= max(1, opening_sentences)
    await engine.close()


async def test_the_buyer_fills_a_long_silence_but_not_while_muted() -> None:
    engine = LocalVoiceSession(
        setup(patience_s=1.0), transcribe=Ears(), voice=Voice(), voice_name="test"
    )
    recorder = Recorder(engine)
    await engine.start()
    opening = await recorder.until(buyer_done)
    await engine.set_muted(True)
    await asyncio.sleep(1.6)
    assert len([e for e in recorder.events if buyer_done(e)]) == 1
    await engine.set_muted(False)
    filler = await recorder.until(lambda e: buyer_done(e) and e is not opening, within=4)
    assert filler.text
    await engine.close()


async def test_a_phone_call_speaks_and_hears_mu_law_at_8_khz() -> None:
    engine = LocalVoiceSession(
        setup(audio=PHONE_AUDIO),
        transcribe=Ears("Who is this?"),
        voice=Voice(),
        voice_name="test",
    )
    recorder = Recorder(engine)
    await engine.start()
    opening = await recorder.until(buyer_done)
    audio = b"".join(e.pcm for e in recorder.of(ev.AudioDelta) if e.item_id == opening.item_id)
    # One byte per sample at 8 kHz: as long as the tone the voice made.
    assert abs(
        len(audio) - 8 * MS_PER_CHAR * len(opening.text.replace(" ", ""))
    ) < 8 * MS_PER_CHAR * len(opening.text)
    mulaw = pcm16_to_mulaw(speech_pcm("Who is this?", 8_000) + silence(0.8, 8_000))
    for chunk in [mulaw[i : i + 160] for i in range(0, len(mulaw), 160)]:
        await engine.send_audio(chunk)
        await asyncio.sleep(0)
    rep = await recorder.until(lambda e: isinstance(e, ev.TranscriptDone) and e.speaker == "rep")
    assert rep.text == "Who is this?"
    await engine.close()


async def test_a_resumed_call_does_not_open_again() -> None:
    first = LocalVoiceSession(setup(), transcribe=Ears(), voice=Voice(), voice_name="test")
    recorder = Recorder(first)
    await first.start()
    await recorder.until(buyer_done)
    await first.close()
    again = LocalVoiceSession(
        setup(), buyer_memory=first.buyer_memory, transcribe=Ears(), voice=Voice(), voice_name="t"
    )
    recorder = Recorder(again)
    await again.start()
    await asyncio.sleep(0.3)
    assert recorder.kinds() == ["Ready"]
    await again.close()


async def test_noise_that_is_not_words_is_no_turn() -> None:
    engine = LocalVoiceSession(setup(), transcribe=Ears(""), voice=Voice(), voice_name="test")
    recorder = Recorder(engine)
    await engine.start()
    await recorder.until(buyer_done)
    await say(engine, "Hmm, right.")
    await recorder.until(lambda e: isinstance(e, ev.SpeechStopped))
    await asyncio.sleep(0.3)
    assert not [e for e in recorder.of(ev.TranscriptDone) if e.speaker == "rep"]
    await engine.close()
