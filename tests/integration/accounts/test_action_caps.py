"""Anti-automation caps on sign-ups, reset and confirmation e-mails, and invitations."""

from __future__ import annotations

import pytest

from quotahit.accounts import invitations, service
from quotahit.accounts.models import AccountToken, Invitation, Role, User
from quotahit.accounts.service import AccountError
from quotahit.accounts.throttle import ActionThrottle
from tests.integration.conftest import Accounts, Member

LIMITS = {
    "signup": "2/hour",
    "password_reset_account": "2/hour",
    "password_reset_address": "3/hour",
    "confirmation_resend": "2/hour",
    "invitation": "2/hour",
}


@pytest.fixture
def caps() -> ActionThrottle:
    return ActionThrottle(limits=LIMITS)


def request_reset(accounts: Accounts, caps: ActionThrottle, email: str, ip: str = "") -> None:
    accounts.call(
        service.request_password_reset,
        mailer=accounts.mailer,
        links=accounts.links,
        email=email,
        ip_address=ip,
        action_throttle=caps,
    )


def test_sign_ups_are_capped_per_address(accounts: Accounts, caps: ActionThrottle) -> None:
    for index in range(2):
        accounts.sign_up(
            f"founder{index}@acme.example", ip_address="203.0.113.1", action_throttle=caps
        )
    with pytest.raises(AccountError, match="Too many requests"):
        accounts.sign_up("founder2@acme.example", ip_address="203.0.113.1", action_throttle=caps)
    assert accounts.rows(User, User.email == "founder2@acme.example") == []
    assert len(accounts.mailer.sent) == 2
    # Another address is not affected.
    accounts.sign_up("founder2@acme.example", ip_address="198.51.100.2", action_throttle=caps)


def test_reset_e_mails_are_capped_per_account(
    accounts: Accounts, admin: Member, caps: ActionThrottle
) -> None:
    for index in range(2):
        request_reset(accounts, caps, admin.email, f"198.51.100.{index}")
    with pytest.raises(AccountError, match="Too many requests"):
        request_reset(accounts, caps, "ADA@acme.example", "198.51.100.9")
    assert len(accounts.mailer.to(admin.email)) == 1 + 2  # the confirmation and two resets


def test_reset_caps_say_the_same_for_unknown_addresses(
    accounts: Accounts, admin: Member, caps: ActionThrottle
) -> None:
    # The cap must not reveal whether an account exists: an unknown address is capped alike.
    messages = []
    for email in (admin.email, "nobody@acme.example"):
        for _ in range(2):
            request_reset(accounts, caps, email)
        with pytest.raises(AccountError) as raised:
            request_reset(accounts, caps, email)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert accounts.mailer.to("nobody@acme.example") == []


def test_reset_e_mails_are_capped_per_address(
    accounts: Accounts, admin: Member, caps: ActionThrottle
) -> None:
    attacker = "203.0.113.66"
    for index in range(3):
        request_reset(accounts, caps, f"target{index}@acme.example", attacker)
    with pytest.raises(AccountError, match="Too many requests"):
        request_reset(accounts, caps, admin.email, attacker)
    reset_tokens = accounts.rows(AccountToken, AccountToken.purpose == "reset_password")
    assert reset_tokens == []
    # Ada, from her own address, still gets her link.
    request_reset(accounts, caps, admin.email, "198.51.100.7")
    assert accounts.mailer.last_token(admin.email, "reset-password")


def test_confirmation_e_mails_are_capped_per_account(
    accounts: Accounts, caps: ActionThrottle
) -> None:
    accounts.sign_up("ada@acme.example")
    for _ in range(2):
        accounts.call(
            service.resend_confirmation,
            mailer=accounts.mailer,
            links=accounts.links,
            email="ada@acme.example",
            action_throttle=caps,
        )
    with pytest.raises(AccountError, match="Too many requests"):
        accounts.call(
            service.resend_confirmation,
            mailer=accounts.mailer,
            links=accounts.links,
            email="Ada@Acme.example",
            action_throttle=caps,
        )
    assert len(accounts.mailer.to("ada@acme.example")) == 3


def test_invitations_are_capped_per_inviter(
    accounts: Accounts, admin: Member, rival: Member, caps: ActionThrottle
) -> None:
    def invite(by: Member, email: str) -> None:
        accounts.call(
            invitations.invite,
            identity=by.identity,
            mailer=accounts.mailer,
            links=accounts.links,
            email=email,
            role=Role.REP.value,
            action_throttle=caps,
        )

    invite(admin, "one@acme.example")
    invite(admin, "two@acme.example")
    with pytest.raises(AccountError, match="Too many requests"):
        invite(admin, "three@acme.example")
    assert accounts.rows(Invitation, Invitation.email == "three@acme.example") == []
    invite(rival, "three@globex.example")


def test_a_refusal_by_the_address_cap_costs_the_account_nothing(
    accounts: Accounts, admin: Member, caps: ActionThrottle
) -> None:
    attacker = "203.0.113.99"
    for index in range(3):
        request_reset(accounts, caps, f"filler{index}@acme.example", attacker)
    for _ in range(2):
        with pytest.raises(AccountError, match="Too many requests"):
            request_reset(accounts, caps, admin.email, attacker)
    # Ada's own hourly allowance (2) is intact: both of her requests go through.
    request_reset(accounts, caps, admin.email, "198.51.100.7")
    request_reset(accounts, caps, admin.email, "198.51.100.7")
    assert len(accounts.rows(AccountToken, AccountToken.purpose == "reset_password")) == 2
