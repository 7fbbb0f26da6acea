"""Call metrics measured on hand-made timed transcripts whose right answers are known."""

from __future__ import annotations

import pytest

from quotahit.analysis import metrics
from quotahit.analysis.benchmarks import BENCHMARKS
from quotahit.analysis.metrics import PROSPECT, REP, Turn

CALL = [
    Turn(REP, 0.0, 10.0, "Hi Dana, thanks for making time. How does your team handle onboarding?"),
    Turn(PROSPECT, 11.5, 41.5, "Well, we do it by hand, um, and it takes weeks for every rep."),
    Turn(REP, 42.0, 52.0, "What does that cost you? Tell me more about the last hire."),
    Turn(PROSPECT, 53.0, 60.0, "It was painful."),
    Turn(PROSPECT, 60.5, 80.0, "We lost a whole quarter of pipeline while she ramped up."),
    Turn(REP, 79.0, 99.0, "I hear you. Our tool, you know, automates the whole ramp."),
    Turn(PROSPECT, 100.0, 105.0, "Interesting."),
    Turn(REP, 105.5, 110.0, "Can we book a demo with your manager next Tuesday?"),
]


def test_talk_ratio_is_measured_from_speaking_time() -> None:
    assert metrics.talk_ratio(CALL) == (42.0, 58.0)  # 44.5 s of rep talk, 61.5 s of prospect
    assert metrics.talk_ratio([]) == (0.0, 0.0)


def test_monologues_merge_short_pauses_of_one_speaker() -> None:
    assert metrics.longest_monologue(CALL, PROSPECT) == 30.0
    # 53.0-60.0 and 60.5-80.0 are one story: a half-second breath is not a hand-over.
    story = [Turn(PROSPECT, 53.0, 60.0, "a"), Turn(PROSPECT, 60.5, 80.0, "b")]
    assert metrics.longest_monologue(story, PROSPECT) == 27.0
    assert metrics.longest_monologue(CALL, REP) == 20.0


def test_questions_are_listed_sentence_by_sentence() -> None:
    assert metrics.rep_questions(CALL) == [
        "How does your team handle onboarding?",
        "What does that cost you?",
        "Tell me more about the last hire.",
        "Can we book a demo with your manager next Tuesday?",
    ]


def test_interruptions_patience_rate_fillers_next_steps() -> None:
    assert metrics.interruptions(CALL) == 1  # 79.0 starts while the prospect talks until 80.0
    assert metrics.patience(CALL) == pytest.approx((0.5 + 0.0 + 0.5) / 3, abs=0.01)
    assert metrics.words_per_minute(CALL) == pytest.approx(45 / 44.5 * 60, abs=0.1)
    assert metrics.filler_words_per_minute(CALL) == pytest.approx(1 / 44.5 * 60, abs=0.1)
    assert metrics.next_steps(CALL) == ["Can we book a demo with your manager next Tuesday?"]


def test_measure_gathers_everything_and_benchmarks_judge_it() -> None:
    measured = metrics.measure(CALL)
    assert measured.duration_seconds == 110.0
    assert measured.interruptions_by_rep == 1
    assert BENCHMARKS["rep_talk_percent"].verdict(measured.rep_talk_percent) == "good"
    assert BENCHMARKS["rep_questions"].verdict(len(measured.rep_questions)) == "low"
    assert BENCHMARKS["longest_prospect_story_seconds"].verdict(30.0) == "low"
    assert BENCHMARKS["patience_seconds"].verdict(measured.patience_seconds) == "low"
    assert all(benchmark.source for benchmark in BENCHMARKS.values())


def test_a_one_sided_or_silent_call_measures_without_dividing_by_zero() -> None:
    alone = [Turn(REP, 0.0, 30.0, "Hello? Is anyone there?")]
    measured = metrics.measure(alone)
    assert (measured.rep_talk_percent, measured.prospect_talk_percent) == (100.0, 0.0)
    assert measured.patience_seconds == 0.0
    assert metrics.measure([]).rep_words_per_minute == 0.0
