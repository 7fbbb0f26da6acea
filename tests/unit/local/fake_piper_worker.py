"""A stand-in for `piper_worker` that speaks its protocol with tones.

Run as `python fake_piper_worker.py MODE LOG`.

Each sentence (split on ". ") becomes 0.5 s of 440 Hz at 16 kHz. Every line received is appended
to LOG. MODE: "ok"; "crash-first" exits on a request before any audio; "crash-second" exits after
the first sentence of a request; "never-ready" loads forever; "refuse" reports a load failure.
"""

from __future__ import annotations

import base64
import json
import math
import struct
import sys
import time

RATE = 16_000
TONE = struct.pack(
    f"<{RATE // 2}h",
    *(int(8000 * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(RATE // 2)),
)


def main() -> int:
    mode, log_path = sys.argv[1], sys.argv[2]

    def send(message: dict[str, object]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    if mode == "never-ready":
        time.sleep(60)
        return 1
    if mode == "refuse":
        send({"ready": False, "error": "voice file is damaged"})
        return 1
    send({"ready": True, "sample_rate": RATE, "voice": "fake"})
    for line in sys.stdin:
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(line)
        request = json.loads(line)
        if "cancel" in request:
            continue
        if mode == "crash-first":
            return 3
        for index, _sentence in enumerate(request["text"].split(". ")):
            if mode == "crash-second" and index == 1:
                return 3
            send({"id": request["id"], "audio": base64.b64encode(TONE).decode()})
        send({"id": request["id"], "done": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())
