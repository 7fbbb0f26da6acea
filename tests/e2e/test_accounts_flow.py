"""The whole first-day journey in a real browser, against the production build."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.helpers import confirm_from_outbox, log_in, log_out, outbox_link, sign_up

ADMIN = {"name": "Alice Admin", "email": "alice@acme.test", "password": "correct horse battery"}
TEAMMATE = {"name": "Bob Rep", "email": "bob@acme.test", "password": "purple monkey dishwasher"}


def test_signup_confirm_invite_join_role_change_logout(page: Page, app_url: str) -> None:
    sign_up(
        page,
        app_url,
        name=ADMIN["name"],
        email=ADMIN["email"],
        company="Acme Corp",
        password=ADMIN["password"],
    )

    # Logging in before confirming is refused with a way forward.
    page.goto(f"{app_url}/login")
    page.locator("#email").fill(ADMIN["email"])
    page.locator("#password").fill(ADMIN["password"])
    page.locator("#login-submit").click()
    expect(page.locator("#login-error")).to_contain_text("Confirm your e-mail")

    confirm_from_outbox(page, app_url, ADMIN["email"])
    page.locator("#confirm-login").click()
    log_in(page, app_url, ADMIN["email"], ADMIN["password"])
    expect(page.locator("#dashboard-welcome")).to_contain_text("Alice")
    expect(page.locator("#next-steps")).to_contain_text("Invite your team")
    expect(page.locator("#header-admin-link")).to_be_visible()

    page.locator("#nav-team").click()
    expect(page).to_have_url(f"{app_url}/team")
    page.locator("#invite-email").fill(TEAMMATE["email"])
    page.locator("#invite-submit").click()
    expect(page.locator(".pending-invitation")).to_contain_text(TEAMMATE["email"])
    log_out(page, app_url)

    join_link = outbox_link(page, app_url, TEAMMATE["email"], "invited you to Acme Corp")
    page.goto(join_link)
    expect(page.locator("#join-summary")).to_contain_text("Acme Corp")
    page.locator("#name").fill(TEAMMATE["name"])
    page.locator("#password").fill(TEAMMATE["password"])
    page.locator("#join-submit").click()
    expect(page).to_have_url(f"{app_url}/dashboard")
    expect(page.locator("#dashboard-welcome")).to_contain_text("Bob")
    # A rep sees no admin entry points, and the admin page sends them away.
    expect(page.locator("#header-admin-link")).to_have_count(0)
    page.goto(f"{app_url}/admin")
    expect(page).to_have_url(f"{app_url}/dashboard")
    log_out(page, app_url)

    log_in(page, app_url, ADMIN["email"], ADMIN["password"])
    page.locator("#header-admin-link").click()
    expect(page).to_have_url(f"{app_url}/admin")
    bob_row = page.locator(".admin-user-row", has_text=TEAMMATE["email"])
    expect(bob_row.locator(".role-picker")).to_have_text("Rep")
    bob_row.locator(".role-picker").click()
    page.get_by_role("option", name="Manager").click()
    expect(bob_row.locator(".role-picker")).to_have_text("Manager")
    expect(page.locator(".audit-row", has_text="member.role_changed").first).to_be_visible()

    page.locator("#profile-menu").click()
    expect(page.locator("#admin-badge")).to_be_visible()
    page.locator("#menu-logout").click()
    expect(page).to_have_url(f"{app_url}/login")
    page.goto(f"{app_url}/dashboard")
    expect(page).to_have_url(f"{app_url}/login?next=/dashboard")
