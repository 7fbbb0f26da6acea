"""`POST /api/ai/realtime-token` on both databases: a personal API token in, a 60-second OpenAI
client secret for one persona's call out (minted by the real SDK against the loopback fake)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from quotahit import wiring
from quotahit.apitokens import service as tokens
from quotahit.usage.models import UsageRecord
from tests.fakes.audio_providers import FakeAudioProviders
from tests.integration.conftest import Member, Staff
from tests.integration.voice.conftest import VoiceServer, clear_caches
from tests.support.provider_keys import store_key

OPENAI_KEY = "sk-proj-realtime-token-0123456789"
ROUTE = "/api/ai/realtime-token"


@pytest.fixture
def audio_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAudioProviders]:
    with FakeAudioProviders(keys={"openai": [OPENAI_KEY]}) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url("openai"))
        clear_caches()
        yield fake


def bearer(server: VoiceServer, member: Member) -> dict[str, str]:
    raw, _view = server.accounts.call(tokens.create_token, identity=member.identity, name="CLI")
    return {"Authorization": f"Bearer {raw}"}


async def post(server: VoiceServer, headers: dict[str, str], body: object) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as http:
        return await http.post(ROUTE, json=body, headers=headers)


async def test_the_route_wants_a_personal_api_token(voice_server: VoiceServer, team: Staff) -> None:
    for headers in (
        {},
        {"Authorization": f"Bearer {team.rep.token}"},
        {"Authorization": "Bearer x"},
    ):
        response = await post(voice_server, headers, {})
        assert response.status_code == 401
        assert response.headers["cache-control"] == "no-store"


async def test_without_an_openai_key_there_is_nothing_to_mint(
    voice_server: VoiceServer, team: Staff, audio_fake: FakeAudioProviders
) -> None:
    response = await post(
        voice_server, bearer(voice_server, team.rep), {"persona": "sarah_mitchell"}
    )
    assert response.status_code == 409
    assert "OpenAI key" in response.json()["error"]
    assert audio_fake.client_secrets == {}


async def test_bad_choices_are_refused_before_anything_is_minted(
    voice_server: VoiceServer, team: Staff, audio_fake: FakeAudioProviders
) -> None:
    store_key(voice_server.accounts, team.rep, "openai", OPENAI_KEY, keyring=wiring.keyring())
    headers = bearer(voice_server, team.rep)
    for body in (
        {"scenario": "karaoke"},
        {"difficulty": "legendary"},
        {"persona": "custom-999999"},
        {"patience": "long"},
        {"patience": 500},
    ):
        response = await post(voice_server, headers, body)
        assert response.status_code == 400, body
        assert response.json()["error"]
    assert audio_fake.client_secrets == {}


async def test_a_secret_is_minted_with_the_whole_session_and_the_key_stays_on_the_server(
    voice_server: VoiceServer, team: Staff, audio_fake: FakeAudioProviders
) -> None:
    store_key(voice_server.accounts, team.rep, "openai", OPENAI_KEY, keyring=wiring.keyring())
    response = await post(
        voice_server,
        bearer(voice_server, team.rep),
        {
            "persona": "sarah_mitchell",
            "scenario": "negotiation",
            "difficulty": "hard",
            "patience": 8,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["value"].startswith("ek_")
    assert body["value"] in audio_fake.client_secrets
    assert body["model"] == "gpt-realtime"
    assert OPENAI_KEY not in response.text
    [request] = [r for r in audio_fake.requests if r.path.endswith("/realtime/client_secrets")]
    sent = request.body
    assert sent["expires_after"] == {"anchor": "created_at", "seconds": 60}
    session = sent["session"]
    assert session["type"] == "realtime"
    assert "Sarah Mitchell" in session["instructions"]
    assert session["audio"]["input"]["turn_detection"]["idle_timeout_ms"] == 8_000
    records = voice_server.accounts.rows(UsageRecord, UsageRecord.user_id == team.rep.user_id)
    assert [(r.provider, r.outcome) for r in records] == [("openai", "minted")]


async def test_openai_refusing_the_key_is_reported_without_the_key(
    voice_server: VoiceServer, team: Staff, audio_fake: FakeAudioProviders
) -> None:
    store_key(voice_server.accounts, team.rep, "openai", OPENAI_KEY, keyring=wiring.keyring())
    audio_fake.openai.mode = "unauthorized"
    response = await post(voice_server, bearer(voice_server, team.rep), {})
    assert response.status_code == 424
    assert OPENAI_KEY not in response.text
    audio_fake.openai.mode = "server_error"
    response = await post(voice_server, bearer(voice_server, team.rep), {})
    assert response.status_code == 502
