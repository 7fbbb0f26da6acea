"""The interface every voice engine implements, and the call set-up they are built from.

A call is a `CallSetup` (who the buyer is, what they know, how they sound and wait) plus an
engine session. The websocket route feeds the session the rep's audio and the browser's
playback reports, and relays what `events()` yields. Engines are pipelines of small stages
(codec → VAD → speech-to-text → dialogue → text-to-speech → codec), so a phone call reuses them
with mu-law 8 kHz audio by choosing a different `AudioFormat`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from quotahit.voice.events import VoiceEvent


@dataclass(frozen=True)
class AudioFormat:
    """The wire format on the caller's side: browser PCM16 24 kHz, or phone mu-law 8 kHz."""

    encoding: str  # "pcm16" | "mulaw"
    sample_rate: int

    @property
    def bytes_per_second(self) -> int:
        """How many bytes one second of audio takes in this format."""
        return self.sample_rate * (2 if self.encoding == "pcm16" else 1)


BROWSER_AUDIO = AudioFormat("pcm16", 24_000)
PHONE_AUDIO = AudioFormat("mulaw", 8_000)


@dataclass(frozen=True)
class CallSetup:
    """Everything an engine needs to play one buyer on one call.

    `instructions` is the full system prompt for a model-played buyer (persona, scenario, focus,
    difficulty, the rep's context documents as fenced data). `persona_json` lets the local
    buyer rebuild the same persona. `patience_s` is how long the buyer waits in silence before
    filling it; `max_seconds` ends the call.
    """

    session_id: int
    persona_json: str
    scenario: str
    focus: str
    difficulty: str
    instructions: str
    opening_line: str
    context_text: str = ""
    # (kind, name, text) of each text document, for the local buyer (practice/buyer_context.py)
    context_documents: tuple[tuple[str, str, str], ...] = ()
    context_images: tuple[str, ...] = ()  # data: URLs of pictures the rep shared
    voice: str = "marin"
    model: str = "gpt-realtime"
    transcription_model: str = "gpt-4o-mini-transcribe"
    patience_s: float = 6.0
    max_seconds: int = 900
    audio: AudioFormat = field(default=BROWSER_AUDIO)
    seed: int = 0


class VoiceSession(Protocol):
    """One running call on one engine. Methods never block the event loop."""

    async def start(self) -> None:
        """Connect (or warm up) and speak the buyer's opening line; raises nothing."""

    async def send_audio(self, audio: bytes) -> None:
        """The rep's audio, in `setup.audio` format, any chunk size."""

    async def playback_stopped(self, item_id: str, played_ms: int) -> None:
        """The browser stopped the buyer's item `item_id` after `played_ms` of it (barge-in)."""

    async def set_muted(self, muted: bool) -> None:
        """A muted rep sends silence: the buyer neither hears nor fills it."""

    def events(self) -> AsyncIterator[VoiceEvent]:
        """Everything the engine says, in order, until the session closes."""

    async def close(self) -> None:
        """Stop, release models and sockets; idempotent."""
