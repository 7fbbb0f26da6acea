"""Writing and reading the audit log."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from quotahit.audit.models import AuditLog
from quotahit.db import like_pattern


def record(
    *,
    db_session: Session,
    action: str,
    organization_id: int | None,
    actor_id: int | None = None,
    on_behalf_of_id: int | None = None,
    target_type: str = "",
    target_id: str | int = "",
    details: dict[str, Any] | None = None,
    ip_address: str = "",
) -> AuditLog:
    """Append one entry; the caller's transaction commits it with the change it describes."""
    entry = AuditLog(
        organization_id=organization_id,
        actor_id=actor_id,
        on_behalf_of_id=on_behalf_of_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=json.dumps(details or {}, sort_keys=True, default=str),
        ip_address=ip_address[:64],
    )
    db_session.add(entry)
    return entry


def list_entries(
    *,
    db_session: Session,
    organization_id: int | None,
    all_organizations: bool = False,
    search: str = "",
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[AuditLog], int]:
    """Newest entries first for one organisation (or every one, for platform admins)."""
    statement = select(AuditLog)
    count = select(func.count()).select_from(AuditLog)
    if not all_organizations:
        condition = AuditLog.organization_id == organization_id
        statement, count = statement.where(condition), count.where(condition)
    if search:
        pattern = like_pattern(search)
        condition = or_(
            func.lower(AuditLog.action).like(pattern, escape="\\"),
            func.lower(AuditLog.details).like(pattern, escape="\\"),
        )
        statement, count = statement.where(condition), count.where(condition)
    rows = db_session.exec(
        statement.order_by(AuditLog.created_at.desc(), AuditLog.id.desc())  # type: ignore[union-attr]
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), int(db_session.exec(count).one())


def count_by_action(
    *,
    db_session: Session,
    organization_id: int,
    since: datetime,
    actor_id: int | None = None,
) -> dict[str, int]:
    """How many times each action happened in the organisation since a moment."""
    statement = (
        select(AuditLog.action, func.count())
        .where(AuditLog.organization_id == organization_id, AuditLog.created_at >= since)
        .group_by(AuditLog.action)
    )
    if actor_id is not None:
        statement = statement.where(AuditLog.actor_id == actor_id)
    return {action: int(count) for action, count in db_session.exec(statement).all()}


def count_distinct_actors(
    *, db_session: Session, organization_id: int, action: str, since: datetime
) -> int:
    """How many different people did an action (e.g. signed in) since a moment."""
    statement = select(func.count(func.distinct(AuditLog.actor_id))).where(
        AuditLog.organization_id == organization_id,
        AuditLog.action == action,
        AuditLog.created_at >= since,
    )
    return int(db_session.exec(statement).one())


def recent(
    *, db_session: Session, organization_id: int, actor_id: int | None = None, limit: int = 8
) -> list[AuditLog]:
    """The latest entries of an organisation, or of one person in it."""
    statement = select(AuditLog).where(AuditLog.organization_id == organization_id)
    if actor_id is not None:
        statement = statement.where(AuditLog.actor_id == actor_id)
    statement = statement.order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).limit(limit)  # type: ignore[union-attr]
    return list(db_session.exec(statement).all())
