"""`POST /api/ai/analyze-call` and `GET /api/analyses/{id}/audio` on both databases.

The routes are mounted as `quotahit/quotahit.py` mounts them and reached through Starlette's
TestClient; the analysis runs for real on the local engine (a rendered ~30 s two-voice call).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from quotahit import db, settings, wiring
from quotahit.accounts.models import Role
from quotahit.analysis import audio_links, service, storage
from quotahit.analysis.api import analyze_call_endpoint, audio_endpoint
from quotahit.analysis.models import CallAnalysis
from quotahit.apitokens import service as tokens
from tests.integration.conftest import Accounts, Member, Staff
from tests.support.analysis_document import (
    TOP_LEVEL_KEYS,
    assert_analysis_document,
    rep_share,
)
from tests.support.calls import RenderedCall, discovery_script, render_call

ANALYZE = "/api/ai/analyze-call"
WAV = {"Content-Type": "audio/wav"}


@dataclass(frozen=True)
class Api:
    """The routes on the test database, and where they keep recordings."""

    client: TestClient
    data_dir: Path

    def files(self) -> list[Path]:
        root = storage.recordings_root(self.data_dir)
        return sorted(p for p in root.rglob("*") if p.is_file())


def _clear_caches() -> None:
    settings.get_settings.cache_clear()
    db._engine_for.cache_clear()
    wiring.keyring.cache_clear()


@pytest.fixture
def api(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Api]:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("QUOTAHIT_DATA_DIR", str(data_dir))
    monkeypatch.delenv("QUOTAHIT_ANALYSIS_MAX_MB", raising=False)
    _clear_caches()
    app = Starlette(
        routes=[
            Route(ANALYZE, analyze_call_endpoint, methods=["POST"]),
            Route("/api/analyses/{analysis_id:int}/audio", audio_endpoint, methods=["GET"]),
        ]
    )
    with TestClient(app) as client:
        yield Api(client, settings.get_settings().data_dir)
    _clear_caches()


@pytest.fixture(scope="module")
def two_voice_call() -> RenderedCall:
    return render_call(discovery_script(30))


@pytest.fixture(scope="module")
def dual_channel_call() -> RenderedCall:
    return render_call(discovery_script(30), stereo=True)


def bearer(accounts: Accounts, member: Member) -> dict[str, str]:
    raw, _view = accounts.call(tokens.create_token, identity=member.identity, name="Dialer")
    return {"Authorization": f"Bearer {raw}"}


def history(accounts: Accounts, member: Member) -> list[CallAnalysis]:
    rows, _total = accounts.call(service.history, identity=member.identity)
    return rows


# --- authentication ---------------------------------------------------------------------------


def test_a_request_without_a_valid_personal_token_is_refused(
    api: Api, accounts: Accounts, team: Staff
) -> None:
    refused = [
        {},
        {"Authorization": "Basic cml0YTpwYXNzd29yZA=="},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer qh_forged-token-0123456789"},
        # A browser session token is not a personal API token.
        {"Authorization": f"Bearer {team.rep.token}"},
    ]
    for headers in refused:
        response = api.client.post(ANALYZE, content=b"RIFF....", headers={**WAV, **headers})
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["cache-control"] == "no-store"
        assert "API token" in response.json()["error"]
        response = api.client.post(ANALYZE, json={"mock": "closing-atlas"}, headers=headers)
        assert response.status_code == 401, headers
    assert api.files() == []
    assert accounts.rows(CallAnalysis) == []


# --- analysing a recording --------------------------------------------------------------------


def test_a_raw_upload_answers_exactly_the_analysis_json(
    api: Api, accounts: Accounts, team: Staff, two_voice_call: RenderedCall
) -> None:
    response = api.client.post(
        ANALYZE,
        params={"title": "Call with Dana", "focus": "discovery"},
        content=two_voice_call.wav,
        headers={**WAV, **bearer(accounts, team.rep)},
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    document = response.json()
    assert set(document) == TOP_LEVEL_KEYS
    assert_analysis_document(document)
    assert document["talkRatio"]["rep"] == pytest.approx(rep_share(two_voice_call.truth), abs=15)

    [analysis] = history(accounts, team.rep)
    assert response.headers["x-analysis-id"] == str(analysis.id)
    assert (analysis.title, analysis.source, analysis.focus, analysis.status) == (
        "Call with Dana",
        "api",
        "discovery",
        "done",
    )
    assert analysis.audio_bytes == len(two_voice_call.wav)
    assert service.document_of(analysis) == document
    assert history(accounts, team.admin) == []
    # Processed and not kept.
    assert (analysis.audio_path, api.files()) == ("", [])


def test_a_multipart_upload_takes_its_options_from_the_form(
    api: Api, accounts: Accounts, team: Staff, dual_channel_call: RenderedCall
) -> None:
    response = api.client.post(
        ANALYZE,
        files={"file": ("dana-call.wav", dual_channel_call.wav, "audio/wav")},
        data={"repSpeaker": "right"},
        headers=bearer(accounts, team.rep),
    )
    assert response.status_code == 200, response.text
    document = response.json()
    assert set(document) == TOP_LEVEL_KEYS
    assert_analysis_document(document)
    # The prospect (right channel) was named the rep, so the shares are the other way round.
    assert document["talkRatio"]["prospect"] == pytest.approx(
        rep_share(dual_channel_call.truth), abs=10
    )
    [analysis] = history(accounts, team.rep)
    assert (analysis.title, analysis.rep_hint, analysis.rep_label) == (
        "dana-call.wav",
        "right",
        "right",
    )
    assert api.files() == []


def test_a_mock_call_is_analysed_from_json(api: Api, accounts: Accounts, team: Staff) -> None:
    headers = bearer(accounts, team.manager)
    response = api.client.post(ANALYZE, json={"mock": "closing-atlas"}, headers=headers)
    assert response.status_code == 200, response.text
    assert_analysis_document(response.json())
    [analysis] = history(accounts, team.manager)
    assert (analysis.source, analysis.mock_slug) == ("mock", "closing-atlas")
    assert response.json() == service.document_of(analysis)

    for body, message in (
        ({"mock": "no-such-call"}, "Unknown mock call"),
        ({"title": "no mock named"}, "mock"),
        (["closing-atlas"], "mock"),
        ({"mock": "closing-atlas", "model": "gpt-9-imaginary"}, "not a model"),
    ):
        refused = api.client.post(ANALYZE, json=body, headers=headers)
        assert refused.status_code == 400, body
        assert message in refused.json()["error"]
    broken = api.client.post(
        ANALYZE, content=b'{"mock": ', headers={**headers, "Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert len(history(accounts, team.manager)) == 1


# --- refused uploads ----------------------------------------------------------------------------


def test_an_upload_over_the_cap_is_refused_and_nothing_is_kept(
    api: Api, accounts: Accounts, team: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUOTAHIT_ANALYSIS_MAX_MB", "1")
    settings.get_settings.cache_clear()
    headers = bearer(accounts, team.rep)
    two_megabytes = bytes(2_000_000)

    declared = api.client.post(ANALYZE, content=two_megabytes, headers={**WAV, **headers})
    assert declared.status_code == 413
    assert "larger than the 1 MB" in declared.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap is enforced while streaming
        for _ in range(32):
            yield bytes(64 * 1024)

    streamed = api.client.post(ANALYZE, content=chunks(), headers={**WAV, **headers})
    assert streamed.status_code == 413
    assert "larger than the 1 MB" in streamed.json()["error"]

    form = api.client.post(
        ANALYZE, files={"file": ("big.wav", two_megabytes, "audio/wav")}, headers=headers
    )
    assert form.status_code == 413

    assert api.files() == []
    assert accounts.rows(CallAnalysis) == []


def test_an_empty_or_malformed_upload_is_refused_and_nothing_is_kept(
    api: Api, accounts: Accounts, team: Staff
) -> None:
    headers = bearer(accounts, team.rep)
    empty = api.client.post(ANALYZE, content=b"", headers={**WAV, **headers})
    assert empty.status_code == 400
    assert "The file is empty" in empty.json()["error"]

    no_file = api.client.post(
        ANALYZE, files={"recording": ("call.wav", b"RIFF", "audio/wav")}, headers=headers
    )
    assert no_file.status_code == 400
    assert "“file”" in no_file.json()["error"]

    bad_option = api.client.post(
        ANALYZE, params={"focus": "gossip"}, content=b"RIFF", headers={**WAV, **headers}
    )
    assert bad_option.status_code == 400
    assert "Unknown training focus" in bad_option.json()["error"]

    assert api.files() == []
    assert accounts.rows(CallAnalysis) == []


def test_a_file_that_is_not_audio_answers_422_with_the_reason(
    api: Api, accounts: Accounts, team: Staff
) -> None:
    response = api.client.post(
        ANALYZE,
        content=bytes(range(256)) * 100,
        headers={"Content-Type": "application/octet-stream", **bearer(accounts, team.rep)},
    )
    assert response.status_code == 422
    body = response.json()
    assert "could not be read as audio" in body["error"]
    [analysis] = history(accounts, team.rep)
    assert body["analysisId"] == analysis.id
    assert (analysis.status, analysis.error_kind, analysis.title) == (
        "failed",
        "input",
        "API upload",
    )


# --- the kept recording's signed link -----------------------------------------------------------


def kept_recording(api: Api, accounts: Accounts, member: Member, *, keep: bool = True) -> int:
    sink = storage.RecordingSink(api.data_dir, member.organization_id, 1_000_000)
    sink.write(b"ID3 a kept recording")
    analysis = accounts.call(
        service.create,
        identity=member.identity,
        title="Kept call",
        source="upload",
        audio_path=sink.close(),
        audio_bytes=sink.size,
        keep_audio=keep,
        consent_confirmed=keep,
    )
    assert analysis.id is not None
    return analysis.id


def link(analysis_id: int, member: Member, *, now: float | None = None, secret: str = "") -> str:
    grant = audio_links.AudioGrant(
        analysis_id,
        member.user_id,
        member.organization_id,
        member.identity.role,
    )
    token = audio_links.sign(secret or settings.get_settings().secret_key, grant, now=now)
    return f"/api/analyses/{analysis_id}/audio?t={token}"


def test_a_signed_link_serves_a_kept_recording_to_whoever_may_see_it(
    api: Api, accounts: Accounts, team: Staff
) -> None:
    analysis_id = kept_recording(api, accounts, team.rep)
    for viewer in (team.rep, team.manager, team.admin):
        response = api.client.get(link(analysis_id, viewer))
        assert response.status_code == 200, response.text
        assert response.content == b"ID3 a kept recording"
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"


def test_a_forged_expired_or_misdirected_link_is_refused(
    api: Api, accounts: Accounts, team: Staff
) -> None:
    analysis_id = kept_recording(api, accounts, team.rep)
    other_id = kept_recording(api, accounts, team.rep)
    good = link(analysis_id, team.rep)
    payload, _, signature = good.rpartition(".")
    refused = [
        f"/api/analyses/{analysis_id}/audio",
        f"/api/analyses/{analysis_id}/audio?t=",
        f"{payload}.{'0' * len(signature)}",
        good.replace(f".{team.rep.user_id}.", f".{team.admin.user_id}.", 1),
        link(analysis_id, team.rep, secret="not-the-apps-secret"),
        link(analysis_id, team.rep, now=time.time() - 2 * audio_links.LIFETIME_SECONDS),
        # A valid link for one analysis does not open another.
        good.replace(f"/api/analyses/{analysis_id}/", f"/api/analyses/{other_id}/", 1),
    ]
    for url in refused:
        response = api.client.get(url)
        assert response.status_code == 403, url
        assert "not valid or has expired" in response.json()["error"]


def test_a_link_for_someone_who_may_not_see_the_call_finds_nothing(
    api: Api, accounts: Accounts, team: Staff, rival: Member
) -> None:
    analysis_id = kept_recording(api, accounts, team.rep)
    discarded_id = kept_recording(api, accounts, team.rep, keep=False)
    other_rep = accounts.add_member(team.admin, "ron@acme.example", Role.REP.value, "Ron Rep")
    for url in (
        link(analysis_id, rival),
        link(analysis_id, other_rep),
        link(discarded_id, team.rep),
    ):
        response = api.client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"] == "This recording is not stored."
