"""Accounts: sign-up, confirmation, log-in, sessions, passwords, profiles, invitations, roles.

Every function takes the database session and, where a signed-in user acts, their `Identity`,
and checks the role itself: states are thin and a Reflex client can call any handler.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, or_
from sqlmodel import Session, select

from quotahit.accounts.models import (
    AccountToken,
    AuthSession,
    Invitation,
    Membership,
    Organization,
    Role,
    Team,
    TokenPurpose,
    User,
)
from quotahit.accounts.passwords import hash_password, password_problem, verify_password
from quotahit.accounts.throttle import ActionThrottle, LoginThrottle
from quotahit.accounts.tokens import hash_token, new_token
from quotahit.audit import service as audit
from quotahit.db import as_utc, like_pattern, tenant_get, tenant_select, utcnow
from quotahit.providers.email import EmailDeliveryError, EmailSender, OutgoingEmail

logger = logging.getLogger(__name__)

CONFIRM_TOKEN_TTL = timedelta(hours=48)
RESET_TOKEN_TTL = timedelta(hours=1)
INVITATION_TTL = timedelta(days=7)
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
ROLES_A_MANAGER_MAY_INVITE = frozenset({Role.REP.value, Role.MANAGER.value})


class AccountError(Exception):
    """A refusal the user can act on; the message is shown as it is."""


class PermissionDenied(AccountError):
    """The caller's role or organisation does not allow this."""


@dataclass(frozen=True)
class Identity:
    """Who is calling: resolved from the server-side session on every request."""

    user_id: int
    organization_id: int
    role: str
    is_platform_admin: bool
    session_id: int

    @property
    def is_admin(self) -> bool:
        """Organisation admin (platform admins administer every organisation)."""
        return self.role == Role.ADMIN.value or self.is_platform_admin

    @property
    def can_invite(self) -> bool:
        """Managers and admins invite teammates."""
        return self.is_admin or self.role == Role.MANAGER.value


@dataclass(frozen=True)
class AccountLinks:
    """Builds the absolute links put in e-mails."""

    base_url: str

    def confirm(self, token: str) -> str:
        """Link to confirm an e-mail address."""
        return f"{self.base_url}/confirm?token={token}"

    def reset(self, token: str) -> str:
        """Link to choose a new password."""
        return f"{self.base_url}/reset-password?token={token}"

    def join(self, token: str) -> str:
        """Link to accept an invitation."""
        return f"{self.base_url}/join?token={token}"


def normalize_email(raw: str) -> str:
    """A syntactically valid, lower-cased address, or AccountError saying what is wrong."""
    try:
        # The reserved `.test` domain is allowed: local installs and demos use it.
        result = validate_email(
            raw.strip()[:320], check_deliverability=False, test_environment=True
        )
    except EmailNotValidError as error:
        raise AccountError(f"That e-mail address doesn't look right: {error}") from error
    return result.normalized.lower()


def _clean_name(raw: str, what: str = "name") -> str:
    name = " ".join(raw.split())
    if not name:
        raise AccountError(f"Please enter your {what}.")
    if len(name) > 120:
        raise AccountError(f"Your {what} is too long (120 characters at most).")
    return name


def _check_password(password: str, *, email: str, name: str) -> None:
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise AccountError(problem)


def _send(mailer: EmailSender, email: OutgoingEmail) -> bool:
    """Send, and report failure instead of losing the account change that triggered it."""
    try:
        mailer.send(email)
    except EmailDeliveryError:
        logger.exception("e-mail to a user could not be delivered")
        return False
    return True


def _check_action(throttle: ActionThrottle | None, action: str, *keys: str) -> None:
    if throttle is None:
        return
    verdict = throttle.allow(action, *keys)
    if not verdict.allowed:
        minutes = max(1, round(verdict.retry_after_seconds / 60))
        raise AccountError(f"Too many requests. Try again in about {minutes} minute(s).")


def _issue_account_token(db_session: Session, *, user_id: int, purpose: TokenPurpose) -> str:
    ttl = CONFIRM_TOKEN_TTL if purpose is TokenPurpose.CONFIRM_EMAIL else RESET_TOKEN_TTL
    now = utcnow()
    # A new link replaces any earlier unused one of the same purpose.
    earlier = db_session.exec(
        select(AccountToken).where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose.value,
            AccountToken.used_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    for token in earlier:
        token.used_at = now
        db_session.add(token)
    raw, digest = new_token()
    db_session.add(
        AccountToken(
            user_id=user_id,
            purpose=purpose.value,
            token_hash=digest,
            expires_at=now + ttl,
        )
    )
    return raw


def _consume_account_token(db_session: Session, *, raw: str, purpose: TokenPurpose) -> User:
    invalid = {
        TokenPurpose.CONFIRM_EMAIL: "This confirmation link is not valid. Request a new one.",
        TokenPurpose.RESET_PASSWORD: "This password-reset link is not valid. Request a new one.",
    }[purpose]
    if not raw or len(raw) > 200:
        raise AccountError(invalid)
    token = db_session.exec(
        select(AccountToken).where(
            AccountToken.token_hash == hash_token(raw), AccountToken.purpose == purpose.value
        )
    ).first()
    if token is None:
        raise AccountError(invalid)
    if token.used_at is not None:
        raise AccountError("This link has already been used. Request a new one if you need it.")
    if as_utc(token.expires_at) < utcnow():
        raise AccountError("This link has expired. Request a new one.")
    token.used_at = utcnow()
    db_session.add(token)
    user = db_session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise AccountError(invalid)
    return user


def _send_confirmation(
    db_session: Session, *, user: User, mailer: EmailSender, links: AccountLinks
) -> bool:
    assert user.id is not None
    raw = _issue_account_token(db_session, user_id=user.id, purpose=TokenPurpose.CONFIRM_EMAIL)
    db_session.commit()
    return _send(
        mailer,
        OutgoingEmail(
            to_address=user.email,
            subject="Confirm your QuotaHit e-mail address",
            text_body=(
                f"Hi {user.name},\n\nConfirm your e-mail address to start using QuotaHit:\n"
                f"{links.confirm(raw)}\n\nThe link works once and expires in 48 hours.\n"
                "If you did not sign up, ignore this message."
            ),
        ),
    )


def sign_up(
    *,
    db_session: Session,
    mailer: EmailSender,
    links: AccountLinks,
    email: str,
    password: str,
    name: str,
    organization_name: str,
    platform_admins: frozenset[str] = frozenset(),
    ip_address: str = "",
    action_throttle: ActionThrottle | None = None,
) -> User:
    """Create an organisation with its first user as admin, and e-mail a confirmation link."""
    _check_action(action_throttle, "signup", ip_address)
    address = normalize_email(email)
    person = _clean_name(name)
    org_name = _clean_name(organization_name, "company name")
    _check_password(password, email=address, name=person)
    if db_session.exec(select(User).where(User.email == address)).first():
        raise AccountError(
            "An account with this e-mail already exists. Log in, or reset your password."
        )
    organization = Organization(name=org_name)
    user = User(
        email=address,
        name=person,
        password_hash=hash_password(password),
        is_platform_admin=address in platform_admins,
    )
    db_session.add(organization)
    db_session.add(user)
    db_session.flush()
    assert organization.id is not None
    assert user.id is not None
    db_session.add(
        Membership(user_id=user.id, organization_id=organization.id, role=Role.ADMIN.value)
    )
    audit.record(
        db_session=db_session,
        action="account.signed_up",
        organization_id=organization.id,
        actor_id=user.id,
        target_type="user",
        target_id=user.id,
        ip_address=ip_address,
    )
    _send_confirmation(db_session, user=user, mailer=mailer, links=links)
    return user


def resend_confirmation(
    *,
    db_session: Session,
    mailer: EmailSender,
    links: AccountLinks,
    email: str,
    action_throttle: ActionThrottle | None = None,
) -> None:
    """Send a fresh link if the account exists and is unconfirmed; silent otherwise."""
    try:
        address = normalize_email(email)
    except AccountError:
        return
    _check_action(action_throttle, "confirmation_resend", address)
    user = db_session.exec(select(User).where(User.email == address)).first()
    if user and user.is_active and user.email_confirmed_at is None:
        _send_confirmation(db_session, user=user, mailer=mailer, links=links)


def confirm_email(*, db_session: Session, token: str) -> User:
    """Mark the address confirmed; each link works once and expires."""
    user = _consume_account_token(db_session, raw=token, purpose=TokenPurpose.CONFIRM_EMAIL)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        db_session.add(user)
        membership = _first_active_membership(db_session, user.id)
        audit.record(
            db_session=db_session,
            action="account.email_confirmed",
            organization_id=membership.organization_id if membership else None,
            actor_id=user.id,
            target_type="user",
            target_id=user.id,
        )
    db_session.commit()
    return user


def _first_active_membership(db_session: Session, user_id: int | None) -> Membership | None:
    return db_session.exec(
        select(Membership)
        .where(Membership.user_id == user_id, Membership.is_active)
        .order_by(Membership.created_at.desc(), Membership.id.desc())  # type: ignore[union-attr]
    ).first()


def _open_session(
    db_session: Session,
    *,
    user: User,
    organization_id: int,
    session_max: timedelta,
    ip_address: str,
    user_agent: str,
) -> str:
    raw, digest = new_token()
    assert user.id is not None
    db_session.add(
        AuthSession(
            token_hash=digest,
            user_id=user.id,
            organization_id=organization_id,
            expires_at=utcnow() + session_max,
            ip_address=ip_address[:64],
            user_agent=user_agent[:300],
        )
    )
    user.last_login_at = utcnow()
    db_session.add(user)
    return raw


def log_in(
    *,
    db_session: Session,
    throttle: LoginThrottle,
    email: str,
    password: str,
    ip_address: str = "",
    user_agent: str = "",
    session_max: timedelta = timedelta(days=14),
    platform_admins: frozenset[str] = frozenset(),
) -> str:
    """Check the credentials (throttled before hashing) and return a new session token."""
    address = email.strip().lower()[:320]
    verdict = throttle.check(account=address, address=ip_address)
    if not verdict.allowed:
        minutes = max(1, round(verdict.retry_after_seconds / 60))
        raise AccountError(
            f"Too many attempts. Wait about {minutes} minute(s) and try again, "
            "or reset your password."
        )
    user = db_session.exec(select(User).where(User.email == address)).first()
    matches, needs_rehash = verify_password(user.password_hash if user else None, password)
    if user is None or not matches:
        throttle.record_failure(account=address, address=ip_address)
        if user is not None:
            membership = _first_active_membership(db_session, user.id)
            audit.record(
                db_session=db_session,
                action="account.login_failed",
                organization_id=membership.organization_id if membership else None,
                target_type="user",
                target_id=user.id or "",
                ip_address=ip_address,
            )
            db_session.commit()
        left = throttle.attempts_left(account=address, address=ip_address)
        warning = (
            f" {left} attempt(s) left before sign-in pauses for a few minutes."
            if left > 0
            else " Sign-in is now paused for a few minutes."
        )
        raise AccountError("That e-mail and password don't match an account." + warning)
    if not user.is_active:
        raise AccountError("This account has been deactivated. Ask your administrator.")
    if user.email_confirmed_at is None:
        raise AccountError(
            "Confirm your e-mail address first: use the link we sent you, or send a new one."
        )
    membership = _first_active_membership(db_session, user.id)
    if membership is None:
        raise AccountError("Your access to your organisation was removed. Ask its administrator.")
    throttle.clear_account(account=address)
    if needs_rehash:
        user.password_hash = hash_password(password)
    if address in platform_admins and not user.is_platform_admin:
        user.is_platform_admin = True
    token = _open_session(
        db_session,
        user=user,
        organization_id=membership.organization_id,
        session_max=session_max,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    audit.record(
        db_session=db_session,
        action="account.logged_in",
        organization_id=membership.organization_id,
        actor_id=user.id,
        target_type="user",
        target_id=user.id or "",
        ip_address=ip_address,
    )
    db_session.commit()
    return token


def resolve_session(
    *, db_session: Session, token: str, idle_timeout: timedelta = timedelta(hours=72)
) -> Identity | None:
    """The caller's identity if the token names a live session of an active member, else None."""
    if not token or len(token) > 200:
        return None
    record = db_session.exec(
        select(AuthSession).where(AuthSession.token_hash == hash_token(token))
    ).first()
    now = utcnow()
    if record is None or record.revoked_at is not None or as_utc(record.expires_at) < now:
        return None
    if as_utc(record.last_seen_at) + idle_timeout < now:
        return None
    user = db_session.get(User, record.user_id)
    if user is None or not user.is_active:
        return None
    membership = db_session.exec(
        select(Membership).where(
            Membership.user_id == record.user_id,
            Membership.organization_id == record.organization_id,
        )
    ).first()
    if membership is None or not membership.is_active:
        return None
    if as_utc(record.last_seen_at) + LAST_SEEN_RESOLUTION < now:
        record.last_seen_at = now
        db_session.add(record)
        db_session.commit()
    assert record.id is not None
    assert user.id is not None
    return Identity(
        user_id=user.id,
        organization_id=record.organization_id,
        role=membership.role,
        is_platform_admin=user.is_platform_admin,
        session_id=record.id,
    )


def log_out(*, db_session: Session, token: str) -> None:
    """Revoke this session server-side."""
    record = db_session.exec(
        select(AuthSession).where(AuthSession.token_hash == hash_token(token))
    ).first()
    if record and record.revoked_at is None:
        record.revoked_at = utcnow()
        db_session.add(record)
        audit.record(
            db_session=db_session,
            action="account.logged_out",
            organization_id=record.organization_id,
            actor_id=record.user_id,
            target_type="user",
            target_id=record.user_id,
        )
        db_session.commit()


def _revoke_sessions(db_session: Session, *, user_id: int, except_session_id: int | None) -> int:
    records = db_session.exec(
        select(AuthSession).where(
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    revoked = 0
    for record in records:
        if record.id != except_session_id:
            record.revoked_at = utcnow()
            db_session.add(record)
            revoked += 1
    return revoked


def log_out_everywhere(*, db_session: Session, identity: Identity) -> int:
    """Revoke every session of the caller, this one included; returns how many."""
    count = _revoke_sessions(db_session, user_id=identity.user_id, except_session_id=None)
    audit.record(
        db_session=db_session,
        action="account.logged_out_everywhere",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="user",
        target_id=identity.user_id,
        details={"sessions": count},
    )
    db_session.commit()
    return count


def request_password_reset(
    *,
    db_session: Session,
    mailer: EmailSender,
    links: AccountLinks,
    email: str,
    ip_address: str = "",
    action_throttle: ActionThrottle | None = None,
) -> None:
    """E-mail a reset link if the account exists; say nothing either way (no enumeration)."""
    try:
        address = normalize_email(email)
    except AccountError:
        return
    _check_action(action_throttle, "password_reset_address", ip_address)
    _check_action(action_throttle, "password_reset_account", address)
    user = db_session.exec(select(User).where(User.email == address)).first()
    if user is None or not user.is_active or user.id is None:
        return
    raw = _issue_account_token(db_session, user_id=user.id, purpose=TokenPurpose.RESET_PASSWORD)
    db_session.commit()
    _send(
        mailer,
        OutgoingEmail(
            to_address=user.email,
            subject="Reset your QuotaHit password",
            text_body=(
                f"Hi {user.name},\n\nChoose a new password here:\n{links.reset(raw)}\n\n"
                "The link works once and expires in one hour. If you did not ask for it, "
                "ignore this message: your password is unchanged."
            ),
        ),
    )


def reset_password(
    *, db_session: Session, token: str, new_password: str, throttle: LoginThrottle | None = None
) -> User:
    """Set a new password from an e-mailed link and end every existing session."""
    user = _consume_account_token(db_session, raw=token, purpose=TokenPurpose.RESET_PASSWORD)
    _check_password(new_password, email=user.email, name=user.name)
    user.password_hash = hash_password(new_password)
    # Clicking the e-mailed link proves the address too.
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    db_session.add(user)
    assert user.id is not None
    _revoke_sessions(db_session, user_id=user.id, except_session_id=None)
    membership = _first_active_membership(db_session, user.id)
    audit.record(
        db_session=db_session,
        action="account.password_reset",
        organization_id=membership.organization_id if membership else None,
        actor_id=user.id,
        target_type="user",
        target_id=user.id,
    )
    db_session.commit()
    if throttle is not None:
        throttle.clear_account(account=user.email)
    return user


def change_password(
    *, db_session: Session, identity: Identity, current_password: str, new_password: str
) -> int:
    """Change the caller's password and end their other sessions; returns how many ended."""
    user = db_session.get(User, identity.user_id)
    assert user is not None
    matches, _ = verify_password(user.password_hash, current_password)
    if not matches:
        raise AccountError("Your current password is not correct.")
    if current_password == new_password:
        raise AccountError("Choose a password different from your current one.")
    _check_password(new_password, email=user.email, name=user.name)
    user.password_hash = hash_password(new_password)
    db_session.add(user)
    ended = _revoke_sessions(
        db_session, user_id=identity.user_id, except_session_id=identity.session_id
    )
    audit.record(
        db_session=db_session,
        action="account.password_changed",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="user",
        target_id=identity.user_id,
        details={"other_sessions_ended": ended},
    )
    db_session.commit()
    return ended


@dataclass(frozen=True)
class Profile:
    """What the profile form shows; never the hash."""

    name: str
    email: str
    title: str
    time_zone: str
    organization_name: str
    role: str
    is_platform_admin: bool
    email_confirmed: bool


def get_profile(*, db_session: Session, identity: Identity) -> Profile:
    """The caller's profile and organisation."""
    user = db_session.get(User, identity.user_id)
    organization = db_session.get(Organization, identity.organization_id)
    assert user is not None
    assert organization is not None
    return Profile(
        name=user.name,
        email=user.email,
        title=user.title,
        time_zone=user.time_zone,
        organization_name=organization.name,
        role=identity.role,
        is_platform_admin=user.is_platform_admin,
        email_confirmed=user.email_confirmed_at is not None,
    )


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    """Canonical IANA zones (no `posix/`, `right/` or `posixrules` aliases), for the picker."""
    return tuple(
        sorted(
            zone
            for zone in available_timezones()
            if not zone.startswith(("posix", "right/")) and zone not in {"localtime", "Factory"}
        )
    )


def update_profile(
    *, db_session: Session, identity: Identity, name: str, title: str, time_zone: str
) -> Profile:
    """Change the caller's name, title and time zone."""
    person = _clean_name(name)
    clean_title = " ".join(title.split())
    if len(clean_title) > 120:
        raise AccountError("Your title is too long (120 characters at most).")
    if time_zone not in time_zone_names():
        raise AccountError("Pick a time zone from the list.")
    user = db_session.get(User, identity.user_id)
    assert user is not None
    user.name, user.title, user.time_zone = person, clean_title, time_zone
    db_session.add(user)
    audit.record(
        db_session=db_session,
        action="account.profile_updated",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="user",
        target_id=identity.user_id,
    )
    db_session.commit()
    return get_profile(db_session=db_session, identity=identity)


def _parse_role(role: str) -> str:
    try:
        return Role(role).value
    except ValueError as error:
        raise AccountError(f"Unknown role “{role}”.") from error


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
    _check_action(action_throttle, "invitation", f"user:{identity.user_id}")
    role_value = _parse_role(role)
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
    _send(
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
) -> str:
    """Join the organisation (creating the account if needed) and return a session token."""
    invitation = _live_invitation(db_session, token)
    user = db_session.exec(select(User).where(User.email == invitation.email)).first()
    if user is None:
        person = _clean_name(name)
        _check_password(password, email=invitation.email, name=person)
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
        matches, _ = verify_password(user.password_hash, password)
        if not matches:
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
    token_value = _open_session(
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
        MemberRow(
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
            team_name=team_name or "",
        )
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
    role_value = _parse_role(role)
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


def _member_row(db_session: Session, membership: Membership) -> MemberRow:
    user = db_session.get(User, membership.user_id)
    organization = db_session.get(Organization, membership.organization_id)
    assert user is not None
    assert organization is not None
    return MemberRow(
        membership_id=membership.id or 0,
        user_id=user.id or 0,
        name=user.name,
        email=user.email,
        title=user.title,
        role=membership.role,
        is_active=membership.is_active and user.is_active,
        organization_name=organization.name,
        last_login="",
    )


def user_names(*, db_session: Session, user_ids: set[int]) -> dict[int, str]:
    """Display names for a set of user ids (audit and activity lists)."""
    if not user_ids:
        return {}
    rows = db_session.exec(select(User.id, User.name).where(User.id.in_(user_ids))).all()  # type: ignore[union-attr]
    return {user_id: name for user_id, name in rows if user_id is not None}


@dataclass(frozen=True)
class SessionRow:
    """One of the caller's live sessions, as the settings page lists them (ASVS 7.5.2)."""

    id: int
    device: str
    ip_address: str
    created: str
    last_seen: str
    current: bool


def _device_label(user_agent: str) -> str:
    browsers = ("Edg", "Firefox", "Chrome", "Safari")
    # iOS agents also say "like Mac OS X" and Android ones "Linux": the specific names come first.
    systems = ("iPhone", "iPad", "Android", "Windows", "Mac OS X", "Linux")
    browser = next((name for name in browsers if name in user_agent), "Browser")
    system = next((name for name in systems if name in user_agent), "")
    label = {"Edg": "Edge", "Mac OS X": "macOS"}
    return " on ".join(filter(None, [label.get(browser, browser), label.get(system, system)]))


def list_sessions(
    *, db_session: Session, identity: Identity, idle_timeout: timedelta = timedelta(hours=72)
) -> list[SessionRow]:
    """The caller's sessions that are still live (not expired, not idle), newest activity first."""
    now = utcnow()
    records = db_session.exec(
        select(AuthSession)
        .where(
            AuthSession.user_id == identity.user_id,
            AuthSession.revoked_at.is_(None),  # type: ignore[union-attr]
        )
        .order_by(AuthSession.last_seen_at.desc())  # type: ignore[union-attr]
    ).all()
    return [
        SessionRow(
            id=record.id or 0,
            device=_device_label(record.user_agent),
            ip_address=record.ip_address,
            created=as_utc(record.created_at).strftime("%Y-%m-%d %H:%M UTC"),
            last_seen=as_utc(record.last_seen_at).strftime("%Y-%m-%d %H:%M UTC"),
            current=record.id == identity.session_id,
        )
        for record in records
        if as_utc(record.expires_at) >= now and as_utc(record.last_seen_at) + idle_timeout >= now
    ]


def revoke_session(*, db_session: Session, identity: Identity, session_id: int) -> None:
    """End one of the caller's own sessions (never someone else's)."""
    record = db_session.get(AuthSession, session_id)
    if record is None or record.user_id != identity.user_id or record.revoked_at is not None:
        raise AccountError("That session has already ended.")
    record.revoked_at = utcnow()
    db_session.add(record)
    audit.record(
        db_session=db_session,
        action="account.session_revoked",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="session",
        target_id=session_id,
    )
    db_session.commit()
