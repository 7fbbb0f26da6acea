"""Teams inside an organisation: created by admins, each optionally led by a manager."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from quotahit.accounts.identity import AccountError, Identity, PermissionDenied
from quotahit.accounts.models import Membership, Role, Team, User
from quotahit.audit import service as audit
from quotahit.db import tenant_get, tenant_select


@dataclass(frozen=True)
class TeamRow:
    """A team as the team page lists it."""

    id: int
    name: str
    manager_name: str
    member_count: int


def _require_admin(identity: Identity) -> None:
    if not identity.is_admin:
        raise PermissionDenied("Only admins can manage teams.")


def _clean_team_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise AccountError("Give the team a name.")
    if len(name) > 120:
        raise AccountError("Team names have at most 120 characters.")
    return name


def list_teams(*, db_session: Session, identity: Identity) -> list[TeamRow]:
    """Every team of the caller's organisation with its manager and size."""
    teams = db_session.exec(
        tenant_select(Team, identity.organization_id).order_by(func.lower(Team.name))
    ).all()
    counts = dict(
        db_session.exec(
            select(Membership.team_id, func.count())
            .where(
                Membership.organization_id == identity.organization_id,
                Membership.is_active,
                Membership.team_id.is_not(None),  # type: ignore[union-attr]
            )
            .group_by(Membership.team_id)
        ).all()
    )
    manager_ids = {team.manager_id for team in teams if team.manager_id}
    names = dict(
        db_session.exec(select(User.id, User.name).where(User.id.in_(manager_ids))).all()  # type: ignore[union-attr]
    )
    return [
        TeamRow(
            id=team.id or 0,
            name=team.name,
            manager_name=names.get(team.manager_id, ""),
            member_count=int(counts.get(team.id, 0)),
        )
        for team in teams
    ]


def create_team(*, db_session: Session, identity: Identity, name: str) -> TeamRow:
    """Add a team to the caller's organisation (admins only; names are unique per organisation)."""
    _require_admin(identity)
    clean = _clean_team_name(name)
    duplicate = db_session.exec(
        tenant_select(Team, identity.organization_id).where(func.lower(Team.name) == clean.lower())
    ).first()
    if duplicate is not None:
        raise AccountError(f"There is already a team called “{clean}”.")
    team = Team(organization_id=identity.organization_id, name=clean)
    db_session.add(team)
    db_session.flush()
    audit.record(
        db_session=db_session,
        action="team.created",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="team",
        target_id=team.id or "",
        details={"name": clean},
    )
    db_session.commit()
    return TeamRow(id=team.id or 0, name=clean, manager_name="", member_count=0)


def delete_team(*, db_session: Session, identity: Identity, team_id: int) -> None:
    """Remove a team; its members stay in the organisation without a team."""
    _require_admin(identity)
    team = tenant_get(db_session, Team, organization_id=identity.organization_id, row_id=team_id)
    if team is None:
        raise AccountError("That team no longer exists.")
    members = db_session.exec(
        tenant_select(Membership, identity.organization_id).where(Membership.team_id == team_id)
    ).all()
    for membership in members:
        membership.team_id = None
        db_session.add(membership)
    db_session.flush()
    db_session.delete(team)
    audit.record(
        db_session=db_session,
        action="team.deleted",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="team",
        target_id=team_id,
        details={"name": team.name},
    )
    db_session.commit()


def assign_member(
    *, db_session: Session, identity: Identity, membership_id: int, team_id: int | None
) -> None:
    """Put a member in a team (or none); a manager put in a team with no lead becomes its lead."""
    _require_admin(identity)
    membership = tenant_get(
        db_session, Membership, organization_id=identity.organization_id, row_id=membership_id
    )
    if membership is None:
        raise AccountError("That member no longer exists.")
    team = None
    if team_id is not None:
        team = tenant_get(
            db_session, Team, organization_id=identity.organization_id, row_id=team_id
        )
        if team is None:
            raise AccountError("That team no longer exists.")
    previous = membership.team_id
    membership.team_id = team_id
    db_session.add(membership)
    if team is not None and team.manager_id is None and membership.role == Role.MANAGER.value:
        team.manager_id = membership.user_id
        db_session.add(team)
    if previous is not None and previous != team_id:
        old = db_session.get(Team, previous)
        if old is not None and old.manager_id == membership.user_id:
            old.manager_id = None
            db_session.add(old)
    audit.record(
        db_session=db_session,
        action="team.member_assigned",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="user",
        target_id=membership.user_id,
        details={"team": team.name if team else None},
    )
    db_session.commit()
