"""Process-wide collaborators built once from the settings: the mailer, throttle and e-mail links.

States and API routes take them from here so that services stay free of configuration lookups.
"""

from __future__ import annotations

from functools import lru_cache

from quotahit.accounts.service import AccountLinks
from quotahit.accounts.throttle import ActionThrottle, LoginThrottle
from quotahit.db import get_engine
from quotahit.providers.email import EmailSender, email_sender_from_settings
from quotahit.settings import get_settings


@lru_cache(maxsize=1)
def mailer() -> EmailSender:
    """The configured e-mail sender."""
    return email_sender_from_settings(get_settings(), get_engine())


@lru_cache(maxsize=1)
def login_throttle() -> LoginThrottle:
    """Shared through Redis when configured, so every worker counts the same attempts."""
    settings = get_settings()
    return LoginThrottle(
        storage_uri=settings.redis_url or "memory://",
        per_account=settings.login_max_failures_per_account,
        per_address=settings.login_max_failures_per_address,
        window_minutes=settings.login_window_minutes,
    )


@lru_cache(maxsize=1)
def action_throttle() -> ActionThrottle:
    """Caps on sign-ups, reset e-mails and invitations, shared through Redis when configured."""
    return ActionThrottle(storage_uri=get_settings().redis_url or "memory://")


def links() -> AccountLinks:
    """Absolute links for e-mails."""
    return AccountLinks(get_settings().base_url)
