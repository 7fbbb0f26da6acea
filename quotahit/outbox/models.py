"""The local outbox: e-mail kept in the database when no real provider is configured."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from quotahit.db import utcnow


class OutboxMessage(SQLModel, table=True):
    """One e-mail as it would have been sent."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=320, index=True)
    from_address: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    text_body: str
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), index=True, nullable=False),
    )
