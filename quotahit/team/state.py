"""Team page state: the organisation's members, invitations and the invite form."""

from __future__ import annotations

import math

import reflex as rx

from quotahit import wiring
from quotahit.accounts import invitations, members, teams
from quotahit.accounts.service import AccountError, Identity
from quotahit.accounts.state import SessionState, identity_of
from quotahit.db import session_scope

PAGE_SIZE = 20


class TeamState(rx.State):
    """Members of the caller's organisation; pending invitations for managers and admins."""

    members: list[dict[str, str]] = []
    invitations: list[dict[str, str]] = []
    search: str = ""
    page: int = 1
    total: int = 0
    invite_error: str = ""
    teams: list[dict[str, str]] = []
    team_error: str = ""

    @rx.var
    def page_count(self) -> int:
        """At least one page, so the pager reads sensibly when empty."""
        return max(1, math.ceil(self.total / PAGE_SIZE))

    @rx.event
    async def load(self) -> None:
        """Fetch the current page of members and the pending invitations."""
        identity = await identity_of(self)
        if identity is None:
            return
        with session_scope() as db_session:
            rows, self.total = members.search_members(
                db_session=db_session,
                identity=identity,
                query=self.search,
                offset=(self.page - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
            pending = (
                invitations.list_pending_invitations(db_session=db_session, identity=identity)
                if identity.can_invite
                else []
            )
        self.members = [
            {
                "membership_id": str(row.membership_id),
                "name": row.name,
                "email": row.email,
                "title": row.title,
                "role": row.role,
                "team_id": str(row.team_id) if row.team_id else "none",
                "team": row.team_name or "—",
                "status": "active" if row.is_active else "deactivated",
            }
            for row in rows
        ]
        self._load_teams(identity)
        self.invitations = [
            {"id": str(row.id), "email": row.email, "role": row.role, "expires": row.expires_at}
            for row in pending
        ]

    @rx.event
    async def set_search(self, value: str) -> None:
        """Search by name or e-mail, from the first page."""
        self.search, self.page = value[:100], 1
        await self.load()

    @rx.event
    async def next_page(self) -> None:
        """Show the next page."""
        if self.page < self.page_count:
            self.page += 1
            await self.load()

    @rx.event
    async def previous_page(self) -> None:
        """Show the previous page."""
        if self.page > 1:
            self.page -= 1
            await self.load()

    @rx.event
    async def send_invite(self, form_data: dict) -> rx.event.EventSpec | None:
        """E-mail an invitation (the service checks the caller may invite with that role)."""
        identity = await identity_of(self)
        if identity is None:
            return rx.redirect("/login")
        session = await self.get_state(SessionState)
        try:
            with session_scope() as db_session:
                invitation = invitations.invite(
                    db_session=db_session,
                    identity=identity,
                    mailer=wiring.mailer(),
                    links=wiring.links(),
                    email=str(form_data.get("email", "")),
                    role=str(form_data.get("role", "rep")),
                    ip_address=session._client_ip(),
                    action_throttle=wiring.action_throttle(),
                )
                address = invitation.email
        except AccountError as error:
            self.invite_error = str(error)
            return None
        self.invite_error = ""
        await self.load()
        return rx.toast.success(f"Invitation sent to {address}.")

    @rx.event
    async def revoke(self, invitation_id: str) -> rx.event.EventSpec | None:
        """Cancel a pending invitation."""
        identity = await identity_of(self)
        if identity is None:
            return rx.redirect("/login")
        try:
            with session_scope() as db_session:
                invitations.revoke_invitation(
                    db_session=db_session, identity=identity, invitation_id=int(invitation_id)
                )
        except (AccountError, ValueError) as error:
            return rx.toast.error(str(error))
        await self.load()
        return rx.toast.info("Invitation revoked.")

    def _load_teams(self, identity: Identity) -> None:
        with session_scope() as db_session:
            rows = teams.list_teams(db_session=db_session, identity=identity)
        self.teams = [
            {
                "id": str(row.id),
                "name": row.name,
                "manager": row.manager_name or "no manager yet",
                "size": str(row.member_count),
            }
            for row in rows
        ]

    @rx.event
    async def create_team(self, form_data: dict) -> rx.event.EventSpec | None:
        """Add a team (admins only: the service checks)."""
        identity = await identity_of(self)
        if identity is None:
            return rx.redirect("/login")
        try:
            with session_scope() as db_session:
                row = teams.create_team(
                    db_session=db_session, identity=identity, name=str(form_data.get("name", ""))
                )
        except AccountError as error:
            self.team_error = str(error)
            return None
        self.team_error = ""
        await self.load()
        return rx.toast.success(f"Team {row.name} created.")

    @rx.event
    async def delete_team(self, team_id: str) -> rx.event.EventSpec | None:
        """Remove a team; its members stay without a team."""
        identity = await identity_of(self)
        if identity is None:
            return rx.redirect("/login")
        try:
            with session_scope() as db_session:
                teams.delete_team(db_session=db_session, identity=identity, team_id=int(team_id))
        except (AccountError, ValueError) as error:
            return rx.toast.error(str(error))
        await self.load()
        return rx.toast.info("Team deleted.")

    @rx.event
    async def assign_team(self, membership_id: str, team_id: str) -> rx.event.EventSpec | None:
        """Move a member to a team, or out of every team ("none")."""
        identity = await identity_of(self)
        if identity is None:
            return rx.redirect("/login")
        try:
            with session_scope() as db_session:
                teams.assign_member(
                    db_session=db_session,
                    identity=identity,
                    membership_id=int(membership_id),
                    team_id=None if team_id == "none" else int(team_id),
                )
        except (AccountError, ValueError) as error:
            return rx.toast.error(str(error))
        await self.load()
        return None
