"""Dashboard state: loads the summary for the signed-in user."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx

from quotahit.accounts.state import identity_of
from quotahit.dashboard import service
from quotahit.db import session_scope


class DashboardState(rx.State):
    """What the dashboard home shows; rebuilt from the database on every visit."""

    loaded: bool = False
    first_name: str = ""
    stats: list[dict[str, str]] = []
    recent: list[dict[str, str]] = []
    next_steps: list[dict[str, str]] = []

    @rx.event
    async def load(self) -> None:
        """Compute the summary for the caller."""
        identity = await identity_of(self)
        if identity is None:
            return
        with session_scope() as db_session:
            summary = service.summarize(db_session=db_session, identity=identity)
        self.first_name = summary.first_name
        self.stats = [
            {
                "label": "Members",
                "value": str(summary.member_count),
                "icon": "users",
                "hint": f"{summary.pending_invitations} invitation(s) pending",
            },
            {
                "label": "Active this week",
                "value": str(summary.active_members_this_week),
                "icon": "activity",
                "hint": f"{summary.sign_ins_this_week} sign-ins in 7 days",
            },
            {
                "label": "Your sign-ins",
                "value": str(summary.my_sign_ins_this_week),
                "icon": "log_in",
                "hint": "in the last 7 days",
            },
            {
                "label": "Joined this week",
                "value": str(summary.joined_this_week),
                "icon": "user_plus",
                "hint": f"{summary.invitations_this_week} invited in 7 days",
            },
        ]
        self.recent = [asdict(item) for item in summary.recent]
        self.next_steps = [asdict(step) for step in summary.next_steps]
        self.loaded = True
