"""What a voice engine tells the call: one small dataclass per event, engine-independent.

Both engines (the local pipeline and the OpenAI Realtime bridge) produce these and nothing else,
so the websocket route, the transcript keeper, the coach and the benchmarks never know which
engine is speaking. Audio is in the call's wire format: PCM16 little-endian mono at 24 kHz for
the browser, G.711 mu-law at 8 kHz for a phone call.

`EngineFailed.code` is one of: auth, no_model, rate_limited, quota, server, timeout, unreachable,
expired, bad_request, malformed, internal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Speaker = Literal["rep", "buyer"]


@dataclass(frozen=True)
class Ready:
    """The engine is connected and listening; `engine` is "local" or "openai"."""

    engine: str
    model: str
    voice: str


@dataclass(frozen=True)
class SpeechStarted:
    """The rep started talking: stop the buyer's audio now (barge-in)."""


@dataclass(frozen=True)
class SpeechStopped:
    """The rep stopped talking; an answer is on its way."""


@dataclass(frozen=True)
class TranscriptDelta:
    """More words of a turn still being spoken or transcribed.

    `replace` says `text` is the whole turn so far rather than words to append (a local engine
    re-transcribes the utterance in progress, and earlier words may change).
    """

    speaker: Speaker
    item_id: str
    text: str
    replace: bool = False


@dataclass(frozen=True)
class TranscriptDone:
    """A turn's final text (for the buyer, what was generated; truncation may shorten it)."""

    speaker: Speaker
    item_id: str
    text: str


@dataclass(frozen=True)
class AudioDelta:
    """A piece of the buyer's voice for item `item_id`, in the call's wire format."""

    item_id: str
    pcm: bytes = field(repr=False)


@dataclass(frozen=True)
class AudioDone:
    """The buyer's item `item_id` has no more audio to come."""

    item_id: str


@dataclass(frozen=True)
class Truncated:
    """The rep interrupted: only `text` of item `item_id` was heard (`audio_end_ms` of it)."""

    item_id: str
    audio_end_ms: int
    text: str


@dataclass(frozen=True)
class Notice:
    """Something the rep should know that does not stop the call."""

    message: str


@dataclass(frozen=True)
class EngineFailed:
    """The engine cannot go on; `code` is short and stable ("auth", "unreachable", ...)."""

    code: str
    message: str


@dataclass(frozen=True)
class BuyerHungUp:
    """The buyer ended the call (a local buyer who has had enough, or one who agreed)."""

    text: str = ""


VoiceEvent = (
    Ready
    | SpeechStarted
    | SpeechStopped
    | TranscriptDelta
    | TranscriptDone
    | AudioDelta
    | AudioDone
    | Truncated
    | Notice
    | EngineFailed
    | BuyerHungUp
)
