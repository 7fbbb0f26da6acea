"""Reading a model's reply to the scoring request into a `Judgement`, its citations checked.

Models wrap JSON in prose or fences and write scores and times in many shapes; what can be read
is read, what cannot is reported back so the model can repair it. Every cited moment must land
on a real line of the transcript, because a coach who quotes what was never said loses the
rep's trust.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from quotahit.analysis.judgement import IMPROVEMENT, POSITIVE, SCORE_KEYS, Judgement, KeyMoment
from quotahit.analysis.metrics import Turn
from quotahit.analysis.transcript_lines import clock

logger = logging.getLogger(__name__)

# A cited moment this close to a line counts as that line (models round, or cite mid-sentence).
NEAR_LINE_SECONDS = 5.0


class InvalidReply(ValueError):
    """A reply that is not the JSON asked for; the message is what the model is told to fix."""


def _score(value: Any) -> int:
    """A score as a whole number 0-100, whatever shape the model wrote it in ("82", 81.6, 120)."""
    if isinstance(value, bool) or value is None:
        raise ValueError("must be a number from 0 to 100")
    if isinstance(value, str):
        try:
            value = float(value.strip().removesuffix("%").removesuffix("/100").strip())
        except ValueError:
            raise ValueError("must be a number from 0 to 100") from None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("must be a number from 0 to 100")
    return min(100, max(0, round(value)))


def _seconds(value: Any) -> Any:
    """`"01:05"` or `"1:02:05"` as seconds; anything else is left for pydantic to judge."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(:\d{1,2}){1,2}\s*", value):
        seconds = 0.0
        for part in value.strip().split(":"):
            seconds = seconds * 60 + int(part)
        return seconds
    return value


class _Scores(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    overall: int
    discovery: int
    rapport: int
    objection_handling: int = Field(alias="objectionHandling")
    next_steps: int = Field(alias="nextSteps")

    @field_validator("*", mode="before")
    @classmethod
    def _clamped(cls, value: Any) -> int:
        return _score(value)

    def as_dict(self) -> dict[str, int]:
        values = self.model_dump(by_alias=True)
        return {key: values[key] for key in SCORE_KEYS}


MOMENT_SYNONYMS = {"strength": POSITIVE, "negative": IMPROVEMENT, "weakness": IMPROVEMENT}


class _Moment(BaseModel):
    type: Literal["positive", "improvement"]
    text: str = Field(min_length=1)
    time_sec: float = Field(alias="timeSec")

    @field_validator("type", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        kind = value.strip().lower()
        return MOMENT_SYNONYMS.get(kind, kind)

    @field_validator("time_sec", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        return _seconds(value)


def _cited(value: Any) -> Any:
    """A strength or improvement written as {"text", "timeSec"} becomes "(mm:ss) text"."""
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        at = _seconds(value.get("timeSec"))
        return f"({clock(at)}) {value['text']}" if isinstance(at, int | float) else value["text"]
    return value


class _Report(BaseModel):
    summary: str = Field(min_length=1)
    scores: _Scores
    strengths: list[str] = Field(default_factory=list)
    improvements: list[str] = Field(default_factory=list)
    key_moments: list[_Moment] = Field(default_factory=list, alias="keyMoments")
    next_steps: list[str] = Field(default_factory=list, alias="nextSteps")

    @field_validator("strengths", "improvements", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return [_cited(item) for item in value] if isinstance(value, list) else value


FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def extract_json(text: str) -> dict[str, Any]:
    """The report object in a model's reply, tolerating code fences and prose around it.

    Raises:
        ValueError: no JSON object with "scores" is in the text.
    """
    decoder = json.JSONDecoder()
    first_error: json.JSONDecodeError | None = None
    for candidate in [*(match.group(1) for match in FENCE.finditer(text)), text]:
        for start in (index for index, char in enumerate(candidate) if char == "{"):
            try:
                value, _end = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError as error:
                first_error = first_error or error
                continue
            if isinstance(value, dict) and "scores" in value:
                return value
    if first_error is not None:
        raise InvalidReply(f"it is not valid JSON ({first_error})")
    raise InvalidReply('it contains no JSON object with a "scores" field')


def read_report(text: str) -> _Report:
    """A model's reply, checked against the report schema.

    Raises:
        ValueError: the reply is not a valid report; the message says what is wrong.
    """
    try:
        return _Report.model_validate(extract_json(text))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()[:8]
        )
        raise InvalidReply(f"the JSON does not match the shape asked for ({problems})") from None


def snap_time(time_sec: float, turns: Sequence[Turn]) -> float | None:
    """The start of the line a cited time points at; None if it is outside the call or not near
    any line (a moment that cannot be replayed is worse than none)."""
    duration = max((turn.end for turn in turns), default=0.0)
    if not math.isfinite(time_sec) or time_sec < 0 or time_sec > duration:
        return None

    def distance(turn: Turn) -> tuple[float, float]:
        outside = max(turn.start - time_sec, time_sec - turn.end, 0.0)
        return outside, abs(time_sec - turn.start)

    nearest = min(turns, key=distance, default=None)
    if nearest is None or distance(nearest)[0] > NEAR_LINE_SECONDS:
        return None
    return nearest.start


def judgement_from(
    report: _Report, turns: Sequence[Turn], model_id: str, notices: list[str]
) -> Judgement:
    """The judgement a checked report gives, keeping only the key moments that land on a line."""
    moments = []
    for moment in report.key_moments:
        at = snap_time(moment.time_sec, turns)
        if at is None:
            logger.info("Dropped a key moment at %.1f s that matches no line", moment.time_sec)
            continue
        moments.append(KeyMoment(moment.type, moment.text.strip(), at))
    return Judgement(
        summary=report.summary.strip(),
        scores=report.scores.as_dict(),
        strengths=[text.strip() for text in report.strengths if text.strip()],
        improvements=[text.strip() for text in report.improvements if text.strip()],
        key_moments=sorted(moments, key=lambda moment: moment.time_sec),
        next_steps=[text.strip() for text in report.next_steps if text.strip()],
        scored_by=model_id,
        notices=notices,
    )
