"""Metrics measured from a timed, diarized transcript: never guessed by a model.

Each metric is a plain function of the turns, so it can be tested with hand-made calls and shown
beside its published benchmark (`benchmarks.py`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

REP, PROSPECT = "rep", "prospect"
# Two turns of one speaker this close together count as one stretch of talk (a breath, not a
# hand-over), the usual convention for monologue metrics.
MERGE_GAP_SECONDS = 1.0
# The other side starting this much before a speaker stops is an interruption, not a hand-over.
INTERRUPTION_OVERLAP_SECONDS = 0.3
FILLERS = ("um", "uh", "erm", "you know", "i mean", "kind of", "sort of", "basically", "like")
NEXT_STEP_PATTERNS = (
    r"\b(next (week|step|steps|call|meeting)|follow[- ]up|send (you|over)|calendar invite)\b",
    r"\b(schedule|book|set up) (a|the|another)? ?(call|meeting|demo|time)\b",
    r"\b(monday|tuesday|wednesday|thursday|friday)\b",
)
# One compiled alternation: a 2-hour transcript has thousands of sentences to test.
NEXT_STEP = re.compile("|".join(f"(?:{pattern})" for pattern in NEXT_STEP_PATTERNS), re.IGNORECASE)
FILLER = re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(f) for f in FILLERS) + r")(?![a-z])")
SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
QUESTION_START = re.compile(
    r"^(how|what|why|when|where|who|which|walk me|tell me|can you|could you|would you|do you|"
    r"does|are you|is|have you|did you)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    """One utterance: who, from when to when (seconds), and what was said."""

    speaker: str  # REP or PROSPECT
    start: float
    end: float
    text: str

    @property
    def duration(self) -> float:
        """Seconds spoken."""
        return max(0.0, self.end - self.start)

    @property
    def words(self) -> int:
        """Words spoken."""
        return len(self.text.split())


@dataclass(frozen=True)
class CallMetrics:
    """Everything measurable about one call, rep's view."""

    rep_talk_percent: float
    prospect_talk_percent: float
    longest_rep_monologue_seconds: float
    longest_prospect_story_seconds: float
    rep_questions: list[str]
    interruptions_by_rep: int
    patience_seconds: float
    rep_words_per_minute: float
    filler_words_per_minute: float
    next_steps: list[str]
    duration_seconds: float


def _merged(turns: Sequence[Turn], speaker: str) -> list[tuple[float, float]]:
    spans: list[tuple[float, float]] = []
    for turn in sorted((t for t in turns if t.speaker == speaker), key=lambda t: t.start):
        if spans and turn.start - spans[-1][1] <= MERGE_GAP_SECONDS:
            spans[-1] = (spans[-1][0], max(spans[-1][1], turn.end))
        else:
            spans.append((turn.start, turn.end))
    return spans


def talk_ratio(turns: Sequence[Turn]) -> tuple[float, float]:
    """Rep and prospect share of the talking time, in percent (0, 0 for a silent call)."""
    rep = sum(t.duration for t in turns if t.speaker == REP)
    prospect = sum(t.duration for t in turns if t.speaker == PROSPECT)
    total = rep + prospect
    if total == 0:
        return 0.0, 0.0
    return round(100 * rep / total, 1), round(100 * prospect / total, 1)


def longest_monologue(turns: Sequence[Turn], speaker: str) -> float:
    """The longest stretch one side talked, pauses under a second merged (seconds)."""
    return round(max((end - start for start, end in _merged(turns, speaker)), default=0.0), 1)


def is_question(text: str) -> bool:
    """A sentence phrased as a question."""
    sentence = text.strip()
    return sentence.endswith("?") or bool(QUESTION_START.match(sentence))


def rep_questions(turns: Sequence[Turn]) -> list[str]:
    """Every question the rep asked, sentence by sentence."""
    questions = []
    for turn in turns:
        if turn.speaker != REP:
            continue
        for sentence in SENTENCE_END.split(turn.text.strip()):
            if sentence and is_question(sentence):
                questions.append(sentence)
    return questions


def interruptions(turns: Sequence[Turn], by: str = REP) -> int:
    """Times `by` started talking while the other side was still talking."""
    ordered = sorted(turns, key=lambda t: t.start)
    count = 0
    for previous, turn in itertools.pairwise(ordered):
        if (
            turn.speaker == by
            and previous.speaker != by
            and previous.end - turn.start > INTERRUPTION_OVERLAP_SECONDS
        ):
            count += 1
    return count


def patience(turns: Sequence[Turn]) -> float:
    """Average pause before the rep answers the prospect (seconds; overlaps count as 0)."""
    ordered = sorted(turns, key=lambda t: t.start)
    pauses = [
        max(0.0, turn.start - previous.end)
        for previous, turn in itertools.pairwise(ordered)
        if previous.speaker == PROSPECT and turn.speaker == REP
    ]
    return round(sum(pauses) / len(pauses), 2) if pauses else 0.0


def words_per_minute(turns: Sequence[Turn], speaker: str = REP) -> float:
    """Speaking rate while talking."""
    seconds = sum(t.duration for t in turns if t.speaker == speaker)
    words = sum(t.words for t in turns if t.speaker == speaker)
    return round(words / seconds * 60, 1) if seconds else 0.0


def filler_words_per_minute(turns: Sequence[Turn], speaker: str = REP) -> float:
    """Fillers (um, uh, you know...) per minute of the speaker's talk."""
    seconds = sum(t.duration for t in turns if t.speaker == speaker)
    if not seconds:
        return 0.0
    count = 0
    for turn in turns:
        if turn.speaker != speaker:
            continue
        count += len(FILLER.findall(re.sub(r"[^a-z ]", " ", turn.text.lower())))
    return round(count / seconds * 60, 1)


def next_steps(turns: Sequence[Turn]) -> list[str]:
    """Sentences that agree a next step (a meeting, a follow-up, a day)."""
    found = []
    for turn in turns:
        if not NEXT_STEP.search(turn.text):
            continue
        found += [s for s in SENTENCE_END.split(turn.text.strip()) if NEXT_STEP.search(s)]
    return found


def measure(turns: Sequence[Turn]) -> CallMetrics:
    """All metrics of a call."""
    rep, prospect = talk_ratio(turns)
    return CallMetrics(
        rep_talk_percent=rep,
        prospect_talk_percent=prospect,
        longest_rep_monologue_seconds=longest_monologue(turns, REP),
        longest_prospect_story_seconds=longest_monologue(turns, PROSPECT),
        rep_questions=rep_questions(turns),
        interruptions_by_rep=interruptions(turns),
        patience_seconds=patience(turns),
        rep_words_per_minute=words_per_minute(turns),
        filler_words_per_minute=filler_words_per_minute(turns),
        next_steps=next_steps(turns),
        duration_seconds=round(max((t.end for t in turns), default=0.0), 1),
    )
