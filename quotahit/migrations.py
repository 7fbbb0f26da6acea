"""Applying Alembic migrations from code (the CLI, `make run` and the tests use this)."""

from __future__ import annotations

from alembic.config import Config

from alembic import command
from quotahit.settings import PROJECT_ROOT


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic's config for this project, optionally aimed at another database."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    """Bring the database up to the newest schema."""
    command.upgrade(alembic_config(database_url), revision)
