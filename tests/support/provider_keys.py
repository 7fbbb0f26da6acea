"""Provider keys saved as the API keys page saves them (without asking the provider first), and
the gateway that uses them against the loopback fakes."""

from __future__ import annotations

from quotahit.ai.service import Gateway
from quotahit.keys import service as vault
from quotahit.keys.crypto import Keyring
from quotahit.providers.key_check import KeyStatus, Verdict
from tests.integration.conftest import Accounts, Member


def store_key(
    accounts: Accounts, member: Member, provider: str, key: str, *, keyring: Keyring
) -> None:
    """Save `key` as the member's own key for `provider`, checked as valid."""
    accounts.call(
        vault.save_key,
        identity=member.identity,
        keyring=keyring,
        validator=lambda _provider, _secret: Verdict(KeyStatus.VALID, "ok"),
        provider=provider,
        raw_key=key,
    )


def loopback_gateway(
    accounts: Accounts, base_urls: dict[str, str], *, keyring: Keyring, timeout: float = 2.0
) -> Gateway:
    """The AI gateway on the test database, aimed at loopback fakes, retrying without waiting."""

    async def no_wait(_seconds: float) -> None:
        return None

    return Gateway(
        sessions=accounts.session,
        keyring=keyring,
        platform_keys={},
        base_urls=dict(base_urls),
        timeout=timeout,
        sleep=no_wait,
    )
