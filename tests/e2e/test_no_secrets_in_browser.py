"""No password hash, dev secret or other user's token ever travels to the browser."""

from __future__ import annotations

import json

from playwright.sync_api import Page, WebSocket, expect

from tests.e2e.helpers import log_in
from tests.support.app_server import RunningApp
from tests.support.seed import Seeder


def test_frames_carry_no_hash_or_secret(page: Page, app_server: RunningApp, seeder: Seeder) -> None:
    admin = seeder.organization(
        name="Secret Keepers",
        email="keeper@secrets.test",
        password="quiet harbour compass",
        person="Kim Keeper",
    )
    seeder.member(
        admin, email="other@secrets.test", password="gentle autumn ledger", person="Oli", role="rep"
    )
    frames: list[str] = []

    def record(socket: WebSocket) -> None:
        socket.on("framereceived", lambda frame: frames.append(str(frame)))

    page.on("websocket", record)
    log_in(page, app_server.url, admin.email, admin.password)
    for route in ("/team", "/admin", "/settings"):
        page.goto(f"{app_server.url}{route}")
        expect(page.locator("#page-loading")).to_have_count(0)
        page.wait_for_timeout(300)
    received = "\n".join(frames)
    assert "other@secrets.test" in received, "the admin page should have listed the teammate"
    assert "$argon2" not in received
    assert "password_hash" not in received
    secrets = json.loads((app_server.data_dir / "dev-secrets.json").read_text())
    for value in secrets.values():
        assert value not in received
