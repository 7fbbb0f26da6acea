"""The local engine's text foundations with the real bundled embedding model: retrieval, intents."""

from __future__ import annotations

import pytest

from quotahit.brain import intents, retrieval


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("The buyer says we're too expensive, what do I say?", "“You're too expensive”"),
        ("They told me they have no budget this year", "“We don't have budget”"),
        ("What questions should I ask on a discovery call?", "Discovery question bank"),
        ("Their security team will block the purchase", "“Security won't approve this”"),
        ("How do I make sure the call ends with a next step?", "Always leave with a next step"),
    ],
)
def test_the_playbook_answers_with_the_right_passage(question: str, expected: str) -> None:
    titles = [hit.title for hit in retrieval.search_playbook(question, top_k=3)]
    assert expected in titles, titles


def test_documents_are_chunked_searched_and_cited() -> None:
    pricing = "Acme Pro costs 49 dollars per seat per month. Annual plans get two months free. " * 3
    security = "Acme is SOC 2 Type II certified and encrypts data at rest with AES-256. " * 3
    index = retrieval.DocumentIndex.build([("pricing.pdf", pricing), ("security.pdf", security)])
    [best] = index.search("Is the product SOC 2 compliant?", top_k=1)
    assert best.source == "security.pdf"
    [best] = index.search("How much is a seat?", top_k=1)
    assert best.source == "pricing.pdf"
    assert retrieval.DocumentIndex.build([]).search("anything") == []


def test_chunks_overlap_and_cover_the_text() -> None:
    words = [f"w{i}" for i in range(300)]
    chunks = retrieval.chunk_text(" ".join(words), words=100, overlap=20)
    assert chunks[0].split()[0] == "w0"
    assert chunks[1].split()[0] == "w80"
    assert chunks[-1].split()[-1] == "w299"
    assert retrieval.chunk_text("   ") == []


@pytest.mark.parametrize(
    ("utterance", "expected"),
    [
        ("What does your onboarding process look like today?", "discovery_question"),
        ("Who signs off on purchases like this?", "qualification"),
        ("Our tool cuts admin time in half with automatic call notes.", "pitch"),
        ("Could we set up a call with your VP on Thursday?", "next_step"),
        ("I get that cost matters. What are you comparing us against?", "objection_handling"),
        ("Hey, thanks for making time for me this morning.", "greeting"),
    ],
)
def test_rep_intents_are_recognised(utterance: str, expected: str) -> None:
    intent = intents.detect_intent(utterance)
    assert intent.name == expected, intent.scores


def test_questions_are_told_from_statements() -> None:
    assert intents.detect_intent("How many reps are on your team?").is_question
    assert not intents.detect_intent("We have forty customers in retail.").is_question
    assert intents.detect_intent("   ").name == "none"
