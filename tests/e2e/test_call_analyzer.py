"""The call analyzer as a rep meets it: mock calls, uploads, progress, results, exports, errors."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import E2E_KEYS
from tests.e2e.helpers import log_in, save_user_key
from tests.fakes.ai_providers import FakeAIProviders
from tests.support.calls import discovery_script, render_call
from tests.support.seed import SeededUser, Seeder
from tests.unit.local.media import video_mp4

RESULT_URL = re.compile(r".*/analyze/\d+$")


@pytest.fixture(scope="module")
def rep(seeder: Seeder) -> SeededUser:
    return seeder.organization(
        name="Analyzer Org",
        email="analyzer@acme.test",
        password="saffron kettle drum",
        person="Ana Lyzer",
    )


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("recordings")
    files = {
        "call": folder / "discovery-call.wav",
        "video": folder / "team-meeting.mp3",  # a video named .mp3
        "noise": folder / "garbage.mp3",
    }
    files["call"].write_bytes(render_call(discovery_script(25)).wav)
    files["video"].write_bytes(video_mp4(with_audio=True))
    files["noise"].write_bytes(os.urandom(50_000))
    return files


def upload(page: Page, path: Path, *, keep: bool = False) -> None:
    page.locator("#call_audio input[type=file]").set_input_files(str(path))
    expect(page.locator("#chosen-file")).to_contain_text(path.name)
    if keep:
        page.locator("#keep-audio").click()
        page.locator("#consent").click()
    page.locator("#analyse-upload").click()


def test_a_mock_call_is_analysed_and_exported(
    page: Page, app_url: str, rep: SeededUser, tmp_path: Path
) -> None:
    log_in(page, app_url, rep.email, rep.password)
    page.locator("#nav-call-analyzer").click()
    expect(page.get_by_text("No analyses yet")).to_be_visible()
    page.locator("#mock-discovery-northwind").click()
    expect(page).to_have_url(RESULT_URL)
    expect(page.locator("#score-overall")).to_be_visible(timeout=30_000)
    expect(page.locator("#scored-by")).to_contain_text("Built-in local engine")
    expect(page.locator("#talk-ratio")).to_contain_text("Rep 39.1")
    assert page.locator(".transcript-line").count() == 36
    expect(page.locator(".metric-row", has_text="Questions asked")).to_contain_text("13")
    expect(page.locator(".key-moment").first).to_be_visible()

    with page.expect_download() as markdown:
        page.locator("#export-md").click()
    text = Path(markdown.value.path()).read_text()
    assert "Northwind" in text
    assert "Transcript" in text
    with page.expect_download() as pdf:
        page.locator("#export-pdf").click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")

    page.locator("#swap-speakers").click()
    expect(page.locator("#talk-ratio")).to_contain_text("Rep 60.9", timeout=30_000)

    page.goto(f"{app_url}/analyze")
    expect(page.locator(".history-row")).to_have_count(1)
    expect(page.locator(".history-row").first).to_contain_text("Done")


def test_an_uploaded_call_shows_progress_then_plays_from_a_line(
    page: Page, app_url: str, rep: SeededUser, recordings: dict[str, Path]
) -> None:
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/analyze")
    upload(page, recordings["call"], keep=True)
    expect(page).to_have_url(RESULT_URL)
    page.reload()  # the job lives in the database: a reload loses nothing
    expect(page.locator("#score-overall")).to_be_visible(timeout=120_000)
    expect(page.locator("#talk-ratio")).to_contain_text("Prospect")
    assert page.locator(".transcript-line").count() >= 4
    audio = page.locator("#call-audio")
    expect(audio).to_be_attached()
    page.locator(".transcript-line").nth(2).click()
    seconds = float(page.locator(".transcript-line").nth(2).get_attribute("data-start") or 0)
    position = page.evaluate("document.getElementById('call-audio').currentTime")
    assert abs(position - seconds) < 1.5


@pytest.mark.parametrize("take", range(5))
def test_reloading_a_running_analysis_again_and_again_still_follows_it_to_the_end(
    page: Page, app_url: str, rep: SeededUser, tmp_path: Path, take: int
) -> None:
    # A reload cancels the old page's watcher; it once left a flag behind that stopped the new
    # page from following the job, which then sat at "Transcribing 5%" while the job finished.
    call = tmp_path / "reloaded-call.wav"
    call.write_bytes(render_call(discovery_script(40, seed=take)).wav)
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/analyze")
    upload(page, call)
    expect(page).to_have_url(RESULT_URL)
    address = page.url
    for step in range(5):  # each reload lands at a different moment of the page's start-up
        page.goto(address, wait_until="commit")
        page.wait_for_timeout(120 * ((take + step) % 5))
    expect(page.locator("#score-overall")).to_be_visible(timeout=60_000)


def test_a_video_is_refused_with_an_offer_to_take_its_audio(
    page: Page, app_url: str, rep: SeededUser, recordings: dict[str, Path]
) -> None:
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/analyze")
    upload(page, recordings["video"])
    expect(page.locator("#analysis-error")).to_contain_text("is a video", timeout=30_000)
    page.locator("#extract-audio").click()
    # The video's audio is a tone: past the video check, it is refused for holding no
    # conversation.
    expect(page.locator("#analysis-error")).to_contain_text(
        re.compile("No speech|Only one voice"), timeout=30_000
    )
    expect(page.locator("#analysis-error")).not_to_contain_text("is a video")


def test_random_bytes_fail_clearly_and_can_be_retried(
    page: Page, app_url: str, rep: SeededUser, recordings: dict[str, Path]
) -> None:
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/analyze")
    upload(page, recordings["noise"])
    expect(page.locator("#analysis-error")).to_contain_text(
        "could not be read as audio", timeout=30_000
    )
    expect(page.locator("#retry")).to_be_visible()


def test_two_calls_are_compared_then_one_is_deleted(
    page: Page, app_url: str, rep: SeededUser
) -> None:
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/analyze")
    page.locator("#mock-demo-follow-up-brightpath").click()
    expect(page.locator("#score-overall")).to_be_visible(timeout=30_000)
    page.goto(f"{app_url}/analyze/compare")
    rows = page.locator(".compare-row")
    expect(rows.first).to_be_visible()
    expect(page.locator(".compare-row", has_text="Questions asked")).to_contain_text("2")

    page.goto(f"{app_url}/analyze")
    expect(page.locator(".history-row", has_text="BrightPath")).to_be_visible()
    before = page.locator(".history-row").count()
    page.locator(".history-row", has_text="BrightPath").get_by_label("Delete analysis").click()
    page.locator("#confirm-delete").click()
    expect(page.locator(".history-row")).to_have_count(before - 1)
    expect(page.locator(".history-row", has_text="BrightPath")).to_have_count(0)


def test_a_call_is_scored_again_by_a_model_with_the_users_key(
    page: Page, app_url: str, rep: SeededUser, ai_providers: FakeAIProviders
) -> None:
    log_in(page, app_url, rep.email, rep.password)
    save_user_key(page, app_url, "OpenAI", E2E_KEYS["openai"][0])

    page.goto(f"{app_url}/analyze")
    page.locator("#mock-closing-atlas").click()
    expect(page.locator("#score-overall")).to_be_visible(timeout=30_000)
    ai_providers.queue_replies("openai", json.dumps(MODEL_REPLY))
    page.locator("#rerun-model-select").click()
    page.get_by_role("option", name="GPT-4.1", exact=True).click()
    page.locator("#rerun").click()
    expect(page.locator("#summary")).to_have_text(MODEL_REPLY["summary"], timeout=30_000)
    expect(page.locator("#scored-by")).to_contain_text("GPT-4.1")
    expect(page.locator("#score-overall")).to_contain_text("77")
    expect(page.locator(".key-moment", has_text="Asked for the signature date")).to_be_visible()


MODEL_REPLY = {
    "summary": "A confident close: the rep confirmed the decision process and got a date.",
    "scores": {
        "overall": 77,
        "discovery": 70,
        "rapport": 80,
        "objectionHandling": 75,
        "nextSteps": 85,
    },
    "strengths": ["Confirmed who signs (00:00)."],
    "improvements": ["Quantify the value before the price (00:00)."],
    "keyMoments": [{"type": "positive", "text": "Asked for the signature date", "timeSec": 0}],
    "nextSteps": ["Send the order form on Monday."],
}
