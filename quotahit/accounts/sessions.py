"""Server-side login sessions: opening, resolving on every request, listing and revoking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from quotahit.accounts.identity import AccountError, Identity
from quotahit.accounts.models import (
    AuthSession,
    Membership,
    User,
)
from quotahit.accounts.tokens import hash_token, new_token
from quotahit.audit import service as audit
from quotahit.db import as_utc, utcnow

LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def open_session(
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


def resolve_session(
    *, db_session: Session, token: str, idle_timeout: timedelta = timedelta(hours=72)
) -> Identity | None:
    """The caller's identity if the token names a live session of an active member, else None."""
    if not token or len(token) > 200:
        return None
    record = db_session.exec(
        select(AuthSession).where(AuthSession.token_hash == hash_token(token))
    ).first()
    return _live_identity(db_session, record, idle_timeout)


def resolve_session_id(
    *, db_session: Session, session_id: int, idle_timeout: timedelta = timedelta(hours=72)
) -> Identity | None:
    """Like `resolve_session`, for a session named by a signed ticket rather than its cookie.

    A voice call's websocket carries a ticket naming the login session that asked for it, so
    logging out (or being deactivated) also refuses the call's reconnections.
    """
    return _live_identity(db_session, db_session.get(AuthSession, session_id), idle_timeout)


def _live_identity(
    db_session: Session, record: AuthSession | None, idle_timeout: timedelta
) -> Identity | None:
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


def revoke_all_sessions(db_session: Session, *, user_id: int, except_session_id: int | None) -> int:
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
    count = revoke_all_sessions(db_session, user_id=identity.user_id, except_session_id=None)
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
