"""The local buyer's use of the rep's context documents: figures, matching, what it says."""

from __future__ import annotations

import random

import pytest

from quotahit.practice.buyer_context import (
    ContextKnowledge,
    Figure,
    figures,
    is_question,
    split_sentences,
    spoken_name,
    stems,
)

PRICING_PAGE = """Acme Sales Cloud pricing
The Pro plan costs $79 per seat per month, billed annually.
The Starter plan costs $29 per seat per month.
Customers cut new-hire ramp time by 30% in their first quarter.
Onboarding takes 14 days with a dedicated success manager.
Acme integrates with Salesforce and HubSpot out of the box.
Acme has 120 sales reps across three regions."""
ONE_PAGER = "We are hiring 40 new reps this year. Our win rate dropped to 18% last quarter."


def knowledge() -> ContextKnowledge:
    return ContextKnowledge(
        [
            ("url", "https://www.acme.com/pricing", PRICING_PAGE),
            ("pdf", "acme_one-pager.pdf", ONE_PAGER),
            ("image", "logo.png", "data:image/png;base64,AAAA"),
        ]
    )


def react(text: str, *, cited: tuple[int, ...] = (), quiet: bool = False):  # type: ignore[no-untyped-def]
    return knowledge().react(text, cited=cited, quiet=quiet, rng=random.Random(3))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It costs $1,200 a year", [Figure("money", 1200)]),
        ("about 50 dollars, or $2k for the team", [Figure("money", 50), Figure("money", 2000)]),
        ("€3.5 million in pipeline", [Figure("money", 3_500_000)]),
        ("a 30% lift, 12 percent churn", [Figure("percent", 30), Figure("percent", 12)]),
        (
            "14 days, 3-week pilot, 120 reps",
            [Figure("day", 14), Figure("week", 3), Figure("rep", 120)],
        ),
        ("nothing to count here", []),
    ],
)
def test_figures_are_read_with_their_kind(text: str, expected: list[Figure]) -> None:
    assert list(figures(text)) == expected


def test_words_meet_across_plurals_and_endings_and_small_words_are_ignored() -> None:
    assert stems("Onboarding takes") == stems("onboard take")
    assert stems("the and with your 2024") == frozenset()


def test_documents_are_named_as_a_buyer_would_say_them() -> None:
    assert spoken_name("url", "https://www.acme.com/pricing?x=1") == "the acme.com website"
    assert spoken_name("pdf", "Q3_board-deck.pdf") == "the Q3 board deck document"
    assert spoken_name("text", ".txt") == "your document"
    assert spoken_name("url", "Pricing | Acme Sales Cloud") == "the Pricing page"


def test_only_sentences_worth_quoting_are_kept() -> None:
    kept = split_sentences("Pricing\nShort one. This sentence has enough words to quote\n• Yes")
    assert kept == ["This sentence has enough words to quote."]


def test_a_figure_the_documents_state_differently_is_called_out_with_the_documents_words() -> None:
    line = react("It's only $50 per seat per month for the Pro plan.")
    assert line is not None
    assert line.kind == "challenge"
    assert "The Pro plan costs $79 per seat per month, billed annually." in line.text
    assert "acme.com website" in line.text
    percent = react("Teams cut ramp time by 50 percent with us.")
    assert percent is not None
    assert percent.kind == "challenge"
    assert "30%" in percent.text


def test_a_figure_one_of_the_documents_states_is_not_challenged() -> None:
    # $29 is the Starter plan's price: the Pro plan's $79 in another sentence is no contradiction.
    line = react("The Starter plan is $29 per seat.")
    assert line is None or line.kind != "challenge"


def test_a_question_the_documents_answer_is_answered_with_their_sentence() -> None:
    line = react("How long does onboarding take")
    assert line is not None
    assert line.kind == "answer"
    assert "Onboarding takes 14 days with a dedicated success manager." in line.text
    hiring = react("How many reps are you hiring this year?")
    assert hiring is not None
    assert "in the acme one pager document" in hiring.text or "acme one pager" in hiring.text
    assert "We are hiring 40 new reps this year." in hiring.text


def test_a_claim_the_documents_speak_to_is_quoted_back_and_probed() -> None:
    line = react("We integrate with Salesforce and HubSpot natively.")
    assert line is not None
    assert line.kind == "probe"
    assert line.text.endswith("?")
    assert "Acme integrates with Salesforce and HubSpot out of the box." in line.text


def test_small_talk_and_words_in_every_sentence_match_nothing() -> None:
    assert react("Hi, how are you today?") is None
    assert react("What are your biggest challenges?") is None
    many = ContextKnowledge(
        [("text", "notes.txt", "\n".join(f"Acme cloud fact number {n} here." for n in range(9)))]
    )
    assert (
        many.react("Tell me about Acme cloud", cited=(), quiet=False, rng=random.Random(0)) is None
    )


def test_a_sentence_is_quoted_once_and_a_quiet_turn_only_allows_a_challenge() -> None:
    first = react("How long does onboarding take?")
    assert first is not None
    assert react("How long does onboarding take?", cited=(first.sentence,)) is None
    assert react("How long does onboarding take?", quiet=True) is None
    challenge = react("Onboarding takes about 30 days.", quiet=True)
    assert challenge is not None
    assert challenge.kind == "challenge"


def test_speech_to_text_without_a_question_mark_still_reads_as_a_question() -> None:
    assert is_question("so how many people are on the team")
    assert is_question("Is that right?")
    assert not is_question("We help teams ramp faster.")


def test_no_documents_means_no_lines() -> None:
    empty = ContextKnowledge([("image", "a.png", "data:image/png;base64,AAAA"), ("text", "b", " ")])
    assert not empty
    assert empty.react("How much is it?", cited=(), quiet=False, rng=random.Random(0)) is None
