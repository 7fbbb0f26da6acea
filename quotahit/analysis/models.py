"""The call analyzer's table: one row per analysis, which is also the job's source of truth.

The queue only says "look at analysis N"; what to do next is read from the row (status, stage,
the transcript already made), so a message lost or delivered twice never loses or doubles work.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field

from quotahit.db import TenantScoped, utcnow


class Status(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Stage(StrEnum):
    """The visible steps of the pipeline, in order."""

    DECODING = "decoding"
    TRANSCRIBING = "transcribing"
    SPEAKERS = "speakers"
    ANALYSING = "analysing"
    DONE = "done"


ACTIVE = (Status.QUEUED.value, Status.RUNNING.value)


class CallAnalysis(TenantScoped, table=True):
    """One analysed call (an upload, a mock transcript, an API or CLI request)."""

    __tablename__ = "call_analysis"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    title: str = Field(max_length=200)
    source: str = Field(max_length=16)  # upload | mock | api
    mock_slug: str = Field(default="", max_length=40)
    focus: str = Field(default="general", max_length=32)
    model_id: str = Field(default="local", max_length=80)  # who judges
    speech_model_id: str = Field(default="local-whisper", max_length=80)  # who transcribes
    rep_hint: str = Field(default="auto", max_length=40)

    status: str = Field(default=Status.QUEUED.value, max_length=16, index=True)
    stage: str = Field(default=Stage.DECODING.value, max_length=16)
    progress: float = 0.0  # 0-1 within the whole job
    error: str = Field(default="", max_length=500)
    error_kind: str = Field(default="", max_length=24)  # "video": offer to extract the audio
    cancel_requested: bool = False
    attempts: int = 0
    lease_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )

    audio_path: str = Field(default="", max_length=300)  # private storage, relative to data_dir
    audio_bytes: int = 0
    audio_format: str = Field(default="", max_length=40)
    audio_seconds: float = 0.0
    keep_audio: bool = False
    consent_confirmed: bool = False
    audio_deleted_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    retain_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )

    # JSON: the speaker-labelled transcript before roles are decided, so a swap of rep and
    # prospect or a re-run with another model never transcribes again.
    segments_json: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    rep_label: str = Field(default="", max_length=40)
    rep_reason: str = Field(default="", max_length=300)
    # JSON: the public analysis document plus what the page shows beside it.
    result_json: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    notices_json: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    overall_score: int | None = None

    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), index=True, nullable=False),
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
