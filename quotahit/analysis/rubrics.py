"""What good looks like for each training focus, and how its overall score weighs the parts.

A model reads the rubric in its prompt (`judge_prompt.py`); the local engine (`local_judge.py`)
weighs its own part scores with the same weights, so both judges reward the skill a focus trains.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from quotahit.analysis.judgement import FOCUSES


@dataclass(frozen=True)
class Rubric:
    """What good looks like for one training focus, and how the overall score weighs the parts."""

    focus: str
    discovery: str
    rapport: str
    objection_handling: str
    next_steps: str
    weights: Mapping[str, float]  # discovery, rapport, objectionHandling, nextSteps: sum 1

    def overall(self, scores: Mapping[str, int]) -> int:
        """The weighted overall score, so a focus rewards the skill it trains."""
        return round(sum(weight * scores[key] for key, weight in self.weights.items()))

    def describe(self) -> str:
        """The rubric as the model reads it."""
        weighing = ", ".join(
            f"{ASPECTS[key]} {round(weight * 100)} %" for key, weight in self.weights.items()
        )
        return "\n".join(
            (
                f"Training focus: {FOCUSES[self.focus]}.",
                f"- discovery: {self.discovery}",
                f"- rapport: {self.rapport}",
                f"- objectionHandling: {self.objection_handling}",
                f"- nextSteps: {self.next_steps}",
                f"- overall: weigh the four scores as {weighing}, rounded.",
            )
        )


ASPECTS = {
    "discovery": "discovery",
    "rapport": "rapport",
    "objectionHandling": "objection handling",
    "nextSteps": "next steps",
}
_RAPPORT = (
    "Warm and attentive: uses the prospect's name, acknowledges what they feel, thanks them, "
    "pauses before answering and does not interrupt."
)
RUBRICS: dict[str, Rubric] = {
    rubric.focus: rubric
    for rubric in (
        Rubric(
            "general",
            "Uncovers the situation, the pain, its impact and the priorities with open questions "
            "before pitching, and listens more than it talks.",
            _RAPPORT,
            "Acknowledges each concern, asks what lies behind it, then answers with specifics "
            "(value, proof, options) instead of arguing, brushing it aside or ignoring it.",
            "Ends with a concrete next step the prospect agrees to: who does what, on which day.",
            {"discovery": 0.30, "rapport": 0.20, "objectionHandling": 0.25, "nextSteps": 0.25},
        ),
        Rubric(
            "discovery",
            "The heart of the call: 11-14 mostly open questions on the current process, the pain, "
            "what it costs, who decides and by when; follows up on answers and lets the prospect "
            "tell long stories. Pitching before the pain is understood counts against it.",
            _RAPPORT + " Shows genuine interest in the answers.",
            "Few objections are expected; any concern is explored with questions, not answered "
            "with a pitch.",
            "A next meeting (demo, the decision maker) booked with a day and time, and agreed.",
            {"discovery": 0.45, "rapport": 0.20, "objectionHandling": 0.10, "nextSteps": 0.25},
        ),
        Rubric(
            "demo",
            "Confirms what changed since the demo and ties what was shown to the pain the "
            "prospect named; checks understanding with questions.",
            _RAPPORT,
            "Doubts raised by the demo are acknowledged, then answered with proof: customers, "
            "numbers, integrations, a trial.",
            "Moves to evaluation: a trial, a proposal or a meeting with the other stakeholders, "
            "dated and agreed.",
            {"discovery": 0.25, "rapport": 0.15, "objectionHandling": 0.30, "nextSteps": 0.30},
        ),
        Rubric(
            "objection_handling",
            "Asks what lies behind each objection and whether it is the only one, rather than "
            "guessing.",
            _RAPPORT + " Stays calm under push-back: top reps pause about 1.5 s after an objection "
            "and do not speed up.",
            "The heart of the call: every price, timing, competitor, authority or security "
            "objection is acknowledged, explored with a question and answered with specifics; "
            "none is ignored.",
            "A step that resolves the remaining concern (security review, the decision maker, a "
            "business case), dated and agreed.",
            {"discovery": 0.15, "rapport": 0.20, "objectionHandling": 0.50, "nextSteps": 0.15},
        ),
        Rubric(
            "negotiation",
            "Understands what the prospect values and what limits them (budget, approval, "
            "timing) before moving on price.",
            _RAPPORT + " Keeps a collaborative tone under pressure.",
            "Defends value before numbers; trades every concession for something (term, volume, "
            "timing) instead of discounting freely; meets 'too expensive' with questions and "
            "proof.",
            "Agrees the terms and the path to signature: who signs, by when.",
            {"discovery": 0.15, "rapport": 0.15, "objectionHandling": 0.45, "nextSteps": 0.25},
        ),
        Rubric(
            "closing",
            "Confirms the decision criteria, the decision maker and the timeline, and surfaces "
            "anything still in the way.",
            _RAPPORT,
            "Resolves last concerns directly without reopening the whole deal.",
            "Asks for the business clearly and secures the signature or a dated commitment to "
            "sign, agreed by the prospect.",
            {"discovery": 0.10, "rapport": 0.15, "objectionHandling": 0.30, "nextSteps": 0.45},
        ),
    )
}


def rubric_for(focus: str) -> Rubric:
    """The rubric of a training focus (a key of `FOCUSES`)."""
    try:
        return RUBRICS[focus]
    except KeyError:
        raise ValueError(f"unknown training focus {focus!r}; pick one of {list(FOCUSES)}") from None


# Where the 11-14 questions of Gong's discovery calls are the yardstick.
DISCOVERY_FOCUSES = frozenset({"general", "discovery"})
