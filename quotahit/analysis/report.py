"""The analysis document: the public JSON (fixed field names) and what the page adds beside it.

The CLI, the REST API and the results page all read the same document, so what one shows the
others show too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from quotahit.analysis.benchmarks import BENCHMARKS
from quotahit.analysis.judgement import SCORE_KEYS, Judgement
from quotahit.analysis.metrics import CallMetrics, Turn


def public_document(
    turns: Sequence[Turn], metrics: CallMetrics, judgement: Judgement
) -> dict[str, Any]:
    """Exactly the JSON promised to API and CLI users, field names fixed."""
    return {
        "summary": judgement.summary,
        "scores": {key: int(judgement.scores.get(key, 0)) for key in SCORE_KEYS},
        "talkRatio": {
            "rep": metrics.rep_talk_percent,
            "prospect": metrics.prospect_talk_percent,
        },
        "strengths": list(judgement.strengths),
        "improvements": list(judgement.improvements),
        "keyMoments": [
            {"type": moment.type, "text": moment.text, "timeSec": round(moment.time_sec, 1)}
            for moment in judgement.key_moments
        ],
        "nextSteps": list(judgement.next_steps),
        "metrics": {
            "durationSec": metrics.duration_seconds,
            "repQuestions": len(metrics.rep_questions),
            "longestRepMonologueSec": metrics.longest_rep_monologue_seconds,
            "interruptions": metrics.interruptions_by_rep,
            "patienceSec": metrics.patience_seconds,
            "repWordsPerMinute": metrics.rep_words_per_minute,
        },
        "transcript": [
            {
                "speaker": turn.speaker,
                "start": round(turn.start, 2),
                "end": round(turn.end, 2),
                "text": turn.text,
            }
            for turn in sorted(turns, key=lambda t: t.start)
        ],
    }


@dataclass(frozen=True)
class MetricRow:
    """One metric as the page and the exports show it: value, good range, verdict, source."""

    label: str
    value: str
    benchmark: str
    verdict: str  # good | low | high | info
    source: str
    key: str = ""


def _range(low: float | None, high: float | None, unit: str) -> str:
    unit = f" {unit}" if unit and unit != "%" else unit
    if low is not None and high is not None:
        return f"{low:g} to {high:g}{unit}"
    if low is not None:
        return f"≥ {low:g}{unit}"
    if high is not None:
        return f"≤ {high:g}{unit}"
    return ""


def metric_rows(metrics: CallMetrics) -> list[MetricRow]:
    """Every measured metric beside its published benchmark, in the order the page shows."""
    values: dict[str, tuple[float, str]] = {
        "rep_talk_percent": (metrics.rep_talk_percent, f"{metrics.rep_talk_percent:g} %"),
        "rep_questions": (len(metrics.rep_questions), f"{len(metrics.rep_questions)}"),
        "longest_rep_monologue_seconds": (
            metrics.longest_rep_monologue_seconds,
            f"{metrics.longest_rep_monologue_seconds:g} s",
        ),
        "longest_prospect_story_seconds": (
            metrics.longest_prospect_story_seconds,
            f"{metrics.longest_prospect_story_seconds:g} s",
        ),
        "patience_seconds": (metrics.patience_seconds, f"{metrics.patience_seconds:g} s"),
        "rep_words_per_minute": (
            metrics.rep_words_per_minute,
            f"{metrics.rep_words_per_minute:g} wpm",
        ),
        "filler_words_per_minute": (
            metrics.filler_words_per_minute,
            f"{metrics.filler_words_per_minute:g} per min",
        ),
    }
    rows = []
    for key, (number, shown) in values.items():
        benchmark = BENCHMARKS.get(key)
        if benchmark is None:
            continue
        rows.append(
            MetricRow(
                benchmark.label,
                shown,
                _range(benchmark.low, benchmark.high, benchmark.unit),
                benchmark.verdict(number),
                benchmark.source,
                key,
            )
        )
    rows.append(
        MetricRow(
            "Interruptions by the rep",
            str(metrics.interruptions_by_rep),
            "as few as possible",
            "good" if metrics.interruptions_by_rep <= 2 else "high",
            "Measured: the rep starting while the prospect was still talking",
            "interruptions",
        )
    )
    rows.append(
        MetricRow(
            "Next steps agreed",
            str(len(metrics.next_steps)),
            "≥ 1",
            "good" if metrics.next_steps else "low",
            "A call should end with a dated next step",
            "next_steps",
        )
    )
    return rows


def extras(
    metrics: CallMetrics, judgement: Judgement, *, speaker_labels: dict[str, str]
) -> dict[str, Any]:
    """What the page shows beside the public JSON (never sent by the API)."""
    return {
        "scoredBy": judgement.scored_by,
        "repQuestionList": list(metrics.rep_questions),
        "nextStepSentences": list(metrics.next_steps),
        "longestProspectStorySec": metrics.longest_prospect_story_seconds,
        "fillerWordsPerMinute": metrics.filler_words_per_minute,
        "speakerLabels": speaker_labels,
        "metricRows": [row.__dict__ for row in metric_rows(metrics)],
    }
