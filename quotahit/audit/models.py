"""The append-only audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from quotahit.db import utcnow


class AuditLog(SQLModel, table=True):
    """Who did what to whom, in which organisation, on whose behalf, and when."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    on_behalf_of_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=64, index=True)
    target_type: str = Field(default="", max_length=32)
    target_id: str = Field(default="", max_length=64)
    details: str = Field(default="{}")
    ip_address: str = Field(default="", max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), index=True, nullable=False),
    )
