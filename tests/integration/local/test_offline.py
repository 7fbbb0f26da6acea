"""The local engine never touches the network: a whole voice turn in a process without one."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.unit.local.media import SENTENCE, word_error_rate

TURN = Path(__file__).with_name("offline_turn.py")


@functools.cache
def _no_network_prefix() -> list[str]:
    """`unshare -n` (a network namespace with loopback only) where this user may make one."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], check=False).returncode == 0:
        return [unshare, "-n"]
    return []


def test_a_voice_turn_runs_without_network() -> None:
    environment = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [*_no_network_prefix(), sys.executable, str(TURN)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    turn = json.loads(result.stdout.strip().splitlines()[-1])
    assert turn["network"] == []
    assert len(turn["segments"]) == 1
    assert word_error_rate(SENTENCE, turn["heard"]) <= 0.25
    assert turn["objection"] == "It costs too much."
    assert turn["voice"] == "Piper joe (US English, neural)"
    reply = "We cannot afford a new contract this quarter."
    assert min(word_error_rate(reply, heard) for heard in turn["replies"]) <= 0.25, turn["replies"]
