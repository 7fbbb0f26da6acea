"""Usage page state: the caller's (or, for admins, the organisation's) metered calls."""

from __future__ import annotations

import reflex as rx

from quotahit.accounts.state import identity_of
from quotahit.db import session_scope
from quotahit.usage import service
from quotahit.usage.service import UsageTotals


def _row(group: UsageTotals) -> dict[str, str]:
    return {
        "label": group.label,
        "calls": str(group.calls),
        "tokens": f"{group.tokens_in:,} in / {group.tokens_out:,} out",
        "audio": f"{group.audio_seconds:,.0f} s",
        "cost": f"${group.cost_usd:,.4f}",
        "failures": str(group.failures),
    }


class UsageState(rx.State):
    """Totals and breakdowns for the chosen period."""

    days: str = "30"
    scope: str = "me"
    loaded: bool = False
    total: dict[str, str] = {}
    by_day: list[dict[str, str | float | int]] = []
    by_module: list[dict[str, str]] = []
    by_provider: list[dict[str, str]] = []
    by_key: list[dict[str, str]] = []

    @rx.event
    async def load(self) -> None:
        """Summarise the period (admins may look at the whole organisation)."""
        identity = await identity_of(self)
        if identity is None:
            return
        if self.scope == "organization" and not identity.is_admin:
            self.scope = "me"
        with session_scope() as db_session:
            summary = service.summarize(
                db_session=db_session,
                organization_id=identity.organization_id,
                user_id=None if self.scope == "organization" else identity.user_id,
                days=int(self.days),
            )
        self.total = _row(summary.total)
        self.by_day = [
            {"day": group.label[5:], "calls": group.calls, "cost": round(group.cost_usd, 4)}
            for group in summary.by_day
        ]
        self.by_module = [_row(group) for group in summary.by_module]
        self.by_provider = [_row(group) for group in summary.by_provider]
        self.by_key = [_row(group) for group in summary.by_key]
        self.loaded = True

    @rx.event
    async def set_days(self, value: str | list[str]) -> None:
        """Change the period: 7, 30 or 90 days."""
        self.days = value if isinstance(value, str) and value in {"7", "30", "90"} else "30"
        await self.load()

    @rx.event
    async def set_scope(self, value: str | list[str]) -> None:
        """Mine, or the whole organisation (admins; checked again in load)."""
        self.scope = value if isinstance(value, str) and value in {"me", "organization"} else "me"
        await self.load()
