"""Files the picker refuses get one clear inline message; a scorecard fits a phone's width."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from quotahit.analysis.state import RECORDING_TYPES
from quotahit.coach.attachments import PICKER_TYPES_TEXT
from quotahit.coach.state import UPLOAD_ID as COACH_UPLOAD_ID
from quotahit.voice.pages import UPLOAD_ID as VOICE_UPLOAD_ID
from tests.e2e.helpers import log_in
from tests.support.seed import SeededUser, Seeder

RESULT_URL = re.compile(r".*/analyze/\d+$")
PHONE = {"width": 390, "height": 844}
# Long enough for a late upload handler to have overwritten the message, had it wanted to.
SETTLE_MS = 1_500
_numbers = itertools.count(1)


@pytest.fixture
def rep(seeder: Seeder) -> SeededUser:
    number = next(_numbers)
    return seeder.organization(
        name=f"Rejections Org {number}",
        email=f"rejections-{number}@acme.test",
        password="juniper anchor lantern",
        person="Rory Reject",
    )


@pytest.fixture(scope="module")
def refused_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("refused")
    audio, document = folder / "call.mp3", folder / "deck.docx"
    audio.write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(4_000))
    document.write_bytes(b"PK\x03\x04word/document.xml" + bytes(4_000))
    return [audio, document]


@pytest.mark.parametrize(
    ("route", "upload_id", "error_id"),
    [
        ("/practice/voice", VOICE_UPLOAD_ID, "voice-context-error"),
        ("/coach", COACH_UPLOAD_ID, "attach-error"),
    ],
    ids=["voice-context", "coach"],
)
def test_a_file_the_picker_refuses_gets_one_clear_inline_message(
    page: Page,
    app_url: str,
    rep: SeededUser,
    refused_files: list[Path],
    route: str,
    upload_id: str,
    error_id: str,
) -> None:
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}{route}")
    upload = page.locator(f"#{upload_id} input[type=file]")
    for path in refused_files:
        upload.set_input_files(str(path))
        expected = f"“{path.name}” can't be added: use {PICKER_TYPES_TEXT}."
        expect(page.locator(f"#{error_id}")).to_have_text(expected)
        page.wait_for_timeout(SETTLE_MS)
        expect(page.locator(f"#{error_id}")).to_have_text(expected)
        expect(page.get_by_text("This file is empty")).to_have_count(0)
        expect(page.get_by_text("Files not Accepted")).to_have_count(0)
        expect(page.locator(f"#{upload_id} button")).to_be_enabled()


def test_an_empty_text_file_is_still_refused_as_empty(
    page: Page, app_url: str, rep: SeededUser, tmp_path: Path
) -> None:
    empty = tmp_path / "notes.txt"
    empty.write_bytes(b"")
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/practice/voice")
    page.locator(f"#{VOICE_UPLOAD_ID} input[type=file]").set_input_files(str(empty))
    expect(page.locator("#voice-context-error")).to_have_text("This file is empty.")


def test_the_call_analyzer_refuses_a_document_with_one_inline_message(
    page: Page, app_url: str, rep: SeededUser, refused_files: list[Path], tmp_path: Path
) -> None:
    notes = tmp_path / "call-notes.pdf"
    notes.write_bytes(b"%PDF-1.4\n" + bytes(2_000))
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/analyze")
    dropzone = page.locator("#call_audio input[type=file]")
    for path in (refused_files[1], notes):
        dropzone.set_input_files(str(path))
        expected = f"“{path.name}” can't be added: use {RECORDING_TYPES}."
        expect(page.locator("#upload-error")).to_contain_text(expected)
        expect(page.get_by_text("Files not Accepted")).to_have_count(0)
        expect(page.locator("#analyse-upload")).to_be_disabled()
    # A recording chosen next goes through, and the message goes with the upload.
    dropzone.set_input_files(str(refused_files[0]))
    expect(page.locator("#chosen-file")).to_have_text(refused_files[0].name)
    page.locator("#analyse-upload").click()
    expect(page).to_have_url(RESULT_URL)


# Where the Source column sits once the metrics table is scrolled to its end, and the box's edges.
SCROLLED_TO_THE_END = """(box) => {
  box.scrollLeft = box.scrollWidth;
  const source = [...box.querySelectorAll("th")].find((th) => th.innerText === "Source");
  const shown = box.getBoundingClientRect();
  const column = source.getBoundingClientRect();
  return {
    scrolls: box.scrollWidth > box.clientWidth,
    table: box.querySelector("table").getBoundingClientRect().width,
    source: [column.left, column.right],
    box: [shown.left, shown.right],
  };
}"""


def assert_no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


def test_a_scorecard_fits_a_phone_and_its_metrics_table_scrolls_inside_its_card(
    browser: Browser, app_url: str, rep: SeededUser
) -> None:
    phone = browser.new_context(viewport=PHONE)
    page = phone.new_page()
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/analyze")
    page.locator("#mock-discovery-northwind").click()
    expect(page).to_have_url(RESULT_URL)
    expect(page.locator(".metric-row").first).to_be_visible(timeout=30_000)
    assert_no_sideways_scroll(page)
    table = page.locator(".metrics-table").evaluate(SCROLLED_TO_THE_END)
    assert table["scrolls"], table
    assert table["table"] >= 600, f"the columns are squeezed: {table}"
    assert table["box"][0] <= table["source"][0] < table["source"][1] <= table["box"][1], table
    assert_no_sideways_scroll(page)
    scorecard = page.url
    phone.close()

    desktop = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desktop.new_page()
    log_in(page, app_url, rep.email, rep.password)
    page.goto(scorecard)
    expect(page.locator(".metric-row").first).to_be_visible(timeout=30_000)
    table = page.locator(".metrics-table").evaluate(SCROLLED_TO_THE_END)
    assert not table["scrolls"], f"the table scrolls on a desktop: {table}"
    desktop.close()
