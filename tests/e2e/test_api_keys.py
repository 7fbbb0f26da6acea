"""Bringing your own keys in the browser, checked against loopback fakes of the providers."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, WebSocket, expect

from tests.e2e.conftest import E2E_KEYS
from tests.e2e.helpers import log_in
from tests.fakes.ai_providers import FakeAIProviders
from tests.support.seed import SeededUser, Seeder

OPENAI_KEY = E2E_KEYS["openai"][0]
_numbers = itertools.count(1)


@pytest.fixture
def team(seeder: Seeder) -> tuple[SeededUser, SeededUser]:
    number = next(_numbers)
    admin = seeder.organization(
        name=f"Keys Org {number}",
        email=f"keys-admin-{number}@acme.test",
        password="saffron glacier pier",
        person="Kai Admin",
    )
    rep = seeder.member(
        admin,
        email=f"keys-rep-{number}@acme.test",
        password="marble heron dune",
        person="Ren Rep",
        role="rep",
    )
    return admin, rep


@pytest.fixture(autouse=True)
def _providers_ok(ai_providers: FakeAIProviders) -> Iterator[None]:
    ai_providers.reset()
    yield
    ai_providers.reset()


def provider_row(page: Page, label: str) -> Locator:
    return page.locator(".key-provider", has=page.get_by_text(label, exact=True))


def save_key(row: Locator, key: str, scope: str = "user") -> None:
    slot = row.locator(f"form:has(.key-save-{scope})")
    slot.locator("input[name=key]").fill(key)
    slot.locator(f".key-save-{scope}").click()


def test_a_valid_key_is_saved_masked_and_never_sent_back(
    page: Page, app_url: str, team: tuple[SeededUser, SeededUser]
) -> None:
    admin, _rep = team
    received: list[str] = []

    def record(socket: WebSocket) -> None:
        socket.on("framereceived", lambda frame: received.append(str(frame)))

    page.on("websocket", record)
    log_in(page, app_url, admin.email, admin.password)
    page.goto(f"{app_url}/settings/keys")
    openai = provider_row(page, "OpenAI")
    expect(openai.locator(".key-in-use")).to_contain_text("built-in local engine")
    save_key(openai, f"  {OPENAI_KEY}  ")
    expect(openai.locator(".key-mask").first).to_have_text("•••• WXYZ")
    expect(openai.locator(".key-status").first).to_have_text("Valid")
    expect(openai.locator(".key-in-use")).to_contain_text("your key")
    page.reload()
    expect(provider_row(page, "OpenAI").locator(".key-mask").first).to_have_text("•••• WXYZ")
    assert OPENAI_KEY not in "\n".join(received)


def test_wrong_keys_get_clear_messages_and_are_not_kept(
    page: Page, app_url: str, team: tuple[SeededUser, SeededUser]
) -> None:
    admin, _rep = team
    log_in(page, app_url, admin.email, admin.password)
    page.goto(f"{app_url}/settings/keys")
    openai = provider_row(page, "OpenAI")
    save_key(openai, E2E_KEYS["anthropic"][0])
    expect(openai.locator(".key-error")).to_contain_text("looks like an Anthropic key")
    save_key(openai, "sk-proj-revoked-0123456789abcdef")
    expect(openai.locator(".key-error")).to_contain_text("wrong or revoked")
    expect(openai.locator(".key-mask")).to_have_count(0)


def test_an_unreachable_provider_saves_unverified_with_a_retry(
    page: Page, app_url: str, team: tuple[SeededUser, SeededUser], ai_providers: FakeAIProviders
) -> None:
    admin, _rep = team
    log_in(page, app_url, admin.email, admin.password)
    page.goto(f"{app_url}/settings/keys")
    anthropic = provider_row(page, "Anthropic")
    ai_providers.set_mode("anthropic", "overloaded")
    save_key(anthropic, E2E_KEYS["anthropic"][0])
    expect(anthropic.locator(".key-status").first).to_have_text("Unverified: unreachable")
    ai_providers.set_mode("anthropic", "ok")
    anthropic.locator(".key-recheck").first.click()
    expect(anthropic.locator(".key-status").first).to_have_text("Valid")


def test_an_organisation_key_serves_members_who_have_none(
    page: Page, app_url: str, team: tuple[SeededUser, SeededUser]
) -> None:
    admin, rep = team
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/settings/keys")
    expect(page.locator(".key-save-organization")).to_have_count(0)
    page.locator("#profile-menu").click()
    page.locator("#menu-logout").click()
    log_in(page, app_url, admin.email, admin.password)
    page.goto(f"{app_url}/settings/keys")
    tavily = provider_row(page, "Tavily")
    save_key(tavily, E2E_KEYS["tavily"][0], scope="organization")
    expect(tavily.locator(".key-status").first).to_have_text("Valid")
    page.locator("#profile-menu").click()
    page.locator("#menu-logout").click()
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/settings/keys")
    expect(provider_row(page, "Tavily").locator(".key-in-use")).to_contain_text(
        "your organisation's key"
    )


def test_the_playground_streams_through_the_gateway_and_fails_over(
    page: Page, app_url: str, team: tuple[SeededUser, SeededUser], ai_providers: FakeAIProviders
) -> None:
    admin, _rep = team
    log_in(page, app_url, admin.email, admin.password)
    page.goto(f"{app_url}/settings/keys")
    page.locator("#playground-prompt").fill("Give me an opener.")
    page.locator("#playground-ask").click()
    expect(page.locator("#playground-answer")).to_contain_text("From the built-in sales playbook")
    expect(page.locator("#playground-footer")).to_contain_text("Local (offline) · no key, no cost")
    save_key(provider_row(page, "OpenAI"), OPENAI_KEY)
    expect(provider_row(page, "OpenAI").locator(".key-status").first).to_have_text("Valid")
    page.locator(".model-picker").click()
    expect(page.get_by_role("option", name="GPT-4.1 — your key", exact=True)).to_be_visible()
    page.get_by_role("option", name="GPT-4.1 — your key", exact=True).click()
    page.locator("#playground-prompt").fill("Give me an opener.")
    page.locator("#playground-ask").click()
    expect(page.locator("#playground-answer")).to_have_text("Hello from the fake model.")
    expect(page.locator("#playground-footer")).to_contain_text("gpt-4.1 · user key")
    save_key(provider_row(page, "Anthropic"), E2E_KEYS["anthropic"][0])
    expect(provider_row(page, "Anthropic").locator(".key-status").first).to_have_text("Valid")
    ai_providers.set_mode("openai", "server_error")
    page.locator("#playground-prompt").fill("Again, please.")
    page.locator("#playground-ask").click()
    expect(page.locator("#playground-notice")).to_contain_text("Answering with Claude Sonnet 4.5")
    expect(page.locator("#playground-answer")).to_have_text("Hello from the fake model.")


def test_a_users_own_model_server_answers_in_the_playground(
    page: Page, app_url: str, team: tuple[SeededUser, SeededUser], ai_providers: FakeAIProviders
) -> None:
    _admin, rep = team
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/settings/keys")
    page.locator("#server-url").fill("ftp://nope")
    page.locator("#server-model").fill("llama3.1:8b")
    page.locator("#server-save").click()
    expect(page.locator("#server-error")).to_contain_text("server's address")
    page.locator("#server-url").fill(ai_providers.openai_url)
    page.locator("#server-model").fill("llama3.1:8b")
    page.get_by_label("Server key (optional)").fill(OPENAI_KEY)
    page.locator("#server-save").click()
    expect(page.locator(".server-row")).to_contain_text("llama3.1:8b")
    expect(page.locator(".server-row")).to_contain_text("•••• WXYZ")
    page.locator(".model-picker").click()
    option = page.get_by_role("option", name="Your own server (OpenAI-compatible) — your key")
    option.click()
    page.locator("#playground-prompt").fill("Hello?")
    page.locator("#playground-ask").click()
    expect(page.locator("#playground-answer")).to_have_text("Hello from the fake model.")
    assert ai_providers.last_request("openai").body["model"] == "llama3.1:8b"


def test_the_page_says_what_the_local_engine_can_do(
    page: Page, app_url: str, team: tuple[SeededUser, SeededUser]
) -> None:
    _admin, rep = team
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/settings/keys")
    capabilities = page.locator(".local-capability")
    expect(capabilities.filter(has_text="Speech to text")).to_contain_text("English only")
    expect(capabilities.filter(has_text="Open conversation")).to_be_visible()
