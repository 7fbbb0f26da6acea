"""The request that asks a model to judge a call: the rubric, the measured facts, the transcript.

The metrics are measured (`metrics.py`) and handed to the model as facts it must not re-count; the
model adds only what needs judgement, citing lines of the transcript by their start time.
"""

from __future__ import annotations

from collections.abc import Sequence

from quotahit.analysis.benchmarks import BENCHMARKS, Benchmark
from quotahit.analysis.metrics import CallMetrics, Turn
from quotahit.analysis.rubrics import rubric_for
from quotahit.analysis.transcript_lines import clock, transcript_lines
from quotahit.providers.text import ChatMessage

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
