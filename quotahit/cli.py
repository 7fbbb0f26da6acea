"""The `quotahit` command line: migrate, check the configuration, serve, rotate the keyring."""

from __future__ import annotations

import os
import shutil
import sys

import typer

from quotahit.settings import PROJECT_ROOT, Settings, SettingsError, build_settings

app = typer.Typer(help="QuotaHit: AI sales coaching.", no_args_is_help=True)
keys_app = typer.Typer(help="The provider-key vault's encryption keyring.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _settings_or_exit() -> Settings:
    try:
        return build_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error


@app.command()
def check_config() -> None:
    """Validate the settings; in production, list every missing secret."""
    settings = _settings_or_exit()
    typer.echo(f"QuotaHit configuration is complete ({settings.env} mode).")


@app.command()
def migrate() -> None:
    """Apply the database migrations."""
    from quotahit import migrations

    settings = _settings_or_exit()
    migrations.upgrade(settings.database_url)
    typer.echo("Database is up to date.")


@app.command()
def serve() -> None:
    """Serve the production build on one port and print its URL."""
    settings = _settings_or_exit()
    reflex = shutil.which("reflex") or str(PROJECT_ROOT / ".venv" / "bin" / "reflex")
    typer.echo(f"QuotaHit is starting at {settings.base_url} (building the frontend first)...")
    os.chdir(PROJECT_ROOT)
    sys.stdout.flush()
    os.execv(  # noqa: S606 - replaces this process with Reflex's own server
        reflex,
        [
            reflex,
            "run",
            "--env",
            "prod",
            "--single-port",
            "--frontend-port",
            str(settings.port),
            "--backend-port",
            str(settings.port),
            "--backend-host",
            settings.host,
        ],
    )


@keys_app.command("new-entry")
def keys_new_entry() -> None:
    """Print a fresh keyring entry to append to QUOTAHIT_ENCRYPTION_KEYS (then run rotate)."""
    from quotahit.keys.crypto import Keyring

    settings = _settings_or_exit()
    keyring = Keyring.parse(settings.encryption_keys)
    typer.echo(Keyring.generate_entry(keyring.newest + 1))


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored provider key under the newest keyring version, without downtime."""
    from sqlmodel import Session

    from quotahit.db import make_engine
    from quotahit.keys import service
    from quotahit.keys.crypto import Keyring

    settings = _settings_or_exit()
    keyring = Keyring.parse(settings.encryption_keys)
    engine = make_engine(settings.database_url)
    with Session(engine) as db_session:
        rotated = service.rotate_all(db_session=db_session, keyring=keyring)
    engine.dispose()
    typer.echo(f"Re-encrypted {rotated} key(s) under keyring version {keyring.newest}.")
