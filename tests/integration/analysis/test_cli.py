"""`quotahit analyze PATH` as a user runs it: a subprocess of the installed command.

Each run loads the app and the built-in Whisper (5-15 s), so the runs are few and those of one
test go side by side.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from quotahit.analysis.transcription import NO_SPEECH
from tests.support.analysis_document import TOP_LEVEL_KEYS, assert_analysis_document
from tests.support.calls import discovery_script, render_call
from tests.unit.local.media import encode, silence, video_mp4

QUOTAHIT = Path(sys.executable).with_name("quotahit")
TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Outcome:
    """What one run of the command left behind."""

    code: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The recordings, and a data folder of its own for the command's settings."""
    folder = tmp_path_factory.mktemp("cli")
    (folder / "call.wav").write_bytes(render_call(discovery_script(30)).wav)
    (folder / "random.mp3").write_bytes(bytes(range(256)) * 200)
    (folder / "video.mp4").write_bytes(video_mp4(with_audio=True))
    silent = encode(silence(5, 16_000), 16_000, container="wav", codec="pcm_s16le")
    (folder / "silence.wav").write_bytes(silent)
    return folder


def analyze(folder: Path, *args: str) -> Outcome:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key != "DATABASE_URL" and not key.startswith("QUOTAHIT_")
    }
    environment["QUOTAHIT_DATA_DIR"] = str(folder / "data")
    done = subprocess.run(
        [str(QUOTAHIT), "analyze", *args],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def analyze_side_by_side(folder: Path, runs: list[list[str]]) -> list[Outcome]:
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        return list(pool.map(lambda args: analyze(folder, *args), runs))


def test_json_is_exactly_the_analysis_and_the_rep_speaker_option_flips_it(folder: Path) -> None:
    first, second = analyze_side_by_side(
        folder,
        [
            ["call.wav", "--json", "--rep-speaker", "first"],
            ["call.wav", "--json", "--rep-speaker", "second"],
        ],
    )
    documents = []
    for outcome in (first, second):
        assert outcome.code == 0, outcome.stderr
        assert outcome.stdout.endswith("\n")
        assert outcome.stdout.count("\n") == 1
        document = json.loads(outcome.stdout)
        assert set(document) == TOP_LEVEL_KEYS
        assert_analysis_document(document)
        assert "Traceback" not in outcome.stderr
        documents.append(document)
    by_first, by_second = documents
    assert by_first["transcript"][0]["speaker"] == "rep"
    assert by_second["transcript"][0]["speaker"] == "prospect"
    assert by_second["talkRatio"] == {
        "rep": by_first["talkRatio"]["prospect"],
        "prospect": by_first["talkRatio"]["rep"],
    }


def test_a_rejected_file_exits_non_zero_with_a_one_line_reason(folder: Path) -> None:
    cases = {
        "random bytes": (["random.mp3", "--json"], "could not be read as audio"),
        "a video": (["video.mp4", "--json"], "This file is a video"),
        "silence": (["silence.wav", "--json"], " ".join(NO_SPEECH.split())),
        "a missing file": (["missing.wav", "--json"], "No such file: missing.wav"),
        "an unknown model": (
            ["call.wav", "--json", "--model", "gpt-9-imaginary"],
            "not a model that can score a call",
        ),
    }
    outcomes = analyze_side_by_side(folder, [args for args, _ in cases.values()])
    for (case, (_args, reason)), outcome in zip(cases.items(), outcomes, strict=True):
        assert outcome.code != 0, case
        assert outcome.stdout == "", case
        lines = outcome.stderr.splitlines()
        assert len(lines) == 1, (case, outcome.stderr)
        assert lines[0].startswith("error: "), (case, outcome.stderr)
        assert reason in lines[0], (case, outcome.stderr)
