"""The local engine's domain errors: messages written to be shown to the user as they are."""

from __future__ import annotations


class LocalEngineError(Exception):
    """Something the user can act on went wrong in the built-in local engine."""


class AudioError(LocalEngineError):
    """An uploaded or streamed recording cannot be used (empty, damaged, a video, no sound)."""


class VideoFileError(AudioError):
    """The file is a video: its audio track can still be used if the user asks for it."""


class SpeechSynthesisError(LocalEngineError):
    """Neither the Piper voice nor the espeak-ng fallback could speak."""
