"""Custom OpenAI-compatible servers: address checks (SSRF), sealed keys, answers through one."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlmodel import Session

from quotahit.accounts.identity import AccountError, PermissionDenied
from quotahit.ai import service as ai
from quotahit.ai.service import AnswerDone, Gateway
from quotahit.keys import custom
from quotahit.keys.crypto import Keyring
from quotahit.keys.models import CustomEndpoint
from quotahit.keys.service import Scope
from quotahit.providers.text import ChatMessage, TextDelta
from quotahit.usage.models import UsageRecord
from tests.fakes.ai_providers import FakeAIProviders
from tests.integration.conftest import Accounts, Member, Staff

KEYRING = Keyring.parse(Keyring.generate_entry(1))
SERVER_KEY = "sk-local-server-0123456789"


def resolving_to(*addresses: str) -> object:
    """A resolver that answers with fixed addresses and never touches the network."""

    def resolve(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        family = socket.AF_INET6
        return [
            (socket.AF_INET if ":" not in a else family, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "169.254.169.254",
        "192.168.1.20",
        "::1",
        "::ffff:127.0.0.1",
        "fd00::1",
        "0.0.0.0",
    ],
)
def test_private_addresses_are_refused_in_production(address: str) -> None:
    with pytest.raises(AccountError, match="private network"):
        custom.check_base_url(
            "https://models.example.com/v1", allow_private=False, resolver=resolving_to(address)
        )


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(AccountError, match="private network"):
        custom.check_base_url(
            "https://models.example.com/v1",
            allow_private=False,
            resolver=resolving_to("93.184.216.34", "127.0.0.1"),
        )


def test_a_public_server_is_accepted() -> None:
    url = custom.check_base_url(
        " https://models.example.com/v1/ ",
        allow_private=False,
        resolver=resolving_to("93.184.216.34"),
    )
    assert url == "https://models.example.com/v1"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://models.example.com", "address"),
        ("models.example.com", "address"),
        ("https://user:pw@models.example.com/v1", "key field"),
    ],
)
def test_malformed_addresses_are_refused(url: str, reason: str) -> None:
    with pytest.raises(AccountError, match=reason):
        custom.check_base_url(url, allow_private=True)


def test_a_local_install_may_use_its_own_machine() -> None:
    assert custom.check_base_url("http://localhost:11434/v1", allow_private=True) == (
        "http://localhost:11434/v1"
    )


@pytest.fixture
def fake() -> Iterator[FakeAIProviders]:
    with FakeAIProviders(keys={"openai": [SERVER_KEY]}) as providers:
        yield providers


def test_answers_come_from_the_users_own_server(
    accounts: Accounts, team: Staff, fake: FakeAIProviders
) -> None:
    view = accounts.call(
        custom.save_endpoint,
        identity=team.admin.identity,
        keyring=KEYRING,
        base_url=fake.openai_url,
        api_model="llama3.1:8b",
        raw_key=SERVER_KEY,
        scope=Scope.ORGANIZATION,
        allow_private=True,
    )
    assert (view.api_model, view.key_last4) == ("llama3.1:8b", "6789")
    [row] = accounts.rows(CustomEndpoint)
    assert SERVER_KEY not in row.key_ciphertext

    @contextmanager
    def sessions() -> Iterator[Session]:
        with Session(accounts.engine, expire_on_commit=False) as db_session:
            yield db_session

    gateway = Gateway(sessions=sessions, keyring=KEYRING, platform_keys={}, base_urls={})
    options = {
        option.id: option
        for option in ai.model_options(gateway=gateway, identity=team.rep.identity)
    }
    assert options["custom"].served_by == "organisation key"

    async def ask() -> list[object]:
        return [
            event
            async for event in ai.stream_answer(
                gateway=gateway,
                identity=team.rep.identity,
                module="coach",
                model_id="custom",
                messages=[ChatMessage("user", "hi")],
            )
        ]

    events = asyncio.run(ask())
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == (
        "Hello from the fake model."
    )
    assert isinstance(events[-1], AnswerDone)
    assert fake.last_request("openai").body["model"] == "llama3.1:8b"
    [usage_row] = accounts.rows(UsageRecord)
    assert (usage_row.provider, usage_row.cost_usd) == ("custom", 0.0)


def test_only_admins_set_the_organisations_server(accounts: Accounts, team: Staff) -> None:
    with pytest.raises(PermissionDenied):
        accounts.call(
            custom.save_endpoint,
            identity=team.rep.identity,
            keyring=KEYRING,
            base_url="http://localhost:11434/v1",
            api_model="llama3.1:8b",
            scope=Scope.ORGANIZATION,
            allow_private=True,
        )


def test_a_server_is_private_to_its_organisation(
    accounts: Accounts, admin: Member, rival: Member
) -> None:
    accounts.call(
        custom.save_endpoint,
        identity=admin.identity,
        keyring=KEYRING,
        base_url="http://localhost:11434/v1",
        api_model="llama3.1:8b",
        scope=Scope.ORGANIZATION,
        allow_private=True,
    )
    assert accounts.call(custom.list_endpoints, identity=rival.identity) == []
    assert accounts.call(custom.resolve_endpoints, identity=rival.identity, keyring=KEYRING) == []
