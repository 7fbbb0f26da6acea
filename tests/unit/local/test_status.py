"""What the local engine says it can do, before and after its Piper voice fails."""

from __future__ import annotations

from pathlib import Path

from quotahit.providers.local import tts
from quotahit.providers.local.status import describe_capabilities
from quotahit.providers.local.tts import LocalSpeechSynthesizer


def test_an_installation_with_every_package_reports_each_capability() -> None:
    status = describe_capabilities(LocalSpeechSynthesizer())

    assert [capability.key for capability in status.capabilities] == [
        "speech_to_text",
        "text_to_speech",
        "voice_activity",
        "audio_decoding",
        "embeddings",
        "chat",
    ]
    assert status.get("speech_to_text").available
    assert status.get("speech_to_text").engine == "whisper tiny.en"
    assert status.tts_voice == tts.PIPER_VOICE
    assert status.get("embeddings").available
    assert status.get("audio_decoding").available
    assert status.get("voice_activity").available


def test_there_is_never_a_local_chat_model() -> None:
    status = describe_capabilities(LocalSpeechSynthesizer())

    chat = status.get("chat")
    assert not status.has_chat_model
    assert chat.engine is None
    assert "Add an AI provider key" in chat.note


def test_a_failed_piper_voice_is_reported_as_the_espeak_fallback(tmp_path: Path) -> None:
    synthesizer = LocalSpeechSynthesizer(piper_command=[str(tmp_path / "missing")])
    synthesizer.start()

    status = describe_capabilities(synthesizer)

    assert status.tts_voice == tts.ESPEAK_VOICE
    assert "Robotic fallback" in status.get("text_to_speech").note
