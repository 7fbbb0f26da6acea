"""Members of an organisation: searching them, changing roles, deactivating and reactivating."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, select

from quotahit.accounts.identity import AccountError, Identity, PermissionDenied, parse_role
from quotahit.accounts.models import (
    AuthSession,
    Membership,
    Organization,
    Role,
    Team,
    User,
)
from quotahit.audit import service as audit
from quotahit.db import as_utc, like_pattern, tenant_get, tenant_select, utcnow


@dataclass(frozen=True)
class MemberRow:
    """One member as the team and admin pages list them."""

    membership_id: int
    user_id: int
    name: str
    email: str
    title: str
    role: str
    is_active: bool
    organization_name: str
    last_login: str
    team_id: int = 0
    team_name: str = ""


def search_members(
    *,
    db_session: Session,
    identity: Identity,
    query: str = "",
    all_organizations: bool = False,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[MemberRow], int]:
    """Members of the caller's organisation; platform admins may search every organisation."""
    if all_organizations and not identity.is_platform_admin:
        raise PermissionDenied("Only platform administrators can search every organisation.")
    statement = (
        select(Membership, User, Organization, Team.name)
        .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
        .join(Organization, Organization.id == Membership.organization_id)  # type: ignore[arg-type]
        .outerjoin(Team, Team.id == Membership.team_id)  # type: ignore[arg-type]
    )
    count = (
        select(func.count()).select_from(Membership).join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
    )
    if not all_organizations:
        statement = statement.where(Membership.organization_id == identity.organization_id)
        count = count.where(Membership.organization_id == identity.organization_id)
    if query.strip():
        pattern = like_pattern(query)
        condition = or_(
            func.lower(User.name).like(pattern, escape="\\"),
            func.lower(User.email).like(pattern, escape="\\"),
        )
        statement, count = statement.where(condition), count.where(condition)
    rows = db_session.exec(
        statement.order_by(func.lower(User.name), Membership.id).offset(offset).limit(limit)
    ).all()
    members = [
        _row(membership, user, organization, team_name or "")
        for membership, user, organization, team_name in rows
    ]
    return members, int(db_session.exec(count).one())


def _membership_for_admin(
    db_session: Session, identity: Identity, membership_id: int
) -> Membership:
    if not identity.is_admin:
        raise PermissionDenied("Only admins can change roles and deactivate members.")
    if identity.is_platform_admin:
        membership = db_session.get(Membership, membership_id)
    else:
        membership = tenant_get(
            db_session, Membership, organization_id=identity.organization_id, row_id=membership_id
        )
    if membership is None:
        raise AccountError("That member no longer exists.")
    return membership


def _active_admin_count(db_session: Session, organization_id: int) -> int:
    return int(
        db_session.exec(
            select(func.count())
            .select_from(Membership)
            .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
            .where(
                Membership.organization_id == organization_id,
                Membership.role == Role.ADMIN.value,
                Membership.is_active,
                User.is_active,
            )
        ).one()
    )


def _is_active_member(db_session: Session, membership: Membership) -> bool:
    user = db_session.get(User, membership.user_id)
    return membership.is_active and user is not None and user.is_active


def _release_team_leadership(db_session: Session, membership: Membership) -> None:
    """A member who stops managing (demoted or deactivated) no longer leads their teams."""
    led = db_session.exec(
        tenant_select(Team, membership.organization_id).where(Team.manager_id == membership.user_id)
    ).all()
    for team in led:
        team.manager_id = None
        db_session.add(team)


def change_role(
    *, db_session: Session, identity: Identity, membership_id: int, role: str
) -> MemberRow:
    """Give a member another role (admins only; an organisation always keeps one admin)."""
    membership = _membership_for_admin(db_session, identity, membership_id)
    role_value = parse_role(role)
    previous = membership.role
    if previous == role_value:
        raise AccountError("That member already has this role.")
    if (
        previous == Role.ADMIN.value
        and _is_active_member(db_session, membership)
        and _active_admin_count(db_session, membership.organization_id) <= 1
    ):
        raise AccountError("An organisation needs at least one admin. Promote someone else first.")
    membership.role = role_value
    db_session.add(membership)
    if previous == Role.MANAGER.value:
        _release_team_leadership(db_session, membership)
    audit.record(
        db_session=db_session,
        action="member.role_changed",
        organization_id=membership.organization_id,
        actor_id=identity.user_id,
        target_type="user",
        target_id=membership.user_id,
        details={"from": previous, "to": role_value},
    )
    db_session.commit()
    return _member_row(db_session, membership)


def set_member_active(
    *, db_session: Session, identity: Identity, membership_id: int, active: bool
) -> MemberRow:
    """Deactivate (ending their sessions at once) or reactivate a member; admins only."""
    membership = _membership_for_admin(db_session, identity, membership_id)
    if membership.user_id == identity.user_id:
        raise AccountError("You can't deactivate yourself.")
    if membership.is_active == active:
        raise AccountError("Nothing to change.")
    if (
        not active
        and membership.role == Role.ADMIN.value
        and _active_admin_count(db_session, membership.organization_id) <= 1
    ):
        raise AccountError("An organisation needs at least one admin.")
    membership.is_active = active
    db_session.add(membership)
    if not active:
        _release_team_leadership(db_session, membership)
        sessions = db_session.exec(
            select(AuthSession).where(
                AuthSession.user_id == membership.user_id,
                AuthSession.organization_id == membership.organization_id,
                AuthSession.revoked_at.is_(None),  # type: ignore[union-attr]
            )
        ).all()
        for record in sessions:
            record.revoked_at = utcnow()
            db_session.add(record)
    audit.record(
        db_session=db_session,
        action="member.reactivated" if active else "member.deactivated",
        organization_id=membership.organization_id,
        actor_id=identity.user_id,
        target_type="user",
        target_id=membership.user_id,
    )
    db_session.commit()
    return _member_row(db_session, membership)


def _row(
    membership: Membership, user: User, organization: Organization, team_name: str
) -> MemberRow:
    return MemberRow(
        membership_id=membership.id or 0,
        user_id=user.id or 0,
        name=user.name,
        email=user.email,
        title=user.title,
        role=membership.role,
        is_active=membership.is_active and user.is_active,
        organization_name=organization.name,
        last_login=(
            as_utc(user.last_login_at).strftime("%Y-%m-%d %H:%M") if user.last_login_at else ""
        ),
        team_id=membership.team_id or 0,
        team_name=team_name,
    )


def _member_row(db_session: Session, membership: Membership) -> MemberRow:
    user = db_session.get(User, membership.user_id)
    organization = db_session.get(Organization, membership.organization_id)
    assert user is not None
    assert organization is not None
    team = db_session.get(Team, membership.team_id) if membership.team_id else None
    return _row(membership, user, organization, team.name if team else "")


def user_names(*, db_session: Session, user_ids: set[int]) -> dict[int, str]:
    """Display names for a set of user ids (audit and activity lists)."""
    if not user_ids:
        return {}
    rows = db_session.exec(select(User.id, User.name).where(User.id.in_(user_ids))).all()  # type: ignore[union-attr]
    return {user_id: name for user_id, name in rows if user_id is not None}
