"""The local engine's part scores (0-100): the measured metrics against the benchmarks, plus
what it found in the lines (objections and their replies, rapport cues, next steps).

The points follow the published benchmarks (`benchmarks.py`: 11-14 questions, 35-50 % talk
share, a pause before answering); the focus's rubric weighs the parts into the overall score.
"""

from __future__ import annotations

from collections.abc import Sequence

from quotahit.analysis.call_cues import (
    OBJECTION_PAUSE_GOOD,
    OBJECTION_PAUSE_RUSHED,
    NextStep,
    Objection,
)
from quotahit.analysis.metrics import CallMetrics

NO_OBJECTION_SCORE = 65  # nothing to judge: neither credit nor blame


def _between(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def discovery_score(measured: CallMetrics, open_questions: int) -> int:
    """Questions (35), open ones (15), talk share (20), customer story (15), monologue (15)."""
    asked = len(measured.rep_questions)
    if 11 <= asked <= 14:
        questions = 35.0
    elif 7 <= asked <= 18:  # market.md: flag fewer than 7 or more than 18
        questions = 25.0
    elif asked < 7:
        questions = 25.0 * asked / 7
    else:
        questions = max(10.0, 25.0 - 2 * (asked - 18))
    openness = 15.0 * min(1.0, open_questions / (0.6 * asked)) if asked else 0.0
    share = measured.rep_talk_percent
    if not share:
        talk = 0.0
    elif share < 35:
        talk = _between(20 - (35 - share) * 0.5, 0, 20)
    elif share <= 50:
        talk = 20.0
    elif share <= 65:
        talk = 20 - (share - 50) * 10 / 15
    else:
        talk = _between(10 - (share - 65) * 0.5, 0, 10)
    story_seconds = measured.longest_prospect_story_seconds
    if story_seconds >= 240:  # ~4 min correlates with wins
        story = 15.0
    elif story_seconds >= 50:
        story = 10 + 5 * (story_seconds - 50) / 190
    else:
        story = 10 * story_seconds / 50
    monologue = _between(15 - (measured.longest_rep_monologue_seconds - 120) / 12, 0, 15)
    return round(questions + openness + talk + story + monologue)


def rapport_score(
    measured: CallMetrics, name_uses: int, acknowledgements: int, thanks: int, small_talk: int
) -> int:
    score = 40.0 + min(15, 6 * name_uses) + min(20, 7 * acknowledgements) + min(10, 5 * thanks)
    score += 5 if small_talk else 0
    if measured.patience_seconds >= 1.0:
        score += 10
    elif measured.patience_seconds < OBJECTION_PAUSE_RUSHED:
        score -= 5
    score -= min(20, 5 * measured.interruptions_by_rep)
    score -= 10 if measured.rep_talk_percent > 65 else 0
    score -= 5 if measured.rep_words_per_minute > 180 else 0
    return round(_between(score, 0, 100))


def objection_score(measured: CallMetrics, objections: Sequence[Objection]) -> int:
    if not objections:
        score = float(NO_OBJECTION_SCORE)
    else:
        score = sum(25 + 23 * objection.quality for objection in objections) / len(objections)
        pauses = [o.pause for o in objections if o.pause is not None]
        if pauses and sum(pauses) / len(pauses) >= OBJECTION_PAUSE_GOOD:
            score += 5
        elif pauses and sum(pauses) / len(pauses) < OBJECTION_PAUSE_RUSHED:
            score -= 5
    score -= 5 if measured.rep_words_per_minute > 180 else 0
    return round(_between(score, 0, 100))


def next_step_score(steps: Sequence[NextStep]) -> int:
    if not steps:
        return 15
    best = max(steps, key=lambda step: (step.agreed, step.specific))
    return 45 + (25 if best.specific else 0) + (25 if best.agreed else 0)
