"""Tables of the accounts module: organisations, users, memberships, teams, invitations,
sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from quotahit.db import TenantScoped, utcnow


def _timestamp(**kwargs: Any) -> Any:
    """A timezone-aware timestamp column (SQLite keeps it as naive UTC)."""
    nullable = kwargs.pop("nullable", False)
    return Field(sa_column=Column(DateTime(timezone=True), nullable=nullable), **kwargs)


class Role(StrEnum):
    """Membership roles, from least to most privileged for administration."""

    REP = "rep"
    MANAGER = "manager"
    ENABLEMENT = "enablement"
    ADMIN = "admin"


class Organization(SQLModel, table=True):
    """The tenant: every other row belongs to one."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    created_at: datetime = _timestamp(default_factory=utcnow)


class User(SQLModel, table=True):
    """A person who signs in; belongs to organisations through memberships."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    name: str = Field(max_length=120)
    title: str = Field(default="", max_length=120)
    time_zone: str = Field(default="UTC", max_length=64)
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    is_platform_admin: bool = False
    email_confirmed_at: datetime | None = _timestamp(default=None, nullable=True)
    last_login_at: datetime | None = _timestamp(default=None, nullable=True)
    created_at: datetime = _timestamp(default_factory=utcnow)

    def model_dump(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Never serialise the password hash, wherever the row ends up."""
        data = super().model_dump(*args, **kwargs)
        data.pop("password_hash", None)
        return data


class Team(TenantScoped, table=True):
    """A group of reps inside an organisation, usually led by a manager."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    manager_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = _timestamp(default_factory=utcnow)


class Membership(TenantScoped, table=True):
    """A user's role in one organisation; the role lives here, in the database."""

    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role: str = Field(default=Role.REP.value, max_length=20)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    is_active: bool = True
    created_at: datetime = _timestamp(default_factory=utcnow)


class Invitation(TenantScoped, table=True):
    """An e-mailed invitation to join an organisation with a role."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, index=True)
    role: str = Field(max_length=20)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    token_hash: str = Field(max_length=64, unique=True)
    invited_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = _timestamp(default_factory=utcnow)
    expires_at: datetime = _timestamp()
    accepted_at: datetime | None = _timestamp(default=None, nullable=True)
    revoked_at: datetime | None = _timestamp(default=None, nullable=True)


class AuthSession(SQLModel, table=True):
    """A server-side login session; the browser holds only the random token."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    organization_id: int = Field(foreign_key="organization.id")
    created_at: datetime = _timestamp(default_factory=utcnow)
    last_seen_at: datetime = _timestamp(default_factory=utcnow)
    expires_at: datetime = _timestamp()
    revoked_at: datetime | None = _timestamp(default=None, nullable=True)
    ip_address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)


class TokenPurpose(StrEnum):
    """What a one-time e-mailed token may be used for."""

    CONFIRM_EMAIL = "confirm_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name, not a secret


class AccountToken(SQLModel, table=True):
    """A single-use e-mailed token, stored only as a hash."""

    __tablename__ = "account_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    purpose: str = Field(max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _timestamp(default_factory=utcnow)
    expires_at: datetime = _timestamp()
    used_at: datetime | None = _timestamp(default=None, nullable=True)
