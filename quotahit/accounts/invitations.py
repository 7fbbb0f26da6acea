"""Invitations: managers and admins invite by e-mail with a role; the invitee joins by link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from quotahit.accounts.identity import AccountError, Identity, PermissionDenied, parse_role
from quotahit.accounts.models import (
    Invitation,
    Membership,
    Organization,
    Role,
    User,
)
from quotahit.accounts.passwords import hash_password, verify_password
from quotahit.accounts.service import (
    AccountLinks,
    check_action_cap,
    clean_name,
    normalize_email,
    require_acceptable_password,
    send_quietly,
)
from quotahit.accounts.sessions import open_session
from quotahit.accounts.throttle import ActionThrottle, LoginThrottle
from quotahit.accounts.tokens import hash_token, new_token
from quotahit.audit import service as audit
from quotahit.db import as_utc, tenant_get, tenant_select, utcnow
from quotahit.providers.email import EmailSender, OutgoingEmail

INVITATION_TTL = timedelta(days=7)
ROLES_A_MANAGER_MAY_INVITE = frozenset({Role.REP.value, Role.MANAGER.value})


def invite(
    *,
    db_session: Session,
    identity: Identity,
    mailer: EmailSender,
    links: AccountLinks,
    email: str,
    role: str,
    ip_address: str = "",
    action_throttle: ActionThrottle | None = None,
) -> Invitation:
    """Invite someone by e-mail; managers may invite reps and managers, admins any role."""
    if not identity.can_invite:
        raise PermissionDenied("Only managers and admins can invite teammates.")
    check_action_cap(action_throttle, "invitation", f"user:{identity.user_id}")
    role_value = parse_role(role)
    if not identity.is_admin and role_value not in ROLES_A_MANAGER_MAY_INVITE:
        raise PermissionDenied("Managers can invite reps and managers; ask an admin for more.")
    address = normalize_email(email)
    existing_user = db_session.exec(select(User).where(User.email == address)).first()
    if existing_user is not None:
        member = db_session.exec(
            tenant_select(Membership, identity.organization_id).where(
                Membership.user_id == existing_user.id
            )
        ).first()
        if member is not None:
            raise AccountError(f"{address} is already a member of your organisation.")
    now = utcnow()
    pending = db_session.exec(
        tenant_select(Invitation, identity.organization_id).where(
            Invitation.email == address,
            Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
            Invitation.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    for earlier in pending:
        earlier.revoked_at = now
        db_session.add(earlier)
    raw, digest = new_token()
    invitation = Invitation(
        organization_id=identity.organization_id,
        email=address,
        role=role_value,
        token_hash=digest,
        invited_by_id=identity.user_id,
        expires_at=now + INVITATION_TTL,
    )
    db_session.add(invitation)
    db_session.flush()
    audit.record(
        db_session=db_session,
        action="member.invited",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="invitation",
        target_id=invitation.id or "",
        details={"email": address, "role": role_value},
        ip_address=ip_address,
    )
    db_session.commit()
    inviter = db_session.get(User, identity.user_id)
    organization = db_session.get(Organization, identity.organization_id)
    assert inviter is not None
    assert organization is not None
    send_quietly(
        mailer,
        OutgoingEmail(
            to_address=address,
            subject=f"{inviter.name} invited you to {organization.name} on QuotaHit",
            text_body=(
                f"{inviter.name} invited you to join {organization.name} on QuotaHit "
                f"as a {role_value}.\n\nAccept the invitation:\n{links.join(raw)}\n\n"
                "The link expires in 7 days."
            ),
        ),
    )
    return invitation


@dataclass(frozen=True)
class InvitationPreview:
    """What the join page shows before the invitee accepts."""

    email: str
    role: str
    organization_name: str
    inviter_name: str
    has_account: bool


def _live_invitation(db_session: Session, raw: str) -> Invitation:
    if not raw or len(raw) > 200:
        raise AccountError("This invitation link is not valid.")
    invitation = db_session.exec(
        select(Invitation).where(Invitation.token_hash == hash_token(raw))
    ).first()
    if invitation is None or invitation.revoked_at is not None:
        raise AccountError("This invitation link is not valid. Ask for a new invitation.")
    if invitation.accepted_at is not None:
        raise AccountError("This invitation has already been accepted. Log in instead.")
    if as_utc(invitation.expires_at) < utcnow():
        raise AccountError("This invitation has expired. Ask for a new one.")
    return invitation


def preview_invitation(*, db_session: Session, token: str) -> InvitationPreview:
    """Describe a live invitation; AccountError if it is invalid, used or expired."""
    invitation = _live_invitation(db_session, token)
    organization = db_session.get(Organization, invitation.organization_id)
    inviter = db_session.get(User, invitation.invited_by_id)
    has_account = (
        db_session.exec(select(User).where(User.email == invitation.email)).first() is not None
    )
    return InvitationPreview(
        email=invitation.email,
        role=invitation.role,
        organization_name=organization.name if organization else "",
        inviter_name=inviter.name if inviter else "",
        has_account=has_account,
    )


def accept_invitation(
    *,
    db_session: Session,
    token: str,
    password: str,
    name: str = "",
    ip_address: str = "",
    user_agent: str = "",
    session_max: timedelta = timedelta(days=14),
    throttle: LoginThrottle | None = None,
) -> str:
    """Join the organisation (creating the account if needed) and return a session token."""
    invitation = _live_invitation(db_session, token)
    user = db_session.exec(select(User).where(User.email == invitation.email)).first()
    if user is None:
        person = clean_name(name)
        require_acceptable_password(password, email=invitation.email, name=person)
        # The invitation link reached this inbox, which confirms the address.
        user = User(
            email=invitation.email,
            name=person,
            password_hash=hash_password(password),
            email_confirmed_at=utcnow(),
        )
        db_session.add(user)
        db_session.flush()
    else:
        # The same throttle as log-in: an invitation link must not become a password oracle.
        if (
            throttle is not None
            and not throttle.check(account=user.email, address=ip_address).allowed
        ):
            raise AccountError("Too many attempts. Wait a few minutes, or reset your password.")
        matches, _ = verify_password(user.password_hash, password)
        if not matches:
            if throttle is not None:
                throttle.record_failure(account=user.email, address=ip_address)
            raise AccountError("That password doesn't match your existing QuotaHit account.")
        if not user.is_active:
            raise AccountError("This account has been deactivated.")
        user.email_confirmed_at = user.email_confirmed_at or utcnow()
    assert user.id is not None
    membership = db_session.exec(
        tenant_select(Membership, invitation.organization_id).where(Membership.user_id == user.id)
    ).first()
    if membership is None:
        membership = Membership(
            user_id=user.id,
            organization_id=invitation.organization_id,
            role=invitation.role,
            team_id=invitation.team_id,
        )
    else:
        membership.role, membership.is_active = invitation.role, True
    db_session.add(membership)
    invitation.accepted_at = utcnow()
    db_session.add(invitation)
    audit.record(
        db_session=db_session,
        action="member.joined",
        organization_id=invitation.organization_id,
        actor_id=user.id,
        target_type="user",
        target_id=user.id,
        details={"role": invitation.role, "invited_by": invitation.invited_by_id},
        ip_address=ip_address,
    )
    token_value = open_session(
        db_session,
        user=user,
        organization_id=invitation.organization_id,
        session_max=session_max,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    db_session.commit()
    return token_value


@dataclass(frozen=True)
class InvitationRow:
    """A pending invitation as the team page lists it."""

    id: int
    email: str
    role: str
    expires_at: str


def list_pending_invitations(*, db_session: Session, identity: Identity) -> list[InvitationRow]:
    """Open invitations of the caller's organisation (managers and admins)."""
    if not identity.can_invite:
        raise PermissionDenied("Only managers and admins can see invitations.")
    rows = db_session.exec(
        tenant_select(Invitation, identity.organization_id)
        .where(
            Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
            Invitation.revoked_at.is_(None),  # type: ignore[union-attr]
        )
        .order_by(Invitation.created_at.desc())  # type: ignore[union-attr]
    ).all()
    return [
        InvitationRow(
            id=row.id or 0,
            email=row.email,
            role=row.role,
            expires_at=as_utc(row.expires_at).strftime("%Y-%m-%d %H:%M UTC"),
        )
        for row in rows
        if as_utc(row.expires_at) >= utcnow()
    ]


def revoke_invitation(*, db_session: Session, identity: Identity, invitation_id: int) -> None:
    """Cancel a pending invitation of the caller's organisation."""
    if not identity.can_invite:
        raise PermissionDenied("Only managers and admins can revoke invitations.")
    invitation = tenant_get(
        db_session, Invitation, organization_id=identity.organization_id, row_id=invitation_id
    )
    if invitation is None or invitation.accepted_at is not None:
        raise AccountError("That invitation no longer exists.")
    invitation.revoked_at = utcnow()
    db_session.add(invitation)
    audit.record(
        db_session=db_session,
        action="member.invitation_revoked",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="invitation",
        target_id=invitation_id,
        details={"email": invitation.email},
    )
    db_session.commit()
