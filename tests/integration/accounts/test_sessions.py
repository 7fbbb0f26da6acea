"""Logging in, brute-force throttling, session resolution, expiry and logging out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from quotahit.accounts import members, service, sessions
from quotahit.accounts.models import AuthSession, Membership, Role, User
from quotahit.accounts.service import AccountError
from quotahit.accounts.tokens import hash_token
from quotahit.audit.models import AuditLog
from quotahit.db import as_utc, utcnow
from tests.integration.conftest import PASSWORD, PER_ACCOUNT, PER_ADDRESS, Accounts, Member, Staff

WRONG = "not my password at all"


@pytest.fixture
def confirmed(accounts: Accounts) -> User:
    """Ada, confirmed but not signed in."""
    accounts.sign_up("ada@acme.example")
    return accounts.confirm("ada@acme.example")


@pytest.fixture
def hasher_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts every password verification the accounts service makes."""
    calls: list[str] = []
    real = service.verify_password

    def counting(password_hash: str | None, password: str) -> tuple[bool, bool]:
        calls.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(service, "verify_password", counting)
    return calls


def test_log_in_returns_a_token_naming_the_right_identity(
    accounts: Accounts, confirmed: User
) -> None:
    token = accounts.log_in(
        " ADA@acme.example ", ip_address="203.0.113.7", user_agent="Firefox/130"
    )
    identity = accounts.identity(token)
    [membership] = accounts.rows(Membership)
    [record] = accounts.rows(AuthSession)
    assert identity.user_id == confirmed.id
    assert identity.organization_id == membership.organization_id
    assert identity.role == Role.ADMIN.value
    assert identity.is_admin
    assert identity.can_invite
    assert not identity.is_platform_admin
    assert identity.session_id == record.id
    # The browser's token is stored only as its digest.
    assert record.token_hash == hash_token(token)
    assert record.token_hash != token
    assert (record.ip_address, record.user_agent) == ("203.0.113.7", "Firefox/130")
    assert accounts.one(User, User.id == confirmed.id).last_login_at is not None
    [(_action, actor, _details)] = [
        entry for entry in accounts.audit() if entry[0] == "account.logged_in"
    ]
    assert actor == confirmed.id


def test_each_log_in_opens_a_separate_session(accounts: Accounts, confirmed: User) -> None:
    first, second = accounts.log_in("ada@acme.example"), accounts.log_in("ada@acme.example")
    assert first != second
    assert accounts.identity(first).session_id != accounts.identity(second).session_id


def test_session_lifetime_follows_session_max(accounts: Accounts, confirmed: User) -> None:
    accounts.log_in("ada@acme.example", session_max=timedelta(hours=2))
    [record] = accounts.rows(AuthSession)
    remaining = as_utc(record.expires_at) - utcnow()
    assert timedelta(hours=2) - timedelta(minutes=1) < remaining <= timedelta(hours=2)


def test_wrong_password_is_refused_without_saying_which_part_is_wrong(
    accounts: Accounts, confirmed: User
) -> None:
    with pytest.raises(AccountError, match="don't match an account") as known:
        accounts.log_in("ada@acme.example", WRONG, ip_address="203.0.113.7")
    with pytest.raises(AccountError, match="don't match an account") as unknown:
        accounts.log_in("nobody@acme.example", WRONG, ip_address="203.0.113.8")
    # Same words (and the same attempt count) for a known and an unknown address.
    assert str(known.value) == str(unknown.value)
    assert accounts.rows(AuthSession) == []
    failed = accounts.rows(AuditLog, AuditLog.action == "account.login_failed")
    assert [(entry.target_id, entry.ip_address) for entry in failed] == [
        (str(confirmed.id), "203.0.113.7")
    ]


def test_unknown_address_still_costs_a_password_verification(
    accounts: Accounts, hasher_calls: list[str]
) -> None:
    # Timing must not tell whether an address has an account.
    with pytest.raises(AccountError):
        accounts.log_in("nobody@acme.example", WRONG)
    assert hasher_calls == [WRONG]


def test_brute_force_is_refused_before_the_password_is_even_checked(
    accounts: Accounts, confirmed: User, hasher_calls: list[str]
) -> None:
    for attempt in range(PER_ACCOUNT):
        with pytest.raises(AccountError, match="don't match an account"):
            accounts.log_in("ada@acme.example", f"{WRONG} {attempt}", ip_address="203.0.113.7")
    assert len(hasher_calls) == PER_ACCOUNT

    # Now even the right password is refused, from any address, and costs no hashing.
    for address in ["203.0.113.7", "198.51.100.20", ""]:
        with pytest.raises(AccountError, match="Too many attempts") as raised:
            accounts.log_in("ADA@acme.example", PASSWORD, ip_address=address)
        assert "minute" in str(raised.value)
    assert len(hasher_calls) == PER_ACCOUNT
    assert accounts.rows(AuthSession) == []
    assert "account.logged_in" not in accounts.actions()


def test_one_address_spraying_many_accounts_is_stopped(
    accounts: Accounts, confirmed: User, hasher_calls: list[str]
) -> None:
    attacker = "198.51.100.66"
    for index in range(PER_ADDRESS):
        with pytest.raises(AccountError):
            accounts.log_in(f"guess{index}@acme.example", WRONG, ip_address=attacker)
    with pytest.raises(AccountError, match="Too many attempts"):
        accounts.log_in("ada@acme.example", PASSWORD, ip_address=attacker)
    assert len(hasher_calls) == PER_ADDRESS
    # Ada herself, from her own address, is not locked out by the attacker.
    assert accounts.resolve(accounts.log_in("ada@acme.example", ip_address="203.0.113.7"))


def test_a_successful_log_in_resets_the_account_count(accounts: Accounts, confirmed: User) -> None:
    for _ in range(PER_ACCOUNT - 1):
        with pytest.raises(AccountError):
            accounts.log_in("ada@acme.example", WRONG)
    accounts.log_in("ada@acme.example")
    for _ in range(PER_ACCOUNT - 1):
        with pytest.raises(AccountError, match="don't match"):
            accounts.log_in("ada@acme.example", WRONG)
    assert accounts.log_in("ada@acme.example")


@pytest.mark.parametrize("token", ["", "forged", "A" * 43, "A" * 201])
def test_forged_tokens_resolve_to_nobody(accounts: Accounts, admin: Member, token: str) -> None:
    assert accounts.resolve(token) is None


def test_log_out_revokes_only_that_session(accounts: Accounts, admin: Member) -> None:
    other = accounts.log_in(admin.email)
    accounts.call(sessions.log_out, token=admin.token)
    assert accounts.resolve(admin.token) is None
    assert accounts.resolve(other) is not None
    revoked = accounts.one(AuthSession, AuthSession.id == admin.identity.session_id)
    assert revoked.revoked_at is not None
    assert accounts.actions(admin.organization_id).count("account.logged_out") == 1
    # Logging out twice (or with a forged token) does nothing more.
    accounts.call(sessions.log_out, token=admin.token)
    accounts.call(sessions.log_out, token="forged")
    assert accounts.actions(admin.organization_id).count("account.logged_out") == 1


def test_log_out_everywhere_ends_every_session(accounts: Accounts, admin: Member) -> None:
    others = [accounts.log_in(admin.email) for _ in range(2)]
    ended = accounts.call(sessions.log_out_everywhere, identity=admin.identity)
    assert ended == 3
    for token in [admin.token, *others]:
        assert accounts.resolve(token) is None
    # A new log-in still works.
    assert accounts.resolve(accounts.log_in(admin.email)) is not None


def test_log_out_everywhere_leaves_other_people_signed_in(accounts: Accounts, team: Staff) -> None:
    accounts.call(sessions.log_out_everywhere, identity=team.rep.identity)
    assert accounts.resolve(team.rep.token) is None
    assert accounts.resolve(team.admin.token) is not None
    assert accounts.resolve(team.manager.token) is not None


def test_idle_session_expires(accounts: Accounts, admin: Member) -> None:
    accounts.age_sessions(admin.user_id, last_seen_at=timedelta(hours=73))
    assert accounts.resolve(admin.token) is None


def test_idle_timeout_is_configurable(accounts: Accounts, admin: Member) -> None:
    accounts.age_sessions(admin.user_id, last_seen_at=timedelta(minutes=90))
    assert accounts.resolve(admin.token, idle_timeout=timedelta(hours=1)) is None
    assert accounts.resolve(admin.token, idle_timeout=timedelta(hours=2)) is not None


def test_activity_keeps_a_session_alive(accounts: Accounts, admin: Member) -> None:
    accounts.age_sessions(admin.user_id, last_seen_at=timedelta(minutes=50))
    assert accounts.resolve(admin.token, idle_timeout=timedelta(hours=1)) is not None
    [record] = accounts.rows(AuthSession)
    assert utcnow() - as_utc(record.last_seen_at) < timedelta(minutes=1)
    # ... so 50 more minutes later it is still within the idle timeout.
    accounts.age_sessions(admin.user_id, last_seen_at=timedelta(minutes=50))
    assert accounts.resolve(admin.token, idle_timeout=timedelta(hours=1)) is not None


def test_absolute_expiry_ends_even_an_active_session(accounts: Accounts, admin: Member) -> None:
    accounts.age_sessions(admin.user_id, expires_at=timedelta(seconds=1))
    assert accounts.resolve(admin.token) is None


def test_deactivated_members_live_session_resolves_to_nobody(
    accounts: Accounts, team: Staff
) -> None:
    accounts.call(
        members.set_member_active,
        identity=team.admin.identity,
        membership_id=team.rep.membership_id,
        active=False,
    )
    assert accounts.resolve(team.rep.token) is None
    assert accounts.one(AuthSession, AuthSession.id == team.rep.identity.session_id).revoked_at
    with pytest.raises(AccountError, match="access to your organisation was removed"):
        accounts.log_in(team.rep.email)
    # The others are untouched.
    assert accounts.resolve(team.manager.token) is not None


def test_a_session_dies_with_its_membership_even_if_not_revoked(
    accounts: Accounts, team: Staff
) -> None:
    # resolve_session checks the membership on every request, not only the revocation.
    accounts.set(Membership, {"is_active": False}, Membership.id == team.rep.membership_id)
    assert accounts.resolve(team.rep.token) is None
    accounts.set(Membership, {"is_active": True}, Membership.id == team.rep.membership_id)
    assert accounts.resolve(team.rep.token) is not None


def test_a_deactivated_user_is_refused_everywhere(accounts: Accounts, team: Staff) -> None:
    accounts.set(User, {"is_active": False}, User.id == team.rep.user_id)
    assert accounts.resolve(team.rep.token) is None
    with pytest.raises(AccountError, match="deactivated"):
        accounts.log_in(team.rep.email)


def test_reactivated_member_can_log_in_again(accounts: Accounts, team: Staff) -> None:
    for active in (False, True):
        accounts.call(
            members.set_member_active,
            identity=team.admin.identity,
            membership_id=team.rep.membership_id,
            active=active,
        )
    assert accounts.resolve(team.rep.token) is None  # the old session stays revoked
    assert accounts.identity(accounts.log_in(team.rep.email)).role == Role.REP.value
    assert accounts.actions(team.admin.organization_id)[-3:-1] == [
        "member.deactivated",
        "member.reactivated",
    ]


def test_platform_admin_bootstrap_at_log_in(accounts: Accounts, confirmed: User) -> None:
    token = accounts.log_in("ada@acme.example")
    assert not accounts.identity(token).is_platform_admin
    token = accounts.log_in(
        "ada@acme.example", platform_admins=frozenset({"ada@acme.example", "x@y.example"})
    )
    assert accounts.identity(token).is_platform_admin
    assert accounts.one(User, User.id == confirmed.id).is_platform_admin
    # It is stored: later log-ins keep it without the setting.
    assert accounts.identity(accounts.log_in("ada@acme.example")).is_platform_admin


# The settings page's list of devices.

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def sessions_of(accounts: Accounts, member: Member) -> list[sessions.SessionRow]:
    return accounts.call(sessions.list_sessions, identity=member.identity)


def test_list_sessions_shows_the_callers_live_devices(accounts: Accounts, team: Staff) -> None:
    desktop = accounts.log_in(team.admin.email, ip_address="198.51.100.4", user_agent=EDGE_WINDOWS)
    laptop = accounts.log_in(team.admin.email, ip_address="", user_agent=FIREFOX_LINUX)
    accounts.call(sessions.log_out, token=laptop)
    rows = sessions_of(accounts, team.admin)
    assert len(rows) == 2  # the fixture's session and the desktop; the laptop logged out
    current = [row for row in rows if row.current]
    assert [row.id for row in current] == [team.admin.identity.session_id]
    [desktop_row] = [row for row in rows if not row.current]
    assert desktop_row.id == accounts.identity(desktop).session_id
    assert (desktop_row.device, desktop_row.ip_address) == ("Edge on Windows", "198.51.100.4")
    assert desktop_row.last_seen.endswith("UTC")
    # Nobody else's sessions are listed.
    other_ids = {team.rep.identity.session_id, team.manager.identity.session_id}
    assert other_ids.isdisjoint(row.id for row in rows)


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX_LINUX, "Firefox on Linux"),
        (EDGE_WINDOWS, "Edge on Windows"),
        ("", "Browser"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (SAFARI_IPHONE, "Safari on iPhone"),
    ],
)
def test_devices_are_named_from_the_user_agent(
    accounts: Accounts, admin: Member, user_agent: str, device: str
) -> None:
    accounts.call(
        sessions.revoke_session, identity=admin.identity, session_id=admin.identity.session_id
    )
    accounts.log_in(admin.email, user_agent=user_agent)
    [row] = accounts.call(sessions.list_sessions, identity=admin.identity)
    assert row.device == device


def test_list_sessions_leaves_out_expired_sessions(accounts: Accounts, admin: Member) -> None:
    accounts.age_sessions(admin.user_id, expires_at=timedelta(seconds=1))
    assert sessions_of(accounts, admin) == []


def test_list_sessions_leaves_out_idle_sessions(accounts: Accounts, admin: Member) -> None:
    other = accounts.log_in(admin.email)
    other_id = accounts.identity(other).session_id
    accounts.set(
        AuthSession,
        {"last_seen_at": utcnow() - timedelta(hours=73)},
        AuthSession.id == other_id,
    )
    assert accounts.resolve(other) is None
    assert [row.id for row in sessions_of(accounts, admin)] == [admin.identity.session_id]


def test_revoke_session_signs_out_one_of_my_devices(accounts: Accounts, admin: Member) -> None:
    other = accounts.log_in(admin.email)
    other_id = accounts.identity(other).session_id
    accounts.call(sessions.revoke_session, identity=admin.identity, session_id=other_id)
    assert accounts.resolve(other) is None
    assert accounts.resolve(admin.token) is not None
    assert "account.session_revoked" in accounts.actions(admin.organization_id)
    with pytest.raises(AccountError, match="already ended"):
        accounts.call(sessions.revoke_session, identity=admin.identity, session_id=other_id)


def test_revoke_session_cannot_touch_someone_elses_session(
    accounts: Accounts, team: Staff, rival: Member
) -> None:
    for victim in (team.rep, rival):
        with pytest.raises(AccountError, match="already ended"):
            accounts.call(
                sessions.revoke_session,
                identity=team.admin.identity,
                session_id=victim.identity.session_id,
            )
        assert accounts.resolve(victim.token) is not None
    with pytest.raises(AccountError):
        accounts.call(sessions.revoke_session, identity=team.admin.identity, session_id=999_999)
