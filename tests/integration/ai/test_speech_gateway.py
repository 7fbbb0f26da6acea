"""Speech-to-text through the gateway: keys, the platform's Deepgram, local Whisper, metering."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlmodel import Session

from quotahit.ai.service import Gateway
from quotahit.ai.speech import SpeechResult, transcribe_recording
from quotahit.keys import service as vault
from quotahit.keys.crypto import Keyring
from quotahit.providers.key_check import KeyStatus, Verdict
from quotahit.providers.local.errors import AudioError
from quotahit.usage.models import UsageRecord
from tests.fakes.audio_providers import FakeAudioProviders
from tests.integration.conftest import Accounts, Member
from tests.unit.local.media import encode, espeak_pcm, video_mp4

KEYRING = Keyring.parse(Keyring.generate_entry(1))
OPENAI_KEY = "sk-proj-speech-0123456789abcdef"
SENTENCE = "we need a proposal for forty sales reps before the end of the month"


@pytest.fixture(scope="module")
def recording() -> bytes:
    """A real spoken sentence as an mp3, made with espeak-ng."""
    return encode(espeak_pcm(SENTENCE), 16_000, container="mp3", codec="mp3")


@pytest.fixture
def audio_fake() -> Iterator[FakeAudioProviders]:
    with FakeAudioProviders(keys={"openai": [OPENAI_KEY], "deepgram": ["dg-platform-key"]}) as fake:
        yield fake


def gateway_for(accounts: Accounts, fake: FakeAudioProviders, **platform: str) -> Gateway:
    @contextmanager
    def sessions() -> Iterator[Session]:
        with Session(accounts.engine, expire_on_commit=False) as db_session:
            yield db_session

    return Gateway(
        sessions=sessions,
        keyring=KEYRING,
        platform_keys=dict(platform),
        base_urls=dict(fake.base_urls),
    )


def run(
    gateway: Gateway, member: Member, audio: bytes, model_id: str, *, diarize: bool = False
) -> SpeechResult:
    return asyncio.run(
        transcribe_recording(
            gateway=gateway,
            identity=member.identity,
            module="analysis",
            audio=audio,
            filename="call.mp3",
            content_type="audio/mpeg",
            model_id=model_id,
            diarize=diarize,
        )
    )


def test_a_users_openai_key_transcribes_and_audio_seconds_are_metered(
    accounts: Accounts, admin: Member, audio_fake: FakeAudioProviders, recording: bytes
) -> None:
    accounts.call(
        vault.save_key,
        identity=admin.identity,
        keyring=KEYRING,
        validator=lambda _p, _s: Verdict(KeyStatus.VALID, "ok"),
        provider="openai",
        raw_key=OPENAI_KEY,
    )
    result = run(gateway_for(accounts, audio_fake), admin, recording, "whisper-1")
    assert (result.model_id, result.key_source, result.notices) == ("whisper-1", "user", [])
    assert result.transcript.segments
    [row] = accounts.rows(UsageRecord)
    assert row.audio_seconds == pytest.approx(result.audio_seconds)
    assert row.audio_seconds > 2
    assert row.cost_usd == pytest.approx(row.audio_seconds / 60 * 0.006)


def test_deepgram_uses_only_the_platform_key(
    accounts: Accounts, admin: Member, audio_fake: FakeAudioProviders, recording: bytes
) -> None:
    result = run(
        gateway_for(accounts, audio_fake, deepgram="dg-platform-key"),
        admin,
        recording,
        "deepgram-nova-3",
        diarize=True,
    )
    assert (result.model_id, result.key_source) == ("deepgram-nova-3", "platform")
    assert {segment.speaker for segment in result.transcript.segments} >= {"0"}


def test_no_key_falls_back_to_local_whisper_and_says_so(
    accounts: Accounts, admin: Member, audio_fake: FakeAudioProviders, recording: bytes
) -> None:
    result = run(gateway_for(accounts, audio_fake), admin, recording, "whisper-1")
    assert result.model_id == "local-whisper"
    assert result.notices == ["Transcribed by the built-in local Whisper: no openai key."]
    heard = result.transcript.text.lower()
    assert "proposal" in heard
    assert "month" in heard
    [row] = accounts.rows(UsageRecord)
    assert (row.provider, row.cost_usd) == ("local", 0.0)


def test_a_failing_provider_falls_back_to_local_whisper(
    accounts: Accounts, admin: Member, audio_fake: FakeAudioProviders, recording: bytes
) -> None:
    accounts.call(
        vault.save_key,
        identity=admin.identity,
        keyring=KEYRING,
        validator=lambda _p, _s: Verdict(KeyStatus.VALID, "ok"),
        provider="openai",
        raw_key=OPENAI_KEY,
    )
    audio_fake.set_mode("openai", "server_error")
    result = run(gateway_for(accounts, audio_fake), admin, recording, "whisper-1")
    assert result.model_id == "local-whisper"
    assert "Whisper with your key failed" in result.notices[0]
    outcomes = [(row.provider, row.outcome) for row in accounts.rows(UsageRecord)]
    assert outcomes == [("openai", "server"), ("local", "ok")]


def test_a_video_is_refused_before_anything_is_sent(
    accounts: Accounts, admin: Member, audio_fake: FakeAudioProviders
) -> None:
    with pytest.raises(AudioError, match="video"):
        run(gateway_for(accounts, audio_fake), admin, video_mp4(with_audio=True), "whisper-1")
    assert audio_fake.requests == []
    assert accounts.rows(UsageRecord) == []
