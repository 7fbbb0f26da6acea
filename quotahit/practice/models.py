"""The practice module's tables: an organisation's own buyer personas, and role-play sessions.

A session keeps a snapshot of the persona it was played with, so editing or deleting a persona
never rewrites the history of sessions already played against it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Text, false
from sqlmodel import Field

from quotahit.db import TenantScoped, utcnow


class CustomPersona(TenantScoped, table=True):
    """A buyer persona written by an enablement user; `shared` makes it the whole team's."""

    __tablename__ = "custom_persona"

    id: int | None = Field(default=None, primary_key=True)
    created_by: int = Field(foreign_key="user.id", index=True)
    shared: bool = False
    name: str = Field(max_length=80)
    title: str = Field(max_length=80)
    company: str = Field(max_length=80)
    industry: str = Field(max_length=60)
    company_size: str = Field(default="", max_length=120)
    difficulty: str = Field(default="medium", max_length=8)
    personality: str = Field(default="", max_length=600)
    communication_style: str = Field(default="", max_length=300)
    # JSON lists: goals, pains and what wins them (strings); objections ({"kind", "line"}).
    goals_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    pains_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    objections_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    wins_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    patience: float = 0.5
    opening_line: str = Field(default="", max_length=300)
    voice_hint: str = Field(default="", max_length=80)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class SessionStatus(StrEnum):
    """A role-play's life: being played, then ended (and scored by the call analyzer)."""

    ACTIVE = "active"
    ENDED = "ended"


class PracticeSession(TenantScoped, table=True):
    """One role-play against an AI buyer, typed or spoken."""

    __tablename__ = "practice_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    persona_key: str = Field(max_length=40)  # a built-in slug, or "custom-<id>"
    persona_name: str = Field(max_length=80)
    persona_json: str = Field(sa_column=Column(Text, nullable=False))  # the snapshot played
    scenario: str = Field(max_length=32)
    focus: str = Field(max_length=32)
    difficulty: str = Field(max_length=8)
    model_id: str = Field(default="local", max_length=80)
    status: str = Field(default=SessionStatus.ACTIVE.value, max_length=8, index=True)
    # JSON list of {"speaker": "rep"|"buyer", "text"}; the local buyer's memory between turns.
    transcript_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    buyer_json: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Voice calls: "text" or "voice", the engine that played it, how long the buyer waits in a
    # silence, script coaching on or off, the recording kept (opt-in), the context the rep gave
    # the buyer (JSON list of {"kind", "name", "text"} or images as data URLs), and the end.
    mode: str = Field(default="text", max_length=8, sa_column_kwargs={"server_default": "text"})
    engine: str | None = Field(default=None, max_length=16)
    patience_s: float = Field(default=6.0, sa_column_kwargs={"server_default": "6"})
    coaching: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    keep_audio: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    context_json: str = Field(
        default="[]", sa_column=Column(Text, nullable=False, default="[]", server_default="[]")
    )
    duration_s: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    end_reason: str | None = Field(default=None, max_length=16)
    analysis_id: int | None = Field(default=None, foreign_key="call_analysis.id")
    overall_score: int | None = None
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), index=True, nullable=False),
    )
    ended_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
