"""The `quotahit` command line: migrate, check the configuration, serve the app."""

from __future__ import annotations

import os
import shutil
import sys

import typer

from quotahit.settings import PROJECT_ROOT, SettingsError, build_settings

app = typer.Typer(help="QuotaHit: AI sales coaching.", no_args_is_help=True)


@app.command()
def check_config() -> None:
    """Validate the settings; in production, list every missing secret."""
    try:
        settings = build_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo(f"QuotaHit configuration is complete ({settings.env} mode).")


@app.command()
def migrate() -> None:
    """Apply the database migrations."""
    from quotahit import migrations

    try:
        settings = build_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    migrations.upgrade(settings.database_url)
    typer.echo("Database is up to date.")


@app.command()
def serve() -> None:
    """Serve the production build on one port and print its URL."""
    try:
        settings = build_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
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
