"""Teams: created and deleted by admins, members assigned, managers leading, per organisation."""

from __future__ import annotations

import pytest

from quotahit.accounts import members, teams
from quotahit.accounts.models import Membership, Team
from quotahit.accounts.service import AccountError, Identity, PermissionDenied
from tests.integration.conftest import Accounts, Member, Staff


def create(accounts: Accounts, by: Identity, name: str) -> teams.TeamRow:
    return accounts.call(teams.create_team, identity=by, name=name)


def assign(accounts: Accounts, by: Identity, member: Member, team_id: int | None) -> None:
    accounts.call(
        teams.assign_member, identity=by, membership_id=member.membership_id, team_id=team_id
    )


def listed(accounts: Accounts, by: Identity) -> list[tuple[str, str, int]]:
    rows = accounts.call(teams.list_teams, identity=by)
    return [(row.name, row.manager_name, row.member_count) for row in rows]


def team_of(accounts: Accounts, member: Member) -> int | None:
    return accounts.one(Membership, Membership.id == member.membership_id).team_id


def test_an_admin_creates_teams(accounts: Accounts, admin: Member) -> None:
    row = create(accounts, admin.identity, "  West   Coast ")
    create(accounts, admin.identity, "east coast")
    assert (row.name, row.member_count) == ("West Coast", 0)
    assert listed(accounts, admin.identity) == [("east coast", "", 0), ("West Coast", "", 0)]
    created = [
        (actor, details)
        for action, actor, details in accounts.audit(admin.organization_id)
        if action == "team.created"
    ]
    assert created == [
        (admin.user_id, {"name": "West Coast"}),
        (admin.user_id, {"name": "east coast"}),
    ]


@pytest.mark.parametrize(
    ("name", "reason"), [("WEST coast", "already a team"), ("  ", "a name"), ("x" * 121, "120")]
)
def test_team_names_are_required_bounded_and_unique(
    accounts: Accounts, admin: Member, name: str, reason: str
) -> None:
    create(accounts, admin.identity, "West Coast")
    with pytest.raises(AccountError, match=reason):
        create(accounts, admin.identity, name)
    assert len(accounts.rows(Team)) == 1


@pytest.mark.parametrize("who", ["manager", "rep"])
def test_only_admins_manage_teams(accounts: Accounts, team: Staff, who: str) -> None:
    caller: Member = getattr(team, who)
    west = create(accounts, team.admin.identity, "West")
    with pytest.raises(PermissionDenied):
        create(accounts, caller.identity, "Mine")
    with pytest.raises(PermissionDenied):
        assign(accounts, caller.identity, caller, west.id)
    with pytest.raises(PermissionDenied):
        accounts.call(teams.delete_team, identity=caller.identity, team_id=west.id)
    assert [row.name for row in accounts.rows(Team)] == ["West"]
    assert team_of(accounts, caller) is None
    # Everyone in the organisation may read the list.
    assert listed(accounts, caller.identity) == [("West", "", 0)]


def test_a_manager_put_in_a_team_without_a_lead_leads_it(accounts: Accounts, team: Staff) -> None:
    west = create(accounts, team.admin.identity, "West")
    assign(accounts, team.admin.identity, team.rep, west.id)
    assign(accounts, team.admin.identity, team.manager, west.id)
    assert listed(accounts, team.admin.identity) == [("West", "Max Manager", 2)]
    rows, _ = accounts.call(members.search_members, identity=team.admin.identity, query="rita")
    assert [(row.team_id, row.team_name) for row in rows] == [(west.id, "West")]


def test_a_rep_does_not_become_lead(accounts: Accounts, team: Staff) -> None:
    west = create(accounts, team.admin.identity, "West")
    assign(accounts, team.admin.identity, team.rep, west.id)
    assert listed(accounts, team.admin.identity) == [("West", "", 1)]


def test_moving_the_lead_frees_the_old_team(accounts: Accounts, team: Staff) -> None:
    west = create(accounts, team.admin.identity, "West")
    east = create(accounts, team.admin.identity, "East")
    assign(accounts, team.admin.identity, team.manager, west.id)
    assign(accounts, team.admin.identity, team.manager, east.id)
    assert listed(accounts, team.admin.identity) == [("East", "Max Manager", 1), ("West", "", 0)]
    assign(accounts, team.admin.identity, team.manager, None)
    assert team_of(accounts, team.manager) is None
    assert listed(accounts, team.admin.identity) == [("East", "", 0), ("West", "", 0)]


def test_deleting_a_team_keeps_its_members(accounts: Accounts, team: Staff) -> None:
    west = create(accounts, team.admin.identity, "West")
    assign(accounts, team.admin.identity, team.manager, west.id)
    assign(accounts, team.admin.identity, team.rep, west.id)
    accounts.call(teams.delete_team, identity=team.admin.identity, team_id=west.id)
    assert accounts.rows(Team) == []
    assert (team_of(accounts, team.manager), team_of(accounts, team.rep)) == (None, None)
    assert accounts.resolve(team.rep.token) is not None
    assert "team.deleted" in accounts.actions(team.admin.organization_id)
    with pytest.raises(AccountError, match="no longer exists"):
        accounts.call(teams.delete_team, identity=team.admin.identity, team_id=west.id)


def test_teams_are_isolated_between_organisations(
    accounts: Accounts, team: Staff, rival: Member
) -> None:
    west = create(accounts, team.admin.identity, "West")
    globex = create(accounts, rival.identity, "Globex Team")
    assert listed(accounts, rival.identity) == [("Globex Team", "", 0)]
    # Gus (Globex) cannot touch Acme's team or members ...
    with pytest.raises(AccountError, match="no longer exists"):
        accounts.call(teams.delete_team, identity=rival.identity, team_id=west.id)
    with pytest.raises(AccountError, match="member no longer exists"):
        assign(accounts, rival.identity, team.rep, globex.id)
    # ... and Ada cannot put her rep into Globex's team.
    with pytest.raises(AccountError, match="team no longer exists"):
        assign(accounts, team.admin.identity, team.rep, globex.id)
    assert team_of(accounts, team.rep) is None
    assert {row.name for row in accounts.rows(Team)} == {"West", "Globex Team"}
    # The same name may be used by another organisation.
    assert create(accounts, rival.identity, "West").name == "West"


@pytest.mark.parametrize("change", ["demote", "deactivate"])
def test_a_manager_who_stops_managing_no_longer_leads(
    accounts: Accounts, team: Staff, change: str
) -> None:
    row = create(accounts, team.admin.identity, "West Coast")
    assign(accounts, team.admin.identity, team.manager, row.id)
    assert listed(accounts, team.admin.identity) == [("West Coast", "Max Manager", 1)]
    if change == "demote":
        accounts.call(
            members.change_role,
            identity=team.admin.identity,
            membership_id=team.manager.membership_id,
            role="rep",
        )
        expected = [("West Coast", "", 1)]
    else:
        accounts.call(
            members.set_member_active,
            identity=team.admin.identity,
            membership_id=team.manager.membership_id,
            active=False,
        )
        expected = [("West Coast", "", 0)]
    assert listed(accounts, team.admin.identity) == expected
    assert accounts.one(Team, Team.id == row.id).manager_id is None
