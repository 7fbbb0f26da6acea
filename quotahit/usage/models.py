"""One row per provider call: who, which module, which model and key, how much, how it went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field

from quotahit.db import TenantScoped, utcnow


class UsageRecord(TenantScoped, table=True):
    """A metered provider call (the local engine is metered too, at zero cost)."""

    __tablename__ = "usage_record"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    module: str = Field(max_length=32)
    provider: str = Field(max_length=32)
    model: str = Field(max_length=80)
    key_source: str = Field(max_length=16)
    key_id: int | None = Field(default=None, index=True)
    tokens_in: int = 0
    tokens_out: int = 0
    audio_seconds: float = 0.0
    latency_ms: int = 0
    cost_usd: float = 0.0
    outcome: str = Field(default="ok", max_length=32)
    detail: str = Field(default="", max_length=300)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), index=True, nullable=False),
    )
