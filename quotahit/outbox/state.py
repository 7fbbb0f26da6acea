"""Outbox page state (local mode only; refuses to list anything in production)."""

from __future__ import annotations

import math
import re

import reflex as rx

from quotahit.db import as_utc, session_scope
from quotahit.outbox import service
from quotahit.settings import get_settings

PAGE_SIZE = 20
LINK = re.compile(r"https?://\S+")


def _first_link(body: str) -> str:
    """The e-mail's call to action (confirm, reset, join), as a button."""
    match = LINK.search(body)
    return match.group(0) if match else ""


class OutboxState(rx.State):
    """Messages the local engine 'sent', newest first."""

    available: bool = False
    messages: list[dict[str, str]] = []
    recipient: str = ""
    page: int = 1
    total: int = 0

    @rx.var
    def page_count(self) -> int:
        """Pages of messages."""
        return max(1, math.ceil(self.total / PAGE_SIZE))

    @rx.event
    def load(self) -> None:
        """List messages, only in local mode."""
        self.available = get_settings().outbox_visible
        if not self.available:
            self.messages, self.total = [], 0
            return
        with session_scope() as db_session:
            rows, self.total = service.list_messages(
                db_session=db_session,
                to_address=self.recipient,
                offset=(self.page - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
        self.messages = [
            {
                "id": str(row.id),
                "to": row.to_address,
                "subject": row.subject,
                "body": row.text_body,
                "when": as_utc(row.created_at).strftime("%Y-%m-%d %H:%M:%S UTC"),
                "link": _first_link(row.text_body),
            }
            for row in rows
        ]

    @rx.event
    def set_recipient(self, value: str) -> None:
        """Filter by recipient."""
        self.recipient, self.page = value[:320], 1
        self.load()

    @rx.event
    def page_step(self, step: int) -> None:
        """Move through the pages."""
        self.page = min(max(1, self.page + int(step)), self.page_count)
        self.load()
