"""Settings: generated local secrets, production refusing to start without its secrets, the CLI."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from quotahit.settings import (
    DEV_SECRETS_FILE,
    PROJECT_ROOT,
    Settings,
    SettingsError,
    build_settings,
    get_settings,
)

ALIASES = sorted(field.alias for field in Settings.model_fields.values() if field.alias)
PRODUCTION_REQUIRED = [
    "QUOTAHIT_SECRET_KEY",
    "QUOTAHIT_ENCRYPTION_KEYS",
    "QUOTAHIT_PUBLIC_BASE_URL",
    "DATABASE_URL",
    "EMAIL_PROVIDER",
]
COMPLETE_PRODUCTION = {
    "QUOTAHIT_ENV": "production",
    "QUOTAHIT_SECRET_KEY": "k" * 64,
    "QUOTAHIT_ENCRYPTION_KEYS": "1:" + "A" * 43 + "=",
    "QUOTAHIT_PUBLIC_BASE_URL": "https://app.quotahit.example/",
    "DATABASE_URL": "postgresql://quotahit@db.internal/quotahit",
    "EMAIL_PROVIDER": "resend",
    "RESEND_API_KEY": "re_live_key",
}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A clean environment (no QuotaHit variable, no .env) with the data folder in tmp."""
    for alias in ALIASES:
        monkeypatch.delenv(alias, raising=False)
    # A developer's .env must not leak into these tests.
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    folder = tmp_path / "data"
    monkeypatch.setenv("QUOTAHIT_DATA_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def set_env(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for key, value in values.items():
        monkeypatch.setenv(key, value)


# Local mode.


def test_local_mode_generates_secrets_once_with_mode_0600(data_dir: Path) -> None:
    assert not data_dir.exists()
    first = build_settings()
    secrets_file = data_dir / DEV_SECRETS_FILE
    assert secrets_file.is_file()
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    stored = json.loads(secrets_file.read_text())
    assert first.secret_key == stored["secret_key"]
    assert first.encryption_keys == stored["encryption_keys"]
    assert len(first.secret_key) >= 64
    version, key = first.encryption_keys.split(":", 1)
    assert version == "1"
    import base64

    assert len(base64.urlsafe_b64decode(key)) == 32

    second = build_settings()
    assert (second.secret_key, second.encryption_keys) == (first.secret_key, first.encryption_keys)
    assert json.loads(secrets_file.read_text()) == stored


def test_generated_secrets_differ_between_installs(tmp_path: Path, data_dir: Path) -> None:
    first = build_settings()
    other = build_settings(QUOTAHIT_DATA_DIR=str(tmp_path / "other"))
    assert other.secret_key != first.secret_key
    assert other.encryption_keys != first.encryption_keys


def test_local_mode_defaults(data_dir: Path) -> None:
    settings = build_settings()
    assert settings.is_local
    assert settings.data_dir == data_dir.resolve()
    assert settings.database_url == f"sqlite:///{data_dir.resolve() / 'quotahit.db'}"
    assert settings.email_provider == "outbox"
    assert settings.base_url == "http://127.0.0.1:3000"
    assert "http://localhost:3000" in settings.cors_origins


def test_local_mode_keeps_secrets_given_in_the_environment(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_env(monkeypatch, {"QUOTAHIT_SECRET_KEY": "given-key", "QUOTAHIT_ENCRYPTION_KEYS": "1:x"})
    settings = build_settings()
    assert (settings.secret_key, settings.encryption_keys) == ("given-key", "1:x")
    assert not (data_dir / DEV_SECRETS_FILE).exists()


def test_get_settings_is_cached_until_cleared(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = get_settings()
    assert get_settings() is first
    monkeypatch.setenv("QUOTAHIT_PORT", "4100")
    assert get_settings().port == first.port
    get_settings.cache_clear()
    assert get_settings().port == 4100


def test_platform_admins_are_parsed_lower_case(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUOTAHIT_PLATFORM_ADMINS", " Root@Example.com, ,ops@example.com,")
    assert build_settings().platform_admin_emails == {"root@example.com", "ops@example.com"}


# Production mode.


def test_production_with_nothing_set_names_every_missing_setting(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUOTAHIT_ENV", "production")
    with pytest.raises(SettingsError) as raised:
        build_settings()
    message = str(raised.value)
    for name in PRODUCTION_REQUIRED:
        assert name in message
    # Production never falls back to generated secrets.
    assert not (data_dir / DEV_SECRETS_FILE).exists()


def test_production_with_everything_set_starts(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_env(monkeypatch, COMPLETE_PRODUCTION)
    settings = build_settings()
    assert not settings.is_local
    assert settings.secret_key == "k" * 64
    assert settings.base_url == "https://app.quotahit.example"
    assert settings.cors_origins == ["https://app.quotahit.example"]
    assert not (data_dir / DEV_SECRETS_FILE).exists()


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("QUOTAHIT_SECRET_KEY", "QUOTAHIT_SECRET_KEY"),
        ("DATABASE_URL", "DATABASE_URL"),
        ("RESEND_API_KEY", "RESEND_API_KEY"),
    ],
)
def test_production_names_just_the_one_missing_setting(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, missing: str, named: str
) -> None:
    set_env(monkeypatch, {k: v for k, v in COMPLETE_PRODUCTION.items() if k != missing})
    with pytest.raises(SettingsError) as raised:
        build_settings()
    listed = str(raised.value).split("without: ", 1)[1]
    assert listed == named


def test_production_smtp_needs_a_host(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, {**COMPLETE_PRODUCTION, "EMAIL_PROVIDER": "smtp"})
    with pytest.raises(SettingsError, match="SMTP_HOST"):
        build_settings()
    monkeypatch.setenv("SMTP_HOST", "smtp.example.com")
    assert build_settings().email_provider == "smtp"


# The command line.


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`quotahit ...` with only the given QuotaHit settings (blank ones override any .env)."""
    base = {key: value for key, value in os.environ.items() if key not in ALIASES}
    blanks = {
        "QUOTAHIT_SECRET_KEY": "",
        "QUOTAHIT_ENCRYPTION_KEYS": "",
        "QUOTAHIT_PUBLIC_BASE_URL": "",
        "DATABASE_URL": "",
        "EMAIL_PROVIDER": "outbox",
        "RESEND_API_KEY": "",
        "SMTP_HOST": "",
    }
    return subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "quotahit"), *args],
        env={**base, **blanks, "QUOTAHIT_DATA_DIR": str(tmp_path / "data"), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )


def test_cli_check_config_fails_in_production_naming_the_settings(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "check-config", QUOTAHIT_ENV="production")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "refuses to start in production" in result.stderr
    for name in PRODUCTION_REQUIRED:
        assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / DEV_SECRETS_FILE).exists()


def test_cli_check_config_passes_in_local_mode(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "check-config", QUOTAHIT_ENV="local")
    assert result.returncode == 0, result.stderr
    assert "configuration is complete (local mode)" in result.stdout
    assert stat.S_IMODE((tmp_path / "data" / DEV_SECRETS_FILE).stat().st_mode) == 0o600


def test_cli_check_config_passes_in_complete_production(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "check-config", **COMPLETE_PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "production mode" in result.stdout


@pytest.mark.parametrize(
    ("host", "visible"), [("127.0.0.1", True), ("localhost", True), ("0.0.0.0", False)]
)
def test_the_outbox_is_served_only_by_a_local_install_on_loopback(
    tmp_path: Path, host: str, visible: bool
) -> None:
    settings = build_settings(_env_file=None, QUOTAHIT_DATA_DIR=str(tmp_path), QUOTAHIT_HOST=host)
    assert settings.outbox_visible is visible


def test_a_process_that_loses_the_race_to_write_the_secrets_uses_the_winners(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two CLI runs started at once once crashed: both found no file, the second's create failed."""
    import secrets as secrets_module

    data_dir = tmp_path / "data"
    winner = {"secret_key": "w" * 64, "encryption_keys": "1:" + "W" * 43 + "="}
    token_urlsafe = secrets_module.token_urlsafe

    def other_process_writes_first(size: int) -> str:
        (data_dir / DEV_SECRETS_FILE).write_text(json.dumps(winner))
        return token_urlsafe(size)

    monkeypatch.setattr(secrets_module, "token_urlsafe", other_process_writes_first)
    settings = build_settings(QUOTAHIT_DATA_DIR=str(data_dir), QUOTAHIT_ENV="local")
    assert (settings.secret_key, settings.encryption_keys) == tuple(winner.values())
    assert [path.name for path in data_dir.iterdir()] == [DEV_SECRETS_FILE]


def _secrets_from_a_new_process(data_dir: str) -> tuple[str, str]:
    settings = build_settings(QUOTAHIT_DATA_DIR=data_dir, QUOTAHIT_ENV="local")
    return str(settings.secret_key), str(settings.encryption_keys)


def test_processes_started_together_agree_on_the_generated_secrets(tmp_path: Path) -> None:
    """Two CLI runs started at once once crashed: both saw no file, the second's create failed."""
    from concurrent.futures import ProcessPoolExecutor

    data_dir = str(tmp_path / "data")
    with ProcessPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(_secrets_from_a_new_process, [data_dir] * 12))
    assert len(set(results)) == 1
    on_disk = json.loads((tmp_path / "data" / DEV_SECRETS_FILE).read_text())
    assert results[0] == (on_disk["secret_key"], on_disk["encryption_keys"])
    assert [path.name for path in (tmp_path / "data").iterdir()] == [DEV_SECRETS_FILE]
