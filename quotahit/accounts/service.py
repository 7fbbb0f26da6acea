"""Accounts: sign-up, e-mail confirmation, log-in, passwords and profiles.

Every function takes the database session and, where a signed-in user acts, their `Identity`,
and checks the role itself: states are thin and a Reflex client can call any handler. Sessions,
invitations and members have modules of their own beside this one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, select

from quotahit.accounts.identity import AccountError, Identity, PermissionDenied
from quotahit.accounts.models import (
    AccountToken,
    Membership,
    Organization,
    Role,
    TokenPurpose,
    User,
)
from quotahit.accounts.passwords import hash_password, password_problem, verify_password
from quotahit.accounts.sessions import open_session, revoke_all_sessions
from quotahit.accounts.throttle import ActionThrottle, LoginThrottle
from quotahit.accounts.tokens import hash_token, new_token
from quotahit.audit import service as audit
from quotahit.db import as_utc, utcnow
from quotahit.providers.email import EmailDeliveryError, EmailSender, OutgoingEmail

logger = logging.getLogger(__name__)

CONFIRM_TOKEN_TTL = timedelta(hours=48)
RESET_TOKEN_TTL = timedelta(hours=1)

__all__ = ["AccountError", "Identity", "PermissionDenied"]


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


def clean_name(raw: str, what: str = "name") -> str:
    name = " ".join(raw.split())
    if not name:
        raise AccountError(f"Please enter your {what}.")
    if len(name) > 120:
        raise AccountError(f"Your {what} is too long (120 characters at most).")
    return name


def require_acceptable_password(password: str, *, email: str, name: str) -> None:
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise AccountError(problem)


def send_quietly(mailer: EmailSender, email: OutgoingEmail) -> bool:
    """Send, and report failure instead of losing the account change that triggered it."""
    try:
        mailer.send(email)
    except EmailDeliveryError:
        logger.exception("e-mail to a user could not be delivered")
        return False
    return True


def check_action_cap(throttle: ActionThrottle | None, action: str, *keys: str) -> None:
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
    return send_quietly(
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
    check_action_cap(action_throttle, "signup", ip_address)
    address = normalize_email(email)
    person = clean_name(name)
    org_name = clean_name(organization_name, "company name")
    require_acceptable_password(password, email=address, name=person)
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
    check_action_cap(action_throttle, "confirmation_resend", address)
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
    token = open_session(
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
    check_action_cap(action_throttle, "password_reset_address", ip_address)
    check_action_cap(action_throttle, "password_reset_account", address)
    user = db_session.exec(select(User).where(User.email == address)).first()
    if user is None or not user.is_active or user.id is None:
        return
    raw = _issue_account_token(db_session, user_id=user.id, purpose=TokenPurpose.RESET_PASSWORD)
    db_session.commit()
    send_quietly(
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
    require_acceptable_password(new_password, email=user.email, name=user.name)
    user.password_hash = hash_password(new_password)
    # Clicking the e-mailed link proves the address too.
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    db_session.add(user)
    assert user.id is not None
    revoke_all_sessions(db_session, user_id=user.id, except_session_id=None)
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
    require_acceptable_password(new_password, email=user.email, name=user.name)
    user.password_hash = hash_password(new_password)
    db_session.add(user)
    ended = revoke_all_sessions(
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
    person = clean_name(name)
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
