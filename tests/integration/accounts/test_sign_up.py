"""Sign-up and e-mail confirmation, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from quotahit.accounts import service
from quotahit.accounts.models import (
    AccountToken,
    Membership,
    Organization,
    Role,
    TokenPurpose,
    User,
)
from quotahit.accounts.service import AccountError
from quotahit.accounts.tokens import hash_token
from quotahit.db import utcnow
from quotahit.outbox.models import OutboxMessage
from quotahit.providers.email import OutboxEmailSender
from tests.fakes.mailer import link_in
from tests.integration.conftest import BASE_URL, PASSWORD, Accounts


def test_sign_up_creates_the_organisation_with_its_admin(accounts: Accounts) -> None:
    user = accounts.sign_up(
        "  Ada@Acme.Example ",
        name="  Ada   Admin ",
        organization_name="Acme  Corp",
        ip_address="203.0.113.5",
    )
    assert user.id is not None
    stored = accounts.one(User, User.id == user.id)
    assert stored.email == "ada@acme.example"
    assert stored.name == "Ada Admin"
    assert stored.email_confirmed_at is None
    assert not stored.is_platform_admin
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash

    [organization] = accounts.rows(Organization)
    assert organization.name == "Acme Corp"
    [membership] = accounts.rows(Membership)
    assert (membership.user_id, membership.organization_id) == (user.id, organization.id)
    assert membership.role == Role.ADMIN.value
    assert membership.is_active

    [(action, actor, _details)] = accounts.audit(organization.id)
    assert (action, actor) == ("account.signed_up", user.id)


def test_sign_up_e_mails_a_confirmation_link(accounts: Accounts) -> None:
    accounts.sign_up("ada@acme.example")
    [message] = accounts.mailer.sent
    assert message.to_address == "ada@acme.example"
    assert "Confirm" in message.subject
    assert f"{BASE_URL}/confirm?token=" in message.text_body
    token = link_in(message.text_body, "confirm")
    assert token is not None
    # Only the digest is stored, with a 48-hour life.
    [stored] = accounts.rows(AccountToken)
    assert stored.purpose == TokenPurpose.CONFIRM_EMAIL.value
    assert stored.token_hash == hash_token(token)
    assert token not in stored.token_hash
    lifetime = stored.expires_at.replace(tzinfo=None) - stored.created_at.replace(tzinfo=None)
    assert abs(lifetime - timedelta(hours=48)) < timedelta(seconds=5)


def test_sign_up_through_the_outbox_sender(accounts: Accounts, engine: Engine) -> None:
    outbox = OutboxEmailSender(engine, "QuotaHit <no-reply@quotahit.example>")
    accounts.call(
        service.sign_up,
        mailer=outbox,
        links=accounts.links,
        email="ada@acme.example",
        password=PASSWORD,
        name="Ada Admin",
        organization_name="Acme",
    )
    with Session(engine) as db_session:
        [message] = db_session.exec(select(OutboxMessage)).all()
    assert message.to_address == "ada@acme.example"
    token = link_in(message.text_body, "confirm")
    assert token is not None
    confirmed = accounts.call(service.confirm_email, token=token)
    assert confirmed.email_confirmed_at is not None


def test_sign_up_survives_an_e_mail_outage(accounts: Accounts) -> None:
    accounts.mailer.fail = True
    user = accounts.sign_up("ada@acme.example")
    assert accounts.mailer.attempts == 1
    assert accounts.one(User, User.id == user.id).email_confirmed_at is None
    # Once the provider is back, a new link can be sent.
    accounts.mailer.fail = False
    accounts.call(
        service.resend_confirmation,
        mailer=accounts.mailer,
        links=accounts.links,
        email="ADA@acme.example",
    )
    assert accounts.confirm("ada@acme.example").email_confirmed_at is not None


@pytest.mark.parametrize("second", ["ADA@ACME.EXAMPLE", " Ada@Acme.example "])
def test_duplicate_e_mail_is_refused_whatever_the_case(accounts: Accounts, second: str) -> None:
    accounts.sign_up("ada@acme.example")
    with pytest.raises(AccountError, match="already exists") as raised:
        accounts.sign_up(second, organization_name="Acme Two")
    assert "reset your password" in str(raised.value)
    assert len(accounts.rows(User)) == 1
    assert [org.name for org in accounts.rows(Organization)] == ["Acme"]
    assert len(accounts.mailer.sent) == 1


@pytest.mark.parametrize(
    ("email", "password", "reason"),
    [
        ("ada@acme.example", "short1", "at least 8 characters"),
        ("ada@acme.example", "password123", "too common"),
        ("ada@acme.example", "Ada Admin rules", "your name"),
        ("jordan.lee@acme.example", "I am jordan.lee!", "e-mail address"),
    ],
)
def test_weak_passwords_are_refused(
    accounts: Accounts, email: str, password: str, reason: str
) -> None:
    with pytest.raises(AccountError, match=reason):
        accounts.sign_up(email, password=password, name="Ada Admin")
    assert accounts.rows(User) == []
    assert accounts.rows(Organization) == []
    assert accounts.mailer.sent == []


@pytest.mark.parametrize(
    "email", ["", "ada", "ada@", "@acme.example", "ada@acme", "a b@acme.example"]
)
def test_invalid_e_mail_is_refused(accounts: Accounts, email: str) -> None:
    with pytest.raises(AccountError, match="doesn't look right"):
        accounts.sign_up(email)
    assert accounts.rows(User) == []


@pytest.mark.parametrize(
    ("name", "organization_name", "message"),
    [
        ("   ", "Acme", "your name"),
        ("Ada Admin", "", "company name"),
        ("A" * 121, "Acme", "too long"),
    ],
)
def test_names_are_required_and_bounded(
    accounts: Accounts, name: str, organization_name: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        accounts.sign_up("ada@acme.example", name=name, organization_name=organization_name)
    assert accounts.rows(User) == []


def test_platform_admin_bootstrap_at_sign_up(accounts: Accounts) -> None:
    admins = frozenset({"root@quotahit.example"})
    root = accounts.sign_up("Root@QuotaHit.example", platform_admins=admins, name="Rosa Root")
    other = accounts.sign_up("ada@acme.example", platform_admins=admins)
    assert accounts.one(User, User.id == root.id).is_platform_admin
    assert not accounts.one(User, User.id == other.id).is_platform_admin


# Confirmation.


def test_confirm_email_marks_the_address_confirmed(accounts: Accounts) -> None:
    user = accounts.sign_up("ada@acme.example")
    before = utcnow()
    confirmed = accounts.confirm("ada@acme.example")
    assert confirmed.id == user.id
    stored = accounts.one(User, User.id == user.id)
    assert stored.email_confirmed_at is not None
    assert stored.email_confirmed_at.replace(tzinfo=None) >= before.replace(
        tzinfo=None
    ) - timedelta(seconds=1)
    assert "account.email_confirmed" in accounts.actions()


@pytest.mark.parametrize("forged", ["", "x", "A" * 43, "A" * 500])
def test_forged_confirmation_token_is_refused(accounts: Accounts, forged: str) -> None:
    accounts.sign_up("ada@acme.example")
    with pytest.raises(AccountError, match="not valid"):
        accounts.call(service.confirm_email, token=forged)
    assert accounts.rows(User)[0].email_confirmed_at is None


def test_expired_confirmation_token_is_refused(accounts: Accounts) -> None:
    accounts.sign_up("ada@acme.example")
    accounts.set(AccountToken, {"expires_at": utcnow() - timedelta(minutes=1)})
    with pytest.raises(AccountError, match="expired"):
        accounts.confirm("ada@acme.example")
    assert accounts.rows(User)[0].email_confirmed_at is None


def test_confirmation_token_works_once(accounts: Accounts) -> None:
    accounts.sign_up("ada@acme.example")
    accounts.confirm("ada@acme.example")
    with pytest.raises(AccountError, match="already been used"):
        accounts.confirm("ada@acme.example")


def test_a_new_confirmation_link_replaces_the_old_one(accounts: Accounts) -> None:
    accounts.sign_up("ada@acme.example")
    first = accounts.mailer.last_token("ada@acme.example", "confirm")
    accounts.call(
        service.resend_confirmation,
        mailer=accounts.mailer,
        links=accounts.links,
        email="ada@acme.example",
    )
    second = accounts.mailer.last_token("ada@acme.example", "confirm")
    assert second != first
    with pytest.raises(AccountError, match="already been used"):
        accounts.call(service.confirm_email, token=first)
    assert accounts.call(service.confirm_email, token=second).email_confirmed_at is not None


def test_resend_confirmation_is_silent_for_unknown_or_confirmed_addresses(
    accounts: Accounts,
) -> None:
    accounts.sign_up("ada@acme.example")
    accounts.confirm("ada@acme.example")
    sent = len(accounts.mailer.sent)
    for email in ["ada@acme.example", "nobody@acme.example", "not an address"]:
        accounts.call(
            service.resend_confirmation, mailer=accounts.mailer, links=accounts.links, email=email
        )
    assert len(accounts.mailer.sent) == sent


def test_a_password_reset_token_does_not_confirm(accounts: Accounts) -> None:
    accounts.sign_up("ada@acme.example")
    accounts.call(
        service.request_password_reset,
        mailer=accounts.mailer,
        links=accounts.links,
        email="ada@acme.example",
    )
    reset_token = accounts.mailer.last_token("ada@acme.example", "reset-password")
    with pytest.raises(AccountError, match="not valid"):
        accounts.call(service.confirm_email, token=reset_token)


def test_login_before_confirmation_is_refused(accounts: Accounts) -> None:
    accounts.sign_up("ada@acme.example")
    with pytest.raises(AccountError, match="Confirm your e-mail address first"):
        accounts.log_in("ada@acme.example")
    assert "account.logged_in" not in accounts.actions()
    accounts.confirm("ada@acme.example")
    assert accounts.resolve(accounts.log_in("ada@acme.example")) is not None


def test_membership_role_is_stored_in_the_database(accounts: Accounts) -> None:
    # Identity.role comes from the membership row, not from anything the client holds.
    accounts.sign_up("ada@acme.example")
    accounts.confirm("ada@acme.example")
    token = accounts.log_in("ada@acme.example")
    assert accounts.identity(token).role == Role.ADMIN.value
    accounts.set(Membership, {"role": Role.REP.value})
    assert accounts.identity(token).role == Role.REP.value
    assert not accounts.identity(token).is_admin


def test_sign_up_stores_token_purpose_and_user(accounts: Accounts, db_session: Session) -> None:
    user = accounts.sign_up("ada@acme.example")
    token = db_session.exec(select(AccountToken)).one()
    assert (token.user_id, token.used_at) == (user.id, None)
