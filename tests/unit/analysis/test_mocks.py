"""The mock training calls: well-formed timed transcripts whose analyses differ from one another."""

from __future__ import annotations

import itertools

import pytest

from quotahit.analysis import metrics
from quotahit.analysis.judgement import FOCUSES
from quotahit.analysis.metrics import PROSPECT, REP
from quotahit.analysis.mocks import MOCK_CALLS, get_mock

EXPECTED_FOCUSES = {
    "discovery-northwind": "discovery",
    "demo-follow-up-brightpath": "demo",
    "security-review-halcyon": "objection_handling",
    "pricing-negotiation-meridian": "negotiation",
    "objection-handling-crestline": "objection_handling",
    "closing-atlas": "closing",
}
MEASURED = {slug: metrics.measure(call.turns) for slug, call in MOCK_CALLS.items()}


def test_six_mocks_in_a_fixed_order_with_their_focus() -> None:
    assert list(MOCK_CALLS) == list(EXPECTED_FOCUSES)
    for slug, call in MOCK_CALLS.items():
        assert call.slug == slug
        assert call.focus == EXPECTED_FOCUSES[slug]
        assert call.focus in FOCUSES
        assert call.title
        assert call.description


@pytest.mark.parametrize("slug", list(MOCK_CALLS))
def test_timings_are_monotonic_and_the_call_is_four_to_eight_minutes(slug: str) -> None:
    turns = MOCK_CALLS[slug].turns
    assert 25 <= len(turns) <= 50
    assert turns[0].start == 0.0
    for turn in turns:
        assert 0.0 <= turn.start < turn.end
        assert turn.speaker in (REP, PROSPECT)
        assert turn.text.strip()
    for previous, turn in itertools.pairwise(turns):
        assert turn.start > previous.start
    assert {turn.speaker for turn in turns} == {REP, PROSPECT}
    assert 240 <= MEASURED[slug].duration_seconds <= 480


@pytest.mark.parametrize("slug", list(MOCK_CALLS))
def test_turn_lengths_follow_a_speaking_rate(slug: str) -> None:
    for turn in MOCK_CALLS[slug].turns:
        if turn.words >= 5:
            assert 130 <= turn.words / turn.duration * 60 <= 210


def test_analyses_differ_from_mock_to_mock() -> None:
    talk_ratios = [measured.rep_talk_percent for measured in MEASURED.values()]
    question_counts = [len(measured.rep_questions) for measured in MEASURED.values()]
    assert len(set(talk_ratios)) == len(MOCK_CALLS)
    assert len(set(question_counts)) == len(MOCK_CALLS)


def test_mocks_cover_both_sides_of_the_benchmarks() -> None:
    measured = MEASURED.values()
    assert any(m.next_steps for m in measured)
    assert any(not m.next_steps for m in measured)
    assert any(m.longest_prospect_story_seconds > 50 for m in measured)
    assert any(m.longest_rep_monologue_seconds > 120 for m in measured)
    assert any(m.interruptions_by_rep > 0 for m in measured)
    assert any(m.interruptions_by_rep == 0 for m in measured)
    assert (
        min(m.rep_talk_percent for m in measured) < 50 < max(m.rep_talk_percent for m in measured)
    )


def test_get_mock_finds_a_slug_or_names_the_ones_that_exist() -> None:
    assert get_mock("closing-atlas") is MOCK_CALLS["closing-atlas"]
    with pytest.raises(KeyError, match="discovery-northwind"):
        get_mock("no-such-call")
