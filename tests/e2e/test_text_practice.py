"""Text role-play as reps meet it: a session scored by the analyzer, and custom personas."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in, log_out
from tests.support.seed import SeededUser, Seeder

SESSION_URL = re.compile(r".*/practice/\d+$")
RESULT_URL = re.compile(r".*/analyze/\d+$")
DISCOVERY_QUESTIONS = (
    "Thanks for making the time, Sarah. What prompted you to take this call now?",
    "How does your team ramp new reps today, from offer letter to first deal?",
    "What have you already tried to shorten that ramp?",
    "What happens to the annual target if nothing changes in the next two quarters?",
    "Who else would be involved in choosing a solution, and how do you usually decide?",
)
_numbers = itertools.count(1)


@pytest.fixture
def admin(seeder: Seeder) -> SeededUser:
    number = next(_numbers)
    return seeder.organization(
        name=f"Practice Org {number}",
        email=f"practice-admin-{number}@acme.test",
        password="cedar harbour violin",
        person="Pat Enabler",
    )


def start_session(page: Page, persona: str, scenario: str) -> None:
    """Pick the buyer and the scenario on /practice, keep the local engine, and start."""
    page.locator(f".persona-option[data-persona='{persona}']").click()
    page.locator("#practice-scenario").click()
    page.get_by_role("option", name=scenario, exact=True).click()
    expect(page.locator("#practice-scenario")).to_have_text(scenario)
    page.locator("#practice-model").click()
    page.get_by_role("option", name=re.compile(r"^Local")).click()
    page.locator("#start-practice").click()
    expect(page).to_have_url(SESSION_URL)
    expect(page.locator(".buyer-turn").first).to_be_visible()


def say(page: Page, message: str) -> str:
    """Send one rep message and return the buyer's answer to it."""
    buyer_turns = page.locator(".buyer-turn")
    before = buyer_turns.count()
    rep_turns = page.locator(".rep-turn").count()
    page.locator("#practice-message").fill(message)
    page.locator("#practice-message").press("Enter")
    expect(page.locator(".rep-turn")).to_have_count(rep_turns + 1)
    expect(page.locator(".rep-turn").last).to_contain_text(message)
    expect(buyer_turns).to_have_count(before + 1)
    expect(page.locator("#live-reply")).to_have_count(0)
    return buyer_turns.last.inner_text()


def test_a_discovery_role_play_is_scored_by_the_analyzer(
    page: Page, app_url: str, admin: SeededUser
) -> None:
    log_in(page, app_url, admin.email, admin.password)
    page.locator("#nav-text-practice").click()
    expect(page.locator("#no-sessions")).to_be_visible()
    start_session(page, "sarah_mitchell", "Discovery call")
    expect(
        page.get_by_role("heading", name="Sarah Mitchell · Discovery call · medium")
    ).to_be_visible()
    expect(page.locator("#end-session")).to_be_disabled()

    replies = [say(page, question) for question in DISCOVERY_QUESTIONS]
    for question, reply in zip(DISCOVERY_QUESTIONS, replies, strict=True):
        said = reply.removeprefix("Sarah Mitchell").strip()
        assert said, f"an empty reply to {question!r}"
        assert question.lower() not in said.lower(), f"the buyer echoed {question!r}"
    assert len(set(replies)) == len(replies), f"the buyer repeated itself: {replies}"

    page.locator("#end-session").click()
    expect(page).to_have_url(RESULT_URL)
    expect(page.locator("#score-overall")).to_contain_text(re.compile(r"\d+"), timeout=60_000)
    lines = page.locator(".transcript-line")
    expect(lines).to_have_count(1 + 2 * len(DISCOVERY_QUESTIONS))
    expect(lines.filter(has_text=DISCOVERY_QUESTIONS[2])).to_have_count(1)

    page.goto(f"{app_url}/practice")
    row = page.locator("#practice-history tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Sarah Mitchell")
    expect(row).to_contain_text("Discovery call")
    expect(row.get_by_role("link").last).to_have_text(re.compile(r"^\d+$"))


def fill_persona(page: Page, name: str, *, shared: bool) -> None:
    page.locator("#new-persona").click()
    page.locator("#persona-name").fill(name)
    page.locator("#persona-title").fill("Head of Revenue Operations")
    page.locator("#persona-company").fill("Lumen Freight")
    page.locator("#persona-industry").fill("Logistics")
    page.locator("#persona-pains").fill("Our forecasts miss by twenty percent every quarter.")
    page.locator("#persona-objections").fill("price: Too expensive for us.")
    switch = page.locator("#persona-shared")
    expect(switch).to_have_attribute("aria-checked", "true")
    if not shared:
        switch.click()
        expect(switch).to_have_attribute("aria-checked", "false")
    page.locator("#save-persona").click()
    expect(page.locator("#persona-name")).to_have_count(0)


def test_a_shared_custom_persona_reaches_the_reps(
    page: Page, app_url: str, admin: SeededUser, seeder: Seeder
) -> None:
    rep = seeder.member(
        admin,
        email=f"practice-rep-{admin.user_id}@acme.test",
        password="lantern meadow quill",
        person="Robin Rep",
        role="rep",
    )
    log_in(page, app_url, admin.email, admin.password)
    page.goto(f"{app_url}/practice")
    page.locator("#persona-library-link").click()
    expect(page.locator(".persona-card")).to_have_count(5)
    fill_persona(page, "Priya Patel", shared=True)
    priya = page.locator(".persona-card", has_text="Priya Patel")
    expect(priya).to_contain_text("Head of Revenue Operations at Lumen Freight · Logistics")
    expect(priya).to_contain_text("price: Too expensive for us.")
    expect(priya).to_contain_text("Our forecasts miss by twenty percent every quarter.")
    expect(priya).not_to_contain_text("draft, only you")
    fill_persona(page, "Dana Draft", shared=False)
    expect(page.locator(".persona-card", has_text="Dana Draft")).to_contain_text("draft, only you")
    key = priya.get_attribute("data-persona")
    assert key is not None
    assert key.startswith("custom-")
    log_out(page, app_url)

    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/practice/personas")
    expect(page.locator(".persona-card")).to_have_count(6)
    expect(page.locator(".persona-card", has_text="Dana Draft")).to_have_count(0)
    expect(page.locator("#new-persona")).to_have_count(0)
    expect(page.locator(".copy-persona")).to_have_count(0)
    page.goto(f"{app_url}/practice")
    option = page.locator(f".persona-option[data-persona='{key}']")
    expect(option).to_contain_text("Priya Patel")
    expect(option).to_contain_text("custom")
    expect(page.locator(".persona-option", has_text="Dana Draft")).to_have_count(0)
    start_session(page, key, "Discovery call")
    expect(
        page.get_by_role("heading", name=re.compile(r"^Priya Patel · Discovery call"))
    ).to_be_visible()
    reply = say(page, "What is the hardest part of forecasting for your team today?")
    assert "Priya Patel" in reply
    assert "What is the hardest part" not in reply
