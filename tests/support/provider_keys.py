"""Provider keys saved as the API keys page saves them, without asking the provider first."""

from __future__ import annotations

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
