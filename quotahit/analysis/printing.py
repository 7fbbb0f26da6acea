"""The analysis as plain text for a terminal (`quotahit analyze` without --json)."""

from __future__ import annotations

from quotahit.analysis.service import Analysed
from quotahit.analysis.transcript_lines import clock
from quotahit.analysis.transcription import HeardCall, speech_model_label


def describe(heard: HeardCall, analysed: Analysed) -> str:
    """A readable report: scores, metrics against benchmarks, coaching, the transcript."""
    document, extras = analysed.document, analysed.extras
    scores = document["scores"]
    scorer = "the built-in local engine" if extras["scoredBy"] == "local" else extras["scoredBy"]
    lines = [
        f"Call of {clock(heard.duration)}, "
        f"{'two channels' if heard.dual_channel else 'one channel'}, "
        f"transcribed by {speech_model_label(heard.speech_model_id)}, "
        f"scored by {scorer}.",
        f"Rep: {analysed.rep_label} ({analysed.rep_reason})",
        "",
        document["summary"],
        "",
        "Scores: "
        + ", ".join(
            f"{label} {scores[key]}"
            for key, label in (
                ("overall", "overall"),
                ("discovery", "discovery"),
                ("rapport", "rapport"),
                ("objectionHandling", "objection handling"),
                ("nextSteps", "next steps"),
            )
        ),
        f"Talk ratio: rep {document['talkRatio']['rep']:g} %, "
        f"prospect {document['talkRatio']['prospect']:g} %",
        "",
        "Metrics (value · good range · verdict):",
    ]
    lines += [
        f"  {row['label']}: {row['value']} · {row['benchmark']} · {row['verdict']}"
        for row in extras["metricRows"]
    ]
    for title, items in (
        ("Strengths", document["strengths"]),
        ("Improvements", document["improvements"]),
        ("Next steps", document["nextSteps"]),
    ):
        if items:
            lines += ["", f"{title}:"] + [f"  - {item}" for item in items]
    if document["keyMoments"]:
        lines += ["", "Key moments:"] + [
            f"  {clock(moment['timeSec'])} [{moment['type']}] {moment['text']}"
            for moment in document["keyMoments"]
        ]
    for notice in analysed.notices + heard.notices:
        lines += ["", f"Note: {notice}"]
    lines += ["", "Transcript:"] + [
        f"  {clock(turn['start'])} {turn['speaker']}: {turn['text']}"
        for turn in document["transcript"]
    ]
    return "\n".join(lines)
