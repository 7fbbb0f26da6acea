"""The OpenAI Realtime session a call asks for: the GA `session` object, built from a `CallSetup`.

The same object configures the bridge's websocket (`session.update`) and can be handed to
`quotahit.providers.realtime_token.mint_client_secret` for a client that connects directly.
"""

from __future__ import annotations

from typing import Any

from quotahit.voice.engine import AudioFormat, CallSetup

# The server-VAD settings OpenAI documents as its defaults; the buyer answers when the rep has
# been quiet for half a second and stops talking as soon as the rep starts.
VAD_THRESHOLD = 0.5
VAD_PREFIX_PADDING_MS = 300
VAD_SILENCE_DURATION_MS = 500

# The bounds OpenAI's API reference gives for `turn_detection.idle_timeout_ms` (the SDK's types
# carry none); a value outside them makes `session.update` fail.
MIN_IDLE_TIMEOUT_MS, MAX_IDLE_TIMEOUT_MS = 5_000, 30_000


def audio_format(audio: AudioFormat) -> dict[str, Any]:
    """The Realtime API's name for the call's wire format (PCM only at 24 kHz, mu-law at 8 kHz).

    Raises:
        ValueError: a format the Realtime API cannot speak.
    """
    if audio.encoding == "pcm16" and audio.sample_rate == 24_000:
        return {"type": "audio/pcm", "rate": 24_000}
    if audio.encoding == "mulaw" and audio.sample_rate == 8_000:
        return {"type": "audio/pcmu"}
    raise ValueError(f"OpenAI Realtime has no {audio.encoding} format at {audio.sample_rate} Hz")


def idle_timeout_ms(patience_s: float) -> int:
    """How long the buyer waits in silence before filling it, within what OpenAI accepts."""
    return min(MAX_IDLE_TIMEOUT_MS, max(MIN_IDLE_TIMEOUT_MS, round(patience_s * 1000)))


def turn_detection(setup: CallSetup, *, fill_silence: bool = True) -> dict[str, Any]:
    """Server VAD that answers the rep, lets the rep interrupt, and (unless told not to) fills
    a silence longer than the buyer's patience."""
    return {
        "type": "server_vad",
        "threshold": VAD_THRESHOLD,
        "prefix_padding_ms": VAD_PREFIX_PADDING_MS,
        "silence_duration_ms": VAD_SILENCE_DURATION_MS,
        "create_response": True,
        "interrupt_response": True,
        # Sent as null rather than left out: an update that omits it would keep the old value.
        "idle_timeout_ms": idle_timeout_ms(setup.patience_s) if fill_silence else None,
    }


def session_config(setup: CallSetup) -> dict[str, Any]:
    """The whole Realtime session for one call: the buyer's prompt, voice, audio and turn-taking."""
    wire_format = audio_format(setup.audio)
    return {
        "type": "realtime",
        "model": setup.model,
        "instructions": setup.instructions,
        "output_modalities": ["audio"],
        "audio": {
            "input": {
                "format": wire_format,
                "transcription": {"model": setup.transcription_model},
                "turn_detection": turn_detection(setup),
            },
            "output": {"format": dict(wire_format), "voice": setup.voice},
        },
    }
