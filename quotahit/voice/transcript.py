"""The call's transcript as it is spoken: turns with their times, kept from engine events.

Times are seconds since the call began (a resumed call carries on from its earlier turns). A
rep turn runs from when the rep started talking to when they stopped; a buyer turn from its
first audio to the end of what was played, and an interruption cuts it to what was heard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quotahit.voice import events as ev


@dataclass
class Turn:
    """One turn of the call."""

    item_id: str
    speaker: str
    text: str
    start: float
    end: float
    final: bool = False
    interrupted: bool = False  # the rep talked over it: it holds only what was heard

    def stored(self) -> dict[str, Any]:
        """The form kept in `PracticeSession.transcript_json`."""
        return {
            "id": self.item_id,
            "speaker": self.speaker,
            "text": self.text.strip(),
            "start": round(self.start, 2),
            "end": round(self.end, 2),
        } | ({"interrupted": True} if self.interrupted else {})


class CallTranscript:
    """Applies engine events to the turns; says which turn changed."""

    def __init__(self, stored: list[dict[str, Any]] | None = None, *, bytes_per_second: int):
        self.turns: list[Turn] = []
        for index, turn in enumerate(stored or []):
            if not isinstance(turn, dict) or not turn.get("text"):
                continue
            start = float(turn.get("start", index))
            self.turns.append(
                Turn(
                    str(turn.get("id") or f"earlier_{index}"),
                    str(turn.get("speaker", "rep")),
                    str(turn["text"]),
                    start,
                    float(turn.get("end", start)),
                    final=True,
                    interrupted=bool(turn.get("interrupted")),
                )
            )
        self._bytes_per_second = bytes_per_second
        self._by_id = {turn.item_id: turn for turn in self.turns}
        self._rep_started: float | None = None
        self._rep_stopped: float | None = None
        self._audio_ms: dict[str, float] = {}

    @property
    def offset(self) -> float:
        """Where a resumed call's clock starts: after the turns it already has."""
        return max((turn.end for turn in self.turns), default=0.0)

    def apply(self, event: ev.VoiceEvent, now: float) -> Turn | None:
        """Record `event` at call time `now`; returns the turn it changed, if any."""
        if isinstance(event, ev.SpeechStarted):
            self._rep_started, self._rep_stopped = now, None
        elif isinstance(event, ev.SpeechStopped):
            self._rep_stopped = now
        elif isinstance(event, ev.TranscriptDelta):
            turn = self._turn(event.speaker, event.item_id, now)
            turn.text = event.text if event.replace else turn.text + event.text
            if event.speaker == "rep":
                turn.end = max(turn.end, now)
            return turn
        elif isinstance(event, ev.TranscriptDone):
            turn = self._turn(event.speaker, event.item_id, now)
            if not turn.final or event.speaker == "rep":
                turn.text = event.text
            turn.final = True
            if event.speaker == "rep" and self._rep_stopped is not None:
                turn.end = max(turn.start, self._rep_stopped)
            return turn
        elif isinstance(event, ev.AudioDelta):
            turn = self._turn("buyer", event.item_id, now)
            played = self._audio_ms.get(event.item_id, 0.0)
            played += len(event.pcm) / self._bytes_per_second * 1000
            self._audio_ms[event.item_id] = played
            turn.end = turn.start + played / 1000
        elif isinstance(event, ev.Truncated):
            turn = self._by_id.get(event.item_id)
            if turn is not None:
                turn.text = event.text
                turn.end = turn.start + event.audio_end_ms / 1000
                turn.final = turn.interrupted = True
                return turn
        return None

    def _turn(self, speaker: str, item_id: str, now: float) -> Turn:
        turn = self._by_id.get(item_id)
        if turn is None:
            start = now
            if speaker == "rep" and self._rep_started is not None:
                start = self._rep_started
            turn = Turn(item_id, speaker, "", start, now)
            self.turns.append(turn)
            self._by_id[item_id] = turn
        return turn

    def stored(self) -> list[dict[str, Any]]:
        """Every turn with words, in the order they were spoken."""
        spoken = [turn for turn in self.turns if turn.text.strip()]
        return [turn.stored() for turn in sorted(spoken, key=lambda turn: turn.start)]

    def talk_seconds(self) -> dict[str, float]:
        """Seconds each side has talked so far."""
        totals = {"rep": 0.0, "buyer": 0.0}
        for turn in self.turns:
            if turn.text.strip():
                totals[turn.speaker] = totals.get(turn.speaker, 0.0) + max(
                    0.0, turn.end - turn.start
                )
        return totals
