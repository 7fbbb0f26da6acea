"""The vault's table: provider keys sealed with AES-256-GCM, for a user or an organisation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field

from quotahit.db import TenantScoped, utcnow


class ProviderKey(TenantScoped, table=True):
    """One provider key; `user_id` is empty for an organisation key shared with its members."""

    __tablename__ = "provider_key"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=32, unique=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    provider: str = Field(max_length=32)
    ciphertext: str = Field(max_length=2048)
    key_version: int
    last4: str = Field(max_length=4)
    status: str = Field(default="unverified", max_length=24)
    status_message: str = Field(default="", max_length=300)
    monthly_cap_usd: float | None = None
    created_by_id: int = Field(foreign_key="user.id")
    verified_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class CustomEndpoint(TenantScoped, table=True):
    """An OpenAI-compatible server (Ollama, vLLM, LM Studio) a user or organisation points at."""

    __tablename__ = "custom_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=32, unique=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    base_url: str = Field(max_length=300)
    api_model: str = Field(max_length=120)
    key_ciphertext: str = Field(default="", max_length=2048)
    last4: str = Field(default="", max_length=4)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
