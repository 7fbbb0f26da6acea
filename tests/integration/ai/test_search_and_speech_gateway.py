"""Web search and spoken replies through the gateway, against the loopback fakes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlmodel import Session

from quotahit.ai.media import search_web, speak
from quotahit.ai.service import Gateway, NoProviderError
from quotahit.keys import service as vault
from quotahit.keys.crypto import Keyring
from quotahit.keys.service import Scope
from quotahit.providers.key_check import KeyStatus, Verdict
from quotahit.usage import service as usage_service
from quotahit.usage.models import UsageRecord
from tests.fakes.ai_providers import FakeAIProviders
from tests.fakes.audio_providers import FakeAudioProviders
from tests.integration.conftest import Accounts, Member, Staff

KEYRING = Keyring.parse(Keyring.generate_entry(1))
PPLX = "pplx-gateway-0123456789abcdef"
TAVILY = "tvly-gateway-0123456789abcdef"
OPENAI = "sk-proj-voice-0123456789abcdef"


@pytest.fixture
def fakes() -> Iterator[tuple[FakeAIProviders, FakeAudioProviders]]:
    with (
        FakeAIProviders(keys={"perplexity": [PPLX], "tavily": [TAVILY]}) as text,
        FakeAudioProviders(keys={"openai": [OPENAI]}) as audio,
    ):
        yield text, audio


@pytest.fixture
def gateway(accounts: Accounts, fakes: tuple[FakeAIProviders, FakeAudioProviders]) -> Gateway:
    text, audio = fakes

    @contextmanager
    def sessions() -> Iterator[Session]:
        with Session(accounts.engine, expire_on_commit=False) as db_session:
            yield db_session

    urls = {**text.base_urls, "openai": audio.base_url("openai")}
    return Gateway(sessions=sessions, keyring=KEYRING, platform_keys={}, base_urls=urls)


def store(accounts: Accounts, member: Member, provider: str, key: str, **kwargs: object) -> None:
    accounts.call(
        vault.save_key,
        identity=member.identity,
        keyring=KEYRING,
        validator=lambda _p, _s: Verdict(KeyStatus.VALID, "ok"),
        provider=provider,
        raw_key=key,
        **kwargs,
    )


def test_without_a_search_key_the_user_is_told_plainly(admin: Member, gateway: Gateway) -> None:
    with pytest.raises(NoProviderError, match="needs a Perplexity or Tavily key"):
        asyncio.run(
            search_web(
                gateway=gateway, identity=admin.identity, module="coach", query="pricing objections"
            )
        )


def test_perplexity_is_preferred_and_metered(
    accounts: Accounts, admin: Member, gateway: Gateway
) -> None:
    store(accounts, admin, "perplexity", PPLX)
    store(accounts, admin, "tavily", TAVILY)
    outcome = asyncio.run(
        search_web(
            gateway=gateway, identity=admin.identity, module="coach", query="pricing objections"
        )
    )
    assert outcome.provider == "perplexity"
    assert outcome.results
    assert all(result.url.startswith("https://") for result in outcome.results)
    [row] = accounts.rows(UsageRecord)
    assert (row.provider, row.module, row.cost_usd) == ("perplexity", "coach", 0.005)


def test_a_failing_search_provider_fails_over_to_the_next(
    accounts: Accounts,
    team: Staff,
    gateway: Gateway,
    fakes: tuple[FakeAIProviders, FakeAudioProviders],
) -> None:
    store(accounts, team.rep, "perplexity", PPLX)
    store(accounts, team.admin, "tavily", TAVILY, scope=Scope.ORGANIZATION)
    fakes[0].set_mode("perplexity", "server_error")
    outcome = asyncio.run(
        search_web(
            gateway=gateway, identity=team.rep.identity, module="coach", query="discovery questions"
        )
    )
    assert (outcome.provider, outcome.key_source) == ("tavily", "organization")
    assert outcome.notices[0].startswith("Searched with tavily: perplexity with your key failed")
    assert [row.outcome for row in accounts.rows(UsageRecord)] == ["server", "ok"]


def test_openai_speaks_and_audio_seconds_are_metered(
    accounts: Accounts, admin: Member, gateway: Gateway
) -> None:
    store(accounts, admin, "openai", OPENAI)
    outcome = asyncio.run(
        speak(
            gateway=gateway,
            identity=admin.identity,
            module="practice",
            text="Thanks for your time today.",
        )
    )
    assert (outcome.provider, outcome.key_source) == ("openai", "user")
    assert len(outcome.pcm) > 0
    assert len(outcome.pcm) % 2 == 0
    [row] = accounts.rows(UsageRecord)
    assert row.audio_seconds == pytest.approx(len(outcome.pcm) / 48_000)
    assert row.cost_usd > 0


def test_no_voice_key_falls_back_to_the_local_voice(
    accounts: Accounts, admin: Member, gateway: Gateway
) -> None:
    outcome = asyncio.run(
        speak(
            gateway=gateway,
            identity=admin.identity,
            module="practice",
            text="Thanks for your time today.",
        )
    )
    assert outcome.provider == "local"
    assert outcome.notices == ["Spoken by the built-in local voice: no openai key."]
    assert len(outcome.pcm) > 24_000  # more than half a second of 24 kHz speech
    [row] = accounts.rows(UsageRecord)
    assert (row.provider, row.cost_usd) == ("local", 0.0)
    assert row.audio_seconds > 0.5


def test_a_search_key_over_its_cap_is_skipped(
    accounts: Accounts, admin: Member, gateway: Gateway
) -> None:
    store(accounts, admin, "perplexity", PPLX, monthly_cap_usd=0.01)
    store(accounts, admin, "tavily", TAVILY)
    first = asyncio.run(
        search_web(
            gateway=gateway, identity=admin.identity, module="coach", query="closing techniques"
        )
    )
    assert first.provider == "perplexity"
    accounts.call(
        usage_service.record,
        call=usage_service.CallRecord(
            organization_id=admin.organization_id,
            user_id=admin.user_id,
            module="coach",
            provider="perplexity",
            model="search",
            key_source="user",
            key_id=accounts.rows(UsageRecord)[0].key_id,
            cost_usd=0.02,
        ),
    )
    second = asyncio.run(
        search_web(
            gateway=gateway, identity=admin.identity, module="coach", query="closing techniques"
        )
    )
    assert second.provider == "tavily"
    assert "your key for perplexity reached its monthly cap ($0.01)" in second.notices[0]
