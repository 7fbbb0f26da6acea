"""Shared fixtures: a migrated database (SQLite and PostgreSQL) and the Redis service.

Tests that use `db_url` (or `db_session`) run once per database. PostgreSQL and Redis are reached on
loopback; when one is down its tests are skipped with the reason, except when
QUOTAHIT_REQUIRE_SERVICES=1 (CI), where they fail: a green CI run means they really ran.

Browser fixtures live in tests/e2e/conftest.py; nothing here may need a browser.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quotahit import migrations
from quotahit.db import make_engine

PG_HOST, PG_PORT, PG_USER, PG_MAINTENANCE_DB = "127.0.0.1", 5432, "postgres", "test"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}"
TEST_DATABASE_PREFIX = "quotahit_test_"

DB_KINDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


# Service reachability.


def services_required() -> bool:
    """CI sets QUOTAHIT_REQUIRE_SERVICES=1: a missing service is then a failure, not a skip."""
    return os.environ.get("QUOTAHIT_REQUIRE_SERVICES") == "1"


def _maintenance_connection() -> psycopg.Connection:
    return psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user=PG_USER,
        dbname=PG_MAINTENANCE_DB,
        autocommit=True,
        connect_timeout=3,
    )


@functools.cache
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers (checked once per run)."""
    try:
        with _maintenance_connection() as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return (
            f"PostgreSQL is unreachable at {PG_HOST}:{PG_PORT} "
            f"(user {PG_USER}, database {PG_MAINTENANCE_DB}): {error}".strip()
        )
    return None


@functools.cache
def redis_problem() -> str | None:
    """Why Redis cannot be used, or None when it answers PING (checked once per run)."""
    import redis

    client = redis.Redis(
        host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=3, socket_timeout=3
    )
    try:
        client.ping()
    except redis.RedisError as error:
        return f"Redis is unreachable at {REDIS_HOST}:{REDIS_PORT}: {error}"
    finally:
        client.close()
    return None


def require_service(problem: str | None) -> None:
    """Skip (locally) or fail (QUOTAHIT_REQUIRE_SERVICES=1) when a service is missing."""
    if problem is None:
        return
    if services_required():
        pytest.fail(f"{problem} -- QUOTAHIT_REQUIRE_SERVICES=1 requires it", pytrace=False)
    print(f"skipping: {problem}", file=sys.stderr)
    pytest.skip(f"{problem} (set QUOTAHIT_REQUIRE_SERVICES=1 to make this a failure)")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say up front whether the database and Redis tests will run."""
    lines = []
    for name, problem in (("PostgreSQL", postgres_problem()), ("Redis", redis_problem())):
        if problem is None:
            lines.append(f"{name}: reachable")
        else:
            verdict = "tests FAIL" if services_required() else "tests are skipped"
            lines.append(f"{name}: {problem} -> {verdict}")
    return lines


# Databases.


def _create_postgres_database(name: str, template: str | None = None) -> str:
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with _maintenance_connection() as connection:
        connection.execute(statement)
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def _drop_postgres_database(name: str) -> None:
    with _maintenance_connection() as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def fresh_database(kind: str, tmp_path: Path, template: str | Path | None = None) -> Iterator[str]:
    """A new database of the kind (a copy of `template` if given), dropped afterwards."""
    if kind == "sqlite":
        path = tmp_path / "quotahit-test.db"
        if template is not None:
            shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    require_service(postgres_problem())
    name = f"{TEST_DATABASE_PREFIX}{uuid.uuid4().hex[:16]}"
    url = _create_postgres_database(name, str(template) if template else None)
    try:
        yield url
    finally:
        _drop_postgres_database(name)


class MigratedTemplates:
    """One database per kind migrated by the real Alembic migrations, once per test run.

    Each test then gets its own copy (a file copy for SQLite, `CREATE DATABASE ... TEMPLATE` for
    PostgreSQL), which is much cheaper than replaying the migrations every time. The migrations
    themselves are tested on empty databases in tests/integration/test_migrations.py.
    """

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._made: dict[str, str | Path] = {}

    def get(self, kind: str) -> str | Path:
        if kind not in self._made:
            if kind == "sqlite":
                path = self._folder / "template.db"
                migrations.upgrade(f"sqlite:///{path}")
                assert not path.with_name(path.name + "-wal").exists(), "WAL not checkpointed"
                self._made[kind] = path
            else:
                require_service(postgres_problem())
                name = f"{TEST_DATABASE_PREFIX}template_{uuid.uuid4().hex[:12]}"
                migrations.upgrade(_create_postgres_database(name))
                self._made[kind] = name
        return self._made[kind]

    def drop(self) -> None:
        for kind, made in self._made.items():
            if kind == "postgres":
                _drop_postgres_database(str(made))


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("migrated-templates"))
    try:
        yield templates
    finally:
        templates.drop()


@pytest.fixture(params=DB_KINDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (for the migration tests)."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(params=DB_KINDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: MigratedTemplates
) -> Iterator[str]:
    """A fresh, uniquely named database at the head revision of the real Alembic migrations."""
    template = migrated_templates.get(request.param)
    with fresh_database(request.param, tmp_path, template) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The app's own engine for the test database."""
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session like `quotahit.db.session_scope` opens (objects stay readable after commit)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


# Redis.


@pytest.fixture
def redis_url() -> str:
    """Redis on loopback; skipped or failed (see `require_service`) when it is down."""
    require_service(redis_problem())
    return REDIS_URL
