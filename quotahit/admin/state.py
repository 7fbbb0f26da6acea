"""Admin page state: user management and the audit log. Every handler re-checks the role."""

from __future__ import annotations

import json
import math

import reflex as rx

from quotahit.accounts import members
from quotahit.accounts.service import AccountError, Identity
from quotahit.accounts.state import identity_of
from quotahit.audit import service as audit
from quotahit.db import as_utc, session_scope

PAGE_SIZE = 20


async def _admin(state: rx.State) -> Identity | None:
    identity = await identity_of(state)
    if identity is None or not identity.is_admin:
        return None
    return identity


class AdminState(rx.State):
    """Users (the organisation's, or every organisation's for platform admins) and the audit log."""

    users: list[dict[str, str]] = []
    user_search: str = ""
    user_page: int = 1
    user_total: int = 0
    all_organizations: bool = False
    audit_rows: list[dict[str, str]] = []
    audit_search: str = ""
    audit_page: int = 1
    audit_total: int = 0
    error: str = ""

    @rx.var
    def user_page_count(self) -> int:
        """Pages of users."""
        return max(1, math.ceil(self.user_total / PAGE_SIZE))

    @rx.var
    def audit_page_count(self) -> int:
        """Pages of audit entries."""
        return max(1, math.ceil(self.audit_total / PAGE_SIZE))

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Fetch both tables; refuse anyone who is not an admin."""
        identity = await _admin(self)
        if identity is None:
            self.users, self.audit_rows = [], []
            return rx.redirect("/dashboard")
        self._load_users(identity)
        self._load_audit(identity)
        return None

    def _load_users(self, identity: Identity) -> None:
        everywhere = self.all_organizations and identity.is_platform_admin
        with session_scope() as db_session:
            rows, self.user_total = members.search_members(
                db_session=db_session,
                identity=identity,
                query=self.user_search,
                all_organizations=everywhere,
                offset=(self.user_page - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
        self.users = [
            {
                "membership_id": str(row.membership_id),
                "name": row.name,
                "email": row.email,
                "role": row.role,
                "active": "yes" if row.is_active else "no",
                "organization": row.organization_name,
                "last_login": row.last_login or "never",
                "is_self": "yes" if row.user_id == identity.user_id else "no",
            }
            for row in rows
        ]

    def _load_audit(self, identity: Identity) -> None:
        everywhere = self.all_organizations and identity.is_platform_admin
        with session_scope() as db_session:
            rows, self.audit_total = audit.list_entries(
                db_session=db_session,
                organization_id=identity.organization_id,
                all_organizations=everywhere,
                search=self.audit_search,
                offset=(self.audit_page - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
            names = members.user_names(
                db_session=db_session, user_ids={row.actor_id for row in rows if row.actor_id}
            )
        self.audit_rows = [
            {
                "when": as_utc(row.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                "actor": names.get(row.actor_id or 0, "—"),
                "action": row.action,
                "target": f"{row.target_type} {row.target_id}".strip(),
                "details": _short_details(row.details),
                "ip": row.ip_address,
            }
            for row in rows
        ]

    @rx.event
    async def set_user_search(self, value: str) -> None:
        """Search users by name or e-mail."""
        identity = await _admin(self)
        if identity is None:
            return
        self.user_search, self.user_page = value[:100], 1
        self._load_users(identity)

    @rx.event
    async def set_all_organizations(self, value: bool) -> None:
        """Platform admins only: look across every organisation."""
        identity = await _admin(self)
        if identity is None:
            return
        self.all_organizations = bool(value) and identity.is_platform_admin
        self.user_page = self.audit_page = 1
        self._load_users(identity)
        self._load_audit(identity)

    @rx.event
    async def user_page_step(self, step: int) -> None:
        """Move through the user pages."""
        identity = await _admin(self)
        if identity is None:
            return
        self.user_page = min(max(1, self.user_page + int(step)), self.user_page_count)
        self._load_users(identity)

    @rx.event
    async def set_audit_search(self, value: str) -> None:
        """Filter the audit log by action or details."""
        identity = await _admin(self)
        if identity is None:
            return
        self.audit_search, self.audit_page = value[:100], 1
        self._load_audit(identity)

    @rx.event
    async def audit_page_step(self, step: int) -> None:
        """Move through the audit pages."""
        identity = await _admin(self)
        if identity is None:
            return
        self.audit_page = min(max(1, self.audit_page + int(step)), self.audit_page_count)
        self._load_audit(identity)

    @rx.event
    async def change_role(self, membership_id: str, role: str) -> rx.event.EventSpec | None:
        """Give a member another role."""
        identity = await identity_of(self)
        if identity is None:
            return rx.redirect("/login")
        try:
            with session_scope() as db_session:
                row = members.change_role(
                    db_session=db_session,
                    identity=identity,
                    membership_id=int(membership_id),
                    role=role,
                )
        except (AccountError, ValueError) as error:
            self.error = str(error)
            return rx.toast.error(str(error))
        self.error = ""
        self._load_users(identity)
        self._load_audit(identity)
        return rx.toast.success(f"{row.name} is now {row.role}.")

    @rx.event
    async def set_active(self, membership_id: str, active: bool) -> rx.event.EventSpec | None:
        """Deactivate (ending their sessions) or reactivate a member."""
        identity = await identity_of(self)
        if identity is None:
            return rx.redirect("/login")
        try:
            with session_scope() as db_session:
                row = members.set_member_active(
                    db_session=db_session,
                    identity=identity,
                    membership_id=int(membership_id),
                    active=bool(active),
                )
        except (AccountError, ValueError) as error:
            self.error = str(error)
            return rx.toast.error(str(error))
        self.error = ""
        self._load_users(identity)
        self._load_audit(identity)
        verb = "reactivated" if active else "deactivated"
        return rx.toast.success(f"{row.name} was {verb}.")


def _short_details(raw: str) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw[:120]
    return ", ".join(f"{key}: {value}" for key, value in data.items())[:160]
