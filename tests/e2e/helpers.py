"""Steps the browser tests share: signing up, confirming, logging in and out."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def sign_up(
    page: Page, app_url: str, *, name: str, email: str, company: str, password: str
) -> None:
    """Fill the sign-up form and wait for the check-your-inbox message."""
    page.goto(f"{app_url}/signup")
    page.locator("#name").fill(name)
    page.locator("#email").fill(email)
    page.locator("#organization").fill(company)
    page.locator("#password").fill(password)
    page.locator("#signup-submit").click()
    expect(page.locator("#signup-done")).to_contain_text(email)


def confirm_from_outbox(page: Page, app_url: str, email: str) -> None:
    """Follow the confirmation link found in the local outbox."""
    link = outbox_link(page, app_url, email, "Confirm your QuotaHit e-mail")
    page.goto(link)
    expect(page.locator("#confirm-ok")).to_be_visible()


def log_in(page: Page, app_url: str, email: str, password: str) -> None:
    """Log in and wait for the dashboard."""
    page.goto(f"{app_url}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    expect(page).to_have_url(f"{app_url}/dashboard")
    expect(page.locator("#dashboard-welcome")).to_be_visible()


def log_out(page: Page, app_url: str) -> None:
    """Log out through the profile menu."""
    page.locator("#profile-menu").click()
    page.locator("#menu-logout").click()
    expect(page).to_have_url(f"{app_url}/login")


def outbox_link(page: Page, app_url: str, recipient: str, subject_part: str) -> str:
    """Open the local outbox and return the first link of the newest matching e-mail."""
    page.goto(f"{app_url}/outbox")
    page.locator("#outbox-filter").fill(recipient)
    message = page.locator(".outbox-message", has_text=subject_part).first
    expect(message).to_be_visible()
    expect(message).to_contain_text(recipient)
    match = re.search(r"https?://\S+", message.inner_text())
    assert match, message.inner_text()
    return match.group(0)


def save_user_key(page: Page, app_url: str, provider_label: str, key: str) -> None:
    """Save the user's own key for a provider on the API keys page and wait until it is valid."""
    page.goto(f"{app_url}/settings/keys")
    row = page.locator(".key-provider", has=page.get_by_text(provider_label, exact=True))
    form = row.locator("form:has(.key-save-user)")
    form.locator("input[name=key]").fill(key)
    form.locator(".key-save-user").click()
    expect(row.locator(".key-status").first).to_have_text("Valid")
