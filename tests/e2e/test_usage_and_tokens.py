"""Usage metering and personal API tokens, as a user meets them in the browser and over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import E2E_KEYS
from tests.e2e.helpers import log_in, save_user_key
from tests.support.seed import SeededUser, Seeder


@pytest.fixture(scope="module")
def admin(seeder: Seeder) -> SeededUser:
    return seeder.organization(
        name="Usage Org",
        email="usage-admin@acme.test",
        password="cobalt meadow lark",
        person="Uma Admin",
    )


def get_usage(app_url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{app_url}/api/usage?days=7", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_usage_page_starts_empty_then_meters_a_key_check(
    page: Page, app_url: str, admin: SeededUser
) -> None:
    log_in(page, app_url, admin.email, admin.password)
    page.goto(f"{app_url}/usage")
    expect(page.get_by_text("No AI calls in this period")).to_be_visible()
    save_user_key(page, app_url, "OpenAI", E2E_KEYS["openai"][0])
    page.locator("#nav-usage").click()
    expect(page.locator("#usage-total")).to_contain_text("1 calls")
    expect(page.locator(".usage-row", has_text="keys").first).to_be_visible()
    page.locator("#usage-period").get_by_role("radio", name="7 days").click()
    expect(page.locator("#usage-total")).to_contain_text("1 calls")


def test_an_api_token_reads_usage_until_revoked(
    page: Page, app_url: str, admin: SeededUser
) -> None:
    log_in(page, app_url, admin.email, admin.password)
    page.goto(f"{app_url}/settings")
    page.locator("#api-token-name").fill("Nightly export")
    page.locator("#api-token-create").click()
    token = page.locator("#new-api-token").inner_text()
    assert token.startswith("qh_")
    status, body = get_usage(app_url, token)
    assert status == 200
    assert body["scope"] == "me"
    assert body["total"]["calls"] >= 0
    page.get_by_role("button", name="Done").click()
    expect(page.locator("#new-api-token")).to_have_count(0)
    row = page.locator(".api-token-row", has_text="Nightly export")
    expect(row).to_contain_text(token[:10])
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".api-token-row", has_text="Nightly export")).to_have_count(0)
    status, body = get_usage(app_url, token)
    assert status == 401
    assert "revoked" in body["error"]
