"""Reading the local outbox (local mode only: production sends real e-mail)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from quotahit.db import like_pattern
from quotahit.outbox.models import OutboxMessage


def store(
    *, db_session: Session, to_address: str, from_address: str, subject: str, text_body: str
) -> OutboxMessage:
    """Keep one message as it would have been sent."""
    message = OutboxMessage(
        to_address=to_address, from_address=from_address, subject=subject, text_body=text_body
    )
    db_session.add(message)
    db_session.flush()
    return message


def list_messages(
    *, db_session: Session, to_address: str = "", offset: int = 0, limit: int = 20
) -> tuple[list[OutboxMessage], int]:
    """Newest first, optionally for one recipient."""
    statement = select(OutboxMessage)
    count = select(func.count()).select_from(OutboxMessage)
    if to_address:
        condition = func.lower(OutboxMessage.to_address).like(like_pattern(to_address), escape="\\")
        statement, count = statement.where(condition), count.where(condition)
    rows = db_session.exec(
        statement.order_by(OutboxMessage.id.desc()).offset(offset).limit(limit)  # type: ignore[union-attr]
    ).all()
    return list(rows), int(db_session.exec(count).one())
