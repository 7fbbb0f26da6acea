"""The key vault on both databases: saving, masking, scopes, resolution order, rotation, logs."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

import pytest

from quotahit.accounts.identity import AccountError, PermissionDenied
from quotahit.keys import service as vault
from quotahit.keys.crypto import Keyring
from quotahit.keys.models import ProviderKey
from quotahit.keys.service import KeySource, Scope
from quotahit.providers.key_check import KeyStatus, Verdict
from tests.integration.conftest import Accounts, Member, Staff

ROOT = Path(__file__).resolve().parents[3]
OPENAI_KEY = "sk-proj-userkey-0123456789abcdWXYZ"
ORG_KEY = "sk-proj-orgkey-0123456789abcdORGK"
FIRST_ENTRY = Keyring.generate_entry(1)
KEYRING = Keyring.parse(FIRST_ENTRY)


class ScriptedValidator:
    """Answers like a provider would, and remembers which secrets it was shown."""

    def __init__(self, status: KeyStatus = KeyStatus.VALID, message: str = "Key works.") -> None:
        self.verdict = Verdict(status, message)
        self.seen: list[tuple[str, str]] = []

    def __call__(self, provider: str, secret: str) -> Verdict:
        self.seen.append((provider, secret))
        return self.verdict


def save(accounts: Accounts, member: Member, **kwargs: object) -> vault.KeyView:
    options: dict[str, object] = {
        "keyring": KEYRING,
        "validator": ScriptedValidator(),
        "provider": "openai",
        "raw_key": OPENAI_KEY,
    }
    options.update(kwargs)
    return accounts.call(vault.save_key, identity=member.identity, **options)


def resolve(accounts: Accounts, member: Member, **kwargs: object) -> vault.ResolvedKey:
    options: dict[str, object] = {"keyring": KEYRING, "provider": "openai", "platform_keys": {}}
    options.update(kwargs)
    return accounts.call(vault.resolve_key, identity=member.identity, **options)


def test_a_saved_key_is_sealed_and_shown_masked(accounts: Accounts, admin: Member) -> None:
    validator = ScriptedValidator()
    view = save(accounts, admin, raw_key=f"  {OPENAI_KEY}\n", validator=validator)
    assert validator.seen == [("openai", OPENAI_KEY)]
    assert (view.provider, view.scope, view.last4, view.status) == (
        "openai",
        "user",
        "WXYZ",
        "valid",
    )
    [row] = accounts.rows(ProviderKey)
    assert OPENAI_KEY not in row.ciphertext
    assert row.key_version == 1
    listed = accounts.call(vault.list_keys, identity=admin.identity)
    assert OPENAI_KEY not in repr(listed)
    assert [key.last4 for key in listed] == ["WXYZ"]
    saved = [d for a, _, d in accounts.audit(admin.organization_id) if a == "key.saved"]
    assert saved == [{"scope": "user", "status": "valid", "last4": "WXYZ"}]


@pytest.mark.parametrize(
    ("provider", "raw_key", "advice"),
    [
        ("openai", "sk-ant-api03-abcdefghijklmnopqrstuv", "looks like an Anthropic key"),
        ("openai", "sk-or-v1-abcdefghijklmnopqrstuvwxyz", "looks like an OpenRouter key"),
        ("anthropic", "sk-proj-abcdefghijklmnopqrstuvwx", "looks like an OpenAI key"),
        ("anthropic", "ant-abcdefghijklmnopqrstuvwxyz12", "Anthropic keys start with sk-ant-"),
        ("perplexity", "abcdefghijklmnopqrstuvwxyz123456", "start with pplx-"),
        ("tavily", "tvly-short", "cut short"),
        ("openai", "   ", "Paste your OpenAI API key"),
        ("openai", "sk-" + "é" * 20, "plain letters"),
        ("nosuch", "sk-abcdefghijklmnopqrstuvwxyz", "Unknown provider"),
    ],
)
def test_keys_of_the_wrong_shape_get_advice(
    accounts: Accounts, admin: Member, provider: str, raw_key: str, advice: str
) -> None:
    validator = ScriptedValidator()
    with pytest.raises(AccountError, match=advice):
        save(accounts, admin, provider=provider, raw_key=raw_key, validator=validator)
    assert validator.seen == []
    assert accounts.rows(ProviderKey) == []


def test_a_key_the_provider_refuses_is_not_stored(accounts: Accounts, admin: Member) -> None:
    refusing = ScriptedValidator(KeyStatus.INVALID, "OpenAI says this key is wrong or revoked.")
    with pytest.raises(AccountError, match="wrong or revoked"):
        save(accounts, admin, validator=refusing)
    assert accounts.rows(ProviderKey) == []


def test_an_unreachable_provider_saves_the_key_unverified_then_retry(
    accounts: Accounts, admin: Member
) -> None:
    down = ScriptedValidator(
        KeyStatus.UNREACHABLE, "OpenAI could not be reached; saved unverified."
    )
    view = save(accounts, admin, validator=down)
    assert (view.status, view.message) == ("unreachable", down.verdict.message)
    back = ScriptedValidator()
    checked = accounts.call(
        vault.revalidate,
        identity=admin.identity,
        keyring=KEYRING,
        validator=back,
        provider="openai",
        scope=Scope.USER,
    )
    assert checked.status == "valid"
    assert back.seen == [("openai", OPENAI_KEY)]


def test_resolution_order_user_then_organisation_then_platform_then_local(
    accounts: Accounts, team: Staff
) -> None:
    rep = team.rep
    assert resolve(accounts, rep).source is KeySource.LOCAL
    platform = resolve(accounts, rep, platform_keys={"openai": "sk-platform-key"})
    assert (platform.source, platform.secret) == (KeySource.PLATFORM, "sk-platform-key")
    save(accounts, team.admin, raw_key=ORG_KEY, scope=Scope.ORGANIZATION)
    org = resolve(accounts, rep, platform_keys={"openai": "sk-platform-key"})
    assert (org.source, org.secret) == (KeySource.ORGANIZATION, ORG_KEY)
    save(accounts, rep)
    mine = resolve(accounts, rep)
    assert (mine.source, mine.secret) == (KeySource.USER, OPENAI_KEY)
    assert OPENAI_KEY not in repr(mine)
    # Another member still gets the organisation's key, not the rep's.
    assert resolve(accounts, team.manager).secret == ORG_KEY


def test_only_admins_manage_organisation_keys(accounts: Accounts, team: Staff) -> None:
    for member in (team.rep, team.manager):
        with pytest.raises(PermissionDenied):
            save(accounts, member, scope=Scope.ORGANIZATION)
    save(accounts, team.admin, raw_key=ORG_KEY, scope=Scope.ORGANIZATION)
    with pytest.raises(PermissionDenied):
        accounts.call(
            vault.delete_key,
            identity=team.rep.identity,
            provider="openai",
            scope=Scope.ORGANIZATION,
        )
    assert len(accounts.rows(ProviderKey)) == 1


def test_another_organisation_never_sees_or_uses_our_keys(
    accounts: Accounts, admin: Member, rival: Member
) -> None:
    save(accounts, admin, raw_key=ORG_KEY, scope=Scope.ORGANIZATION)
    assert accounts.call(vault.list_keys, identity=rival.identity) == []
    assert resolve(accounts, rival).source is KeySource.LOCAL
    with pytest.raises(AccountError):
        accounts.call(
            vault.delete_key, identity=rival.identity, provider="openai", scope=Scope.ORGANIZATION
        )


def test_a_ciphertext_copied_to_another_row_is_useless(accounts: Accounts, team: Staff) -> None:
    save(accounts, team.admin)
    save(accounts, team.rep, raw_key="sk-proj-repkey-0123456789abcdREPK")
    admin_row = accounts.one(ProviderKey, ProviderKey.user_id == team.admin.user_id)
    accounts.set(
        ProviderKey,
        {"ciphertext": admin_row.ciphertext},
        ProviderKey.user_id == team.rep.user_id,
    )
    # The rep's row now holds the admin's sealed key: it does not open, so nothing leaks.
    assert resolve(accounts, team.rep).source is KeySource.LOCAL


def test_deleting_a_key_falls_back(accounts: Accounts, admin: Member) -> None:
    save(accounts, admin)
    accounts.call(vault.delete_key, identity=admin.identity, provider="openai", scope=Scope.USER)
    assert accounts.rows(ProviderKey) == []
    assert resolve(accounts, admin).source is KeySource.LOCAL


def test_monthly_cap_is_stored_and_checked(accounts: Accounts, admin: Member) -> None:
    assert save(accounts, admin, monthly_cap_usd=25).monthly_cap_usd == 25
    assert resolve(accounts, admin).monthly_cap_usd == 25
    with pytest.raises(AccountError, match="above zero"):
        save(accounts, admin, monthly_cap_usd=-5)


def test_rotation_reseals_everything_under_the_newest_version(
    accounts: Accounts, team: Staff
) -> None:
    save(accounts, team.admin, raw_key=ORG_KEY, scope=Scope.ORGANIZATION)
    save(accounts, team.rep)
    rotated_ring = Keyring.parse(f"{FIRST_ENTRY},{Keyring.generate_entry(2)}")
    assert accounts.call(vault.rotate_all, keyring=rotated_ring, batch_size=1) == 2
    assert {row.key_version for row in accounts.rows(ProviderKey)} == {2}
    assert accounts.call(vault.rotate_all, keyring=rotated_ring) == 0
    only_new = Keyring({2: rotated_ring.keys[2]})
    assert resolve(accounts, team.rep, keyring=only_new).secret == OPENAI_KEY
    assert resolve(accounts, team.manager, keyring=only_new).secret == ORG_KEY


def test_the_rotate_command(accounts: Accounts, admin: Member, db_url: str, tmp_path: Path) -> None:
    save(accounts, admin)
    second = Keyring.generate_entry(2)
    env = {
        **os.environ,
        "QUOTAHIT_ENV": "local",
        "QUOTAHIT_DATA_DIR": str(tmp_path),
        "DATABASE_URL": db_url,
        "QUOTAHIT_ENCRYPTION_KEYS": f"{FIRST_ENTRY},{second}",
    }
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "quotahit"), "keys", "rotate"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "Re-encrypted 1 key(s) under keyring version 2" in result.stdout
    assert OPENAI_KEY not in result.stdout + result.stderr
    only_new = Keyring.parse(second)
    assert resolve(accounts, admin, keyring=only_new).secret == OPENAI_KEY


def test_secrets_never_reach_the_logs(
    accounts: Accounts, team: Staff, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # SQL statements and parameters
    save(accounts, team.admin, raw_key=ORG_KEY, scope=Scope.ORGANIZATION)
    save(accounts, team.rep)
    resolve(accounts, team.rep)
    accounts.call(vault.list_keys, identity=team.rep.identity)
    assert caplog.records, "debug logging should have captured the SQL and service logs"
    assert OPENAI_KEY not in caplog.text
    assert ORG_KEY not in caplog.text


def test_key_checks_are_capped_per_user(accounts: Accounts, admin: Member) -> None:
    from quotahit.accounts.throttle import ACTION_LIMITS, ActionThrottle

    caps = ActionThrottle(limits={**ACTION_LIMITS, "key_check": "2/hour"})
    validator = ScriptedValidator()
    save(accounts, admin, validator=validator, action_throttle=caps)
    save(accounts, admin, validator=validator, action_throttle=caps)
    with pytest.raises(AccountError, match="Too many requests"):
        save(accounts, admin, validator=validator, action_throttle=caps)
    assert len(validator.seen) == 2  # the refused check never reached the provider
