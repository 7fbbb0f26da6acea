"""What the local engine finds in the lines of a call: each objection and the rep's reply to it,
proposed next steps and whether the prospect agreed, rapport cues and the longest stretches.

Patterns over the words (`sales_phrases.py`) plus the timestamps: a reply only counts as one if
it comes soon enough after the line it answers.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from quotahit.analysis.metrics import (
    INTERRUPTION_OVERLAP_SECONDS,
    MERGE_GAP_SECONDS,
    PROSPECT,
    REP,
    Turn,
    is_question,
    next_steps,
)
from quotahit.analysis.sales_phrases import (
    ACKNOWLEDGE,
    AGREE_ANYWHERE,
    AGREE_START,
    ANSWER,
    BUT,
    CONCERN,
    DAY_OR_TIME,
    DECLINE,
    FORWARD,
    LEADING,
    NAME_FIRST,
    NAME_GREETING,
    NAME_INTRODUCTION,
    NEEDS_CONCERN,
    NOT_NAMES,
    OBJECTIONS,
    OFFER,
    PAST,
    QUALIFYING,
)

# The slowest reply a line still counts as answering (a prospect line is rarely answered later).
REPLY_WINDOW_SECONDS = 30.0
# Gong, via third parties: top reps pause ~1.5 s after an objection, average ones ~0.3 s.
OBJECTION_PAUSE_GOOD, OBJECTION_PAUSE_RUSHED = 1.5, 0.5


@dataclass(frozen=True)
class Objection:
    kinds: tuple[str, ...]
    raised: Turn
    reply: Turn | None
    acknowledged: bool
    explored: bool  # asked what lies behind it
    answered: bool

    @property
    def quality(self) -> int:
        """0 ignored, 1 only acknowledged or only answered, 2 explored, or acknowledged and
        answered, 3 explored and acknowledged or answered: exploring is what top reps add."""
        if self.explored:
            return 3 if self.acknowledged or self.answered else 2
        return int(self.acknowledged) + int(self.answered)

    @property
    def pause(self) -> float | None:
        return None if self.reply is None else max(0.0, self.reply.start - self.raised.end)

    @property
    def label(self) -> str:
        return " and ".join(self.kinds) + " objection"


@dataclass(frozen=True)
class NextStep:
    proposal: Turn
    sentence: str
    specific: bool  # a day or a time
    agreed: bool
    declined: bool


def sentences(text: str) -> list[str]:
    return [sentence for sentence in re.split(r"(?<=[.?!])\s+", text.strip()) if sentence]


def says(text: str, name: str | None) -> bool:
    return bool(name and re.search(rf"\b{re.escape(name)}\b", text))


def _explores(text: str) -> bool:
    """Asks the buyer something (not "can I send you..."): the way to find what lies behind."""
    return any(
        is_question(sentence) and not OFFER.match(sentence) and not LEADING.search(sentence)
        for sentence in sentences(text)
    )


def sincerely(pattern: re.Pattern[str], text: str) -> bool:
    """The pattern said, and not taken back by a "but" later in the sentence."""
    for sentence in sentences(text):
        match = pattern.search(sentence)
        if match and not BUT.search(sentence, match.end()):
            return True
    return False


def _next_line(lines: Sequence[Turn], index: int, speaker: str) -> Turn | None:
    """The speaker's first line after line `index`, if it comes soon enough to be a reply."""
    said = lines[index]
    for turn in lines[index + 1 :]:
        if turn.speaker == speaker:
            return turn if turn.start - said.end <= REPLY_WINDOW_SECONDS else None
    return None


def find_objections(lines: Sequence[Turn]) -> list[Objection]:
    found: list[Objection] = []
    for index, turn in enumerate(lines):
        if turn.speaker != PROSPECT:
            continue
        worried = bool(CONCERN.search(turn.text))
        asked = lines[index - 1].text if index and lines[index - 1].speaker == REP else ""
        kinds = tuple(
            kind
            for kind, pattern in OBJECTIONS.items()
            if pattern.search(turn.text)
            and (worried or kind not in NEEDS_CONCERN)
            and not (kind in QUALIFYING and QUALIFYING[kind].search(asked) and "?" in asked)
        )
        if not kinds:
            continue
        reply = _next_line(lines, index, REP)
        if found and reply is not None and found[-1].reply is reply:
            continue  # the same objection, carried on over two lines: one reply answers both
        text = reply.text if reply else ""
        found.append(
            Objection(
                kinds=kinds,
                raised=turn,
                reply=reply,
                acknowledged=sincerely(ACKNOWLEDGE, text),
                explored=_explores(text),
                answered=bool(ANSWER.search(text)),
            )
        )
    return found


def find_next_steps(lines: Sequence[Turn]) -> list[NextStep]:
    found = []
    for index, turn in enumerate(lines):
        for sentence in next_steps([turn]):
            if not FORWARD.search(sentence) and PAST.search(sentence):
                continue
            if turn.speaker == PROSPECT:
                declined = bool(DECLINE.search(sentence))
                committed = _agrees(sentence) or bool(FORWARD.search(sentence))
                agreed, specific = committed and not declined, bool(DAY_OR_TIME.search(sentence))
            else:
                answer = _next_line(lines, index, PROSPECT)
                said = answer.text if answer else ""
                declined = bool(DECLINE.search(said))
                agreed = not declined and _agrees(said)
                specific = bool(
                    DAY_OR_TIME.search(sentence) or (agreed and DAY_OR_TIME.search(said))
                )
            found.append(NextStep(turn, sentence, specific, agreed, declined))
    return found


def _agrees(text: str) -> bool:
    return bool(AGREE_START.search(text) or AGREE_ANYWHERE.search(text))


def prospect_name(lines: Sequence[Turn]) -> str | None:
    """The name the rep greets the prospect by ("Hi Dana", "Daniel, thanks...") or the one the
    prospect gives ("this is Dana")."""
    for turn in lines:
        patterns = (NAME_GREETING, NAME_FIRST) if turn.speaker == REP else (NAME_INTRODUCTION,)
        for pattern in patterns:
            for match in pattern.finditer(turn.text):
                if match.group(1) not in NOT_NAMES:
                    return match.group(1)
    return None


def longest_stretch(lines: Sequence[Turn], speaker: str) -> tuple[Turn | None, float]:
    """Where the speaker's longest stretch of talk starts, and how long it lasts (as measured)."""
    best: tuple[Turn | None, float] = (None, 0.0)
    first: Turn | None = None
    end = -math.inf
    for turn in (turn for turn in lines if turn.speaker == speaker):
        if first is None or turn.start - end > MERGE_GAP_SECONDS:
            first, end = turn, turn.end
        end = max(end, turn.end)
        if end - first.start > best[1]:
            best = (first, end - first.start)
    return best


def best_question(lines: Sequence[Turn]) -> tuple[Turn | None, str, float]:
    """The rep's question that drew the prospect's longest answer: its line, the question, and
    how long the answer was."""
    best: tuple[Turn | None, str, float] = (None, "", 0.0)
    for index, turn in enumerate(lines):
        questions = [sentence for sentence in sentences(turn.text) if is_question(sentence)]
        if turn.speaker == REP and questions:
            answer = _next_line(lines, index, PROSPECT)
            if answer is not None and answer.duration > best[2]:
                best = (turn, questions[-1], answer.duration)
    return best


def interruptions(lines: Sequence[Turn]) -> Iterator[Turn]:
    for previous, turn in itertools.pairwise(lines):
        if (
            turn.speaker == REP
            and previous.speaker == PROSPECT
            and previous.end - turn.start > INTERRUPTION_OVERLAP_SECONDS
        ):
            yield turn
