"""Intent detection of what a rep just said, by similarity to labelled example utterances.

The local buyer and the live hints build on it: it tells a discovery question from a pitch, an
attempt to close from small talk. E5 scores cluster high, so intents compete on their closest
two examples and the margin over the runner-up is the confidence, not a fixed threshold.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from quotahit.providers.local import embeddings

EXAMPLES: dict[str, tuple[str, ...]] = {
    "greeting": (
        "Hi, this is Sam from QuotaHit, thanks for taking the time today.",
        "Good morning, how are you doing?",
        "Thanks for joining the call.",
    ),
    "discovery_question": (
        "How does your team handle this today?",
        "What prompted you to look at this now?",
        "What happens if nothing changes?",
        "Walk me through your current process.",
        "What are the biggest challenges you're facing with onboarding?",
        "How do you measure success for your team?",
    ),
    "qualification": (
        "Who else is involved in the decision?",
        "Do you have budget set aside for this?",
        "What's your timeline for making a decision?",
        "What does your buying process look like?",
        "Who would need to approve this?",
        "Who has the final say on spending?",
        "Is there a procurement or legal review we should plan for?",
    ),
    "pitch": (
        "Our platform automates your follow-ups and saves reps five hours a week.",
        "We integrate with Salesforce and HubSpot out of the box.",
        "Let me show you how the dashboard works.",
        "Our customers see a twenty percent lift in win rates.",
    ),
    "objection_handling": (
        "I understand the concern about price, can I ask what you're comparing it to?",
        "That's a fair point, a lot of our customers felt the same before they started.",
        "I hear you on timing. What would need to be true for this to be a priority?",
        "Besides security, is there anything else holding you back?",
    ),
    "pricing": (
        "The plan is fifty dollars per user per month.",
        "We can offer a discount for an annual contract.",
        "Pricing depends on the number of seats.",
    ),
    "next_step": (
        "Can we book thirty minutes next Tuesday to go through this with your team?",
        "Shall I send over the contract today?",
        "What would it take to get started this quarter?",
        "Let's schedule a demo with your manager.",
    ),
    "rapport": (
        "How was your weekend?",
        "I saw you just came back from the conference, how was it?",
        "That sounds like a busy quarter for you.",
    ),
}

QUESTION_START = re.compile(
    r"^(how|what|why|when|where|who|which|walk me|tell me|can you|could you|do you|are you|is)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Intent:
    """The most likely intent, how sure, and whether it was phrased as a question."""

    name: str
    confidence: float
    is_question: bool
    scores: dict[str, float]


@functools.lru_cache(maxsize=1)
def _example_vectors() -> tuple[list[str], np.ndarray]:
    labels = [name for name, examples in EXAMPLES.items() for _ in examples]
    texts = [text for examples in EXAMPLES.values() for text in examples]
    return labels, embeddings.embed(texts)


def is_question(utterance: str) -> bool:
    """Phrased as a question (a question mark, or an interrogative opening)."""
    text = utterance.strip()
    return text.endswith("?") or bool(QUESTION_START.match(text))


def detect_intent(utterance: str) -> Intent:
    """Classify one rep utterance."""
    text = utterance.strip()
    if not text:
        return Intent("none", 0.0, False, {})
    labels, vectors = _example_vectors()
    similarities = vectors @ embeddings.embed([text])[0]
    by_label: dict[str, list[float]] = {}
    for label, score in zip(labels, similarities, strict=True):
        by_label.setdefault(label, []).append(float(score))
    # The mean of an intent's two closest examples: one lucky example does not win on its own.
    scores = {
        label: round(float(np.mean(sorted(values, reverse=True)[:2])), 4)
        for label, values in by_label.items()
    }
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    return Intent(best, round(top - second, 4), is_question(text), scores)
