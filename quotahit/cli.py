"""The `quotahit` command line: migrate, check the configuration, serve, rotate the keyring."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

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


@app.command()
def analyze(
    path: Path = typer.Argument(..., help="The call recording (mp3, m4a, wav, ogg, webm, flac)."),
    json_output: bool = typer.Option(False, "--json", help="Print only the analysis JSON."),
    model: str = typer.Option("local", "--model", help="The model that scores the call."),
    speech_model: str = typer.Option(
        "local-whisper", "--speech-model", help="The model that transcribes it."
    ),
    rep_speaker: str = typer.Option(
        "auto",
        "--rep-speaker",
        help="Who is the rep: auto, first, second, left, right, or a speaker label.",
    ),
    focus: str = typer.Option("general", "--focus", help="The training focus of the rubric."),
) -> None:
    """Analyse a recorded call: transcript, measured metrics, scores and coaching."""
    import asyncio
    import json

    from quotahit.accounts.identity import AccountError
    from quotahit.analysis import standalone
    from quotahit.analysis.printing import describe
    from quotahit.analysis.transcription import AnalysisError

    settings = _settings_or_exit()

    def progress(stage: str, fraction: float) -> None:
        if not json_output:
            typer.echo(f"\r{stage:<13} {fraction:4.0%}", err=True, nl=False)

    try:
        result = asyncio.run(
            standalone.analyze_file(
                path,
                model_id=model,
                speech_model_id=speech_model,
                rep_hint=rep_speaker,
                focus=focus,
                max_bytes=settings.analysis_max_megabytes * 1_000_000,
                max_seconds=settings.analysis_max_minutes * 60,
                progress=progress,
            )
        )
    except (AnalysisError, AccountError) as error:
        if not json_output:
            typer.echo("", err=True)
        typer.echo(f"error: {' '.join(str(error).split())}", err=True)
        raise typer.Exit(1) from None
    except Exception as error:  # a bug, not the file: still one line, never a traceback
        typer.echo(f"error: the analysis failed unexpectedly ({type(error).__name__})", err=True)
        raise typer.Exit(1) from None
    if json_output:
        typer.echo(json.dumps(result.analysed.document, ensure_ascii=False))
        return
    typer.echo("", err=True)
    typer.echo(describe(result.heard, result.analysed))


@app.command()
def worker() -> None:
    """Run analysis jobs from the Redis stream (QUOTAHIT_JOB_BROKER_URL) until stopped."""
    import asyncio

    settings = _settings_or_exit()
    if not settings.job_broker_url:
        typer.echo(
            "QUOTAHIT_JOB_BROKER_URL is empty: jobs run inside the web process, "
            "no worker is needed.",
            err=True,
        )
        raise typer.Exit(1)
    from quotahit.analysis import jobs

    typer.echo("Taking analysis jobs from the queue (Ctrl+C stops).")
    asyncio.run(jobs.work_forever())
