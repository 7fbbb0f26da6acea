"""One local voice turn with network use recorded: run by test_offline.py in a fresh process.

Prints one JSON object: what was heard, the reply's voice and transcript, the objection matched,
and every network call Python attempted (audit events; Unix sockets excluded).
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

NETWORK_EVENTS = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"}
attempts: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event not in NETWORK_EVENTS:
        return
    if event == "socket.connect" and getattr(args[0], "family", None) == socket.AF_UNIX:
        return
    attempts.append(f"{event} {args[1:]!r}")


sys.addaudithook(_audit)

from quotahit.providers.local import embeddings, stt, tts, vad  # noqa: E402
from quotahit.providers.local.audio import decode_audio  # noqa: E402
from tests.unit.local.media import SENTENCE, encode, espeak_pcm, silence  # noqa: E402


def main() -> None:
    """Decode an upload, find the speech, transcribe it, match an objection, speak a reply."""
    rate = 16_000
    upload = encode(
        silence(0.5, rate) + espeak_pcm(SENTENCE, rate) + silence(0.5, rate),
        rate,
        container="webm",
        codec="libopus",
    )
    decoded = decode_audio(upload, sample_rate=rate)
    segments = vad.speech_segments(decoded.pcm, rate)
    heard = stt.transcript_text(stt.transcribe(decoded.pcm, rate))
    match = embeddings.most_similar(heard, ["It costs too much.", "Call me next month."])[0]
    synthesizer = tts.LocalSpeechSynthesizer()
    # Piper samples noise and Whisper tiny mishears a take now and then: up to three takes.
    replies = []
    for _take in range(3):
        reply = b"".join(
            synthesizer.synthesize_stream("We cannot afford a new contract this quarter.")
        )
        replies.append(stt.transcript_text(stt.transcribe(reply, 24_000)))
        if "cannot afford" in replies[-1].lower():
            break
    synthesizer_voice = synthesizer.voice
    synthesizer.close()
    print(
        json.dumps(
            {
                "segments": segments,
                "heard": heard,
                "objection": match.text,
                "voice": synthesizer_voice,
                "replies": replies,
                "network": attempts,
            }
        )
    )


if __name__ == "__main__":
    main()
