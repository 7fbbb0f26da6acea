"""The local engine's strengths and improvements: moments that earn or cost points, each told
as advice that quotes the line it happened on.

Every finding points at a real line, so its key moment can be replayed; the weightiest become
the strengths and improvements the rep reads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from quotahit.analysis.call_cues import (
    OBJECTION_PAUSE_RUSHED,
    NextStep,
    Objection,
    best_question,
    interruptions,
    longest_stretch,
    says,
    sincerely,
)
from quotahit.analysis.metrics import PROSPECT, REP, CallMetrics, Turn
from quotahit.analysis.rubrics import DISCOVERY_FOCUSES
from quotahit.analysis.sales_phrases import EMPATHY
from quotahit.analysis.transcript_lines import clock


@dataclass(frozen=True)
class Finding:
    """A moment that earns or costs points, as the rep should hear it."""

    positive: bool
    weight: float  # how much it matters: the weightiest become strengths and improvements
    turn: Turn
    moment: str  # short, for the key-moment list
    advice: str  # the strength or improvement, quoting the moment


def quote(text: str, limit: int = 110) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return f"“{text}”"


def objection_findings(objections: Sequence[Objection]) -> Iterator[Finding]:
    for objection in objections:
        raised, reply = objection.raised, objection.reply
        said = quote(raised.text)
        if reply is None:
            yield Finding(
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
            yield Finding(
                True,
                2.0 + objection.quality,
                reply,
                f"{objection.label.capitalize()} handled",
                f"({clock(reply.start)}) Met the {objection.label} ({said}) well: "
                f"{', '.join(done)}: {quote(reply.text)}",
            )
        else:
            missing = "acknowledge it, ask what is behind it and answer with specifics"
            yield Finding(
                False,
                3.5 - objection.quality,
                reply,
                f"{objection.label.capitalize()} brushed aside",
                f"({clock(reply.start)}) The {objection.label} ({said}) got "
                f"{quote(reply.text)}: {missing} before moving on.",
            )
        if objection.pause is not None and objection.pause < OBJECTION_PAUSE_RUSHED:
            yield Finding(
                False,
                1.0,
                reply,
                "Rushed reply to an objection",
                f"({clock(reply.start)}) Answered the {objection.label} after "
                f"{objection.pause:.1f} s: top reps pause about 1.5 s before answering.",
            )


def next_step_findings(steps: Sequence[NextStep], lines: Sequence[Turn]) -> Iterator[Finding]:
    agreed = [step for step in steps if step.agreed]
    if agreed:
        step = max(agreed, key=lambda step: step.specific)
        dated = "with a day and time" if step.specific else "without a day or time yet"
        yield Finding(
            True,
            4.0 if step.specific else 2.5,
            step.proposal,
            "Next step agreed",
            f"({clock(step.proposal.start)}) Agreed a next step {dated}: {quote(step.sentence)}",
        )
        if not step.specific:
            yield Finding(
                False,
                2.0,
                step.proposal,
                "Next step without a date",
                f"({clock(step.proposal.start)}) {quote(step.sentence)} has no day or time: "
                "put it in the calendar before hanging up.",
            )
    elif steps:
        step = steps[-1]
        outcome = "was turned down" if step.declined else "was never confirmed"
        yield Finding(
            False,
            3.5,
            step.proposal,
            "Next step left open",
            f"({clock(step.proposal.start)}) The next step {quote(step.sentence)} {outcome}: "
            "propose a day and time and get a clear yes.",
        )
    else:
        last = next((turn for turn in reversed(lines) if turn.speaker == REP), lines[-1])
        yield Finding(
            False,
            4.0,
            last,
            "Call ended without a next step",
            f"({clock(last.start)}) The call ended on {quote(last.text)} with no next step: "
            "close every call with an agreed step, a day and a time.",
        )


def talk_findings(
    lines: Sequence[Turn], measured: CallMetrics, open_questions: int, focus: str
) -> Iterator[Finding]:
    discovering = focus in DISCOVERY_FOCUSES
    asked = len(measured.rep_questions)
    monologue, monologue_seconds = longest_stretch(lines, REP)
    story, story_seconds = longest_stretch(lines, PROSPECT)
    if monologue is not None and (monologue_seconds > 120 or measured.rep_talk_percent > 65):
        yield Finding(
            False,
            3.0 + (monologue_seconds > 120) + (measured.rep_talk_percent > 65),
            monologue,
            f"Rep talked for {monologue_seconds:.0f} s",
            f"({clock(monologue.start)}) The rep talked {measured.rep_talk_percent:.0f} % of the "
            f"call; the longest stretch ({monologue_seconds:.0f} s) began with "
            f"{quote(monologue.text)}. Stop after two minutes at most and let the prospect talk: "
            "winning calls sit at 35-50 % talk share.",
        )
    rep_lines = [turn for turn in lines if turn.speaker == REP]
    if discovering and asked < 7 and rep_lines:
        longest = max(rep_lines, key=lambda turn: turn.duration)
        yield Finding(
            False,
            2.0 + (7 - asked) / 7,
            longest,
            f"Only {asked} question{'s' * (asked != 1)}",
            f"({clock(longest.start)}) Asked {asked} question{'s' * (asked != 1)} in the call "
            f"(winning discovery calls ask 11-14): turn moments like {quote(longest.text)} into "
            "questions about the situation, the pain and what it costs.",
        )
    if story is not None and story_seconds >= 50:
        yield Finding(
            True,
            2.0 + min(2.0, story_seconds / 120),
            story,
            f"Prospect told a {story_seconds:.0f}-second story",
            f"({clock(story.start)}) Let the prospect talk for {story_seconds:.0f} s: "
            f"{quote(story.text)}",
        )
    question, sentence, answer_seconds = best_question(lines)
    if question is not None and (asked >= 7 or (not discovering and answer_seconds >= 20)):
        band = "right in" if 11 <= asked <= 14 else "near" if 7 <= asked <= 18 else "outside"
        benchmark = f" ({band} the 11-14 range of winning discovery calls)" if discovering else ""
        yield Finding(
            True,
            3.0 if band == "right in" or not discovering else 2.0,
            question,
            "Question that opened the prospect up",
            f"({clock(question.start)}) Asked {asked} questions{benchmark}, {open_questions} of "
            f"them open; {quote(sentence)} drew a {answer_seconds:.0f}-second answer.",
        )
    if 35 <= measured.rep_talk_percent <= 50 and story is not None:
        yield Finding(
            True,
            1.5,
            story,
            "Balanced conversation",
            f"({clock(story.start)}) Listened more than talked: {measured.rep_talk_percent:.0f} % "
            "talk share, in the 35-50 % band of winning calls.",
        )


def rapport_findings(
    lines: Sequence[Turn], measured: CallMetrics, name: str | None
) -> Iterator[Finding]:
    rep_lines = [turn for turn in lines if turn.speaker == REP]
    empathic = next((turn for turn in rep_lines if sincerely(EMPATHY, turn.text)), None)
    if empathic is not None:
        yield Finding(
            True,
            2.5,
            empathic,
            "Empathy",
            f"({clock(empathic.start)}) Showed empathy: {quote(empathic.text)}",
        )
    named = next((turn for turn in rep_lines if says(turn.text, name)), None)
    if named is not None:
        yield Finding(
            True,
            1.0,
            named,
            f"Used {name}'s name",
            f"({clock(named.start)}) Used the prospect's name: {quote(named.text)}",
        )
    interruption = next(interruptions(lines), None)
    if interruption is not None:
        yield Finding(
            False,
            1.5 + min(2.0, measured.interruptions_by_rep / 2),
            interruption,
            "Interrupted the prospect",
            f"({clock(interruption.start)}) Cut in while the prospect was talking "
            f"({measured.interruptions_by_rep} interruption"
            f"{'s' * (measured.interruptions_by_rep != 1)} in the call): "
            f"{quote(interruption.text)}. Let them finish, then pause.",
        )
    if measured.rep_words_per_minute > 180:
        fastest = max(rep_lines, key=lambda turn: turn.words / max(turn.duration, 1.0))
        yield Finding(
            False,
            1.5,
            fastest,
            "Speaking fast",
            f"({clock(fastest.start)}) Spoke at {measured.rep_words_per_minute:.0f} words a "
            "minute (over 180 is a sign of nerves, e.g. after a mishandled objection): "
            f"{quote(fastest.text)}",
        )


def weightiest(findings: Sequence[Finding], *, positive: bool, limit: int = 3) -> list[Finding]:
    """The findings that matter most, told in the order they happened."""
    chosen = sorted(
        (finding for finding in findings if finding.positive is positive),
        key=lambda finding: (-finding.weight, finding.turn.start),
    )[:limit]
    return sorted(chosen, key=lambda finding: finding.turn.start)
