"""Checks of the public analysis JSON that the job, REST and CLI tests share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from quotahit.analysis.metrics import PROSPECT, REP, Turn

# The public JSON's field names are a promise to API and CLI users: spelled out here, not imported.
TOP_LEVEL_KEYS = {
    "summary",
    "scores",
    "talkRatio",
    "strengths",
    "improvements",
    "keyMoments",
    "nextSteps",
    "metrics",
    "transcript",
}
SCORE_KEYS = {"overall", "discovery", "rapport", "objectionHandling", "nextSteps"}
METRIC_KEYS = {
    "durationSec",
    "repQuestions",
    "longestRepMonologueSec",
    "interruptions",
    "patienceSec",
    "repWordsPerMinute",
}


def assert_analysis_document(document: dict[str, Any]) -> None:
    """Every fixed field is there, with the promised type and a sane value."""
    assert set(document) == TOP_LEVEL_KEYS
    assert isinstance(document["summary"], str)
    assert document["summary"].strip()
    assert set(document["scores"]) == SCORE_KEYS
    for key, score in document["scores"].items():
        assert type(score) is int, key
        assert 0 <= score <= 100, key
    assert set(document["talkRatio"]) == {"rep", "prospect"}
    rep, prospect = document["talkRatio"]["rep"], document["talkRatio"]["prospect"]
    assert 0 <= rep <= 100
    assert 0 <= prospect <= 100
    assert rep + prospect == pytest.approx(100, abs=1)
    for key in ("strengths", "improvements", "nextSteps"):
        assert isinstance(document[key], list), key
        assert all(isinstance(item, str) and item.strip() for item in document[key]), key
    assert document["strengths"] or document["improvements"]
    for moment in document["keyMoments"]:
        assert set(moment) == {"type", "text", "timeSec"}
        assert moment["type"] in {"positive", "improvement"}
        assert isinstance(moment["text"], str)
        assert moment["text"].strip()
        assert 0 <= moment["timeSec"] <= document["metrics"]["durationSec"] + 1
    assert set(document["metrics"]) == METRIC_KEYS
    metrics = document["metrics"]
    assert metrics["durationSec"] > 0
    assert type(metrics["repQuestions"]) is int
    assert type(metrics["interruptions"]) is int
    for key in METRIC_KEYS:
        assert isinstance(metrics[key], int | float), key
        assert metrics[key] >= 0, key
    assert metrics["longestRepMonologueSec"] <= metrics["durationSec"]
    transcript = document["transcript"]
    assert transcript
    assert {line["speaker"] for line in transcript} == {"rep", "prospect"}
    for line in transcript:
        assert set(line) == {"speaker", "start", "end", "text"}
        assert 0 <= line["start"] <= line["end"]
        assert isinstance(line["text"], str)
    starts = [line["start"] for line in transcript]
    assert starts == sorted(starts)


def rep_share(truth: Sequence[Turn]) -> float:
    """The rep's share of the talk in a rendered call, in percent."""
    rep = sum(turn.duration for turn in truth if turn.speaker == REP)
    prospect = sum(turn.duration for turn in truth if turn.speaker == PROSPECT)
    return 100 * rep / (rep + prospect)
