"""The dashboard's numbers and suggestions, computed from what really happened."""

from __future__ import annotations

import re
from datetime import timedelta

from quotahit.accounts import members, service, sessions, teams
from quotahit.accounts.models import Role
from quotahit.dashboard import service as dashboard
from quotahit.dashboard.service import DashboardSummary
from quotahit.db import utcnow
from tests.integration.conftest import Accounts, Member, Staff


def summary(accounts: Accounts, member: Member, **kwargs: object) -> DashboardSummary:
    identity = accounts.identity(member.token)
    return accounts.call(dashboard.summarize, identity=identity, **kwargs)


def step_titles(result: DashboardSummary) -> list[str]:
    return [step.title for step in result.next_steps]


def test_a_founder_alone_is_told_to_invite_the_team(accounts: Accounts, admin: Member) -> None:
    result = summary(accounts, admin)
    assert result.first_name == "Ada"
    assert result.member_count == 1
    assert (result.sign_ins_this_week, result.my_sign_ins_this_week) == (1, 1)
    assert result.active_members_this_week == 1
    assert (result.pending_invitations, result.invitations_this_week) == (0, 0)
    assert step_titles(result) == ["Complete your profile", "Invite your team"]
    invite_step = result.next_steps[1]
    assert invite_step.route == "/team"
    texts = [item.text for item in result.recent]
    assert "You signed in" in texts
    assert "You created the workspace" in texts
    assert all(item.when == "just now" for item in result.recent)


def test_a_complete_profile_is_no_longer_suggested(accounts: Accounts, admin: Member) -> None:
    accounts.call(
        service.update_profile,
        identity=admin.identity,
        name="Ada Admin",
        title="VP Sales",
        time_zone="Europe/Paris",
    )
    assert "Complete your profile" not in step_titles(summary(accounts, admin))


def test_pending_invitations_are_counted_and_suggested(accounts: Accounts, admin: Member) -> None:
    accounts.invite(admin.identity, "nina@acme.example", Role.REP.value)
    result = summary(accounts, admin)
    assert result.pending_invitations == 1
    assert result.invitations_this_week == 1
    assert "1 invitation(s) waiting" in step_titles(result)
    assert "Invite your team" not in step_titles(result)
    assert any("invited nina@acme.example as rep" in item.text for item in result.recent)


def test_a_team_is_counted(accounts: Accounts, team: Staff) -> None:
    accounts.log_in(team.rep.email)
    result = summary(accounts, team.admin)
    assert result.member_count == 3
    assert result.joined_this_week == 2
    assert result.invitations_this_week == 2
    assert result.pending_invitations == 0
    assert result.sign_ins_this_week == 2  # Ada's log-in and Rita's; joining is not a log-in
    assert result.my_sign_ins_this_week == 1
    assert result.active_members_this_week == 2
    assert "Review roles and access" in step_titles(result)
    assert "Invite your team" not in step_titles(result)
    texts = [item.text for item in result.recent]
    assert "Rita Rep signed in" in texts
    assert "Max Manager joined as manager" in texts


def test_deactivated_members_are_not_counted(accounts: Accounts, team: Staff) -> None:
    accounts.call(
        members.set_member_active,
        identity=team.admin.identity,
        membership_id=team.rep.membership_id,
        active=False,
    )
    assert summary(accounts, team.admin).member_count == 2


def test_a_rep_sees_only_their_own_activity(accounts: Accounts, team: Staff) -> None:
    accounts.log_in(team.admin.email)
    accounts.log_in(team.rep.email)
    result = summary(accounts, team.rep)
    texts = [item.text for item in result.recent]
    assert texts
    assert all(text.startswith("You ") for text in texts)
    assert "You signed in" in texts
    assert "You joined as rep" in texts
    assert not any("Ada" in text or "Max" in text for text in texts)
    assert result.my_sign_ins_this_week == 1
    # Reps are not asked to invite or review roles.
    assert "Invite your team" not in step_titles(result)
    assert "Review roles and access" not in step_titles(result)


def test_a_manager_sees_the_teams_activity(accounts: Accounts, team: Staff) -> None:
    accounts.log_in(team.rep.email)
    texts = [item.text for item in summary(accounts, team.manager).recent]
    assert "Rita Rep signed in" in texts


def test_the_week_is_a_moving_window(accounts: Accounts, admin: Member) -> None:
    later = summary(accounts, admin, now=utcnow() + timedelta(days=8))
    assert later.sign_ins_this_week == 0
    assert later.active_members_this_week == 0
    assert later.member_count == 1
    assert {item.when for item in later.recent} == {"8 d ago"}


def test_organisations_do_not_see_each_other(
    accounts: Accounts, team: Staff, rival: Member
) -> None:
    result = summary(accounts, rival)
    assert result.member_count == 1
    assert result.sign_ins_this_week == 1
    assert not any("Rita" in item.text or "Ada" in item.text for item in result.recent)


def test_describe_reads_audit_details() -> None:
    text = dashboard.describe("member.role_changed", "Ada", '{"from": "rep", "to": "manager"}')
    assert text == "Ada changed a role from rep to manager"
    assert (
        dashboard.describe("member.invited", "Ada", "not json") == "Ada invited someone as a member"
    )
    assert dashboard.describe("something.new", "Ada", "{}") == "Ada: something.new"


def test_every_recorded_action_reads_as_a_sentence(accounts: Accounts, team: Staff) -> None:
    other = accounts.log_in(team.admin.email)
    accounts.call(
        sessions.revoke_session,
        identity=team.admin.identity,
        session_id=accounts.identity(other).session_id,
    )
    west = accounts.call(teams.create_team, identity=team.admin.identity, name="West")
    accounts.call(
        teams.assign_member,
        identity=team.admin.identity,
        membership_id=team.rep.membership_id,
        team_id=west.id,
    )
    accounts.call(teams.delete_team, identity=team.admin.identity, team_id=west.id)
    recent = summary(accounts, team.admin).recent
    raw = [item.text for item in recent if re.search(r": [a-z_]+\.[a-z_]+$", item.text)]
    assert raw == []
