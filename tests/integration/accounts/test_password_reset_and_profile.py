"""Password reset by e-mail, password change, and the profile."""

from __future__ import annotations

from datetime import timedelta

import pytest

from quotahit.accounts import service
from quotahit.accounts.models import AccountToken, AuthSession, TokenPurpose, User
from quotahit.accounts.service import AccountError
from quotahit.db import as_utc, utcnow
from tests.integration.conftest import OTHER_PASSWORD, PASSWORD, PER_ACCOUNT, Accounts, Member

NEW_PASSWORD = "saffron glacier hammock 19"


def request_reset(accounts: Accounts, email: str) -> None:
    accounts.call(
        service.request_password_reset, mailer=accounts.mailer, links=accounts.links, email=email
    )


def reset(accounts: Accounts, token: str, password: str = NEW_PASSWORD, **kwargs: object) -> User:
    return accounts.call(service.reset_password, token=token, new_password=password, **kwargs)


def reset_token(accounts: Accounts, email: str) -> str:
    return accounts.mailer.last_token(email, "reset-password")


# Reset.


@pytest.mark.parametrize("email", ["nobody@acme.example", "NOBODY@ACME.EXAMPLE", "not-an-address"])
def test_reset_request_for_an_unknown_address_sends_nothing(
    accounts: Accounts, admin: Member, email: str
) -> None:
    sent = len(accounts.mailer.sent)
    request_reset(accounts, email)  # no error either: nothing tells the address is unknown
    assert len(accounts.mailer.sent) == sent
    assert (
        accounts.rows(AccountToken, AccountToken.purpose == TokenPurpose.RESET_PASSWORD.value) == []
    )


def test_reset_link_is_e_mailed_and_lives_one_hour(accounts: Accounts, admin: Member) -> None:
    request_reset(accounts, " ADA@acme.example")
    message = accounts.mailer.to(admin.email)[-1]
    assert "Reset" in message.subject
    assert "https://app.quotahit.example/reset-password?token=" in message.text_body
    [token] = accounts.rows(AccountToken, AccountToken.purpose == TokenPurpose.RESET_PASSWORD.value)
    lifetime = as_utc(token.expires_at) - utcnow()
    assert timedelta(minutes=59) < lifetime <= timedelta(hours=1)


def test_reset_sets_the_new_password_and_ends_every_session(
    accounts: Accounts, admin: Member
) -> None:
    second_device = accounts.log_in(admin.email)
    request_reset(accounts, admin.email)
    user = reset(accounts, reset_token(accounts, admin.email))
    assert user.id == admin.user_id
    assert accounts.resolve(admin.token) is None
    assert accounts.resolve(second_device) is None
    assert all(record.revoked_at for record in accounts.rows(AuthSession))
    with pytest.raises(AccountError, match="don't match"):
        accounts.log_in(admin.email, PASSWORD)
    assert accounts.resolve(accounts.log_in(admin.email, NEW_PASSWORD)) is not None
    assert "account.password_reset" in accounts.actions(admin.organization_id)


@pytest.mark.parametrize("forged", ["", "nope", "A" * 43, "A" * 300])
def test_reset_with_a_forged_token_is_refused(
    accounts: Accounts, admin: Member, forged: str
) -> None:
    request_reset(accounts, admin.email)
    with pytest.raises(AccountError, match="password-reset link is not valid"):
        reset(accounts, forged)
    assert accounts.resolve(admin.token) is not None


def test_reset_with_an_expired_token_is_refused(accounts: Accounts, admin: Member) -> None:
    request_reset(accounts, admin.email)
    accounts.set(
        AccountToken,
        {"expires_at": utcnow() - timedelta(seconds=1)},
        AccountToken.purpose == TokenPurpose.RESET_PASSWORD.value,
    )
    with pytest.raises(AccountError, match="expired"):
        reset(accounts, reset_token(accounts, admin.email))
    assert accounts.resolve(admin.token) is not None
    assert accounts.log_in(admin.email, PASSWORD)


def test_reset_token_works_once(accounts: Accounts, admin: Member) -> None:
    request_reset(accounts, admin.email)
    token = reset_token(accounts, admin.email)
    reset(accounts, token)
    with pytest.raises(AccountError, match="already been used"):
        reset(accounts, token, OTHER_PASSWORD)
    assert accounts.log_in(admin.email, NEW_PASSWORD)


def test_only_the_newest_reset_link_works(accounts: Accounts, admin: Member) -> None:
    request_reset(accounts, admin.email)
    first = reset_token(accounts, admin.email)
    request_reset(accounts, admin.email)
    with pytest.raises(AccountError, match="already been used"):
        reset(accounts, first)
    reset(accounts, reset_token(accounts, admin.email))


def test_a_confirmation_token_cannot_reset_a_password(accounts: Accounts) -> None:
    accounts.sign_up("ada@acme.example")
    with pytest.raises(AccountError, match="not valid"):
        reset(accounts, accounts.mailer.last_token("ada@acme.example", "confirm"))


def test_weak_new_password_is_refused_and_the_link_still_works(
    accounts: Accounts, admin: Member
) -> None:
    request_reset(accounts, admin.email)
    token = reset_token(accounts, admin.email)
    with pytest.raises(AccountError, match="too common"):
        reset(accounts, token, "password1")
    # The refused attempt was rolled back: the link was not spent and no session ended.
    assert accounts.resolve(admin.token) is not None
    reset(accounts, token)
    assert accounts.log_in(admin.email, NEW_PASSWORD)


def test_reset_confirms_an_unconfirmed_address(accounts: Accounts) -> None:
    accounts.sign_up("ada@acme.example")
    request_reset(accounts, "ada@acme.example")
    reset(accounts, reset_token(accounts, "ada@acme.example"))
    assert accounts.log_in("ada@acme.example", NEW_PASSWORD)


def test_reset_lifts_the_log_in_pause(accounts: Accounts, admin: Member) -> None:
    for _ in range(PER_ACCOUNT):
        with pytest.raises(AccountError):
            accounts.log_in(admin.email, "a wrong guess here")
    with pytest.raises(AccountError, match="Too many attempts"):
        accounts.log_in(admin.email, PASSWORD)
    request_reset(accounts, admin.email)
    reset(accounts, reset_token(accounts, admin.email), throttle=accounts.throttle)
    assert accounts.log_in(admin.email, NEW_PASSWORD)


# Change.


def change(accounts: Accounts, member: Member, current: str, new: str) -> int:
    return accounts.call(
        service.change_password,
        identity=member.identity,
        current_password=current,
        new_password=new,
    )


def test_change_password_with_a_wrong_current_password_is_refused(
    accounts: Accounts, admin: Member
) -> None:
    other = accounts.log_in(admin.email)
    with pytest.raises(AccountError, match="current password is not correct"):
        change(accounts, admin, "not the password", NEW_PASSWORD)
    assert accounts.resolve(other) is not None
    assert accounts.log_in(admin.email, PASSWORD)


def test_change_password_ends_other_sessions_but_keeps_this_one(
    accounts: Accounts, admin: Member
) -> None:
    others = [accounts.log_in(admin.email) for _ in range(2)]
    assert change(accounts, admin, PASSWORD, NEW_PASSWORD) == 2
    assert accounts.resolve(admin.token) is not None
    assert [accounts.resolve(token) for token in others] == [None, None]
    with pytest.raises(AccountError):
        accounts.log_in(admin.email, PASSWORD)
    assert accounts.log_in(admin.email, NEW_PASSWORD)
    [(_action, actor, details)] = [
        entry for entry in accounts.audit() if entry[0] == "account.password_changed"
    ]
    assert (actor, details) == (admin.user_id, {"other_sessions_ended": 2})


@pytest.mark.parametrize(
    ("new", "reason"),
    [(PASSWORD, "different from your current"), ("letmein1", "too common"), ("short", "at least")],
)
def test_change_password_refuses_same_or_weak(
    accounts: Accounts, admin: Member, new: str, reason: str
) -> None:
    with pytest.raises(AccountError, match=reason):
        change(accounts, admin, PASSWORD, new)
    assert accounts.log_in(admin.email, PASSWORD)


# Profile.


def update(accounts: Accounts, member: Member, **fields: str) -> service.Profile:
    values = {"name": "Ada Admin", "title": "", "time_zone": "UTC", **fields}
    return accounts.call(service.update_profile, identity=member.identity, **values)


def test_update_profile_stores_the_cleaned_fields(accounts: Accounts, admin: Member) -> None:
    profile = update(
        accounts,
        admin,
        name="  Ada   Lovelace ",
        title=" Head of   Sales ",
        time_zone="Europe/Paris",
    )
    assert (profile.name, profile.title, profile.time_zone) == (
        "Ada Lovelace",
        "Head of Sales",
        "Europe/Paris",
    )
    assert (profile.organization_name, profile.role) == ("Acme", "admin")
    assert profile.email_confirmed
    stored = accounts.one(User, User.id == admin.user_id)
    assert (stored.name, stored.title, stored.time_zone) == (
        "Ada Lovelace",
        "Head of Sales",
        "Europe/Paris",
    )
    assert "account.profile_updated" in accounts.actions(admin.organization_id)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../../etc/passwd", "Europe/Paris\x00"])
def test_update_profile_refuses_an_unknown_time_zone(
    accounts: Accounts, admin: Member, zone: str
) -> None:
    with pytest.raises(AccountError, match="Pick a time zone"):
        update(accounts, admin, name="Ada Changed", time_zone=zone)
    stored = accounts.one(User, User.id == admin.user_id)
    assert (stored.name, stored.time_zone) == ("Ada Admin", "UTC")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [({"name": "  "}, "your name"), ({"title": "x" * 121}, "title is too long")],
)
def test_update_profile_refuses_bad_fields(
    accounts: Accounts, admin: Member, fields: dict[str, str], reason: str
) -> None:
    with pytest.raises(AccountError, match=reason):
        update(accounts, admin, **fields)


def test_time_zone_names_offer_only_valid_zones() -> None:
    names = service.time_zone_names()
    assert "Europe/Paris" in names
    assert list(names) == sorted(names)
    assert "Mars/Olympus_Mons" not in names
    assert not {"posixrules", "right/UTC", "posix/Europe/Paris"} & set(names)


@pytest.mark.parametrize("alias", ["posixrules", "right/UTC", "posix/Europe/Paris"])
def test_profile_refuses_time_zone_aliases(accounts: Accounts, admin: Member, alias: str) -> None:
    with pytest.raises(AccountError, match="time zone"):
        update(accounts, admin, time_zone=alias)


def test_profile_never_carries_the_password_hash(accounts: Accounts, admin: Member) -> None:
    profile = accounts.call(service.get_profile, identity=admin.identity)
    assert not any("argon2" in str(value) for value in vars(profile).values())
    user = accounts.one(User, User.id == admin.user_id)
    assert "password_hash" not in user.model_dump()
