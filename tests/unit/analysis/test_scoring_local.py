"""The local engine's judgement on hand-made calls whose better and worse moments are known."""

from __future__ import annotations

import time

import pytest

from quotahit.analysis import local_judge, rubrics, transcript_lines
from quotahit.analysis.judgement import FOCUSES, IMPROVEMENT, POSITIVE, SCORE_KEYS, Judgement
from quotahit.analysis.metrics import PROSPECT, REP, Turn, measure


def call(*lines: tuple[str, float, str], pause: float = 1.2) -> list[Turn]:
    """Turns from (speaker, seconds spoken, text), each starting `pause` after the last ended."""
    turns: list[Turn] = []
    clock = 0.0
    for speaker, seconds, text in lines:
        turns.append(Turn(speaker, clock, clock + seconds, text))
        clock += seconds + pause
    return turns


GOOD_DISCOVERY = call(
    (REP, 6, "Hi Dana, thanks for making time today. How was the conference last week?"),
    (PROSPECT, 8, "It was great, busy but great. Glad to be back."),
    (REP, 6, "Glad to hear it. What prompted you to take this call now?"),
    (PROSPECT, 70, "Our new reps take months to ramp. Last quarter we hired six and " * 3),
    (REP, 8, "That sounds frustrating. How do you onboard a new rep today?"),
    (PROSPECT, 60, "Mostly shadowing and a long deck, then they learn on live calls. " * 3),
    (REP, 5, "What does a slow ramp cost you, Dana?"),
    (PROSPECT, 30, "Probably two hundred thousand in missed pipeline per hire."),
    (REP, 5, "Walk me through what a great first month would look like."),
    (PROSPECT, 40, "They would run real discovery calls by week three with confidence."),
    (REP, 5, "Who else cares about ramp time on your side?"),
    (PROSPECT, 20, "Our VP of sales and the enablement lead."),
    (REP, 5, "How do they measure success for enablement?"),
    (PROSPECT, 25, "Time to first deal and quota attainment in the first two quarters."),
    (REP, 5, "What have you tried so far to speed it up?"),
    (PROSPECT, 30, "We tried a recorded call library but nobody watches it."),
    (REP, 5, "Why do you think nobody watches it?"),
    (PROSPECT, 25, "It is passive, they want to practise, not watch."),
    (REP, 5, "Tell me more about how they would like to practise."),
    (PROSPECT, 30, "Role plays with feedback, without bothering their manager every time."),
    (REP, 12, "Makes sense. Our customers use AI role plays for exactly that."),
    (PROSPECT, 10, "Honestly, this sounds expensive for a team our size."),
    (
        REP,
        14,
        "I hear you, that's a fair concern. What are you comparing it to? Most teams "
        "save three weeks of ramp per rep, which pays for itself with the first hire.",
    ),
    (PROSPECT, 20, "We compared it to hiring a part-time trainer, so that helps."),
    (REP, 5, "What timeline are you working towards?"),
    (PROSPECT, 15, "We want something in place before the next hiring wave in June."),
    (REP, 10, "Can we book a demo with your VP next Tuesday at 2 pm?"),
    (PROSPECT, 5, "Yes, Tuesday at 2 works for us."),
    (REP, 6, "Perfect, thank you Dana, I'll send the calendar invite today."),
)

BAD_PITCH = call(
    (REP, 140, "Hi, so let me tell you about our platform, it does everything. " * 10),
    (PROSPECT, 4, "Okay."),
    (REP, 160, "And it also integrates with everything and our dashboards are great. " * 10),
    (PROSPECT, 6, "It sounds too expensive for us, honestly."),
    (REP, 90, "Anyway the next feature is the reporting module with charts. " * 6),
    (PROSPECT, 3, "Right."),
    (REP, 20, "So that is the platform."),
    pause=0.2,
)


def judged(turns: list[Turn], focus: str = "discovery") -> Judgement:
    return local_judge.judge_locally(turns, measure(turns), focus)


def starts(turns: list[Turn]) -> set[float]:
    return {turn.start for turn in turns}


def test_a_good_discovery_call_clearly_outscores_a_rep_monologue() -> None:
    good, bad = judged(GOOD_DISCOVERY), judged(BAD_PITCH)
    assert set(good.scores) == set(SCORE_KEYS)
    assert good.scores["overall"] >= 75
    assert bad.scores["overall"] <= 35
    for key in SCORE_KEYS:
        assert good.scores[key] > bad.scores[key], key
    assert good.scores["discovery"] - bad.scores["discovery"] >= 50


def test_the_good_call_is_praised_for_what_happened_in_it() -> None:
    good = judged(GOOD_DISCOVERY)
    assert "asked 13 questions" in good.summary
    assert "1 of 1 objection (price) handled well" in good.summary
    assert "a dated next step was agreed" in good.summary
    praise = " ".join(good.strengths)
    assert "Agreed a next step with a day and time" in praise
    assert "“Can we book a demo with your VP next Tuesday at 2 pm?”" in praise
    assert any(moment.type == POSITIVE for moment in good.key_moments)
    assert good.next_steps[0].startswith("Send the invite and a recap for the step agreed at")


def test_the_monologue_is_the_improvement_of_the_bad_call() -> None:
    bad = judged(BAD_PITCH)
    assert "asked 0 questions" in bad.summary
    assert "no next step was set" in bad.summary
    advice = " ".join(bad.improvements)
    assert "(02:24) The rep talked 97 % of the call" in advice  # the longest of the monologues
    assert "never confirmed" in advice or "no next step" in advice
    assert bad.strengths == []
    assert all(moment.type == IMPROVEMENT for moment in bad.key_moments)
    assert any("11-14 open questions" in step for step in bad.next_steps)


def price_objection(reply: str) -> list[Turn]:
    return call(
        (REP, 5, "How do you handle coaching today?"),
        (PROSPECT, 30, "Managers listen to a few calls a month when they find time for it."),
        (PROSPECT, 6, "To be honest the price is too high for us."),
        (REP, 12, reply),
        (PROSPECT, 10, "Fair enough."),
    )


def test_an_acknowledged_explored_and_answered_objection_beats_an_ignored_one() -> None:
    handled = judged(
        price_objection(
            "I understand. What are you comparing it to? Customers save 20 hours a month."
        ),
        "objection_handling",
    )
    ignored = judged(
        price_objection("Let me show you the dashboards, they look great."), "objection_handling"
    )
    assert handled.scores["objectionHandling"] >= 85
    assert ignored.scores["objectionHandling"] <= 30
    assert handled.scores["overall"] > ignored.scores["overall"]
    [handled_moment] = [m for m in handled.key_moments if "objection" in m.text.lower()]
    assert (handled_moment.type, handled_moment.text) == (POSITIVE, "Price objection handled")
    [ignored_moment] = [m for m in ignored.key_moments if "objection" in m.text.lower()]
    assert (ignored_moment.type, ignored_moment.text) == (
        IMPROVEMENT,
        "Price objection brushed aside",
    )
    assert "“To be honest the price is too high for us.”" in " ".join(ignored.improvements)
    assert any("price objection raised at" in step for step in ignored.next_steps)


def test_each_kind_of_objection_is_recognised() -> None:
    lines = {
        "timing": "It is just not a priority this quarter.",
        "competitor": "We already use another tool for that.",
        "authority": "I would need to run it by my boss first.",
        "security": "I am not sure you would pass our security review.",
    }
    for kind, said in lines.items():
        turns = call((REP, 4, "How does that sound?"), (PROSPECT, 5, said), (REP, 4, "Okay."))
        assert f"({kind})" in judged(turns, "general").summary, kind


def next_step_call(answer: str) -> list[Turn]:
    return call(
        (REP, 5, "What would make this a success for you?"),
        (PROSPECT, 30, "Getting new reps productive in weeks rather than months."),
        (REP, 8, "Could we set up a call with your manager on Thursday at 10 am?"),
        (PROSPECT, 5, answer),
    )


def test_an_agreed_dated_next_step_beats_an_open_or_missing_one() -> None:
    agreed = judged(next_step_call("Sure, Thursday works."))
    declined = judged(next_step_call("I'm not sure, let me think about it."))
    missing = judged(next_step_call("Thanks, bye.")[:2])
    assert agreed.scores["nextSteps"] == 95
    assert declined.scores["nextSteps"] == 70  # proposed with a date, but no yes
    assert missing.scores["nextSteps"] == 15
    assert agreed.scores["nextSteps"] > declined.scores["nextSteps"] > missing.scores["nextSteps"]
    assert "was turned down" in " ".join(declined.improvements)
    assert "a next step was proposed but not agreed" in declined.summary


def test_a_day_mentioned_in_passing_is_not_a_next_step() -> None:
    turns = call(
        (REP, 5, "What happened last time?"),
        (PROSPECT, 10, "On Monday our dialer went down for the whole team."),
    )
    assert judged(turns).scores["nextSteps"] == 15


def test_rapport_cues_raise_the_rapport_score() -> None:
    warm = call(
        (REP, 5, "Hi Sam, thanks for joining. How was your weekend?"),
        (PROSPECT, 20, "Good, though this quarter has been hard on the team."),
        (REP, 5, "That sounds tough, Sam. What made it hard?"),
        (PROSPECT, 20, "Two reps left and we are behind on quota."),
    )
    cold = call(
        (REP, 5, "Let's get started."),
        (PROSPECT, 20, "Good, though this quarter has been hard on the team."),
        (REP, 5, "Our product has many features."),
        (PROSPECT, 20, "Two reps left and we are behind on quota."),
        pause=0.1,
    )
    assert judged(warm).scores["rapport"] - judged(cold).scores["rapport"] >= 30
    assert "(00:27) Showed empathy: “That sounds tough, Sam. What made it hard?”" in (
        judged(warm).strengths
    )


def test_the_focus_changes_how_overall_is_weighed() -> None:
    turns = price_objection("Let me show you the dashboards, they look great.")
    overall = {focus: judged(turns, focus).scores["overall"] for focus in FOCUSES}
    parts = judged(turns, "general").scores
    for focus, score in overall.items():
        assert score == rubrics.rubric_for(focus).overall(parts), focus
    assert overall["objection_handling"] < overall["discovery"]  # the weak part weighs more


def test_the_judgement_is_deterministic_and_labelled_local() -> None:
    first, second = judged(GOOD_DISCOVERY), judged(GOOD_DISCOVERY)
    assert first == second
    assert first.scored_by == "local"
    assert first.notices == [local_judge.LOCAL_NOTICE]


@pytest.mark.parametrize("turns", [GOOD_DISCOVERY, BAD_PITCH], ids=["good", "bad"])
def test_every_cited_moment_is_the_start_of_a_real_line(turns: list[Turn]) -> None:
    judgement = judged(turns)
    assert judgement.key_moments
    assert {moment.time_sec for moment in judgement.key_moments} <= starts(turns)
    lines = {transcript_lines.clock(start) for start in starts(turns)}
    for advice in judgement.strengths + judgement.improvements:
        assert advice[1:6] in lines, advice
    times = [moment.time_sec for moment in judgement.key_moments]
    assert times == sorted(times)


def test_an_empty_transcript_scores_zero_and_a_focus_must_exist() -> None:
    empty = local_judge.judge_locally([], measure([]), "general")
    assert empty.scores == dict.fromkeys(SCORE_KEYS, 0)
    assert empty.summary == "Nothing was said in this call, so there is nothing to judge."
    with pytest.raises(ValueError, match="unknown training focus"):
        judged(GOOD_DISCOVERY, "cold_calling")


def test_a_two_hour_call_is_judged_in_well_under_a_second() -> None:
    turns = call(*([*GOOD_DISCOVERY_LINES] * 20))
    assert turns[-1].end > 2 * 3600
    measured = measure(turns)
    started = time.perf_counter()
    judgement = local_judge.judge_locally(turns, measured, "discovery")
    assert time.perf_counter() - started < 1.0
    assert judgement.scores["overall"] > 0


GOOD_DISCOVERY_LINES = [(turn.speaker, turn.duration, turn.text) for turn in GOOD_DISCOVERY]
