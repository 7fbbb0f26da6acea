"""The AI coach's tables: conversations, their messages, and what the user attached to them.

A conversation belongs to one user; attachments belong to a conversation, so every later question
in it can draw on them (as with ChatGPT's files) without uploading again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field

from quotahit.db import TenantScoped, utcnow


class MessageStatus(StrEnum):
    """Whether an answer finished: a partial answer is kept when the provider fails mid-stream."""

    STREAMING = "streaming"
    COMPLETE = "complete"
    PARTIAL = "partial"
    FAILED = "failed"
    STOPPED = "stopped"


class CoachConversation(TenantScoped, table=True):
    """One chat with the coach."""

    __tablename__ = "coach_conversation"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    title: str = Field(default="New conversation", max_length=120)
    model_id: str = Field(default="local", max_length=80)
    research: bool = False
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), index=True, nullable=False),
    )


class CoachMessage(TenantScoped, table=True):
    """A question or an answer; answers say which model served them and what they cited."""

    __tablename__ = "coach_message"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="coach_conversation.id", index=True)
    role: str = Field(max_length=12)  # user | assistant
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default=MessageStatus.COMPLETE.value, max_length=12)
    model_id: str = Field(default="", max_length=80)
    key_source: str = Field(default="", max_length=16)
    error: str = Field(default="", max_length=500)
    notice: str = Field(default="", max_length=1000)
    # JSON list of {"title", "url", "kind"}: the documents, playbook passages or web pages used.
    citations_json: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class CoachAttachment(TenantScoped, table=True):
    """A PDF, text file, web page or image attached to a conversation.

    Text is stored extracted (the original file is not kept); an image is kept in private
    storage so a vision model can see it on every later question of the conversation.
    """

    __tablename__ = "coach_attachment"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="coach_conversation.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=8)  # pdf | text | url | image
    name: str = Field(max_length=200)
    source_url: str = Field(default="", max_length=2000)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    pages: int = 0
    notice: str = Field(default="", max_length=300)
    image_path: str = Field(default="", max_length=300)  # relative to the data directory
    mime: str = Field(default="", max_length=40)
    size_bytes: int = 0
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
