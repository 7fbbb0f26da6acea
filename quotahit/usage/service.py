"""Recording provider calls and summarising them (by day, module, provider, key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from quotahit.db import tenant_select, utcnow
from quotahit.usage.models import UsageRecord


@dataclass(frozen=True)
class CallRecord:
    """What the provider layer knows about a finished call."""

    organization_id: int
    user_id: int | None
    module: str
    provider: str
    model: str
    key_source: str
    key_id: int | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    audio_seconds: float = 0.0
    latency_ms: int = 0
    cost_usd: float = 0.0
    outcome: str = "ok"
    detail: str = ""


def record(*, db_session: Session, call: CallRecord) -> UsageRecord:
    """Store one metered call."""
    row = UsageRecord(**call.__dict__)
    row.detail = row.detail[:300]
    db_session.add(row)
    db_session.commit()
    return row


def month_start(now: datetime | None = None) -> datetime:
    """The first instant of the current calendar month (UTC): caps reset then."""
    now = now or utcnow()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def spent_this_month(*, db_session: Session, organization_id: int, key_id: int) -> float:
    """Dollars spent through one stored key since the start of the month."""
    total = db_session.exec(
        select(func.coalesce(func.sum(UsageRecord.cost_usd), 0.0)).where(
            UsageRecord.organization_id == organization_id,
            UsageRecord.key_id == key_id,
            UsageRecord.created_at >= month_start(),
        )
    ).one()
    return float(total)


@dataclass(frozen=True)
class UsageTotals:
    """Sums over a group of calls."""

    label: str
    calls: int
    tokens_in: int
    tokens_out: int
    audio_seconds: float
    cost_usd: float
    failures: int


@dataclass(frozen=True)
class UsageSummary:
    """What the usage page and `GET /api/usage` report for a period."""

    since: datetime
    total: UsageTotals
    by_day: list[UsageTotals]
    by_module: list[UsageTotals]
    by_provider: list[UsageTotals]
    by_key: list[UsageTotals]


def _totals(label: str, rows: list[UsageRecord]) -> UsageTotals:
    return UsageTotals(
        label=label,
        calls=len(rows),
        tokens_in=sum(row.tokens_in for row in rows),
        tokens_out=sum(row.tokens_out for row in rows),
        audio_seconds=round(sum(row.audio_seconds for row in rows), 1),
        cost_usd=round(sum(row.cost_usd for row in rows), 6),
        failures=sum(row.outcome != "ok" for row in rows),
    )


def _grouped(rows: list[UsageRecord], key: str) -> list[UsageTotals]:
    groups: dict[str, list[UsageRecord]] = {}
    for row in rows:
        groups.setdefault(key_of(row, key), []).append(row)
    return [_totals(label, members) for label, members in sorted(groups.items())]


def key_of(row: UsageRecord, key: str) -> str:
    """The group a call falls in for one of the summary's breakdowns."""
    if key == "day":
        return row.created_at.strftime("%Y-%m-%d")
    if key == "key":
        return row.key_source if row.key_id is None else f"{row.key_source} key #{row.key_id}"
    return str(getattr(row, key))


def summarize(
    *,
    db_session: Session,
    organization_id: int,
    user_id: int | None,
    days: int = 30,
    now: datetime | None = None,
) -> UsageSummary:
    """Usage of one user (or of the whole organisation when `user_id` is None) over `days`."""
    since = (now or utcnow()) - timedelta(days=max(1, min(days, 366)))
    statement = tenant_select(UsageRecord, organization_id).where(UsageRecord.created_at >= since)
    if user_id is not None:
        statement = statement.where(UsageRecord.user_id == user_id)
    rows = list(db_session.exec(statement.order_by(UsageRecord.created_at)).all())
    return UsageSummary(
        since=since,
        total=_totals("total", rows),
        by_day=_grouped(rows, "day"),
        by_module=_grouped(rows, "module"),
        by_provider=_grouped(rows, "provider"),
        by_key=_grouped(rows, "key"),
    )
