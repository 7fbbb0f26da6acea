"""Accuracy of the local engine on calls the project renders itself, with known speech spans.

Each call is synthesised line by line (two clearly different voices), so the truth of who spoke
when is exact. The analyzer must measure it within the issue's tolerances: talk ratio within
5 points, rep questions within 1, the longest rep monologue within 10 %.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from quotahit.analysis import standalone
from quotahit.analysis.metrics import measure
from tests.support.calls import PIPER_JOE, REP_VOICE, discovery_script, render_call

CASES = {
    "mono, two espeak voices": {"stereo": False, "rep": REP_VOICE, "seconds": 150},
    "dual channel": {"stereo": True, "rep": REP_VOICE, "seconds": 150},
    "mono, Piper rep and espeak prospect": {"stereo": False, "rep": PIPER_JOE, "seconds": 150},
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_local_engine_measures_what_was_said(case: str, tmp_path: Path) -> None:
    options = CASES[case]
    script = discovery_script(options["seconds"], rep=options["rep"])
    call = render_call(script, stereo=options["stereo"], rep=options["rep"], overlap_every=0)
    path = tmp_path / "call.wav"
    path.write_bytes(call.wav)
    truth = measure(call.truth)

    result = asyncio.run(standalone.analyze_file(path))
    document = result.analysed.document

    assert result.heard.dual_channel is options["stereo"]
    assert abs(document["talkRatio"]["rep"] - truth.rep_talk_percent) <= 5, (
        document["talkRatio"],
        truth.rep_talk_percent,
    )
    assert abs(document["metrics"]["repQuestions"] - len(truth.rep_questions)) <= 1, (
        document["metrics"]["repQuestions"],
        truth.rep_questions,
    )
    measured = document["metrics"]["longestRepMonologueSec"]
    expected = truth.longest_rep_monologue_seconds
    assert abs(measured - expected) <= 0.1 * expected, (measured, expected)
    assert {line["speaker"] for line in document["transcript"]} == {"rep", "prospect"}
