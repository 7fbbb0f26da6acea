"""One typed settings object, read from the environment and `.env`.

Local mode fills missing secrets with generated values kept under the data folder so a fresh
clone runs with no configuration; production mode refuses to start without them, naming each one.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRETS_FILE = "dev-secrets.json"


class SettingsError(RuntimeError):
    """Raised when the configuration cannot run the app (e.g. production secrets missing)."""


class Settings(BaseSettings):
    """Every setting the product reads; `.env.example` documents each variable."""

    model_config = SettingsConfigDict(
        env_file=(PROJECT_ROOT / ".env"), env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["local", "production"] = Field("local", alias="QUOTAHIT_ENV")
    data_dir: Path = Field(PROJECT_ROOT / "data", alias="QUOTAHIT_DATA_DIR")
    host: str = Field("127.0.0.1", alias="QUOTAHIT_HOST")
    port: int = Field(3000, alias="QUOTAHIT_PORT")
    public_base_url: str = Field("", alias="QUOTAHIT_PUBLIC_BASE_URL")
    database_url: str = Field("", alias="DATABASE_URL")
    redis_url: str = Field("", alias="REDIS_URL")

    secret_key: str = Field("", alias="QUOTAHIT_SECRET_KEY")
    encryption_keys: str = Field("", alias="QUOTAHIT_ENCRYPTION_KEYS")
    platform_admins: str = Field("", alias="QUOTAHIT_PLATFORM_ADMINS")

    session_idle_hours: int = Field(72, alias="QUOTAHIT_SESSION_IDLE_HOURS")
    session_max_days: int = Field(14, alias="QUOTAHIT_SESSION_MAX_DAYS")
    login_max_failures_per_account: int = Field(5, alias="QUOTAHIT_LOGIN_MAX_PER_ACCOUNT")
    login_max_failures_per_address: int = Field(20, alias="QUOTAHIT_LOGIN_MAX_PER_ADDRESS")
    login_window_minutes: int = Field(15, alias="QUOTAHIT_LOGIN_WINDOW_MINUTES")

    email_provider: Literal["outbox", "resend", "smtp"] = Field("outbox", alias="EMAIL_PROVIDER")
    email_from: str = Field("QuotaHit <no-reply@quotahit.local>", alias="EMAIL_FROM")
    resend_api_key: str = Field("", alias="RESEND_API_KEY")
    resend_api_url: str = Field("https://api.resend.com", alias="RESEND_API_URL")
    smtp_host: str = Field("", alias="SMTP_HOST")
    smtp_port: int = Field(587, alias="SMTP_PORT")
    smtp_username: str = Field("", alias="SMTP_USERNAME")
    smtp_password: str = Field("", alias="SMTP_PASSWORD")
    smtp_starttls: bool = Field(True, alias="SMTP_STARTTLS")

    analysis_max_megabytes: int = Field(200, alias="QUOTAHIT_ANALYSIS_MAX_MB")
    analysis_max_minutes: int = Field(120, alias="QUOTAHIT_ANALYSIS_MAX_MINUTES")
    recording_retention_days: int = Field(30, alias="QUOTAHIT_RECORDING_RETENTION_DAYS")
    # The longest a voice practice call may run, and how long a dropped call waits for its
    # browser to come back before it is ended and scored.
    voice_max_seconds: int = Field(900, alias="QUOTAHIT_VOICE_MAX_SECONDS", ge=5, le=7200)
    voice_resume_seconds: int = Field(30, alias="QUOTAHIT_VOICE_RESUME_SECONDS", ge=1, le=600)
    # Empty: jobs run in the web process (taskiq's in-memory broker). A Redis URL: jobs go through
    # a Redis stream to `quotahit worker` processes.
    job_broker_url: str = Field("", alias="QUOTAHIT_JOB_BROKER_URL")
    job_queue_name: str = Field("quotahit-jobs", alias="QUOTAHIT_JOB_QUEUE")

    openai_api_key: str = Field("", alias="OPENAI_API_KEY")
    openai_base_url: str = Field("https://api.openai.com/v1", alias="OPENAI_BASE_URL")
    # Where OpenAI Realtime's websocket lives; empty: derived from OPENAI_BASE_URL (wss://…).
    openai_realtime_url: str = Field("", alias="OPENAI_REALTIME_URL")
    anthropic_api_key: str = Field("", alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str = Field("https://api.anthropic.com", alias="ANTHROPIC_BASE_URL")
    openrouter_api_key: str = Field("", alias="OPENROUTER_API_KEY")
    openrouter_base_url: str = Field("https://openrouter.ai/api/v1", alias="OPENROUTER_BASE_URL")
    perplexity_api_key: str = Field("", alias="PERPLEXITY_API_KEY")
    perplexity_base_url: str = Field("https://api.perplexity.ai", alias="PERPLEXITY_BASE_URL")
    tavily_api_key: str = Field("", alias="TAVILY_API_KEY")
    tavily_base_url: str = Field("https://api.tavily.com", alias="TAVILY_BASE_URL")
    elevenlabs_api_key: str = Field("", alias="ELEVENLABS_API_KEY")
    elevenlabs_base_url: str = Field("https://api.elevenlabs.io", alias="ELEVENLABS_BASE_URL")
    deepgram_api_key: str = Field("", alias="DEEPGRAM_API_KEY")
    deepgram_base_url: str = Field("https://api.deepgram.com", alias="DEEPGRAM_BASE_URL")
    twilio_account_sid: str = Field("", alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str = Field("", alias="TWILIO_AUTH_TOKEN")
    twilio_from_number: str = Field("", alias="TWILIO_FROM_NUMBER")
    twilio_base_url: str = Field("https://api.twilio.com", alias="TWILIO_BASE_URL")
    stripe_secret_key: str = Field("", alias="STRIPE_SECRET_KEY")
    stripe_webhook_secret: str = Field("", alias="STRIPE_WEBHOOK_SECRET")
    stripe_base_url: str = Field("https://api.stripe.com", alias="STRIPE_BASE_URL")

    @property
    def is_local(self) -> bool:
        """Local mode: outbox page, generated secrets, relaxed origins."""
        return self.env == "local"

    @property
    def outbox_visible(self) -> bool:
        """The local outbox shows every e-mail's links, so only a local install bound to loopback
        serves it: anyone who can reach the port can read it."""
        return self.is_local and self.host in {"127.0.0.1", "localhost", "::1"}

    @property
    def platform_admin_emails(self) -> frozenset[str]:
        """Addresses that bootstrap platform administrators (stored in the database on sign-in)."""
        return frozenset(
            part.strip().lower() for part in self.platform_admins.split(",") if part.strip()
        )

    @property
    def base_url(self) -> str:
        """Public URL used in e-mailed links."""
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def cors_origins(self) -> list[str]:
        """Origins allowed to open the event websocket (ASVS 4.4.2: no cross-site hijacking)."""
        origins = {self.base_url}
        if self.is_local:
            origins |= {f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}"}
        return sorted(origins)

    def missing_production_settings(self) -> list[str]:
        """Names of the variables production cannot run without."""
        missing = []
        required = {
            "QUOTAHIT_SECRET_KEY": self.secret_key,
            "QUOTAHIT_ENCRYPTION_KEYS": self.encryption_keys,
            "QUOTAHIT_PUBLIC_BASE_URL": self.public_base_url,
            "DATABASE_URL": self.database_url,
        }
        missing += [name for name, value in required.items() if not value]
        if self.email_provider == "outbox":
            missing.append("EMAIL_PROVIDER (resend or smtp)")
        elif self.email_provider == "resend" and not self.resend_api_key:
            missing.append("RESEND_API_KEY")
        elif self.email_provider == "smtp" and not self.smtp_host:
            missing.append("SMTP_HOST")
        return missing


def _load_or_create_dev_secrets(data_dir: Path) -> dict[str, str]:
    """Generated local secrets, written once with mode 0600 so they survive restarts."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DEV_SECRETS_FILE
    if path.exists():
        return json.loads(path.read_text())
    values = {
        "secret_key": secrets.token_urlsafe(48),
        "encryption_keys": "1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }
    # Two processes started together (the CLI run twice, a server and a worker) both find
    # no file: each writes its own temporary file and links it into place, which only one
    # can win, so nobody ever reads a half-written file and everybody ends with the winner's.
    temporary = data_dir / f".{DEV_SECRETS_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return json.loads(path.read_text())
    finally:
        temporary.unlink(missing_ok=True)
    return values


def build_settings(**overrides: object) -> Settings:
    """Read and complete the settings; raise SettingsError when production lacks a secret."""
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if not settings.is_local:
        missing = settings.missing_production_settings()
        if missing:
            raise SettingsError(
                "QuotaHit refuses to start in production without: " + ", ".join(missing)
            )
        return settings
    settings.data_dir = settings.data_dir.resolve()
    if not settings.secret_key or not settings.encryption_keys:
        generated = _load_or_create_dev_secrets(settings.data_dir)
        settings.secret_key = settings.secret_key or generated["secret_key"]
        settings.encryption_keys = settings.encryption_keys or generated["encryption_keys"]
    if not settings.database_url:
        settings.database_url = f"sqlite:///{settings.data_dir / 'quotahit.db'}"
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache after changing the environment)."""
    return build_settings()
