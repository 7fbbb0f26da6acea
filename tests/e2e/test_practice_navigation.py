"""Practice pages as keyboard users and old links meet them: a persona card is chosen with Enter
or Space on text and voice practice, and a voice call opened at the text practice address goes
to its call page (only when it is the caller's own)."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from quotahit.practice import service
from quotahit.practice.models import SessionStatus
from quotahit.practice.service import VoiceOptions
from tests.e2e.helpers import log_in
from tests.support.seed import SeededUser, Seeder, signed_in

PASSWORD = "cedar harbour violin"
_numbers = itertools.count(1)


def organization(seeder: Seeder) -> SeededUser:
    number = next(_numbers)
    return seeder.organization(
        name=f"Navigation Org {number}",
        email=f"navigation-{number}@acme.test",
        password=PASSWORD,
        person="Nora Navigator",
    )


@pytest.fixture
def rep(seeder: Seeder) -> SeededUser:
    return organization(seeder)


def ended_voice_call(seeder: Seeder, user: SeededUser) -> int:
    """A voice call of the user's against Sarah Mitchell, already over (so no microphone opens)."""
    with Session(seeder.engine, expire_on_commit=False) as db_session:
        session = service.start(
            db_session=db_session,
            identity=signed_in(db_session, user),
            persona_key="sarah_mitchell",
            scenario="discovery",
            focus="discovery_questions",
            difficulty="medium",
            model_id="local",
            voice=VoiceOptions(engine="local", patience_s=6.0, coaching=False, keep_audio=False),
        )
        session.status = SessionStatus.ENDED.value
        db_session.add(session)
        db_session.commit()
        assert session.id is not None
        return session.id


def watch_space_default(page: Page) -> None:
    """Record, after the page's own handlers, whether the last Space key-press was cancelled."""
    page.evaluate(
        "document.addEventListener('keydown', (e) => {"
        " if (e.key === ' ') window.spaceDefaultPrevented = e.defaultPrevented; })"
    )


@pytest.mark.parametrize(
    ("path", "card_class"),
    [("/practice", "persona-option"), ("/practice/voice", "voice-persona")],
    ids=["text", "voice"],
)
def test_a_persona_card_is_chosen_with_enter_or_space(
    page: Page, app_url: str, rep: SeededUser, path: str, card_class: str
) -> None:
    log_in(page, app_url, rep.email, PASSWORD)
    page.goto(f"{app_url}{path}")
    sarah, michael, jennifer = (
        page.locator(f".{card_class}[data-persona='{key}']")
        for key in ("sarah_mitchell", "michael_chen", "jennifer_rodriguez")
    )
    expect(sarah).to_have_attribute("aria-pressed", "true")
    expect(michael).to_have_attribute("aria-pressed", "false")
    watch_space_default(page)

    sarah.focus()
    page.keyboard.press("Tab")
    expect(michael).to_be_focused()
    page.keyboard.press("Enter")
    expect(michael).to_have_attribute("aria-pressed", "true")
    expect(sarah).to_have_attribute("aria-pressed", "false")

    page.keyboard.press("Tab")
    expect(jennifer).to_be_focused()
    page.keyboard.press(" ")
    expect(jennifer).to_have_attribute("aria-pressed", "true")
    expect(michael).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.spaceDefaultPrevented") is True  # the page did not scroll

    page.keyboard.press("Shift+Tab")
    expect(michael).to_be_focused()
    page.keyboard.press("a")
    page.wait_for_timeout(500)
    expect(michael).to_have_attribute("aria-pressed", "false")
    expect(jennifer).to_have_attribute("aria-pressed", "true")


def test_a_voice_call_opened_at_the_text_practice_address_goes_to_its_call_page(
    page: Page, app_url: str, rep: SeededUser, seeder: Seeder
) -> None:
    call_id = ended_voice_call(seeder, rep)
    log_in(page, app_url, rep.email, PASSWORD)
    page.goto(f"{app_url}/practice/{call_id}")
    expect(page).to_have_url(f"{app_url}/practice/voice/{call_id}")
    expect(page.locator("#call-title")).to_have_text("Sarah Mitchell · Discovery call · medium")
    expect(page.locator("#practice-transcript")).to_have_count(0)


def test_another_users_voice_call_stays_hidden_at_the_text_practice_address(
    page: Page, app_url: str, rep: SeededUser, seeder: Seeder
) -> None:
    call_id = ended_voice_call(seeder, organization(seeder))
    log_in(page, app_url, rep.email, PASSWORD)
    page.goto(f"{app_url}/practice/{call_id}")
    expect(page.locator("#practice-error")).to_contain_text("does not exist")
    expect(page).to_have_url(f"{app_url}/practice/{call_id}")
