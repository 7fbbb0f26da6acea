"""Login throttling per account and per address, checked before any password hashing.

A flood of guesses therefore costs neither CPU nor memory, and the per-account limit is a soft
window (it expires) so an attacker can only slow a victim down, not lock them out for good.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from limits import RateLimitItemPerMinute, parse, storage, strategies


@dataclass(frozen=True)
class ThrottleVerdict:
    """Whether an attempt may proceed and, if not, how long to wait."""

    allowed: bool
    retry_after_seconds: int = 0


class LoginThrottle:
    """Moving-window limits on failed logins, in memory or in Redis (shared by every worker)."""

    def __init__(
        self,
        *,
        storage_uri: str = "memory://",
        per_account: int = 5,
        per_address: int = 20,
        window_minutes: int = 15,
    ) -> None:
        self._storage = storage.storage_from_string(storage_uri)
        self._limiter = strategies.MovingWindowRateLimiter(self._storage)
        self._account_limit = RateLimitItemPerMinute(per_account, window_minutes)
        self._address_limit = RateLimitItemPerMinute(per_address, window_minutes)

    def check(self, *, account: str, address: str) -> ThrottleVerdict:
        """May this attempt be tried at all?"""
        for limit, key in self._keys(account, address):
            if not self._limiter.test(limit, "login", key):
                reset_at, _remaining = self._limiter.get_window_stats(limit, "login", key)
                return ThrottleVerdict(False, max(1, int(reset_at - time.time())))
        return ThrottleVerdict(True)

    def record_failure(self, *, account: str, address: str) -> None:
        """Count a failed attempt against both the account and the address."""
        for limit, key in self._keys(account, address):
            self._limiter.hit(limit, "login", key)

    def attempts_left(self, *, account: str, address: str) -> int:
        """How many more failures are allowed before attempts are refused."""
        return min(
            self._limiter.get_window_stats(limit, "login", key).remaining
            for limit, key in self._keys(account, address)
        )

    def clear_account(self, *, account: str) -> None:
        """Forget an account's failures after a successful login or password reset."""
        self._limiter.clear(self._account_limit, "login", f"account:{account}")

    def _keys(self, account: str, address: str) -> list[tuple[RateLimitItemPerMinute, str]]:
        keys = [(self._account_limit, f"account:{account}")]
        if address:
            keys.append((self._address_limit, f"address:{address}"))
        return keys


ACTION_LIMITS = {
    "signup": "30/hour",  # per address (offices share one): a sign-up hashes and sends e-mail
    "password_reset_account": "5/hour",
    "password_reset_address": "30/hour",
    "confirmation_resend": "5/hour",  # per account
    "invitation": "100/hour",  # per inviting user
    "key_check": "30/hour",  # per user: each check calls the provider with a pasted key
}


class ActionThrottle:
    """Caps abusable actions that cost CPU or send e-mail (ASVS 2.4.1 anti-automation)."""

    def __init__(
        self, *, storage_uri: str = "memory://", limits: dict[str, str] | None = None
    ) -> None:
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))
        self._limits = {action: parse(value) for action, value in (limits or ACTION_LIMITS).items()}

    def allow(self, action: str, *keys: str) -> ThrottleVerdict:
        """Count one attempt of the action for every key; refuse if any key is over its cap."""
        limit = self._limits[action]
        present = [key for key in keys if key]
        for key in present:
            if not self._limiter.test(limit, action, key):
                reset_at, _ = self._limiter.get_window_stats(limit, action, key)
                return ThrottleVerdict(False, max(1, int(reset_at - time.time())))
        for key in present:
            self._limiter.hit(limit, action, key)
        return ThrottleVerdict(True)
