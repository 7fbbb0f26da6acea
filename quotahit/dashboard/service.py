"""The dashboard's numbers and suggestions, computed from what really happened."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from quotahit.accounts import members
from quotahit.accounts.models import Invitation, Membership, User
from quotahit.accounts.service import Identity
from quotahit.audit import service as audit
from quotahit.db import as_utc, tenant_select, utcnow

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class ActivityItem:
    """One line of the recent-activity list."""

    when: str
    text: str
    icon: str


@dataclass(frozen=True)
class NextStep:
    """A suggestion of what to do next, with where to do it."""

    title: str
    hint: str
    route: str


@dataclass(frozen=True)
class DashboardSummary:
    """Everything the dashboard home shows."""

    first_name: str
    member_count: int
    active_members_this_week: int
    sign_ins_this_week: int
    my_sign_ins_this_week: int
    invitations_this_week: int
    joined_this_week: int
    pending_invitations: int
    recent: list[ActivityItem] = field(default_factory=list)
    next_steps: list[NextStep] = field(default_factory=list)


_ICONS = {
    "account.logged_in": "log_in",
    "account.signed_up": "sparkles",
    "member.invited": "mail_plus",
    "member.joined": "user_plus",
    "member.role_changed": "shield",
    "member.deactivated": "user_x",
    "member.reactivated": "user_check",
}


STAT_ICONS = ("users", "activity", "log_in", "user_plus")
ACTIVITY_ICONS = ("activity", *sorted(set(_ICONS.values()) - {"activity"}))


def describe(action: str, actor: str, details_json: str) -> str:
    """A sentence for an audit entry, as a person would say it."""
    try:
        details = json.loads(details_json)
    except ValueError:
        details = {}
    sentences = {
        "account.signed_up": f"{actor} created the workspace",
        "account.email_confirmed": f"{actor} confirmed their e-mail",
        "account.logged_in": f"{actor} signed in",
        "account.logged_out": f"{actor} signed out",
        "account.logged_out_everywhere": f"{actor} signed out on every device",
        "account.login_failed": "A failed sign-in attempt",
        "account.password_changed": f"{actor} changed their password",
        "account.password_reset": f"{actor} reset their password",
        "account.profile_updated": f"{actor} updated their profile",
        "member.invited": f"{actor} invited {details.get('email', 'someone')} as "
        f"{details.get('role', 'a member')}",
        "member.invitation_revoked": f"{actor} revoked the invitation to "
        f"{details.get('email', 'someone')}",
        "member.joined": f"{actor} joined as {details.get('role', 'a member')}",
        "member.role_changed": f"{actor} changed a role from {details.get('from', '?')} to "
        f"{details.get('to', '?')}",
        "member.deactivated": f"{actor} deactivated a member",
        "account.session_revoked": f"{actor} signed out another device",
        "team.created": f"{actor} created the team {details.get('name', '')}".rstrip(),
        "team.deleted": f"{actor} deleted the team {details.get('name', '')}".rstrip(),
        "team.member_assigned": (
            f"{actor} moved a member to {details['team']}"
            if details.get("team")
            else f"{actor} took a member out of their team"
        ),
        "member.reactivated": f"{actor} reactivated a member",
    }
    return sentences.get(action, f"{actor}: {action}")


def _relative(moment: datetime, now: datetime) -> str:
    seconds = int((now - as_utc(moment)).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def summarize(
    *, db_session: Session, identity: Identity, now: datetime | None = None
) -> DashboardSummary:
    """This week's activity, recent items and next steps for the caller."""
    now = now or utcnow()
    since = now - WEEK
    org = identity.organization_id
    user = db_session.get(User, identity.user_id)
    assert user is not None
    member_count = int(
        db_session.exec(
            select(func.count()).select_from(
                tenant_select(Membership, org).where(Membership.is_active).subquery()
            )
        ).one()
    )
    pending = int(
        db_session.exec(
            select(func.count()).select_from(
                tenant_select(Invitation, org)
                .where(
                    Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
                    Invitation.revoked_at.is_(None),  # type: ignore[union-attr]
                    Invitation.expires_at >= now,
                )
                .subquery()
            )
        ).one()
    )
    counts = audit.count_by_action(db_session=db_session, organization_id=org, since=since)
    mine = audit.count_by_action(
        db_session=db_session, organization_id=org, since=since, actor_id=identity.user_id
    )
    sees_team = identity.can_invite or identity.role == "enablement"
    entries = audit.recent(
        db_session=db_session,
        organization_id=org,
        actor_id=None if sees_team else identity.user_id,
    )
    names = members.user_names(
        db_session=db_session, user_ids={entry.actor_id for entry in entries if entry.actor_id}
    )
    recent_items = [
        ActivityItem(
            when=_relative(entry.created_at, now),
            text=describe(
                entry.action,
                "You"
                if entry.actor_id == identity.user_id
                else names.get(entry.actor_id or 0, "Someone"),
                entry.details,
            ),
            icon=_ICONS.get(entry.action, "activity"),
        )
        for entry in entries
    ]
    steps: list[NextStep] = []
    if not user.title or user.time_zone == "UTC":
        steps.append(
            NextStep(
                "Complete your profile",
                "Add your title and time zone so coaching and schedules fit you.",
                "/settings",
            )
        )
    if identity.can_invite and member_count <= 1 and pending == 0:
        steps.append(
            NextStep(
                "Invite your team",
                "QuotaHit is built for teams: invite your reps and managers.",
                "/team",
            )
        )
    if pending > 0 and identity.can_invite:
        steps.append(
            NextStep(
                f"{pending} invitation(s) waiting",
                "Remind your teammates to accept, or revoke stale invitations.",
                "/team",
            )
        )
    if identity.is_admin and member_count > 1:
        steps.append(
            NextStep(
                "Review roles and access",
                "Check who is an admin or manager, and read the audit log.",
                "/admin",
            )
        )
    return DashboardSummary(
        first_name=user.name.split()[0] if user.name else "",
        member_count=member_count,
        active_members_this_week=audit.count_distinct_actors(
            db_session=db_session, organization_id=org, action="account.logged_in", since=since
        ),
        sign_ins_this_week=counts.get("account.logged_in", 0),
        my_sign_ins_this_week=mine.get("account.logged_in", 0),
        invitations_this_week=counts.get("member.invited", 0),
        joined_this_week=counts.get("member.joined", 0),
        pending_invitations=pending,
        recent=recent_items,
        next_steps=steps,
    )
