"""Invitations: who may invite whom, accepting, expiry, revocation, existing accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from quotahit.accounts import invitations
from quotahit.accounts.models import AuthSession, Invitation, Membership, Role, User
from quotahit.accounts.service import AccountError, PermissionDenied
from quotahit.accounts.tokens import hash_token
from quotahit.db import as_utc, utcnow
from tests.integration.conftest import (
    OTHER_PASSWORD,
    PASSWORD,
    PER_ACCOUNT,
    Accounts,
    Member,
    Staff,
)

NEWCOMER = "nina@acme.example"


def pending(accounts: Accounts, member: Member) -> list[invitations.InvitationRow]:
    return accounts.call(invitations.list_pending_invitations, identity=member.identity)


# Who may invite.


def test_a_rep_cannot_invite(accounts: Accounts, team: Staff) -> None:
    sent = len(accounts.mailer.sent)
    with pytest.raises(PermissionDenied):
        accounts.invite(team.rep.identity, NEWCOMER, Role.REP.value)
    assert accounts.rows(Invitation, Invitation.email == NEWCOMER) == []
    assert len(accounts.mailer.sent) == sent


@pytest.mark.parametrize("role", [Role.ADMIN.value, Role.ENABLEMENT.value])
def test_a_manager_cannot_invite_above_manager(accounts: Accounts, team: Staff, role: str) -> None:
    with pytest.raises(PermissionDenied, match="Managers can invite reps and managers"):
        accounts.invite(team.manager.identity, NEWCOMER, role)
    assert accounts.rows(Invitation, Invitation.email == NEWCOMER) == []


@pytest.mark.parametrize("role", [Role.REP.value, Role.MANAGER.value])
def test_a_manager_can_invite_reps_and_managers(accounts: Accounts, team: Staff, role: str) -> None:
    token = accounts.invite(team.manager.identity, NEWCOMER, role)
    invitation = accounts.one(Invitation, Invitation.email == NEWCOMER)
    assert (invitation.role, invitation.invited_by_id) == (role, team.manager.user_id)
    assert invitation.organization_id == team.manager.organization_id
    assert invitation.token_hash == hash_token(token)


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_an_admin_can_invite_any_role(accounts: Accounts, admin: Member, role: str) -> None:
    accounts.invite(admin.identity, NEWCOMER, role)
    assert accounts.one(Invitation, Invitation.email == NEWCOMER).role == role


def test_unknown_role_is_refused(accounts: Accounts, admin: Member) -> None:
    with pytest.raises(AccountError, match="Unknown role"):
        accounts.invite(admin.identity, NEWCOMER, "owner")


def test_invalid_address_is_refused(accounts: Accounts, admin: Member) -> None:
    with pytest.raises(AccountError, match="doesn't look right"):
        accounts.invite(admin.identity, "nina at acme", Role.REP.value)


def test_inviting_a_member_is_refused(accounts: Accounts, team: Staff) -> None:
    with pytest.raises(AccountError, match="already a member"):
        accounts.invite(team.admin.identity, "RITA@acme.example", Role.MANAGER.value)


def test_the_invitation_e_mail(accounts: Accounts, admin: Member) -> None:
    token = accounts.invite(admin.identity, " Nina@Acme.example ", Role.MANAGER.value)
    [message] = accounts.mailer.to(NEWCOMER)
    assert message.subject == "Ada Admin invited you to Acme on QuotaHit"
    assert f"https://app.quotahit.example/join?token={token}" in message.text_body
    assert "as a manager" in message.text_body
    invitation = accounts.one(Invitation, Invitation.email == NEWCOMER)
    lifetime = as_utc(invitation.expires_at) - utcnow()
    assert timedelta(days=7) - timedelta(minutes=1) < lifetime <= timedelta(days=7)
    [(_action, actor, details)] = [
        entry for entry in accounts.audit(admin.organization_id) if entry[0] == "member.invited"
    ]
    assert (actor, details) == (admin.user_id, {"email": NEWCOMER, "role": "manager"})


# Accepting.


def test_accepting_creates_a_confirmed_member_with_the_role(
    accounts: Accounts, admin: Member
) -> None:
    token = accounts.invite(admin.identity, NEWCOMER, Role.MANAGER.value)
    preview = accounts.call(invitations.preview_invitation, token=token)
    assert (preview.email, preview.role, preview.organization_name, preview.inviter_name) == (
        NEWCOMER,
        "manager",
        "Acme",
        "Ada Admin",
    )
    assert not preview.has_account

    session_token = accounts.accept(token, name="Nina New", ip_address="203.0.113.9")
    identity = accounts.identity(session_token)
    user = accounts.one(User, User.email == NEWCOMER)
    assert user.email_confirmed_at is not None
    assert user.name == "Nina New"
    assert user.password_hash.startswith("$argon2id$")
    assert (identity.user_id, identity.organization_id, identity.role) == (
        user.id,
        admin.organization_id,
        Role.MANAGER.value,
    )
    assert identity.can_invite
    assert not identity.is_admin
    membership = accounts.one(Membership, Membership.user_id == user.id)
    assert (membership.role, membership.is_active) == ("manager", True)
    assert accounts.one(Invitation, Invitation.email == NEWCOMER).accepted_at is not None
    assert pending(accounts, admin) == []
    [(_action, actor, details)] = [
        entry for entry in accounts.audit(admin.organization_id) if entry[0] == "member.joined"
    ]
    assert (actor, details) == (user.id, {"role": "manager", "invited_by": admin.user_id})
    # The new member can log in with the password chosen on the join page.
    assert accounts.log_in(NEWCOMER, PASSWORD)


def test_accepting_twice_is_refused(accounts: Accounts, admin: Member) -> None:
    token = accounts.invite(admin.identity, NEWCOMER, Role.REP.value)
    accounts.accept(token, name="Nina New")
    with pytest.raises(AccountError, match="already been accepted"):
        accounts.accept(token, name="Nina Again")
    assert len(accounts.rows(Membership, Membership.organization_id == admin.organization_id)) == 2
    assert len(accounts.rows(AuthSession, AuthSession.user_id != admin.user_id)) == 1


def test_an_expired_invitation_is_refused(accounts: Accounts, admin: Member) -> None:
    token = accounts.invite(admin.identity, NEWCOMER, Role.REP.value)
    accounts.set(Invitation, {"expires_at": utcnow() - timedelta(seconds=1)})
    with pytest.raises(AccountError, match="expired"):
        accounts.accept(token, name="Nina New")
    with pytest.raises(AccountError, match="expired"):
        accounts.call(invitations.preview_invitation, token=token)
    assert accounts.rows(User, User.email == NEWCOMER) == []
    assert pending(accounts, admin) == []


@pytest.mark.parametrize("forged", ["", "forged", "A" * 43, "A" * 300])
def test_a_forged_invitation_is_refused(accounts: Accounts, admin: Member, forged: str) -> None:
    accounts.invite(admin.identity, NEWCOMER, Role.ADMIN.value)
    with pytest.raises(AccountError, match="not valid"):
        accounts.accept(forged, name="Mallory")
    assert accounts.rows(User, User.email == NEWCOMER) == []


def test_a_weak_password_on_the_join_page_is_refused_and_the_link_still_works(
    accounts: Accounts, admin: Member
) -> None:
    token = accounts.invite(admin.identity, NEWCOMER, Role.REP.value)
    with pytest.raises(AccountError, match="too common"):
        accounts.accept(token, name="Nina New", password="qwerty123")
    with pytest.raises(AccountError, match="your name"):
        accounts.accept(token, name="  ")
    assert accounts.rows(User, User.email == NEWCOMER) == []
    assert accounts.resolve(accounts.accept(token, name="Nina New")) is not None


def test_a_new_invitation_replaces_the_pending_one(accounts: Accounts, admin: Member) -> None:
    first = accounts.invite(admin.identity, NEWCOMER, Role.ADMIN.value)
    second = accounts.invite(admin.identity, NEWCOMER, Role.REP.value)
    with pytest.raises(AccountError, match="not valid"):
        accounts.accept(first, name="Nina New")
    assert [row.role for row in pending(accounts, admin)] == ["rep"]
    assert accounts.identity(accounts.accept(second, name="Nina New")).role == "rep"


def test_a_revoked_invitation_cannot_be_accepted(accounts: Accounts, admin: Member) -> None:
    token = accounts.invite(admin.identity, NEWCOMER, Role.REP.value)
    [row] = pending(accounts, admin)
    assert row.email == NEWCOMER
    accounts.call(invitations.revoke_invitation, identity=admin.identity, invitation_id=row.id)
    assert pending(accounts, admin) == []
    with pytest.raises(AccountError, match="not valid"):
        accounts.accept(token, name="Nina New")
    assert "member.invitation_revoked" in accounts.actions(admin.organization_id)


def test_an_accepted_invitation_cannot_be_revoked(accounts: Accounts, admin: Member) -> None:
    token = accounts.invite(admin.identity, NEWCOMER, Role.REP.value)
    [row] = pending(accounts, admin)
    accounts.accept(token, name="Nina New")
    with pytest.raises(AccountError, match="no longer exists"):
        accounts.call(invitations.revoke_invitation, identity=admin.identity, invitation_id=row.id)
    assert accounts.one(Invitation, Invitation.id == row.id).revoked_at is None


def test_reps_cannot_see_or_revoke_invitations(accounts: Accounts, team: Staff) -> None:
    accounts.invite(team.admin.identity, NEWCOMER, Role.REP.value)
    [row] = pending(accounts, team.manager)
    with pytest.raises(PermissionDenied):
        pending(accounts, team.rep)
    with pytest.raises(PermissionDenied):
        accounts.call(
            invitations.revoke_invitation, identity=team.rep.identity, invitation_id=row.id
        )
    assert accounts.one(Invitation, Invitation.id == row.id).revoked_at is None


# People who already have an account.


def test_an_existing_user_joins_with_their_own_password(
    accounts: Accounts, admin: Member, rival: Member
) -> None:
    token = accounts.invite(admin.identity, rival.email, Role.REP.value)
    assert accounts.call(invitations.preview_invitation, token=token).has_account
    session_token = accounts.accept(token, password=PASSWORD)
    identity = accounts.identity(session_token)
    assert (identity.user_id, identity.organization_id, identity.role) == (
        rival.user_id,
        admin.organization_id,
        "rep",
    )
    # Their own organisation and session are untouched.
    assert accounts.identity(rival.token).organization_id == rival.organization_id
    assert accounts.identity(rival.token).role == "admin"
    assert len(accounts.rows(User, User.email == rival.email)) == 1


def test_an_existing_user_with_the_wrong_password_is_refused(
    accounts: Accounts, admin: Member, rival: Member
) -> None:
    token = accounts.invite(admin.identity, rival.email, Role.ADMIN.value)
    with pytest.raises(AccountError, match="doesn't match your existing QuotaHit account"):
        accounts.accept(token, password=OTHER_PASSWORD)
    assert (
        accounts.rows(
            Membership,
            Membership.user_id == rival.user_id,
            Membership.organization_id == admin.organization_id,
        )
        == []
    )
    assert accounts.one(Invitation, Invitation.email == rival.email).accepted_at is None
    # The password on record did not change either.
    assert accounts.log_in(rival.email, PASSWORD)


def test_an_invitation_link_is_not_a_password_oracle(
    accounts: Accounts, admin: Member, rival: Member
) -> None:
    token = accounts.invite(admin.identity, rival.email, "rep")
    for attempt in range(PER_ACCOUNT):
        with pytest.raises(AccountError, match="doesn't match"):
            accounts.call(
                invitations.accept_invitation,
                token=token,
                password=f"guess {attempt}",
                throttle=accounts.throttle,
                ip_address="203.0.113.5",
            )
    with pytest.raises(AccountError, match="Too many attempts"):
        accounts.call(
            invitations.accept_invitation,
            token=token,
            password=PASSWORD,
            throttle=accounts.throttle,
            ip_address="203.0.113.5",
        )
