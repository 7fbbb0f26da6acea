"""The local voice buyer uses the rep's context documents, remembering what it quoted."""

from __future__ import annotations

import asyncio

from quotahit.practice import library
from quotahit.practice.personas import BUILT_IN_PERSONAS
from quotahit.voice import events as ev
from quotahit.voice.dialogue import CITED_KEY, BuyerBrain
from quotahit.voice.local_engine import LocalVoiceSession
from tests.support.voice_audio import Ears, Voice
from tests.unit.voice.test_local_engine import Recorder, buyer_done, say, setup

DOCUMENTS = (
    (
        "url",
        "https://acme.com/pricing",
        "The Pro plan costs $79 per seat per month, billed annually. "
        "Onboarding takes 14 days with a dedicated success manager.",
    ),
)


def brain(**options: object) -> BuyerBrain:
    values: dict = {
        "persona_json": library.persona_json(BUILT_IN_PERSONAS["sarah_mitchell"]),
        "scenario": "discovery",
        "difficulty": "medium",
        "seed": 7,
        "context": DOCUMENTS,
    }
    return BuyerBrain(**(values | options))


def test_a_wrong_price_is_called_out_and_costs_warmth() -> None:
    buyer = brain()
    buyer.opening()
    plain = brain(context=())
    plain.opening()
    wrong = buyer.answer("Our Pro plan is just $49 per seat per month.")
    same_words = plain.answer("Our Pro plan is just $49 per seat per month.")
    assert "The Pro plan costs $79 per seat per month" in wrong.text
    assert "acme.com website" in wrong.text
    assert wrong.memory["warmth"] < same_words.memory["warmth"]
    assert wrong.memory[CITED_KEY] == [0]


def test_quoted_sentences_are_remembered_across_turns_and_lines_are_spaced_out() -> None:
    buyer = brain()
    buyer.opening()
    first = buyer.answer("How long does onboarding take?")
    assert "Onboarding takes 14 days" in first.text
    buyer.commit(first)
    again = buyer.answer("How long does onboarding take?")
    assert "Onboarding takes 14 days" not in again.text  # quoted once, and last turn quoted
    buyer.commit(again)
    assert buyer.memory is not None
    assert buyer.memory[CITED_KEY] == [1]
    # A buyer rebuilt from the stored memory (a resumed call) remembers too.
    resumed = brain(memory=buyer.memory)
    assert "Onboarding takes 14 days" not in resumed.answer("How long is onboarding then?").text


def test_a_speculative_answer_commits_nothing_until_spoken() -> None:
    buyer = brain()
    buyer.opening()
    buyer.answer("How long does onboarding take?")
    assert buyer.memory is not None
    assert buyer.memory.get(CITED_KEY, []) == []


async def test_the_local_voice_buyer_answers_from_the_documents() -> None:
    question = "How long does onboarding take with you?"
    engine = LocalVoiceSession(
        setup(context_documents=DOCUMENTS), transcribe=Ears(question), voice=Voice(), voice_name="t"
    )
    recorder = Recorder(engine)
    await engine.start()
    opening = await recorder.until(buyer_done)
    await say(engine, question)
    answer = await recorder.until(lambda e: buyer_done(e) and e is not opening)
    assert isinstance(answer, ev.TranscriptDone)
    assert "Onboarding takes 14 days with a dedicated success manager." in answer.text
    await engine.close()
    await asyncio.sleep(0)
