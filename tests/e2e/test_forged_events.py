"""A Reflex client can call any event handler with any arguments: forged calls must change nothing.

The browser's own websocket is routed through Playwright, and events the UI never offers are
injected into it exactly as a hand-crafted client would send them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect
from sqlmodel import Session, select

from quotahit.accounts.models import Invitation, Membership
from quotahit.admin.state import AdminState
from quotahit.team.state import TeamState
from tests.e2e.helpers import log_in
from tests.support.seed import SeededUser, Seeder

EVENT_FRAME = re.compile(r"^42/_event,(.*)$", re.S)


class ForgingSocket:
    """Relays the page's event socket and can inject frames the UI never sends."""

    def __init__(self) -> None:
        self.template: dict | None = None
        self.received: list[str] = []
        self._server: WebSocketRoute | None = None

    def route(self, socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()
        self._server = server
        socket.on_message(self._from_page(server))
        server.on_message(self._from_server(socket))

    def _from_page(self, server: WebSocketRoute) -> Callable[[str | bytes], None]:
        def relay(message: str | bytes) -> None:
            match = EVENT_FRAME.match(message) if isinstance(message, str) else None
            if match:
                kind, event = json.loads(match.group(1))
                if kind == "event" and self.template is None:
                    self.template = event
            server.send(message)

        return relay

    def _from_server(self, page_side: WebSocketRoute) -> Callable[[str | bytes], None]:
        def relay(message: str | bytes) -> None:
            self.received.append(str(message))
            page_side.send(message)

        return relay

    def call(self, handler: str, **payload: object) -> None:
        """Send one forged event with this tab's token, as any socket.io client could."""
        assert self.template is not None, "the page has sent no event yet"
        assert self._server is not None
        event = {**self.template, "name": handler, "payload": payload}
        self._server.send("42/_event," + json.dumps(["event", event]))


@pytest.fixture
def forging(page: Page) -> ForgingSocket:
    socket = ForgingSocket()
    page.route_web_socket(re.compile(r".*/_event.*"), socket.route)
    return socket


@pytest.fixture(scope="module")
def acme(seeder: Seeder) -> tuple[SeededUser, SeededUser]:
    admin = seeder.organization(
        name="Forge Acme", email="admin@forge-acme.test", password="granite pelican", person="Ari"
    )
    rep = seeder.member(
        admin, email="rep@forge-acme.test", password="tulip quarry nine", person="Remy", role="rep"
    )
    return admin, rep


@pytest.fixture(scope="module")
def globex(seeder: Seeder) -> SeededUser:
    admin = seeder.organization(
        name="Forge Globex", email="boss@forge-globex.test", password="walrus meadow", person="Gil"
    )
    seeder.member(
        admin, email="secret@forge-globex.test", password="ocean violet", person="Sia", role="rep"
    )
    return admin


def _membership(seeder: Seeder, membership_id: int) -> Membership:
    with Session(seeder.engine) as db_session:
        return db_session.exec(select(Membership).where(Membership.id == membership_id)).one()


def _settle(page: Page) -> None:
    page.wait_for_timeout(1500)


def test_a_rep_cannot_promote_themselves_or_deactivate_the_admin(
    page: Page,
    app_url: str,
    seeder: Seeder,
    acme: tuple[SeededUser, SeededUser],
    forging: ForgingSocket,
) -> None:
    admin, rep = acme
    log_in(page, app_url, rep.email, rep.password)
    admin_state = AdminState.get_full_name()
    forging.call(f"{admin_state}.change_role", membership_id=str(rep.membership_id), role="admin")
    forging.call(f"{admin_state}.set_active", membership_id=str(admin.membership_id), active=False)
    forging.call(f"{admin_state}.set_all_organizations", value=True)
    forging.call(f"{admin_state}.load")
    _settle(page)
    assert _membership(seeder, rep.membership_id).role == "rep"
    assert _membership(seeder, admin.membership_id).is_active
    received = "\n".join(forging.received)
    assert "admin@forge-acme.test" not in received
    expect(page.locator("#dashboard-welcome")).to_be_visible()
    # Control: a call the rep may make goes through the same channel and is answered.
    forging.call(f"{TeamState.get_full_name()}.set_search", value="ari")
    _settle(page)
    assert "admin@forge-acme.test" in "\n".join(forging.received)


def test_an_admin_cannot_touch_or_read_another_organisation(
    page: Page,
    app_url: str,
    seeder: Seeder,
    acme: tuple[SeededUser, SeededUser],
    globex: SeededUser,
    forging: ForgingSocket,
) -> None:
    admin, rep = acme
    with Session(seeder.engine) as db_session:
        invitation = Invitation(
            organization_id=globex.organization_id,
            email="pending@forge-globex.test",
            role="rep",
            token_hash="f" * 64,
            invited_by_id=globex.user_id,
            expires_at=_membership(seeder, globex.membership_id).created_at.replace(year=2100),
        )
        db_session.add(invitation)
        db_session.commit()
        invitation_id = invitation.id
    log_in(page, app_url, admin.email, admin.password)
    admin_state, team_state = AdminState.get_full_name(), TeamState.get_full_name()
    forging.call(f"{admin_state}.change_role", membership_id=str(globex.membership_id), role="rep")
    forging.call(f"{admin_state}.set_active", membership_id=str(globex.membership_id), active=False)
    forging.call(f"{team_state}.revoke", invitation_id=str(invitation_id))
    forging.call(f"{admin_state}.set_all_organizations", value=True)
    forging.call(f"{admin_state}.set_user_search", value="forge-globex")
    forging.call(f"{team_state}.set_search", value="secret")
    _settle(page)
    globex_admin = _membership(seeder, globex.membership_id)
    assert (globex_admin.role, globex_admin.is_active) == ("admin", True)
    with Session(seeder.engine) as db_session:
        assert db_session.get(Invitation, invitation_id).revoked_at is None
    received = "\n".join(forging.received)
    assert "secret@forge-globex.test" not in received
    assert "boss@forge-globex.test" not in received
    # Control: the same forged call on this admin's own organisation does take effect.
    forging.call(f"{admin_state}.change_role", membership_id=str(rep.membership_id), role="manager")
    _settle(page)
    assert _membership(seeder, rep.membership_id).role == "manager"
    forging.call(f"{admin_state}.change_role", membership_id=str(rep.membership_id), role="rep")
    _settle(page)
    assert _membership(seeder, rep.membership_id).role == "rep"
