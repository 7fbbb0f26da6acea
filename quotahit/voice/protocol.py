"""The browser's side of a voice call: one websocket, JSON text frames and binary audio frames.

    ws(s)://<backend>/api/voice/ws?ticket=<signed ticket>      Origin must be the app's own

Browser → backend
    binary                      the rep's microphone, PCM16 LE mono 24 kHz, any size (≈40 ms)
    {"type": "playback", "item_id": "...", "played_ms": 1234}
                                the browser stopped the buyer's item after 1234 ms of it
    {"type": "mute", "muted": true|false}
    {"type": "end"}             the rep hung up
    {"type": "ping"}            keep-alive; answered with {"type": "pong"}

Backend → browser
    {"type": "ready", "engine": "local"|"openai", "model", "voice", "max_seconds", "session_id",
     "resumed": bool, "elapsed_s": seconds of call so far, "resume_token": a ticket that
     reopens this call (single use, 5 minutes) if the socket drops}
    {"type": "speech_started"}  the rep is talking: stop the buyer's audio now, then send
                                "playback" for the item that was playing
    {"type": "speech_stopped"}
    {"type": "audio_start", "item_id": "..."}   then binary frames: the buyer's PCM16 24 kHz
    {"type": "audio_done", "item_id": "..."}
    {"type": "transcript", "speaker": "rep"|"buyer", "item_id", "text", "final": bool}
                                `text` is the turn's whole text so far, not a delta
    {"type": "truncated", "item_id", "text"}    what the rep actually heard of a buyer turn
    {"type": "hint", "kind", "title", "body"}   script coaching, when the call asked for it
    {"type": "notice", "message"}
    {"type": "error", "code", "message"}        the call cannot go on; "ended" follows
    {"type": "ended", "reason": "rep"|"buyer"|"max_length"|"error"|"replaced", "session_id"}
    {"type": "pong"}

Close codes: 4401 bad or expired ticket, 4403 wrong origin, 4409 the call was opened elsewhere,
4400 a malformed frame, 1000 after "ended".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_TEXT_FRAME = 4_096
MAX_AUDIO_FRAME = 48_000  # one second of PCM16 24 kHz; the browser sends ~40 ms at a time

CLOSE_BAD_TICKET = 4401
CLOSE_BAD_ORIGIN = 4403
CLOSE_REPLACED = 4409
CLOSE_MALFORMED = 4400


class ProtocolError(ValueError):
    """A frame the browser should never send."""


@dataclass(frozen=True)
class Playback:
    """The browser stopped item `item_id` after `played_ms` milliseconds of it."""

    item_id: str
    played_ms: int


@dataclass(frozen=True)
class Mute:
    """The rep muted or unmuted the microphone."""

    muted: bool


@dataclass(frozen=True)
class End:
    """The rep hung up."""


@dataclass(frozen=True)
class Ping:
    """Keep-alive."""


ClientMessage = Playback | Mute | End | Ping


def parse_client_text(raw: str) -> ClientMessage:
    """One JSON frame from the browser, checked field by field.

    Raises:
        ProtocolError: not JSON, not an object, an unknown type or a bad field.
    """
    if len(raw) > MAX_TEXT_FRAME:
        raise ProtocolError("frame too large")
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise ProtocolError("not JSON") from error
    if not isinstance(data, dict):
        raise ProtocolError("not an object")
    kind = data.get("type")
    if kind == "playback":
        item_id, played = data.get("item_id"), data.get("played_ms")
        if not isinstance(item_id, str) or not 0 < len(item_id) <= 64:
            raise ProtocolError("playback needs an item_id")
        if isinstance(played, bool) or not isinstance(played, int | float) or played < 0:
            raise ProtocolError("playback needs played_ms ≥ 0")
        return Playback(item_id, min(int(played), 3_600_000))
    if kind == "mute":
        if not isinstance(data.get("muted"), bool):
            raise ProtocolError("mute needs muted: true or false")
        return Mute(data["muted"])
    if kind == "end":
        return End()
    if kind == "ping":
        return Ping()
    raise ProtocolError(f"unknown type {str(kind)[:32]!r}")


def server_message(message_type: str, /, **fields: Any) -> str:
    """One JSON frame for the browser."""
    return json.dumps({"type": message_type, **fields}, separators=(",", ":"))
