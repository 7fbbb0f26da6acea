"""Judging a call: a rubric per training focus, a model's judgement checked against the transcript,
and the local engine's judgement for when no model can serve.

The metrics are measured (`metrics.py`) and handed to the judge as facts; the judge adds only what
needs judgement, and every moment it cites must land on a real line of the transcript, because a
coach who quotes what was never said loses the rep's trust.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from quotahit.accounts.identity import Identity
from quotahit.ai.service import AnswerDone, Gateway, Notice, stream_answer
from quotahit.analysis.benchmarks import BENCHMARKS, Benchmark
from quotahit.analysis.judgement import (
    FOCUSES,
    IMPROVEMENT,
    POSITIVE,
    SCORE_KEYS,
    Judgement,
    KeyMoment,
)
from quotahit.analysis.metrics import (
    INTERRUPTION_OVERLAP_SECONDS,
    MERGE_GAP_SECONDS,
    PROSPECT,
    REP,
    CallMetrics,
    Turn,
    is_question,
    next_steps,
)
from quotahit.providers.text import ChatMessage, TextDelta, TextProviderError

logger = logging.getLogger(__name__)

# Roughly 15k tokens: a one-hour call fits whole, a longer one keeps its opening and its close.
MAX_TRANSCRIPT_CHARS = 60_000
MAX_REPLY_TOKENS = 2048
MAX_ECHOED_REPLY_CHARS = 8_000
# A cited moment this close to a line counts as that line (models round, or cite mid-sentence).
NEAR_LINE_SECONDS = 5.0
LOCAL = "local"
LOCAL_NOTICE = (
    "Scored by the built-in local engine from the measured metrics and transcript patterns; "
    "add an AI key for a model's judgement."
)


class ScoringError(Exception):
    """The call could not be scored; the message says why and what to try."""


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


def clock(seconds: float) -> str:
    """`00:41`, or `1:02:05` past an hour: how the transcript and the rep read a time."""
    minutes, secs = divmod(int(max(0.0, seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def timeline(turns: Sequence[Turn]) -> list[Turn]:
    """The turns in time order: line n of the transcript is `timeline(turns)[n - 1]`."""
    return sorted(turns, key=lambda turn: turn.start)


# The prompt.

SCHEMA_EXAMPLE = """{
  "summary": "two or three sentences on how the call went",
  "scores": {"overall": 0, "discovery": 0, "rapport": 0, "objectionHandling": 0, "nextSteps": 0},
  "strengths": ["(00:41) what the rep did well, quoting what was said"],
  "improvements": ["(03:12) what to do differently, quoting what was said"],
  "keyMoments": [{"type": "positive", "text": "what happened", "timeSec": 41}],
  "nextSteps": ["what the rep should do next"]
}"""

INSTRUCTIONS = """You are a sales coach scoring a recorded sales call for the sales rep.

{rubric}

The measured facts were computed from the timestamps by software and are correct: use them as \
given, never re-count or re-estimate them, and never contradict them. Judge what only judgement \
can: the quality of the questions, the rapport, how objections were handled, whether the next \
step is real.

Cite the transcript. Every strength, improvement and key moment points at a real line by the time \
that line starts: line "[12] 00:41 rep: ..." starts at 00:41, so its timeSec is 41. Start each \
strength and improvement with that time in brackets and quote or paraphrase what was said. A key \
moment's type is "positive" or "improvement".

Answer with ONLY one JSON object, no prose and no code fence, in exactly this shape:
{schema}
Scores are whole numbers from 0 to 100; strengths, improvements and keyMoments have up to 5 \
items each; nextSteps up to 4."""

REPAIR = (
    "Your reply could not be used: {problem}. Answer again with ONLY the corrected JSON object, in "
    "the shape asked for, with no prose and no code fence."
)


def _band(benchmark: Benchmark) -> str:
    unit = f" {benchmark.unit}" if benchmark.unit != "%" else " %"
    if benchmark.low is not None and benchmark.high is not None:
        return f"good range {benchmark.low:g}-{benchmark.high:g}{unit}"
    if benchmark.low is not None:
        return f"good at {benchmark.low:g}{unit} or more"
    if benchmark.high is not None:
        return f"good at {benchmark.high:g}{unit} or less"
    return "shown for awareness only"


def measured_facts(measured: CallMetrics) -> list[str]:
    """The metrics as lines of the prompt, each beside its benchmark and verdict."""
    facts = [
        f"Call length: {clock(measured.duration_seconds)}",
        f"Prospect talk share: {measured.prospect_talk_percent:g} %",
        f"Interruptions by the rep: {measured.interruptions_by_rep}",
    ]
    values = {
        "rep_talk_percent": measured.rep_talk_percent,
        "rep_questions": len(measured.rep_questions),
        "longest_rep_monologue_seconds": measured.longest_rep_monologue_seconds,
        "longest_prospect_story_seconds": measured.longest_prospect_story_seconds,
        "patience_seconds": measured.patience_seconds,
        "rep_words_per_minute": measured.rep_words_per_minute,
        "filler_words_per_minute": measured.filler_words_per_minute,
    }
    for key, value in values.items():
        benchmark = BENCHMARKS[key]
        judged = benchmark.low is not None or benchmark.high is not None
        verdict = f"; {benchmark.verdict(value)}" if judged else ""
        facts.append(f"{benchmark.label}: {value:g} {benchmark.unit} ({_band(benchmark)}{verdict})")
    said = "; ".join(f"“{sentence}”" for sentence in measured.next_steps[:5]) or "none"
    facts.append(f"Sentences that mention a next step: {said}")
    return facts


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


def scoring_messages(turns: Sequence[Turn], measured: CallMetrics, focus: str) -> list[ChatMessage]:
    """The request that asks a model to judge the call against the focus's rubric."""
    system = INSTRUCTIONS.format(rubric=rubric_for(focus).describe(), schema=SCHEMA_EXAMPLE)
    user = "\n".join(
        (
            "Measured facts:",
            *(f"- {fact}" for fact in measured_facts(measured)),
            "",
            "Transcript ([line] time from the start, speaker: words):",
            *transcript_lines(turns),
        )
    )
    return [ChatMessage("system", system), ChatMessage("user", user)]


# Reading a model's reply.


class _InvalidReply(ValueError):
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
        raise _InvalidReply(f"it is not valid JSON ({first_error})")
    raise _InvalidReply('it contains no JSON object with a "scores" field')


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
        raise _InvalidReply(f"the JSON does not match the shape asked for ({problems})") from None


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


def _judgement(
    report: _Report, turns: Sequence[Turn], model_id: str, notices: list[str]
) -> Judgement:
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


# Judging with a model.


async def _ask(
    *,
    gateway: Gateway,
    identity: Identity,
    module: str,
    model_id: str,
    messages: Sequence[ChatMessage],
    notices: list[str],
) -> tuple[str, str]:
    """One request through the gateway: the whole reply and the model that wrote it."""
    parts: list[str] = []
    served_by = model_id
    try:
        async for event in stream_answer(
            gateway=gateway,
            identity=identity,
            module=module,
            model_id=model_id,
            messages=messages,
            max_tokens=MAX_REPLY_TOKENS,
            local_fallback=False,
        ):
            if isinstance(event, TextDelta):
                parts.append(event.text)
            elif isinstance(event, Notice) and event.text not in notices:
                notices.append(event.text)
            elif isinstance(event, AnswerDone):
                served_by = event.model_id
    except TextProviderError as error:
        raise ScoringError(
            f"The AI provider failed while scoring the call ({error}). Try again, or pick "
            "another model."
        ) from error
    return "".join(parts), served_by


async def judge_with_model(
    *,
    gateway: Gateway,
    identity: Identity,
    model_id: str,
    turns: Sequence[Turn],
    metrics: CallMetrics,
    focus: str,
    module: str = "analysis",
) -> Judgement:
    """A model's judgement of the call against the focus's rubric, its citations checked.

    An unusable reply gets one repair round (the model sees its reply and what is wrong), then
    one fresh request; three requests at most, since each is paid for.

    Raises:
        NoProviderError: no key can serve (none set, refused or capped); the caller falls back
            to `judge_locally` and shows the message.
        ScoringError: a model answered but not with a usable report, even after the repair and
            the retry, or the provider broke off in the middle of the answer.
    """
    if not turns:
        raise ScoringError("The transcript is empty: there is nothing to score.")
    messages = scoring_messages(turns, metrics, focus)
    notices: list[str] = []
    reply, problem = "", ""
    for attempt in ("first", "repair", "retry"):
        request = messages
        if attempt == "repair":
            request = [
                *messages,
                ChatMessage("assistant", reply[:MAX_ECHOED_REPLY_CHARS] or "(an empty reply)"),
                ChatMessage("user", REPAIR.format(problem=problem)),
            ]
        reply, served_by = await _ask(
            gateway=gateway,
            identity=identity,
            module=module,
            model_id=model_id,
            messages=request,
            notices=notices,
        )
        try:
            report = read_report(reply)
        except _InvalidReply as error:
            problem = str(error)
            logger.warning("Unusable scoring reply (%s request, %s): %s", attempt, served_by, error)
            continue
        return _judgement(report, turns, served_by, notices)
    raise ScoringError(
        f"The model did not return a usable score, even after a repair and a retry ({problem}). "
        "Try again, or pick another model."
    )


# Judging locally: patterns over the lines, scored against the benchmarks.


def _pattern(alternatives: str) -> re.Pattern[str]:
    """Whole-word, case-insensitive alternatives (`a|b|c`)."""
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


OBJECTIONS: dict[str, re.Pattern[str]] = {
    "price": _pattern(
        r"too (?:expensive|pricey|much|high)|expensive|pricey|cheaper|no budget|come down|"
        r"(?:out of|over|above) (?:our|the|my) budget|spend flat|pay (?:about |only )?half|"
        r"(?:budget|spend) is (?:tight|gone|spent|frozen|flat|limited)|"
        r"still leaves (?:me|us) above|"
        r"(?:can't|cannot|can not) afford|costs? too much|(?:number|price|cost) doesn't work|"
        r"(?:price|pricing|cost) is (?:too|a bit|quite|really|way|an issue|a problem|a concern)"
    ),
    "timing": _pattern(
        r"not (?:a|the) (?:priority|right time)|bad time|not right now|maybe later|too busy|"
        r"no time (?:for|to)|not until|(?:a lot|too much) going on|"
        r"(?:revisit|circle back|come back to (?:this|it|us)) (?:later|in|next)|"
        r"timing (?:is|isn't) (?:not )?(?:right|great|ideal|good)"
    ),
    "competitor": _pattern(
        r"already (?:use|using|have|work with|signed with|pay for)|competitor|a quote from|"
        r"(?:we're|we are) (?:pretty |quite |really |very )?(?:happy|fine|good|set) with|"
        r"another (?:vendor|tool|provider|solution)|(?:current|existing) (?:vendor|tool|provider)"
    ),
    "authority": _pattern(
        r"not my (?:call|decision|budget)|decision maker|above my pay grade|procurement|"
        r"(?:run|check) (?:it|this|that) (?:by|with)|check with my|"
        r"(?:let me|i'll|i need to|i have to|i'd have to) "
        r"(?:talk to|check with|run (?:it|this) by|take (?:it|this) to)|"
        r"need (?:to get )?(?:sign[- ]off|approval)|(?:has|have|needs?) to approve|"
        r"(?:my|our) (?:boss|manager|vp|cfo|ceo|director|board) (?:would|will|has to|decides)"
    ),
    "security": _pattern(
        r"(?:vendor|security) (?:risk )?review|where does (?:the|our) data|"
        r"data (?:leaving|residency)|"
        r"(?:train|training) (?:\w+ )?(?:models?|ai) on (?:our|the) data|right to audit|soc ?2|"
        r"single sign-on|sso|saml|scim|gdpr|hipaa|iso ?27001|compliance|infosec|data protection"
    ),
    "risk": _pattern(
        r"(?:real|big|huge|too much) risk|risky|long commitment|locked in|stuck paying|"
        r"what if it doesn't work|seen this (?:movie|before)|burned before|not a no-brainer"
    ),
}
# Buyers name security requirements without objecting ("send me the SOC 2"): only a line that
# also sounds worried counts as a security objection.
CONCERN = re.compile(
    r"\?|\b(?:not|don't|doesn't|can't|won't|no|never|too|but|worr\w*|concern\w*|risk\w*|"
    r"problem|issue|need to know|push back|fall over|at all)\b",
    re.IGNORECASE,
)
NEEDS_CONCERN = frozenset({"security"})
_EMPATHY = (
    r"i hear you|i (?:completely |totally )?(?:understand|get) (?:it|that|why|how|the concern)|"
    r"i (?:completely |totally )?understand(?=[.,!;])|i can (?:imagine|see why|see how)|"
    r"sorry to hear|totally (?:get|understand)|makes (?:total |complete |a lot of )?sense|"
    r"(?:that|it) (?:sounds|must be|must have been|'s) "
    r"(?:tough|hard|frustrating|painful|difficult|stressful|a lot)|"
    r"sounds (?:tough|hard|frustrating|painful|difficult|stressful)"
)
EMPATHY = _pattern(_EMPATHY)
ACKNOWLEDGE = _pattern(
    _EMPATHY + r"|fair (?:point|enough|question|concern|worry)|understandable|understood|"
    r"(?:good|great|valid|real) (?:point|question|concern)|you're right|of course|"
    r"that's (?:fair|reasonable|helpful|a (?:fair|real|common|valid) (?:concern|point|worry))|"
    r"that helps|thanks for (?:being|sharing|the honesty|telling|raising)|"
    r"i appreciate (?:that|the|your|you)"
)
# "I hear you, but..." takes the acknowledgement back.
BUT = re.compile(r"\b(?:but|however)\b", re.IGNORECASE)
# A question that offers something ("can I send you...") explores nothing.
OFFER = re.compile(
    r"^(?:so,? )?(?:(?:can|could|may|shall|should) i|do you want me|would you like me)\b",
    re.IGNORECASE,
)
# Nor does a leading one ("..., right?"): it asks for agreement, not for what lies behind.
LEADING = re.compile(
    r"\b(?:right|correct|yeah|isn't it|don't you think|wouldn't you agree|agreed)\?\s*$",
    re.IGNORECASE,
)
ANSWER = _pattern(
    r"roi|return on|pays? (?:for )?(?:itself|ourselves)|payback|sav(?:e|es|ed|ing)|"
    r"reduc(?:e|es|ed|ing)|customers?|case stud(?:y|ies)|for (?:example|instance)|pilot|trial|"
    r"discount|annual|flexible|integrat\w*|certified|encrypt\w*|complian\w*|references?|"
    r"compared (?:to|with)|unlike|agreement|in writing|written into|commit\w*|guarantee\w*|"
    r"report|audit\w*|region|soc ?2|gdpr|we can|we will|we'll|i can|\d+"
)
THANKS = _pattern(r"thank(?:s| you)|appreciate")
SMALL_TALK = _pattern(
    r"how are you|hope (?:you're|you are|you had|your)|"
    r"how(?:'s| is| was) (?:your|the) (?:day|week|weekend|morning|quarter|trip|holiday|conference)"
)
OPEN_QUESTION = re.compile(
    r"^(?:how|what|why|walk me|tell me|describe|help me understand)\b", re.IGNORECASE
)
DAY_OR_TIME = _pattern(
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|next week|"
    r"end of (?:the )?(?:day|week|month)|\d{1,2}(?::\d{2})? ?(?:am|pm)|at \d{1,2}(?::\d{2})?|"
    r"\d{1,2}(?:st|nd|rd|th)|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]* \d{1,2}"
)
# "On Monday our dialer went down" names a day, but it is not a next step.
PAST = _pattern(r"last|ago|yesterday|went|was|were|had|did|happened|used to")
FORWARD = _pattern(
    r"let's|let us|(?:can|could|shall|should) (?:we|i|you)|would you|(?:we|i|you)(?:'ll| will)|"
    r"how about|send|book|schedule|set up|calendar invite|follow[- ]up"
)
AGREE_START = re.compile(
    r"^\W*(?:yes|yeah|yep|sure|sounds (?:good|great|fine)|perfect|great|ok(?:ay)?|deal|"
    r"let's do (?:it|that)|absolutely|definitely|of course|happy to|works)\b",
    re.IGNORECASE,
)
AGREE_ANYWHERE = _pattern(
    r"(?:that|it|this|\w+day)(?: at [\w:]+)? works|works for (?:me|us|the|that)|sounds good|"
    r"see you (?:then|on)|let's (?:do it|say)|(?:is|sounds) (?:realistic|fine|good|great)"
)
# A buyer answering "who signs?" or "what's the budget?" informs; they do not object.
QUALIFYING = {
    "authority": _pattern(r"who|decid\w*|decision|approv\w*|sign\w*"),
    "price": _pattern(r"budget|price|pricing|cost|spend|pay"),
}
DECLINE = _pattern(
    r"not sure|let me think|i'll think|get back to you|no thanks|not interested|don't think so|"
    r"just send (?:me|us|over) (?:some|an|more|the) "
    r"(?:info|information|email|e-mail|material|deck)"
)
GREETING = r"(?i:hi|hey|hello|thanks|thank you|morning|afternoon|good to meet you)"
NAME_GREETING = re.compile(rf"\b{GREETING}[,!]?\s+([A-Z][a-z]+)\b")
NAME_FIRST = re.compile(r"^([A-Z][a-z]+), ")
NAME_INTRODUCTION = re.compile(r"\b(?i:this is|my name is|i'm|i am)\s+([A-Z][a-z]+)\b")
NOT_NAMES = frozenset(
    re.findall(
        r"\w+",
        "There Everyone All Team Guys Again So Yes No Well Great Good Sure Thanks Okay Ok It "
        "Just Glad Happy Fine Sorry Not Calling Here Really Doing Hi Hey Hello Morning Right "
        "Yeah Perfect Awesome Absolutely Totally Look Honestly Listen Alright Cool",
    )
)
# The slowest reply a line still counts as answering (a prospect line is rarely answered later).
REPLY_WINDOW_SECONDS = 30.0
# Gong, via third parties: top reps pause ~1.5 s after an objection, average ones ~0.3 s.
OBJECTION_PAUSE_GOOD, OBJECTION_PAUSE_RUSHED = 1.5, 0.5
NO_OBJECTION_SCORE = 65  # nothing to judge: neither credit nor blame
# Where the 11-14 questions of Gong's discovery calls are the yardstick.
DISCOVERY_FOCUSES = frozenset({"general", "discovery"})


@dataclass(frozen=True)
class _Finding:
    """A moment that earns or costs points, as the rep should hear it."""

    positive: bool
    weight: float  # how much it matters: the weightiest become strengths and improvements
    turn: Turn
    moment: str  # short, for the key-moment list
    advice: str  # the strength or improvement, quoting the moment


@dataclass(frozen=True)
class _Objection:
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
class _NextStep:
    proposal: Turn
    sentence: str
    specific: bool  # a day or a time
    agreed: bool
    declined: bool


def _quote(text: str, limit: int = 110) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return f"“{text}”"


def _sentences(text: str) -> list[str]:
    return [sentence for sentence in re.split(r"(?<=[.?!])\s+", text.strip()) if sentence]


def _says(text: str, name: str | None) -> bool:
    return bool(name and re.search(rf"\b{re.escape(name)}\b", text))


def _explores(text: str) -> bool:
    """Asks the buyer something (not "can I send you..."): the way to find what lies behind."""
    return any(
        is_question(sentence) and not OFFER.match(sentence) and not LEADING.search(sentence)
        for sentence in _sentences(text)
    )


def _sincerely(pattern: re.Pattern[str], text: str) -> bool:
    """The pattern said, and not taken back by a "but" later in the sentence."""
    for sentence in _sentences(text):
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


def _objections(lines: Sequence[Turn]) -> list[_Objection]:
    found: list[_Objection] = []
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
            _Objection(
                kinds=kinds,
                raised=turn,
                reply=reply,
                acknowledged=_sincerely(ACKNOWLEDGE, text),
                explored=_explores(text),
                answered=bool(ANSWER.search(text)),
            )
        )
    return found


def _next_steps(lines: Sequence[Turn]) -> list[_NextStep]:
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
            found.append(_NextStep(turn, sentence, specific, agreed, declined))
    return found


def _agrees(text: str) -> bool:
    return bool(AGREE_START.search(text) or AGREE_ANYWHERE.search(text))


def _prospect_name(lines: Sequence[Turn]) -> str | None:
    """The name the rep greets the prospect by ("Hi Dana", "Daniel, thanks...") or the one the
    prospect gives ("this is Dana")."""
    for turn in lines:
        patterns = (NAME_GREETING, NAME_FIRST) if turn.speaker == REP else (NAME_INTRODUCTION,)
        for pattern in patterns:
            for match in pattern.finditer(turn.text):
                if match.group(1) not in NOT_NAMES:
                    return match.group(1)
    return None


def _longest_stretch(lines: Sequence[Turn], speaker: str) -> tuple[Turn | None, float]:
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


def _best_question(lines: Sequence[Turn]) -> tuple[Turn | None, str, float]:
    """The rep's question that drew the prospect's longest answer: its line, the question, and
    how long the answer was."""
    best: tuple[Turn | None, str, float] = (None, "", 0.0)
    for index, turn in enumerate(lines):
        questions = [sentence for sentence in _sentences(turn.text) if is_question(sentence)]
        if turn.speaker == REP and questions:
            answer = _next_line(lines, index, PROSPECT)
            if answer is not None and answer.duration > best[2]:
                best = (turn, questions[-1], answer.duration)
    return best


def _interruptions(lines: Sequence[Turn]) -> Iterator[Turn]:
    for previous, turn in itertools.pairwise(lines):
        if (
            turn.speaker == REP
            and previous.speaker == PROSPECT
            and previous.end - turn.start > INTERRUPTION_OVERLAP_SECONDS
        ):
            yield turn


def _between(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _discovery_score(measured: CallMetrics, open_questions: int) -> int:
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


def _rapport_score(
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


def _objection_score(measured: CallMetrics, objections: Sequence[_Objection]) -> int:
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


def _next_step_score(steps: Sequence[_NextStep]) -> int:
    if not steps:
        return 15
    best = max(steps, key=lambda step: (step.agreed, step.specific))
    return 45 + (25 if best.specific else 0) + (25 if best.agreed else 0)


def _objection_findings(objections: Sequence[_Objection]) -> Iterator[_Finding]:
    for objection in objections:
        raised, reply = objection.raised, objection.reply
        said = _quote(raised.text)
        if reply is None:
            yield _Finding(
                False,
                3.5,
                raised,
                f"The {objection.label} went unanswered",
                f"({clock(raised.start)}) The prospect raised a {objection.label} ({said}) and "
                "the rep never answered it: acknowledge it, ask what is behind it, then answer.",
            )
            continue
        done = [
            part
            for part, present in (
                ("acknowledged it", objection.acknowledged),
                ("asked what is behind it", objection.explored),
                ("answered with specifics", objection.answered),
            )
            if present
        ]
        if objection.quality >= 2:
            yield _Finding(
                True,
                2.0 + objection.quality,
                reply,
                f"{objection.label.capitalize()} handled",
                f"({clock(reply.start)}) Met the {objection.label} ({said}) well: "
                f"{', '.join(done)}: {_quote(reply.text)}",
            )
        else:
            missing = "acknowledge it, ask what is behind it and answer with specifics"
            yield _Finding(
                False,
                3.5 - objection.quality,
                reply,
                f"{objection.label.capitalize()} brushed aside",
                f"({clock(reply.start)}) The {objection.label} ({said}) got "
                f"{_quote(reply.text)}: {missing} before moving on.",
            )
        if objection.pause is not None and objection.pause < OBJECTION_PAUSE_RUSHED:
            yield _Finding(
                False,
                1.0,
                reply,
                "Rushed reply to an objection",
                f"({clock(reply.start)}) Answered the {objection.label} after "
                f"{objection.pause:.1f} s: top reps pause about 1.5 s before answering.",
            )


def _next_step_findings(steps: Sequence[_NextStep], lines: Sequence[Turn]) -> Iterator[_Finding]:
    agreed = [step for step in steps if step.agreed]
    if agreed:
        step = max(agreed, key=lambda step: step.specific)
        dated = "with a day and time" if step.specific else "without a day or time yet"
        yield _Finding(
            True,
            4.0 if step.specific else 2.5,
            step.proposal,
            "Next step agreed",
            f"({clock(step.proposal.start)}) Agreed a next step {dated}: {_quote(step.sentence)}",
        )
        if not step.specific:
            yield _Finding(
                False,
                2.0,
                step.proposal,
                "Next step without a date",
                f"({clock(step.proposal.start)}) {_quote(step.sentence)} has no day or time: "
                "put it in the calendar before hanging up.",
            )
    elif steps:
        step = steps[-1]
        outcome = "was turned down" if step.declined else "was never confirmed"
        yield _Finding(
            False,
            3.5,
            step.proposal,
            "Next step left open",
            f"({clock(step.proposal.start)}) The next step {_quote(step.sentence)} {outcome}: "
            "propose a day and time and get a clear yes.",
        )
    else:
        last = next((turn for turn in reversed(lines) if turn.speaker == REP), lines[-1])
        yield _Finding(
            False,
            4.0,
            last,
            "Call ended without a next step",
            f"({clock(last.start)}) The call ended on {_quote(last.text)} with no next step: "
            "close every call with an agreed step, a day and a time.",
        )


def _talk_findings(
    lines: Sequence[Turn], measured: CallMetrics, open_questions: int, focus: str
) -> Iterator[_Finding]:
    discovering = focus in DISCOVERY_FOCUSES
    asked = len(measured.rep_questions)
    monologue, monologue_seconds = _longest_stretch(lines, REP)
    story, story_seconds = _longest_stretch(lines, PROSPECT)
    if monologue is not None and (monologue_seconds > 120 or measured.rep_talk_percent > 65):
        yield _Finding(
            False,
            3.0 + (monologue_seconds > 120) + (measured.rep_talk_percent > 65),
            monologue,
            f"Rep talked for {monologue_seconds:.0f} s",
            f"({clock(monologue.start)}) The rep talked {measured.rep_talk_percent:.0f} % of the "
            f"call; the longest stretch ({monologue_seconds:.0f} s) began with "
            f"{_quote(monologue.text)}. Stop after two minutes at most and let the prospect talk: "
            "winning calls sit at 35-50 % talk share.",
        )
    rep_lines = [turn for turn in lines if turn.speaker == REP]
    if discovering and asked < 7 and rep_lines:
        longest = max(rep_lines, key=lambda turn: turn.duration)
        yield _Finding(
            False,
            2.0 + (7 - asked) / 7,
            longest,
            f"Only {asked} question{'s' * (asked != 1)}",
            f"({clock(longest.start)}) Asked {asked} question{'s' * (asked != 1)} in the call "
            f"(winning discovery calls ask 11-14): turn moments like {_quote(longest.text)} into "
            "questions about the situation, the pain and what it costs.",
        )
    if story is not None and story_seconds >= 50:
        yield _Finding(
            True,
            2.0 + min(2.0, story_seconds / 120),
            story,
            f"Prospect told a {story_seconds:.0f}-second story",
            f"({clock(story.start)}) Let the prospect talk for {story_seconds:.0f} s: "
            f"{_quote(story.text)}",
        )
    question, sentence, answer_seconds = _best_question(lines)
    if question is not None and (asked >= 7 or (not discovering and answer_seconds >= 20)):
        band = "right in" if 11 <= asked <= 14 else "near" if 7 <= asked <= 18 else "outside"
        benchmark = f" ({band} the 11-14 range of winning discovery calls)" if discovering else ""
        yield _Finding(
            True,
            3.0 if band == "right in" or not discovering else 2.0,
            question,
            "Question that opened the prospect up",
            f"({clock(question.start)}) Asked {asked} questions{benchmark}, {open_questions} of "
            f"them open; {_quote(sentence)} drew a {answer_seconds:.0f}-second answer.",
        )
    if 35 <= measured.rep_talk_percent <= 50 and story is not None:
        yield _Finding(
            True,
            1.5,
            story,
            "Balanced conversation",
            f"({clock(story.start)}) Listened more than talked: {measured.rep_talk_percent:.0f} % "
            "talk share, in the 35-50 % band of winning calls.",
        )


def _rapport_findings(
    lines: Sequence[Turn], measured: CallMetrics, name: str | None
) -> Iterator[_Finding]:
    rep_lines = [turn for turn in lines if turn.speaker == REP]
    empathic = next((turn for turn in rep_lines if _sincerely(EMPATHY, turn.text)), None)
    if empathic is not None:
        yield _Finding(
            True,
            2.5,
            empathic,
            "Empathy",
            f"({clock(empathic.start)}) Showed empathy: {_quote(empathic.text)}",
        )
    named = next((turn for turn in rep_lines if _says(turn.text, name)), None)
    if named is not None:
        yield _Finding(
            True,
            1.0,
            named,
            f"Used {name}'s name",
            f"({clock(named.start)}) Used the prospect's name: {_quote(named.text)}",
        )
    interruption = next(_interruptions(lines), None)
    if interruption is not None:
        yield _Finding(
            False,
            1.5 + min(2.0, measured.interruptions_by_rep / 2),
            interruption,
            "Interrupted the prospect",
            f"({clock(interruption.start)}) Cut in while the prospect was talking "
            f"({measured.interruptions_by_rep} interruption"
            f"{'s' * (measured.interruptions_by_rep != 1)} in the call): "
            f"{_quote(interruption.text)}. Let them finish, then pause.",
        )
    if measured.rep_words_per_minute > 180:
        fastest = max(rep_lines, key=lambda turn: turn.words / max(turn.duration, 1.0))
        yield _Finding(
            False,
            1.5,
            fastest,
            "Speaking fast",
            f"({clock(fastest.start)}) Spoke at {measured.rep_words_per_minute:.0f} words a "
            "minute (over 180 is a sign of nerves, e.g. after a mishandled objection): "
            f"{_quote(fastest.text)}",
        )


def _summary(
    focus: str,
    measured: CallMetrics,
    objections: Sequence[_Objection],
    steps: Sequence[_NextStep],
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
    objections: Sequence[_Objection],
    steps: Sequence[_NextStep],
) -> list[str]:
    suggestions = []
    agreed = [step for step in steps if step.agreed]
    if agreed:
        step = max(agreed, key=lambda step: step.specific)
        suggestions.append(
            f"Send the invite and a recap for the step agreed at {clock(step.proposal.start)}: "
            + _quote(step.sentence)
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
    measured = metrics
    objections = _objections(lines)
    steps = _next_steps(lines)
    name = _prospect_name(lines)
    rep_text = [turn.text for turn in lines if turn.speaker == REP]
    open_questions = sum(bool(OPEN_QUESTION.match(q)) for q in measured.rep_questions)
    parts = {
        "discovery": _discovery_score(measured, open_questions),
        "rapport": _rapport_score(
            measured,
            name_uses=sum(_says(text, name) for text in rep_text),
            acknowledgements=sum(_sincerely(ACKNOWLEDGE, text) for text in rep_text),
            thanks=sum(bool(THANKS.search(text)) for text in rep_text),
            small_talk=sum(bool(SMALL_TALK.search(text)) for text in rep_text),
        ),
        "objectionHandling": _objection_score(measured, objections),
        "nextSteps": _next_step_score(steps),
    }
    scores = {"overall": rubric.overall(parts), **parts}
    findings = [
        *_talk_findings(lines, measured, open_questions, focus),
        *_rapport_findings(lines, measured, name),
        *_objection_findings(objections),
        *_next_step_findings(steps, lines),
    ]
    strengths = _weightiest(findings, positive=True)
    improvements = _weightiest(findings, positive=False)
    return Judgement(
        summary=_summary(focus, measured, objections, steps),
        scores={key: scores[key] for key in SCORE_KEYS},
        strengths=[finding.advice for finding in strengths],
        improvements=[finding.advice for finding in improvements],
        key_moments=[
            KeyMoment(
                POSITIVE if finding.positive else IMPROVEMENT, finding.moment, finding.turn.start
            )
            for finding in sorted([*strengths, *improvements], key=lambda f: f.turn.start)
        ],
        next_steps=_suggested_next_steps(focus, measured, objections, steps),
        scored_by=LOCAL,
        notices=[LOCAL_NOTICE],
    )


def _weightiest(findings: Sequence[_Finding], *, positive: bool, limit: int = 3) -> list[_Finding]:
    """The findings that matter most, told in the order they happened."""
    chosen = sorted(
        (finding for finding in findings if finding.positive is positive),
        key=lambda finding: (-finding.weight, finding.turn.start),
    )[:limit]
    return sorted(chosen, key=lambda finding: finding.turn.start)
