"""Database engine, sessions and the tenant-scoping helper every service uses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, create_engine, select
from sqlmodel.sql.expression import SelectOfScalar

from quotahit.settings import get_settings

ModelT = TypeVar("ModelT", bound=SQLModel)
T = TypeVar("T")


def utcnow() -> datetime:
    """Timezone-aware now; stored naive-UTC on SQLite, aware on PostgreSQL."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Treat a naive datetime read back from SQLite as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def like_pattern(text: str) -> str:
    """A lower-case `%contains%` pattern with LIKE's wildcards escaped (use escape="\\")."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


MAX_ROW_ID = 2**31 - 1  # PostgreSQL's integer: a larger id is an error there, not a miss


def row_id(raw: Any) -> int | None:
    """The id of a row as a client sent it (a JSON number or its digits), or None.

    None also for ids no row can have: zero, and ids past PostgreSQL's integer.
    """
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None
    text = str(raw).strip()
    # isdigit() alone takes "²", which int() refuses.
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ROW_ID:
        return None
    return int(text)


class TenantScoped(SQLModel):
    """Mixin for every row that belongs to an organisation."""

    organization_id: int = Field(foreign_key="organization.id", index=True)


class TenantScopeError(RuntimeError):
    """Raised when a query would run without an organisation."""


def tenant_select(model: type[ModelT], organization_id: int | None) -> SelectOfScalar[ModelT]:
    """`select(model)` limited to one organisation, so a query cannot forget the tenant."""
    if not issubclass(model, TenantScoped):
        raise TenantScopeError(f"{model.__name__} is not tenant-scoped")
    if organization_id is None:
        raise TenantScopeError(f"query on {model.__name__} without an organisation")
    return select(model).where(model.organization_id == organization_id)


def tenant_get(
    db_session: Session, model: type[ModelT], *, organization_id: int, row_id: int
) -> ModelT | None:
    """Fetch one row by id only if it belongs to the organisation (no IDOR across tenants)."""
    statement = tenant_select(model, organization_id).where(model.id == row_id)  # type: ignore[attr-defined]
    return db_session.exec(statement).first()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for the URL, with SQLite made safe for concurrent readers and foreign keys on."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    """The engine for the configured DATABASE_URL."""
    return _engine_for(get_settings().database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(get_engine(), expire_on_commit=False) as db_session:
        try:
            yield db_session
            db_session.commit()
        except Exception:
            db_session.rollback()
            raise


async def in_session(work: Callable[[Session], T]) -> T:
    """Run database work in a worker thread with its own committed session.

    Used by handlers whose work includes password hashing (~70 ms of CPU), so one login does not
    stall every other tab served by the same event loop.
    """

    def run() -> T:
        with session_scope() as db_session:
            return work(db_session)

    return await asyncio.to_thread(run)
