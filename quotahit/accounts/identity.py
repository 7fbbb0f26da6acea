"""Who is calling, and the one error type the accounts module raises for the user to read."""

from __future__ import annotations

from dataclasses import dataclass

from quotahit.accounts.models import Role


class AccountError(Exception):
    """A refusal the user can act on; the message is shown as it is."""


class PermissionDenied(AccountError):
    """The caller's role or organisation does not allow this."""


@dataclass(frozen=True)
class Identity:
    """Who is calling: resolved from the server-side session on every request."""

    user_id: int
    organization_id: int
    role: str
    is_platform_admin: bool
    session_id: int

    @property
    def is_admin(self) -> bool:
        """Organisation admin (platform admins administer every organisation)."""
        return self.role == Role.ADMIN.value or self.is_platform_admin

    @property
    def can_invite(self) -> bool:
        """Managers and admins invite teammates."""
        return self.is_admin or self.role == Role.MANAGER.value


def parse_role(role: str) -> str:
    """A known role's value; anything else a client sends is refused with a message."""
    try:
        return Role(role).value
    except ValueError as error:
        raise AccountError(f"Unknown role “{role}”.") from error
