"""The transcript as the judge and the rep read it: numbered lines, each with its start time.

Line numbers and times are what a judge cites, so they must stay true even when a long call is
cut to fit a model's context.
"""

from __future__ import annotations

from collections.abc import Sequence

from quotahit.analysis.metrics import Turn

# Roughly 15k tokens: a one-hour call fits whole, a longer one keeps its opening and its close.
MAX_TRANSCRIPT_CHARS = 60_000


def clock(seconds: float) -> str:
    """`00:41`, or `1:02:05` past an hour: how the transcript and the rep read a time."""
    minutes, secs = divmod(int(max(0.0, seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def timeline(turns: Sequence[Turn]) -> list[Turn]:
    """The turns in time order: line n of the transcript is `timeline(turns)[n - 1]`."""
    return sorted(turns, key=lambda turn: turn.start)


def transcript_lines(turns: Sequence[Turn], limit: int = MAX_TRANSCRIPT_CHARS) -> list[str]:
    """`[12] 00:41 rep: ...` lines; past `limit` characters, the opening and the close of the call
    with a note of what was left out (line numbers stay true, so citations still hold)."""
    lines = [
        f"[{number}] {clock(turn.start)} {turn.speaker}: {turn.text.strip()}"
        for number, turn in enumerate(timeline(turns), start=1)
    ]
    if sum(len(line) + 1 for line in lines) <= limit:
        return lines
    head = _fitting(lines, limit * 2 // 3)
    tail = _fitting(lines[head:][::-1], limit - limit * 2 // 3)
    ordered = timeline(turns)
    first, last = ordered[head], ordered[len(lines) - tail - 1]
    note = (
        f"[... lines {head + 1}-{len(lines) - tail} ({clock(first.start)}-{clock(last.end)}) "
        "are left out to fit the model's context: judge the parts shown, cite only lines shown, "
        "and rely on the measured facts for the whole call ...]"
    )
    return [*lines[:head], note, *lines[len(lines) - tail :]]


def _fitting(lines: Sequence[str], budget: int) -> int:
    """How many of the lines, from the first, fit the character budget."""
    used = 0
    for count, line in enumerate(lines):
        used += len(line) + 1
        if used > budget:
            return count
    return len(lines)
