"""The local engine's judgement of a call, for when no model can serve.

Deterministic and fast, so it can score every call without a model, and a rep sees the same score
for the same call every time. The findings and part scores come from `local_findings.py` and
`local_scores.py`; this module weighs them by the focus's rubric and writes the summary.
"""

from __future__ import annotations

from collections.abc import Sequence

from quotahit.analysis.call_cues import (
    NextStep,
    Objection,
    find_next_steps,
    find_objections,
    prospect_name,
    says,
    sincerely,
)
from quotahit.analysis.judgement import (
    FOCUSES,
    IMPROVEMENT,
    POSITIVE,
    SCORE_KEYS,
    Judgement,
    KeyMoment,
)
from quotahit.analysis.local_findings import (
    next_step_findings,
    objection_findings,
    quote,
    rapport_findings,
    talk_findings,
    weightiest,
)
from quotahit.analysis.local_scores import (
    discovery_score,
    next_step_score,
    objection_score,
    rapport_score,
)
from quotahit.analysis.metrics import REP, CallMetrics, Turn
from quotahit.analysis.rubrics import DISCOVERY_FOCUSES, rubric_for
from quotahit.analysis.sales_phrases import ACKNOWLEDGE, OPEN_QUESTION, SMALL_TALK, THANKS
from quotahit.analysis.transcript_lines import clock, timeline

LOCAL = "local"
LOCAL_NOTICE = (
    "Scored by the built-in local engine from the measured metrics and transcript patterns; "
    "add an AI key for a model's judgement."
)


def _summary(
    focus: str,
    measured: CallMetrics,
    objections: Sequence[Objection],
    steps: Sequence[NextStep],
) -> str:
    minutes = measured.duration_seconds / 60
    length = f"{minutes:.0f} min" if minutes >= 1 else f"{measured.duration_seconds:.0f} s"
    asked = len(measured.rep_questions)
    first = (
        f"{FOCUSES[focus]} of {length}: the rep talked {measured.rep_talk_percent:.0f} % of the "
        f"time and asked {asked} question{'s' * (asked != 1)}."
    )
    if objections:
        handled = sum(objection.quality >= 2 for objection in objections)
        kinds = sorted({kind for objection in objections for kind in objection.kinds})
        plural = "s" * (len(objections) != 1)
        objection_part = (
            f"{handled} of {len(objections)} objection{plural} ({', '.join(kinds)}) handled well"
        )
    else:
        objection_part = "No objections came up"
    agreed = [step for step in steps if step.agreed]
    if any(step.specific for step in agreed):
        step_part = "a dated next step was agreed"
    elif agreed:
        step_part = "a next step was agreed but not dated"
    elif steps:
        step_part = "a next step was proposed but not agreed"
    else:
        step_part = "no next step was set"
    return f"{first} {objection_part}; {step_part}."


def _suggested_next_steps(
    focus: str,
    measured: CallMetrics,
    objections: Sequence[Objection],
    steps: Sequence[NextStep],
) -> list[str]:
    suggestions = []
    agreed = [step for step in steps if step.agreed]
    if agreed:
        step = max(agreed, key=lambda step: step.specific)
        suggestions.append(
            f"Send the invite and a recap for the step agreed at {clock(step.proposal.start)}: "
            + quote(step.sentence)
        )
    elif steps:
        suggestions.append(
            f"Follow up to pin down the next step raised at {clock(steps[-1].proposal.start)} "
            "with a day and time."
        )
    else:
        suggestions.append("Follow up within a day and propose a concrete next step with a date.")
    for objection in objections:
        if objection.quality < 2:
            suggestions.append(
                f"Come back on the {objection.label} raised at {clock(objection.raised.start)} "
                "with proof: numbers, a customer story or an option."
            )
    if len(measured.rep_questions) < 7 and focus in DISCOVERY_FOCUSES:
        suggestions.append(
            "Prepare 11-14 open questions for the next conversation: situation, pain, impact, "
            "who decides and by when."
        )
    return suggestions[:4]


def judge_locally(turns: Sequence[Turn], metrics: CallMetrics, focus: str) -> Judgement:
    """The local engine's judgement: the measured metrics against the benchmarks, plus patterns
    over the lines (objections and the reply to each, rapport cues, dated next steps).

    Deterministic and fast (a two-hour call takes milliseconds), so it can score every call when
    no model is available, and a rep sees the same score for the same call every time.

    An empty transcript gets zeros and says so, rather than failing the analysis it ends.
    """
    rubric = rubric_for(focus)
    lines = timeline(turns)
    if not lines:
        return Judgement(
            summary="Nothing was said in this call, so there is nothing to judge.",
            scores=dict.fromkeys(SCORE_KEYS, 0),
            strengths=[],
            improvements=[],
            key_moments=[],
            next_steps=[],
            scored_by=LOCAL,
            notices=[LOCAL_NOTICE],
        )
    objections = find_objections(lines)
    steps = find_next_steps(lines)
    name = prospect_name(lines)
    rep_text = [turn.text for turn in lines if turn.speaker == REP]
    open_questions = sum(bool(OPEN_QUESTION.match(q)) for q in metrics.rep_questions)
    parts = {
        "discovery": discovery_score(metrics, open_questions),
        "rapport": rapport_score(
            metrics,
            name_uses=sum(says(text, name) for text in rep_text),
            acknowledgements=sum(sincerely(ACKNOWLEDGE, text) for text in rep_text),
            thanks=sum(bool(THANKS.search(text)) for text in rep_text),
            small_talk=sum(bool(SMALL_TALK.search(text)) for text in rep_text),
        ),
        "objectionHandling": objection_score(metrics, objections),
        "nextSteps": next_step_score(steps),
    }
    scores = {"overall": rubric.overall(parts), **parts}
    findings = [
        *talk_findings(lines, metrics, open_questions, focus),
        *rapport_findings(lines, metrics, name),
        *objection_findings(objections),
        *next_step_findings(steps, lines),
    ]
    strengths = weightiest(findings, positive=True)
    improvements = weightiest(findings, positive=False)
    return Judgement(
        summary=_summary(focus, metrics, objections, steps),
        scores={key: scores[key] for key in SCORE_KEYS},
        strengths=[finding.advice for finding in strengths],
        improvements=[finding.advice for finding in improvements],
        key_moments=[
            KeyMoment(
                POSITIVE if finding.positive else IMPROVEMENT, finding.moment, finding.turn.start
            )
            for finding in sorted([*strengths, *improvements], key=lambda f: f.turn.start)
        ],
        next_steps=_suggested_next_steps(focus, metrics, objections, steps),
        scored_by=LOCAL,
        notices=[LOCAL_NOTICE],
    )
