"""Alembic environment: migrates the database named by the settings (or by the caller)."""

from alembic import context
from quotahit.db import make_engine
from quotahit.settings import get_settings
from quotahit.tables import metadata

url = context.config.attributes.get("database_url") or get_settings().database_url
connectable = context.config.attributes.get("connection")


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connectable is not None:
    _run(connectable)
else:
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()
