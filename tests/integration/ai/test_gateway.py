"""The AI gateway on both databases, against loopback provider fakes: keys, caps, failover."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlmodel import Session

from quotahit.ai import service as ai
from quotahit.ai.service import AnswerDone, Gateway, NoProviderError, Notice
from quotahit.keys import service as vault
from quotahit.keys.crypto import Keyring
from quotahit.keys.service import Scope
from quotahit.providers.key_check import KeyStatus, Verdict
from quotahit.providers.text import ChatMessage, TextDelta, TextProviderError
from quotahit.usage import service as usage
from quotahit.usage.models import UsageRecord
from tests.fakes.ai_providers import FakeAIProviders
from tests.integration.conftest import Accounts, Member, Staff

OPENAI_KEY = "sk-proj-gateway-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-api03-gateway-0123456789ab"
KEYRING = Keyring.parse(Keyring.generate_entry(1))
QUESTION = [
    ChatMessage("system", "You are a sales coach."),
    ChatMessage("user", "The buyer says our price is too high. What do I say?"),
]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAIProviders]:
    with FakeAIProviders(
        keys={"openai": [OPENAI_KEY], "anthropic": [ANTHROPIC_KEY]}, hold_seconds=3
    ) as providers:
        yield providers


@pytest.fixture(autouse=True)
def _clean(fake: FakeAIProviders) -> Iterator[None]:
    fake.reset()
    yield
    fake.reset()


@pytest.fixture
def gateway(accounts: Accounts, fake: FakeAIProviders) -> Gateway:
    @contextmanager
    def sessions() -> Iterator[Session]:
        with Session(accounts.engine, expire_on_commit=False) as db_session:
            yield db_session

    async def no_wait(_seconds: float) -> None:
        return None

    return Gateway(
        sessions=sessions,
        keyring=KEYRING,
        platform_keys={},
        base_urls=dict(fake.base_urls),
        timeout=2.0,
        sleep=no_wait,
    )


def store(accounts: Accounts, member: Member, provider: str, key: str, **kwargs: object) -> None:
    accounts.call(
        vault.save_key,
        identity=member.identity,
        keyring=KEYRING,
        validator=lambda _provider, _secret: Verdict(KeyStatus.VALID, "ok"),
        provider=provider,
        raw_key=key,
        **kwargs,
    )


async def answer(gateway: Gateway, member: Member, model: str = "gpt-4.1") -> list[object]:
    return [
        event
        async for event in ai.stream_answer(
            gateway=gateway,
            identity=member.identity,
            module="coach",
            model_id=model,
            messages=QUESTION,
            fallbacks=["gpt-4.1", "claude-sonnet-4-5"],
        )
    ]


def text_of(events: list[object]) -> str:
    return "".join(event.text for event in events if isinstance(event, TextDelta))


async def test_an_answer_streams_and_is_metered(
    accounts: Accounts, admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    store(accounts, admin, "openai", OPENAI_KEY)
    events = await answer(gateway, admin)
    assert text_of(events) == "Hello from the fake model."
    done = events[-1]
    assert isinstance(done, AnswerDone)
    assert (done.model_id, done.key_source) == ("gpt-4.1", "user")
    assert done.tokens_out == 6
    assert done.cost_usd == pytest.approx((done.tokens_in * 2.0 + 6 * 8.0) / 1e6)
    [row] = accounts.rows(UsageRecord)
    assert (row.module, row.provider, row.model, row.outcome) == (
        "coach",
        "openai",
        "gpt-4.1",
        "ok",
    )
    assert (row.tokens_in, row.tokens_out, row.user_id) == (done.tokens_in, 6, admin.user_id)
    sent = fake.last_request("openai")
    assert sent.body["instructions"] == "You are a sales coach."
    assert OPENAI_KEY not in repr(sent)


async def test_no_key_at_all_falls_back_to_the_local_engine_and_says_so(
    accounts: Accounts, admin: Member, gateway: Gateway
) -> None:
    events = await answer(gateway, admin)
    [notice] = [event.text for event in events if isinstance(event, Notice)]
    assert notice.startswith("Answering from the built-in local engine: no openai key")
    assert "From the built-in sales playbook" in text_of(events)
    assert "You're too expensive" in text_of(events)  # the question was about pricing
    done = events[-1]
    assert (done.model_id, done.key_source, done.cost_usd) == ("local", "local", 0.0)
    [row] = accounts.rows(UsageRecord)
    assert (row.provider, row.model, row.cost_usd) == ("local", "local", 0.0)


async def test_a_feature_that_needs_a_model_gets_a_clear_error_instead(
    admin: Member, gateway: Gateway
) -> None:
    async def ask() -> None:
        async for _event in ai.stream_answer(
            gateway=gateway,
            identity=admin.identity,
            module="analysis",
            model_id="gpt-4.1",
            messages=QUESTION,
            local_fallback=False,
        ):
            pass

    with pytest.raises(NoProviderError, match="no openai key"):
        await ask()


async def test_a_rate_limit_is_retried_once_after_backing_off(
    accounts: Accounts, admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    store(accounts, admin, "openai", OPENAI_KEY)
    fake.set_mode("openai", "rate_limited", times=1)
    events = await answer(gateway, admin)
    assert text_of(events) == "Hello from the fake model."
    assert [row.outcome for row in accounts.rows(UsageRecord)] == ["rate_limited", "ok"]


async def test_a_failing_provider_fails_over_and_says_so(
    accounts: Accounts, admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    store(accounts, admin, "openai", OPENAI_KEY)
    store(accounts, admin, "anthropic", ANTHROPIC_KEY)
    fake.set_mode("openai", "server_error")
    events = await answer(gateway, admin)
    notices = [event.text for event in events if isinstance(event, Notice)]
    assert notices == [
        "Answering with Claude Sonnet 4.5 (your key) instead: "
        "GPT-4.1 with your key failed (OpenAI had an error)."
    ]
    assert text_of(events) == "Hello from the fake model."
    assert events[-1].model_id == "claude-sonnet-4-5"
    outcomes = [(row.provider, row.outcome) for row in accounts.rows(UsageRecord)]
    assert outcomes == [("openai", "server"), ("openai", "server"), ("anthropic", "ok")]


async def test_a_spent_cap_skips_the_key(
    accounts: Accounts, admin: Member, gateway: Gateway
) -> None:
    store(accounts, admin, "openai", OPENAI_KEY, monthly_cap_usd=1.0)
    store(accounts, admin, "anthropic", ANTHROPIC_KEY)
    resolved = accounts.call(
        vault.resolve_key,
        identity=admin.identity,
        keyring=KEYRING,
        provider="openai",
        platform_keys={},
    )
    accounts.call(
        usage.record,
        call=usage.CallRecord(
            organization_id=admin.organization_id,
            user_id=admin.user_id,
            module="coach",
            provider="openai",
            model="gpt-4.1",
            key_source="user",
            key_id=resolved.key_id,
            cost_usd=1.25,
        ),
    )
    events = await answer(gateway, admin)
    [notice] = [event for event in events if isinstance(event, Notice)]
    assert "your key for openai reached its monthly cap ($1.00)" in notice.text
    assert events[-1].model_id == "claude-sonnet-4-5"


async def test_a_stream_cut_midway_keeps_the_partial_answer(
    accounts: Accounts, admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    store(accounts, admin, "openai", OPENAI_KEY)
    store(accounts, admin, "anthropic", ANTHROPIC_KEY)
    fake.set_mode("openai", "cut_stream")
    received: list[object] = []

    async def consume() -> None:
        async for event in ai.stream_answer(
            gateway=gateway,
            identity=admin.identity,
            module="coach",
            model_id="gpt-4.1",
            messages=QUESTION,
        ):
            received.append(event)

    with pytest.raises(TextProviderError):
        await consume()
    assert text_of(received) == "Hello from"
    assert [row.outcome for row in accounts.rows(UsageRecord)] == ["unreachable"]


async def test_an_organisation_key_serves_a_member_and_is_metered_as_such(
    accounts: Accounts, team: Staff, gateway: Gateway
) -> None:
    store(accounts, team.admin, "anthropic", ANTHROPIC_KEY, scope=Scope.ORGANIZATION)
    events = await answer(gateway, team.rep, model="claude-haiku-4-5")
    assert events[-1].key_source == "organization"
    summary = accounts.call(
        usage.summarize, organization_id=team.admin.organization_id, user_id=None
    )
    assert summary.total.calls == 1
    assert [group.label for group in summary.by_module] == ["coach"]
    assert summary.by_key[0].label.startswith("organization key #")
    mine = accounts.call(
        usage.summarize, organization_id=team.admin.organization_id, user_id=team.admin.user_id
    )
    assert mine.total.calls == 0


async def test_a_refused_user_key_fails_over_to_the_organisation_key(
    accounts: Accounts, team: Staff, gateway: Gateway, fake: FakeAIProviders
) -> None:
    store(accounts, team.admin, "openai", OPENAI_KEY, scope=Scope.ORGANIZATION)
    store(accounts, team.rep, "openai", "sk-proj-revoked-0123456789abcd")
    events = await answer(gateway, team.rep)
    [notice] = [event.text for event in events if isinstance(event, Notice)]
    assert notice.startswith("Answering with GPT-4.1 (your organisation's key) instead")
    assert "GPT-4.1 with your key failed (OpenAI refused the key)" in notice
    assert events[-1].key_source == "organization"
    assert [(row.key_source, row.outcome) for row in accounts.rows(UsageRecord)] == [
        ("user", "auth"),
        ("organization", "ok"),
    ]
