"""What the practice tests share: a gateway over the loopback AI fakes, sessions and turns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from quotahit.ai.service import Gateway
from quotahit.keys.crypto import Keyring
from quotahit.practice import service
from quotahit.practice.models import PracticeSession
from quotahit.practice.service import BuyerDone
from quotahit.providers.text import TextDelta
from tests.fakes.ai_providers import FakeAIProviders
from tests.integration.conftest import Accounts, Member
from tests.support.provider_keys import loopback_gateway

OPENAI_KEY = "sk-proj-practice-0123456789abcdef"
KEYRING = Keyring.parse(Keyring.generate_entry(1))
SESSION_DEFAULTS = {
    "persona_key": "sarah_mitchell",
    "scenario": "discovery",
    "focus": "discovery_questions",
    "difficulty": "medium",
    "model_id": "local",
}


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeAIProviders]:
    with FakeAIProviders(keys={"openai": [OPENAI_KEY]}) as providers:
        yield providers


@pytest.fixture
def fake(fake_server: FakeAIProviders) -> Iterator[FakeAIProviders]:
    """The fakes in their normal state, whatever the previous test changed."""
    fake_server.reset()
    cut_after = fake_server.openai.cut_after_tokens
    yield fake_server
    fake_server.openai.cut_after_tokens = cut_after
    fake_server.reset()


@pytest.fixture
def gateway(accounts: Accounts, fake: FakeAIProviders) -> Gateway:
    return loopback_gateway(accounts, fake.base_urls, keyring=KEYRING, timeout=5.0)


def start(accounts: Accounts, member: Member, **options: Any) -> PracticeSession:
    """A session as the setup page starts one (Sarah Mitchell, discovery, local buyer)."""
    return accounts.call(service.start, identity=member.identity, **(SESSION_DEFAULTS | options))


async def say(
    gateway: Gateway, member: Member, session_id: int | None, message: str
) -> tuple[list[object], BuyerDone]:
    """One rep message and every event of the buyer's answer (the last is its BuyerDone)."""
    assert session_id is not None
    events = [
        event
        async for event in service.stream_buyer_reply(
            gateway=gateway, identity=member.identity, session_id=session_id, rep_message=message
        )
    ]
    done = events[-1]
    assert isinstance(done, BuyerDone)
    return events, done


def streamed_text(events: list[object]) -> str:
    return "".join(event.text for event in events if isinstance(event, TextDelta))


def transcript(accounts: Accounts, member: Member, session_id: int | None) -> list[dict[str, str]]:
    assert session_id is not None
    session = accounts.call(service.get, identity=member.identity, session_id=session_id)
    return service.transcript_of(session)
