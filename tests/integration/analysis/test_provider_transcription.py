"""The analyzer's transcription through real SDKs against the loopback speech fakes.

Deepgram and OpenAI's diarizing model name the speakers themselves; whisper-1 does not, so the
local clustering labels its segments. Long recordings go in overlapping chunks, side by side, and
a provider that refuses the key hands over to the built-in Whisper, saying so.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import Session

from quotahit.ai.service import Gateway
from quotahit.analysis import service, transcription
from quotahit.analysis.transcription import HeardCall, hear_call
from quotahit.keys.crypto import Keyring
from quotahit.usage.models import UsageRecord
from tests.fakes.audio_providers import FakeAudioProviders
from tests.integration.conftest import Accounts, Member
from tests.support.calls import discovery_script, render_call

KEYRING = Keyring.parse(Keyring.generate_entry(1))
OPENAI_KEY = "sk-proj-analysis-0123456789abcdef"
DEEPGRAM_KEY = "dg-platform-analysis-key"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("calls") / "call.wav"
    path.write_bytes(render_call(discovery_script(45)).wav)
    return path


@pytest.fixture
def fake() -> Iterator[FakeAudioProviders]:
    with FakeAudioProviders(keys={"openai": [OPENAI_KEY], "deepgram": [DEEPGRAM_KEY]}) as audio:
        yield audio


def gateway_for(accounts: Accounts, fake: FakeAudioProviders) -> Gateway:
    @contextmanager
    def sessions() -> Iterator[Session]:
        with Session(accounts.engine, expire_on_commit=False) as db_session:
            yield db_session

    return Gateway(
        sessions=sessions,
        keyring=KEYRING,
        platform_keys={"openai": OPENAI_KEY, "deepgram": DEEPGRAM_KEY},
        base_urls=dict(fake.base_urls),
    )


def hear(gateway: Gateway, member: Member, path: Path, model_id: str) -> HeardCall:
    stages: list[str] = []
    heard = asyncio.run(
        hear_call(
            gateway=gateway,
            identity=member.identity,
            path=path,
            speech_model_id=model_id,
            progress=lambda stage, fraction: stages.append(stage),
        )
    )
    assert stages[0] == "decoding"
    assert "transcribing" in stages
    assert stages[-1] == "speakers"
    return heard


@pytest.mark.parametrize("model_id", ["deepgram-nova-3", "gpt-4o-transcribe-diarize"])
def test_diarizing_providers_name_the_speakers(
    model_id: str, accounts: Accounts, admin: Member, fake: FakeAudioProviders, recording: Path
) -> None:
    heard = hear(gateway_for(accounts, fake), admin, recording, model_id)

    assert heard.speech_model_id == model_id
    assert {segment.speaker for segment in heard.segments} == {"speaker 0", "speaker 1"} or {
        segment.speaker for segment in heard.segments
    } == {"speaker A", "speaker B"}
    assert heard.segments[0].text == "Hi, this is Sam from QuotaHit."
    analysed = asyncio.run(
        service.analyse_segments(
            gateway=gateway_for(accounts, fake),
            identity=admin.identity,
            segments=heard.segments,
            rep_hint="auto",
            focus="general",
            model_id="local",
        )
    )
    assert analysed.rep_label == heard.segments[0].speaker  # introduced themself
    assert analysed.document["transcript"][0]["speaker"] == "rep"
    records = accounts.rows(UsageRecord, UsageRecord.module == "analysis")
    assert [record.outcome for record in records if record.provider != "local"] == ["ok"]


def test_whisper_segments_get_speakers_from_local_clustering(
    accounts: Accounts, admin: Member, fake: FakeAudioProviders, recording: Path
) -> None:
    heard = hear(gateway_for(accounts, fake), admin, recording, "whisper-1")

    assert heard.speech_model_id == "whisper-1"
    assert {segment.speaker for segment in heard.segments} <= {"S1", "S2"}
    assert [s.text for s in heard.segments][:2] == [
        "Hi, this is Sam from QuotaHit.",
        "Hello. What is this about?",
    ]


def test_long_recordings_go_in_overlapping_chunks_side_by_side(
    accounts: Accounts,
    admin: Member,
    fake: FakeAudioProviders,
    recording: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transcription, "CHUNK_SECONDS", 16.0)
    monkeypatch.setattr(transcription, "OVERLAP_SECONDS", 2.0)
    fake.openai.latency_seconds = 0.5
    in_flight, most = 0, 0
    lock = threading.Lock()
    original = fake._handle

    def counting(request: object) -> None:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        try:
            original(request)  # type: ignore[arg-type]
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setattr(fake, "_handle", counting)
    heard = hear(gateway_for(accounts, fake), admin, recording, "whisper-1")

    requests = fake.requests_for("openai")
    bounds = transcription.chunk_bounds(heard.duration)
    assert len(requests) == len(bounds) >= 3
    assert most >= 2  # sent side by side
    starts = [segment.start for segment in heard.segments]
    assert starts == sorted(starts)
    # Each chunk hears the same four-line script: every chunk contributes its own lines once,
    # and the lines heard inside an overlap are kept only once.
    assert len(heard.segments) <= 4 * len(bounds)
    assert all(later - earlier > 0.1 for earlier, later in itertools.pairwise(starts))


def test_a_refused_key_hands_over_to_the_local_whisper(
    accounts: Accounts, admin: Member, fake: FakeAudioProviders, recording: Path
) -> None:
    fake.set_mode("openai", "unauthorized")
    heard = hear(gateway_for(accounts, fake), admin, recording, "whisper-1")

    assert heard.speech_model_id == "local-whisper"
    assert any("local Whisper" in notice for notice in heard.notices)
    assert len({segment.speaker for segment in heard.segments}) == 2
