"""Shared fixtures: a migrated database (SQLite and PostgreSQL) and the Redis service.

Tests that use `db_url` (or `db_session`) run once per database. PostgreSQL and Redis are reached on
loopback; when one is down its tests are skipped with the reason, except when
QUOTAHIT_REQUIRE_SERVICES=1 (CI), where they fail: a green CI run means they really ran.

Browser fixtures live in tests/e2e/conftest.py; nothing here may need a browser.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
PREPARED_DATABASES = 2  # PostgreSQL test databases created ahead of the tests that need them

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


def _postgres_url(name: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def _create_postgres_database(name: str, template: str | None = None) -> str:
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with _maintenance_connection() as connection:
        connection.execute(statement)
    return name


def _drop_postgres_database(name: str) -> None:
    with _maintenance_connection() as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _unique_name(kind: str = "") -> str:
    return f"{TEST_DATABASE_PREFIX}{kind}{uuid.uuid4().hex[:16]}"


@contextmanager
def fresh_empty_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A new database of the kind without any table, dropped afterwards; yields its URL."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'quotahit-empty.db'}"
        return
    require_service(postgres_problem())
    name = _create_postgres_database(_unique_name())
    try:
        yield _postgres_url(name)
    finally:
        _drop_postgres_database(name)


class TestDatabases:
    """Fresh, uniquely named databases, each a copy of a template migrated once per run.

    The template of each kind is built by the real Alembic migrations (`migrations.upgrade`); a
    test then gets a copy of it: a file copy for SQLite, `CREATE DATABASE ... TEMPLATE` for
    PostgreSQL. Creating a PostgreSQL database takes a few hundred milliseconds of disk I/O, so
    the next ones are prepared by background threads while the current test runs, and used ones
    are dropped there too. The migrations themselves are replayed on empty databases in
    tests/integration/test_migrations.py.
    """

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._sqlite_template: Path | None = None
        self._postgres_template: str | None = None
        self._workers: ThreadPoolExecutor | None = None
        self._prepared: deque[Future[str]] = deque()

    def sqlite(self, path: Path) -> str:
        if self._sqlite_template is None:
            template = self._folder / "template.db"
            migrations.upgrade(f"sqlite:///{template}")
            assert not Path(f"{template}-wal").exists(), "the template's WAL was not checkpointed"
            self._sqlite_template = template
        shutil.copyfile(self._sqlite_template, path)
        return f"sqlite:///{path}"

    def postgres(self) -> str:
        """The name of a new database at head (dropped by `release_postgres`)."""
        require_service(postgres_problem())
        if self._postgres_template is None:
            template = _create_postgres_database(_unique_name("template_"))
            self._postgres_template = template
            migrations.upgrade(_postgres_url(template))
            # Two at a time: CREATE DATABASE waits on the disk more than on the CPU.
            self._workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-databases")
        assert self._workers is not None
        while len(self._prepared) < PREPARED_DATABASES + 1:
            self._prepared.append(self._workers.submit(self._copy_template))
        return self._prepared.popleft().result()

    def release_postgres(self, name: str) -> None:
        assert self._workers is not None
        self._workers.submit(_drop_postgres_database, name)

    def _copy_template(self) -> str:
        return _create_postgres_database(_unique_name(), self._postgres_template)

    def close(self) -> None:
        if self._workers is not None:
            for prepared in self._prepared:
                with contextlib.suppress(Exception):
                    self.release_postgres(prepared.result())
            self._workers.shutdown(wait=True)
        if self._postgres_template is not None:
            _drop_postgres_database(self._postgres_template)


@pytest.fixture(scope="session")
def test_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    databases = TestDatabases(tmp_path_factory.mktemp("databases"))
    try:
        yield databases
    finally:
        databases.close()


@pytest.fixture(params=DB_KINDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (for the migration tests)."""
    with fresh_empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(params=DB_KINDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, test_databases: TestDatabases
) -> Iterator[str]:
    """A fresh, uniquely named database at the head revision of the real Alembic migrations."""
    if request.param == "sqlite":
        yield test_databases.sqlite(tmp_path / "quotahit-test.db")
        return
    name = test_databases.postgres()
    try:
        yield _postgres_url(name)
    finally:
        test_databases.release_postgres(name)


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
