"""Roles, deactivation, member search, and isolation between organisations."""

from __future__ import annotations

import pytest

from quotahit.accounts import invitations, members
from quotahit.accounts.models import AuthSession, Invitation, Membership, Role, User
from quotahit.accounts.service import AccountError, Identity, PermissionDenied
from quotahit.audit import service as audit_service
from tests.integration.conftest import Accounts, Member, Staff


def change_role(
    accounts: Accounts, by: Identity, membership_id: int, role: str
) -> members.MemberRow:
    return accounts.call(members.change_role, identity=by, membership_id=membership_id, role=role)


def set_active(
    accounts: Accounts, by: Identity, membership_id: int, active: bool
) -> members.MemberRow:
    return accounts.call(
        members.set_member_active, identity=by, membership_id=membership_id, active=active
    )


def role_of(accounts: Accounts, membership_id: int) -> str:
    return accounts.one(Membership, Membership.id == membership_id).role


def search(accounts: Accounts, by: Identity, **kwargs: object) -> tuple[list[str], int]:
    rows, total = accounts.call(members.search_members, identity=by, **kwargs)
    return [row.email for row in rows], total


# Roles.


def test_an_admin_changes_a_role(accounts: Accounts, team: Staff) -> None:
    row = change_role(accounts, team.admin.identity, team.rep.membership_id, Role.MANAGER.value)
    assert (row.email, row.role, row.organization_name) == ("rita@acme.example", "manager", "Acme")
    assert role_of(accounts, team.rep.membership_id) == "manager"
    # The next request of the member sees the new role: it is read from the database.
    assert accounts.identity(team.rep.token).role == "manager"
    [(_action, actor, details)] = [
        entry
        for entry in accounts.audit(team.admin.organization_id)
        if entry[0] == "member.role_changed"
    ]
    assert (actor, details) == (team.admin.user_id, {"from": "rep", "to": "manager"})


@pytest.mark.parametrize("who", ["manager", "rep"])
def test_only_admins_change_roles(accounts: Accounts, team: Staff, who: str) -> None:
    caller: Member = getattr(team, who)
    with pytest.raises(PermissionDenied):
        change_role(accounts, caller.identity, team.rep.membership_id, Role.ADMIN.value)
    with pytest.raises(PermissionDenied):
        change_role(accounts, caller.identity, caller.membership_id, Role.ADMIN.value)
    assert role_of(accounts, team.rep.membership_id) == "rep"
    assert role_of(accounts, caller.membership_id) == who
    assert "member.role_changed" not in accounts.actions()


def test_a_stale_identity_does_not_keep_admin_powers(accounts: Accounts, team: Staff) -> None:
    # Once demoted, the services see the new role through the freshly resolved identity.
    second_admin = team.manager
    change_role(accounts, team.admin.identity, second_admin.membership_id, Role.ADMIN.value)
    change_role(accounts, team.admin.identity, second_admin.membership_id, Role.REP.value)
    fresh = accounts.identity(second_admin.token)
    with pytest.raises(PermissionDenied):
        change_role(accounts, fresh, team.rep.membership_id, Role.ADMIN.value)


def test_the_last_admin_cannot_be_demoted(accounts: Accounts, team: Staff) -> None:
    with pytest.raises(AccountError, match="at least one admin"):
        change_role(accounts, team.admin.identity, team.admin.membership_id, Role.REP.value)
    assert role_of(accounts, team.admin.membership_id) == "admin"


def test_an_admin_can_step_down_once_there_is_another(accounts: Accounts, team: Staff) -> None:
    change_role(accounts, team.admin.identity, team.manager.membership_id, Role.ADMIN.value)
    change_role(accounts, team.admin.identity, team.admin.membership_id, Role.MANAGER.value)
    assert role_of(accounts, team.admin.membership_id) == "manager"
    # Now the other one is the last admin.
    new_admin = accounts.identity(team.manager.token)
    with pytest.raises(AccountError, match="at least one admin"):
        change_role(accounts, new_admin, team.manager.membership_id, Role.REP.value)


def test_change_role_refuses_unknown_or_unchanged_roles(accounts: Accounts, team: Staff) -> None:
    with pytest.raises(AccountError, match="Unknown role"):
        change_role(accounts, team.admin.identity, team.rep.membership_id, "superuser")
    with pytest.raises(AccountError, match="already has this role"):
        change_role(accounts, team.admin.identity, team.rep.membership_id, Role.REP.value)
    with pytest.raises(AccountError, match="no longer exists"):
        change_role(accounts, team.admin.identity, 987_654, Role.REP.value)


# Deactivation.


def test_admins_cannot_deactivate_themselves(accounts: Accounts, team: Staff) -> None:
    with pytest.raises(AccountError, match="can't deactivate yourself"):
        set_active(accounts, team.admin.identity, team.admin.membership_id, False)
    assert accounts.resolve(team.admin.token) is not None


def test_only_admins_deactivate(accounts: Accounts, team: Staff) -> None:
    with pytest.raises(PermissionDenied):
        set_active(accounts, team.manager.identity, team.rep.membership_id, False)
    assert accounts.resolve(team.rep.token) is not None


def test_deactivating_twice_is_refused(accounts: Accounts, team: Staff) -> None:
    row = set_active(accounts, team.admin.identity, team.rep.membership_id, False)
    assert not row.is_active
    with pytest.raises(AccountError, match="Nothing to change"):
        set_active(accounts, team.admin.identity, team.rep.membership_id, False)


def test_the_last_active_admin_cannot_be_deactivated(accounts: Accounts, team: Staff) -> None:
    # A platform admin from elsewhere could otherwise leave Acme without an admin.
    accounts.set(User, {"is_platform_admin": True}, User.id == team.manager.user_id)
    platform = accounts.identity(team.manager.token)
    assert platform.is_platform_admin
    with pytest.raises(AccountError, match="at least one admin"):
        set_active(accounts, platform, team.admin.membership_id, False)
    assert accounts.resolve(team.admin.token) is not None


def test_a_deactivated_admin_can_be_demoted_while_another_admin_remains(
    accounts: Accounts, team: Staff
) -> None:
    change_role(accounts, team.admin.identity, team.manager.membership_id, Role.ADMIN.value)
    set_active(accounts, team.admin.identity, team.manager.membership_id, False)
    # Demoting the inactive admin leaves Acme with exactly as many active admins (one).
    row = change_role(accounts, team.admin.identity, team.manager.membership_id, Role.REP.value)
    assert row.role == "rep"
    assert role_of(accounts, team.manager.membership_id) == "rep"


# Search.


def test_search_lists_only_the_callers_organisation(
    accounts: Accounts, team: Staff, rival: Member
) -> None:
    emails, total = search(accounts, team.rep.identity)
    assert sorted(emails) == ["ada@acme.example", "max@acme.example", "rita@acme.example"]
    assert total == 3
    emails, total = search(accounts, rival.identity)
    assert (emails, total) == (["gus@globex.example"], 1)


def test_search_filters_by_name_or_e_mail(accounts: Accounts, team: Staff, rival: Member) -> None:
    assert search(accounts, team.admin.identity, query="RITA") == (["rita@acme.example"], 1)
    assert search(accounts, team.admin.identity, query="manager") == (["max@acme.example"], 1)
    # Gus is in the database but not in Acme.
    assert search(accounts, team.admin.identity, query="gus") == ([], 0)


def test_search_pages(accounts: Accounts, team: Staff) -> None:
    first, total = search(accounts, team.admin.identity, limit=2)
    second, _ = search(accounts, team.admin.identity, offset=2, limit=2)
    assert total == 3
    assert (len(first), len(second)) == (2, 1)
    assert set(first).isdisjoint(second)


def test_only_platform_admins_search_every_organisation(
    accounts: Accounts, team: Staff, rival: Member
) -> None:
    with pytest.raises(PermissionDenied):
        search(accounts, team.admin.identity, all_organizations=True)
    accounts.set(User, {"is_platform_admin": True}, User.id == team.admin.user_id)
    platform = accounts.identity(team.admin.token)
    emails, total = search(accounts, platform, all_organizations=True)
    assert total == 4
    assert "gus@globex.example" in emails
    # Without the flag even a platform admin sees one organisation at a time.
    assert search(accounts, platform)[1] == 3


def test_search_shows_deactivated_members_as_inactive(accounts: Accounts, team: Staff) -> None:
    set_active(accounts, team.admin.identity, team.rep.membership_id, False)
    rows, _ = accounts.call(members.search_members, identity=team.admin.identity, query="rita")
    assert [(row.email, row.is_active) for row in rows] == [("rita@acme.example", False)]


# Isolation between organisations.


def test_an_admin_cannot_change_a_role_in_another_organisation(
    accounts: Accounts, admin: Member, rival: Member
) -> None:
    with pytest.raises(AccountError, match="no longer exists"):
        change_role(accounts, admin.identity, rival.membership_id, Role.REP.value)
    assert role_of(accounts, rival.membership_id) == "admin"
    assert accounts.actions(rival.organization_id).count("member.role_changed") == 0


def test_an_admin_cannot_deactivate_a_member_of_another_organisation(
    accounts: Accounts, team: Staff, rival: Member
) -> None:
    globex_rep = accounts.add_member(rival, "ron@globex.example", Role.REP.value, "Ron Rep")
    with pytest.raises(AccountError, match="no longer exists"):
        set_active(accounts, team.admin.identity, globex_rep.membership_id, False)
    assert accounts.one(Membership, Membership.id == globex_rep.membership_id).is_active
    assert accounts.resolve(globex_rep.token) is not None
    assert (
        accounts.one(AuthSession, AuthSession.id == globex_rep.identity.session_id).revoked_at
        is None
    )


def test_an_admin_cannot_revoke_another_organisations_invitation(
    accounts: Accounts, admin: Member, rival: Member
) -> None:
    token = accounts.invite(rival.identity, "new@globex.example", Role.REP.value)
    invitation = accounts.one(Invitation, Invitation.email == "new@globex.example")
    with pytest.raises(AccountError, match="no longer exists"):
        accounts.call(
            invitations.revoke_invitation, identity=admin.identity, invitation_id=invitation.id
        )
    assert accounts.one(Invitation, Invitation.id == invitation.id).revoked_at is None
    assert accounts.resolve(accounts.accept(token, name="Nora New")) is not None


def test_pending_invitations_are_listed_per_organisation(
    accounts: Accounts, admin: Member, rival: Member
) -> None:
    accounts.invite(admin.identity, "only-acme@acme.example", Role.REP.value)
    accounts.invite(rival.identity, "only-globex@globex.example", Role.REP.value)
    acme = accounts.call(invitations.list_pending_invitations, identity=admin.identity)
    globex = accounts.call(invitations.list_pending_invitations, identity=rival.identity)
    assert [row.email for row in acme] == ["only-acme@acme.example"]
    assert [row.email for row in globex] == ["only-globex@globex.example"]


def test_platform_admins_may_administer_any_organisation(
    accounts: Accounts, team: Staff, rival: Member
) -> None:
    accounts.set(User, {"is_platform_admin": True}, User.id == rival.user_id)
    platform = accounts.identity(rival.token)
    change_role(accounts, platform, team.rep.membership_id, Role.MANAGER.value)
    assert role_of(accounts, team.rep.membership_id) == "manager"
    # The audit entry lands in the organisation whose member changed.
    assert "member.role_changed" in accounts.actions(team.admin.organization_id)
    assert "member.role_changed" not in accounts.actions(rival.organization_id)


def test_audit_log_lists_only_the_organisations_own_entries(
    accounts: Accounts, team: Staff, rival: Member
) -> None:
    change_role(accounts, team.admin.identity, team.rep.membership_id, Role.MANAGER.value)
    with accounts.session() as db_session:
        entries, total = audit_service.list_entries(
            db_session=db_session, organization_id=team.admin.organization_id
        )
        rival_entries, _ = audit_service.list_entries(
            db_session=db_session, organization_id=rival.organization_id
        )
        found, found_total = audit_service.list_entries(
            db_session=db_session, organization_id=team.admin.organization_id, search="role_CHANGED"
        )
    actions = {entry.action for entry in entries}
    assert {
        "account.signed_up",
        "account.email_confirmed",
        "account.logged_in",
        "member.invited",
        "member.joined",
        "member.role_changed",
    } <= actions
    assert total == len(entries)
    assert {entry.organization_id for entry in entries} == {team.admin.organization_id}
    assert {entry.organization_id for entry in rival_entries} == {rival.organization_id}
    assert [entry.action for entry in found] == ["member.role_changed"]
    assert found_total == 1
    # Newest first.
    assert entries[0].action == "member.role_changed"


@pytest.mark.parametrize("query", ["_", "%", "\\"])
def test_search_treats_wildcards_as_plain_text(accounts: Accounts, team: Staff, query: str) -> None:
    rows, total = accounts.call(members.search_members, identity=team.admin.identity, query=query)
    assert (rows, total) == ([], 0)
    if query != "_":  # action names such as member.role_changed really contain "_"
        entries, count = accounts.call(
            audit_service.list_entries, organization_id=team.admin.organization_id, search=query
        )
        assert (entries, count) == ([], 0)


def test_search_finds_a_literal_underscore(accounts: Accounts, admin: Member) -> None:
    accounts.add_member(admin, "under_score@acme.example", "rep", "Una Score")
    rows, total = accounts.call(members.search_members, identity=admin.identity, query="r_s")
    assert [row.email for row in rows] == ["under_score@acme.example"]
    assert total == 1
