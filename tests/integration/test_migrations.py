"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from alembic import command
from quotahit import migrations
from quotahit.db import make_engine
from quotahit.tables import metadata

TABLES = {
    "account_token",
    "api_token",
    "audit_log",
    "custom_endpoint",
    "auth_session",
    "call_analysis",
    "coach_attachment",
    "coach_conversation",
    "coach_message",
    "custom_persona",
    "invitation",
    "membership",
    "organization",
    "outbox_message",
    "practice_session",
    "provider_key",
    "usage_record",
    "team",
    "user",
}


def schema_diff(url: str) -> list:
    """What `alembic check` would report: the autogenerate diff between database and models."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    "render_as_batch": connection.dialect.name == "sqlite",
                },
            )
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_models_cover_every_table() -> None:
    assert set(metadata.tables) == TABLES


def test_upgrade_head_matches_the_models(empty_db_url: str) -> None:
    assert table_names(empty_db_url) == set()
    migrations.upgrade(empty_db_url)
    head = ScriptDirectory.from_config(migrations.alembic_config()).get_current_head()
    assert current_revision(empty_db_url) == head
    assert table_names(empty_db_url) == TABLES | {"alembic_version"}
    assert schema_diff(empty_db_url) == []


def test_upgrade_is_idempotent(empty_db_url: str) -> None:
    migrations.upgrade(empty_db_url)
    migrations.upgrade(empty_db_url)
    assert schema_diff(empty_db_url) == []


def test_downgrade_to_base_and_back(empty_db_url: str) -> None:
    migrations.upgrade(empty_db_url)
    command.downgrade(migrations.alembic_config(empty_db_url), "base")
    assert table_names(empty_db_url) <= {"alembic_version"}
    assert current_revision(empty_db_url) is None
    migrations.upgrade(empty_db_url)
    assert schema_diff(empty_db_url) == []


def test_a_single_head() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert len(script.get_heads()) == 1
