"""What judgement adds to the measured metrics: scores, strengths, improvements, key moments.

A model (or the local engine) produces a `Judgement`; the metrics themselves are never part of it,
they are measured (`metrics.py`). Field names follow the public analysis JSON (`report.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCORE_KEYS = ("overall", "discovery", "rapport", "objectionHandling", "nextSteps")
POSITIVE, IMPROVEMENT = "positive", "improvement"

# The training focus a call is judged against: each has its own rubric (`rubrics.py`).
FOCUSES: dict[str, str] = {
    "general": "General sales call",
    "discovery": "Discovery call",
    "demo": "Demo follow-up",
    "objection_handling": "Objection handling",
    "negotiation": "Pricing negotiation",
    "closing": "Closing call",
}


@dataclass(frozen=True)
class KeyMoment:
    """A moment worth replaying: what happened, and when (seconds from the start)."""

    type: str  # POSITIVE or IMPROVEMENT
    text: str
    time_sec: float


@dataclass(frozen=True)
class Judgement:
    """The judged part of an analysis and who judged it."""

    summary: str
    scores: dict[str, int]  # every key of SCORE_KEYS, 0-100
    strengths: list[str]
    improvements: list[str]
    key_moments: list[KeyMoment]
    next_steps: list[str]
    scored_by: str  # a catalogue model id, or "local"
    notices: list[str] = field(default_factory=list)
