"""The shell as users meet it: landing, 404, sidebar, narrow screens, profile, sessions."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import log_in, outbox_link
from tests.support.seed import SeededUser, Seeder

_numbers = itertools.count(1)


@pytest.fixture
def admin(seeder: Seeder) -> SeededUser:
    """A fresh organisation with a confirmed admin."""
    number = next(_numbers)
    return seeder.organization(
        name=f"Shell Org {number}",
        email=f"shell-admin-{number}@acme.test",
        password="violet anchor meadow",
        person=f"Dana Admin{number}",
    )


def test_landing_page_with_cursor_glow(page: Page, app_url: str) -> None:
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Practise the call before it counts.")).to_be_visible()
    expect(page.locator("#landing-signup")).to_be_visible()
    glow = page.locator("#cursor-glow")
    page.wait_for_function("window.__qhGlowReady === true")
    page.mouse.move(300, 200)
    page.mouse.move(420, 260)
    expect(glow).to_have_attribute("style", "--glow-x: 420px; --glow-y: 260px;")


def test_unknown_address_shows_404(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_signed_out_visitor_is_sent_to_login(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/team")
    expect(page).to_have_url(f"{app_url}/login?next=/team")


def test_sidebar_collapses_and_remembers(page: Page, app_url: str, admin: SeededUser) -> None:
    log_in(page, app_url, admin.email, admin.password)
    sidebar = page.locator("#sidebar")
    expect(sidebar).to_have_css("width", "220px")
    page.locator("#sidebar-toggle").click()
    expect(sidebar).to_have_css("width", "64px")
    page.reload()
    expect(page.locator("#sidebar")).to_have_css("width", "64px")
    page.locator("#sidebar-toggle").click()
    expect(page.locator("#sidebar")).to_have_css("width", "220px")


def test_usable_at_390_px(browser: Browser, app_url: str, admin: SeededUser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, app_url, admin.email, admin.password)
    expect(page.locator("#sidebar")).to_be_hidden()
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"horizontal scroll at 390 px: {widths}"
    page.locator("#mobile-menu-button").click()
    expect(page.locator("#mobile-menu")).to_be_visible()
    page.locator("#mobile-menu").get_by_text("Team").click()
    expect(page).to_have_url(f"{app_url}/team")
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"horizontal scroll on /team at 390 px: {widths}"
    context.close()


def test_profile_is_saved(page: Page, app_url: str, admin: SeededUser) -> None:
    log_in(page, app_url, admin.email, admin.password)
    page.goto(f"{app_url}/settings")
    page.locator("#title").fill("Account Executive")
    page.locator("#time_zone").fill("Europe/Paris")
    page.locator("#profile-save").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    page.reload()
    expect(page.locator("#title")).to_have_value("Account Executive")
    expect(page.locator("#time_zone")).to_have_value("Europe/Paris")
    page.locator("#time_zone").fill("Mars/Olympus")
    page.locator("#profile-save").click()
    expect(page.locator("#profile-error")).to_contain_text("time zone")


def test_wrong_current_password_is_refused(page: Page, app_url: str, admin: SeededUser) -> None:
    log_in(page, app_url, admin.email, admin.password)
    page.goto(f"{app_url}/settings")
    page.locator("#current_password").fill("not my password")
    page.locator("#new_password").fill("brand new passphrase")
    page.locator("#confirm_password").fill("brand new passphrase")
    page.locator("#password-save").click()
    expect(page.locator("#password-error")).to_contain_text("current password is not correct")


def test_log_out_everywhere_ends_other_sessions(
    browser: Browser, app_url: str, admin: SeededUser
) -> None:
    laptop, phone = browser.new_context(), browser.new_context()
    laptop_page, phone_page = laptop.new_page(), phone.new_page()
    log_in(laptop_page, app_url, admin.email, admin.password)
    log_in(phone_page, app_url, admin.email, admin.password)
    laptop_page.goto(f"{app_url}/settings")
    expect(laptop_page.locator(".session-row")).to_have_count(2)
    expect(laptop_page.locator(".session-row", has_text="This device")).to_have_count(1)
    laptop_page.locator("#logout-everywhere").click()
    expect(laptop_page).to_have_url(f"{app_url}/login")
    phone_page.goto(f"{app_url}/team")
    expect(phone_page).to_have_url(f"{app_url}/login?next=/team")
    laptop.close()
    phone.close()


def test_deactivated_member_loses_a_live_session(
    page: Page, app_url: str, admin: SeededUser, seeder: Seeder
) -> None:
    rep = seeder.member(
        admin,
        email=f"rep-{admin.user_id}@acme.test",
        password="sturdy lantern river",
        person="Riley Rep",
        role="rep",
    )
    log_in(page, app_url, rep.email, rep.password)
    seeder.deactivate(admin, rep)
    page.goto(f"{app_url}/team")
    expect(page).to_have_url(f"{app_url}/login?next=/team")
    page.locator("#email").fill(rep.email)
    page.locator("#password").fill(rep.password)
    page.locator("#login-submit").click()
    expect(page.locator("#login-error")).to_contain_text("removed")


def test_team_page_shows_only_my_organisation(
    page: Page, app_url: str, admin: SeededUser, seeder: Seeder
) -> None:
    other = seeder.organization(
        name="Rival Inc",
        email=f"rival-{admin.user_id}@rival.test",
        password="copper kettle orbit",
        person="Rory Rival",
    )
    log_in(page, app_url, admin.email, admin.password)
    page.goto(f"{app_url}/team")
    expect(page.locator(".member-row")).to_have_count(1)
    expect(page.locator(".member-row")).to_contain_text(admin.email)
    page.locator("#member-search").fill("rival")
    expect(page.get_by_text("No one matches")).to_be_visible()
    assert other.email not in page.content()


def test_forgotten_password_reset_once(page: Page, app_url: str, admin: SeededUser) -> None:
    page.goto(f"{app_url}/forgot-password")
    page.locator("#email").fill(admin.email)
    page.locator("#forgot-submit").click()
    expect(page.locator("#forgot-sent")).to_be_visible()
    link = outbox_link(page, app_url, admin.email, "Reset your QuotaHit password")
    page.goto(link)
    page.locator("#password").fill("fresh meadow lantern")
    page.locator("#confirm").fill("fresh meadow lantern")
    page.locator("#reset-submit").click()
    expect(page.locator("#reset-done")).to_be_visible()
    log_in(page, app_url, admin.email, "fresh meadow lantern")
    page.goto(link)
    page.locator("#password").fill("another fresh phrase")
    page.locator("#confirm").fill("another fresh phrase")
    page.locator("#reset-submit").click()
    expect(page.locator("#reset-error")).to_contain_text("already been used")


def test_brute_force_is_throttled_before_the_right_password(
    page: Page, app_url: str, admin: SeededUser
) -> None:
    page.goto(f"{app_url}/login")
    for attempts_left in (4, 3, 2, 1):
        page.locator("#email").fill(admin.email)
        page.locator("#password").fill(f"wrong guess {attempts_left}")
        page.locator("#login-submit").click()
        expect(page.locator("#login-error")).to_contain_text(f"{attempts_left} attempt(s) left")
    page.locator("#password").fill("last wrong guess")
    page.locator("#login-submit").click()
    expect(page.locator("#login-error")).to_contain_text("paused")
    page.locator("#email").fill(admin.email)
    page.locator("#password").fill(admin.password)
    page.locator("#login-submit").click()
    expect(page.locator("#login-error")).to_contain_text("Too many attempts")


def test_sign_out_one_other_device(browser: Browser, app_url: str, admin: SeededUser) -> None:
    laptop, phone = browser.new_context(), browser.new_context()
    laptop_page, phone_page = laptop.new_page(), phone.new_page()
    log_in(phone_page, app_url, admin.email, admin.password)
    log_in(laptop_page, app_url, admin.email, admin.password)
    laptop_page.goto(f"{app_url}/settings")
    other = laptop_page.locator(".session-row", has_not_text="This device")
    other.get_by_role("button", name="Sign out").click()
    expect(laptop_page.locator(".session-row")).to_have_count(1)
    phone_page.goto(f"{app_url}/settings")
    expect(phone_page).to_have_url(f"{app_url}/login?next=/settings")
    laptop_page.goto(f"{app_url}/team")
    expect(laptop_page.locator(".member-row").first).to_be_visible()
    laptop.close()
    phone.close()


def test_admin_groups_members_into_teams(
    page: Page, app_url: str, admin: SeededUser, seeder: Seeder
) -> None:
    seeder.member(
        admin,
        email=f"manager-{admin.user_id}@acme.test",
        password="amber falcon summit",
        person="Mona Manager",
        role="manager",
    )
    log_in(page, app_url, admin.email, admin.password)
    page.goto(f"{app_url}/team")
    page.locator("#team-name").fill("EMEA Mid-Market")
    page.locator("#team-create").click()
    team = page.locator(".team-item", has_text="EMEA Mid-Market")
    expect(team).to_contain_text("0 member(s)")
    page.locator("#team-name").fill("emea mid-market")
    page.locator("#team-create").click()
    expect(page.locator("#team-error")).to_contain_text("already a team")
    row = page.locator(".member-row", has_text="Mona Manager")
    row.locator(".team-picker").click()
    page.get_by_role("option", name="EMEA Mid-Market").click()
    expect(team).to_contain_text("1 member(s) · Mona Manager")
    expect(row.locator(".team-picker")).to_have_text("EMEA Mid-Market")
