"""The Realtime session a call asks OpenAI for, checked against the SDK's own GA types."""

from __future__ import annotations

from dataclasses import replace

import pytest
from openai.types.realtime.realtime_session_create_request import RealtimeSessionCreateRequest

from quotahit.voice.engine import PHONE_AUDIO, AudioFormat, CallSetup
from quotahit.voice.realtime_session import (
    MAX_IDLE_TIMEOUT_MS,
    MIN_IDLE_TIMEOUT_MS,
    audio_format,
    idle_timeout_ms,
    session_config,
    turn_detection,
)

SETUP = CallSetup(
    session_id=1,
    persona_json="{}",
    scenario="cold call",
    focus="discovery",
    difficulty="medium",
    instructions="You are Dana, CFO of Northwind. Stay in character.",
    opening_line="Dana speaking.",
    voice="cedar",
    model="gpt-realtime-mini",
    transcription_model="gpt-4o-transcribe",
    patience_s=7.5,
)


def test_a_browser_call_is_pcm_at_24_khz_with_the_buyers_prompt_and_voice() -> None:
    config = session_config(SETUP)

    assert config == {
        "type": "realtime",
        "model": "gpt-realtime-mini",
        "instructions": "You are Dana, CFO of Northwind. Stay in character.",
        "output_modalities": ["audio"],
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24_000},
                "transcription": {"model": "gpt-4o-transcribe"},
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 500,
                    "create_response": True,
                    "interrupt_response": True,
                    "idle_timeout_ms": 7_500,
                },
            },
            "output": {"format": {"type": "audio/pcm", "rate": 24_000}, "voice": "cedar"},
        },
    }


def test_the_config_is_a_valid_ga_session_for_the_sdk() -> None:
    parsed = RealtimeSessionCreateRequest.model_validate(session_config(SETUP))

    assert parsed.type == "realtime"
    assert parsed.audio is not None
    assert parsed.audio.input is not None
    assert parsed.audio.input.turn_detection is not None
    assert parsed.audio.input.turn_detection.type == "server_vad"


def test_a_phone_call_is_mu_law_both_ways() -> None:
    config = session_config(replace(SETUP, audio=PHONE_AUDIO))

    assert config["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert config["audio"]["output"]["format"] == {"type": "audio/pcmu"}


@pytest.mark.parametrize(
    "audio",
    [AudioFormat("pcm16", 16_000), AudioFormat("mulaw", 16_000), AudioFormat("alaw", 8_000)],
)
def test_a_format_openai_cannot_speak_is_refused(audio: AudioFormat) -> None:
    with pytest.raises(ValueError, match="OpenAI Realtime has no"):
        audio_format(audio)


@pytest.mark.parametrize(
    ("patience_s", "expected_ms"),
    [
        (6.0, 6_000),
        (7.2504, 7_250),
        (0.5, MIN_IDLE_TIMEOUT_MS),
        (0.0, MIN_IDLE_TIMEOUT_MS),
        (45.0, MAX_IDLE_TIMEOUT_MS),
    ],
)
def test_patience_becomes_an_idle_timeout_within_openais_bounds(
    patience_s: float, expected_ms: int
) -> None:
    assert idle_timeout_ms(patience_s) == expected_ms
    config = session_config(replace(SETUP, patience_s=patience_s))
    assert config["audio"]["input"]["turn_detection"]["idle_timeout_ms"] == expected_ms


def test_a_buyer_told_not_to_fill_silence_gets_an_explicit_null() -> None:
    detection = turn_detection(SETUP, fill_silence=False)

    assert "idle_timeout_ms" in detection
    assert detection["idle_timeout_ms"] is None
    assert detection == {**turn_detection(SETUP), "idle_timeout_ms": None}
