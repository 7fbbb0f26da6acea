"""Voice practice as reps meet it, in Chromium with a fake microphone playing generated speech.

The microphone is espeak-ng saying REP_LINE (Chromium loops the file); the buyer is played by the
local engine (real Whisper, local buyer and Piper) or by OpenAI Realtime's loopback fake. Each
test checks what a rep would: their words appear, the buyer's voice arrives and plays, talking
over the buyer stops it, hanging up shows the scorecard, and the failures leave clear guidance.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, WebSocketRoute, expect

from quotahit.voice.pages import UPLOAD_ID
from tests.e2e.conftest import E2E_KEYS, REALTIME_REP_LINE, REALTIME_REPLIES, VOICE_MAX_SECONDS
from tests.e2e.helpers import log_in, save_user_key
from tests.fakes.openai_realtime import FakeOpenAIRealtime
from tests.support.app_server import CHROMIUM, CHROMIUM_ARGS
from tests.support.seed import SeededUser, Seeder
from tests.support.speech_audio import speech_wav

CONTEXT_FACT = "Brightlane renews its CRM contract on March 31 and has 40 reps."
REP_LINE = "Hi Sarah, thanks for taking my call. What are your biggest challenges with your team?"
CALL_URL = re.compile(r".*/practice/voice/\d+$")
RESULT_URL = re.compile(r".*/analyze/\d+$")
PASSWORD = "cedar harbour violin"
FAKE_MIC = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _default_timeout() -> None:
    """These tests set their own timeouts on their own browser (see `voice_context`)."""


@pytest.fixture(scope="module")
def voice_browser(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """Chromium whose microphone says REP_LINE 1.5 s in (over the buyer's greeting), then waits."""
    wav = speech_wav(
        tmp_path_factory.mktemp("mic") / "rep.wav",
        REP_LINE,
        leading_silence_s=1.5,
        trailing_silence_s=12.0,
    )
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, *FAKE_MIC, f"--use-file-for-fake-audio-capture={wav}"],
    )
    yield browser
    browser.close()


@pytest.fixture
def voice_context(voice_browser: Browser, app_url: str) -> Iterator[BrowserContext]:
    context = voice_browser.new_context(permissions=["microphone"], base_url=app_url)
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture
def rep(seeder: Seeder) -> SeededUser:
    number = next(_numbers)
    return seeder.organization(
        name=f"Voice Org {number}",
        email=f"voice-{number}@acme.test",
        password=PASSWORD,
        person="Rita Rep",
    )


def signed_in(context: BrowserContext, app_url: str, user: SeededUser) -> Page:
    page = context.new_page()
    log_in(page, app_url, user.email, PASSWORD)
    return page


def start_call(
    page: Page, app_url: str, *, engine: str = "Local engine", live: bool = True, **setup: Any
) -> None:
    page.goto(f"{app_url}/practice/voice")
    page.locator(".voice-persona[data-persona='sarah_mitchell']").click()
    page.locator("#voice-engine").get_by_role("radio", name=engine).click()
    if setup.get("keep_audio"):
        page.locator("#voice-keep-audio").click()
    page.locator("#start-call").click()
    expect(page).to_have_url(CALL_URL)
    if live:
        settled = page.locator("#call-status:has-text('Live'), #call-guidance").first
        expect(settled).to_be_visible(timeout=60_000)
        guidance = page.locator("#call-guidance")
        assert guidance.count() == 0, guidance.inner_text()  # why the call did not start
        expect(page.locator("#call-status")).to_have_text("Live")


def stats(page: Page) -> dict[str, Any]:
    return page.evaluate("window.quotahitVoice.stats()")


def wait_for_stats(page: Page, condition: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        f"(() => {{ const s = window.quotahitVoice.stats(); return {condition}; }})()",
        timeout=timeout,
    )


def test_a_local_call_hears_the_rep_plays_the_buyer_stops_when_interrupted_and_scores(
    voice_context: BrowserContext, app_url: str, rep: SeededUser
) -> None:
    page = signed_in(voice_context, app_url, rep)
    start_call(page, app_url)
    # The rep talks over Sarah's greeting: her voice stops, and the browser says how much played.
    wait_for_stats(page, "s.bargeIns >= 1 && s.lastPlayback && s.lastPlayback.played_ms > 0")
    rep_turn = page.locator(".rep-turn").first
    expect(rep_turn).to_contain_text("biggest challenges", timeout=60_000)
    # The buyer answers out loud: audio arrives and plays, and the page says who has the floor.
    expect(page.locator("#call-speaking")).to_have_text("Buyer speaking", timeout=60_000)
    expect(page.locator(".buyer-turn")).to_have_count(2, timeout=60_000)
    wait_for_stats(page, "s.audioBytesReceived > 48000 && s.playedMs > 500")
    greeting = page.locator(".buyer-turn").first.inner_text()
    assert "twenty minutes" not in greeting  # cut to what was heard before the rep spoke
    expect(page.locator("#call-timer")).not_to_have_text("00:00")
    page.locator("#call-end").click()
    expect(page).to_have_url(RESULT_URL, timeout=60_000)
    expect(page.locator("#score-overall")).to_contain_text(re.compile(r"\d+"), timeout=90_000)


def test_context_the_rep_adds_is_checked_and_becomes_what_the_buyer_knows(
    voice_context: BrowserContext,
    app_url: str,
    rep: SeededUser,
    realtime: FakeOpenAIRealtime,
    tmp_path: Path,
) -> None:
    brief = FPDF()
    brief.set_font("Helvetica", size=12)
    brief.add_page()
    brief.multi_cell(0, 8, f"Brightlane account brief. {CONTEXT_FACT}")
    pdf = tmp_path / "brightlane-brief.pdf"
    brief.output(str(pdf))
    video = tmp_path / "call-notes.pdf"  # a video named like a PDF
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(2_000))
    page = signed_in(voice_context, app_url, rep)
    save_user_key(page, app_url, "OpenAI", E2E_KEYS["openai"][0])
    page.goto(f"{app_url}/practice/voice")
    upload = page.locator(f"#{UPLOAD_ID} input[type=file]")
    upload.set_input_files(str(video))
    expect(page.locator("#voice-context-error")).to_contain_text("video")
    page.locator("#voice-context-url").fill("http://169.254.169.254/latest/meta-data")
    page.locator("#voice-context-url-button").click()
    expect(page.locator("#voice-context-error")).to_contain_text("private network")
    upload.set_input_files(str(pdf))
    expect(page.locator(".context-item")).to_have_count(1)
    expect(page.locator(".context-item")).to_contain_text("brightlane-brief.pdf")
    connections = len(realtime.connections)
    page.locator("#voice-engine").get_by_role("radio", name="OpenAI Realtime").click()
    page.locator("#start-call").click()
    expect(page).to_have_url(CALL_URL)
    expect(page.locator("#call-status")).to_have_text("Live", timeout=60_000)
    realtime.wait_until(lambda: len(realtime.connections) > connections, within=10)
    instructions = realtime.connections[connections].session.get("instructions", "")
    assert CONTEXT_FACT in instructions
    page.locator("#call-end").click()
    expect(page.locator("#call-status")).to_have_text("Ended", timeout=30_000)


def test_mute_stops_the_microphone_and_unmute_brings_it_back(
    voice_context: BrowserContext, app_url: str, rep: SeededUser
) -> None:
    page = signed_in(voice_context, app_url, rep)
    start_call(page, app_url)
    page.locator("#call-mute").click()
    expect(page.locator("#call-status")).to_have_text("Muted")
    sent = stats(page)["framesSent"]
    page.wait_for_timeout(1_000)
    assert stats(page)["framesSent"] == sent
    page.keyboard.press("m")  # the meeting-app shortcut unmutes (focus is on the button)
    expect(page.locator("#call-status")).to_have_text("Live")
    wait_for_stats(page, f"s.framesSent > {sent + 10}")
    page.locator("#call-end").click()
    expect(page.locator("#call-ended")).to_be_visible(timeout=30_000)


def test_start_over_asks_first_then_drops_the_call_without_a_scorecard(
    voice_context: BrowserContext, app_url: str, rep: SeededUser
) -> None:
    page = signed_in(voice_context, app_url, rep)
    page.goto(f"{app_url}/practice/voice")  # without an OpenAI key, only the local engine
    realtime_choice = page.locator("#voice-engine").get_by_role("radio", name="OpenAI Realtime")
    expect(realtime_choice).to_be_disabled()
    start_call(page, app_url)
    call_url = page.url
    page.locator("#call-reset").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("without a scorecard")
    page.keyboard.press("m")  # no shortcut while the question is open
    dialog.get_by_role("button", name="Keep this call").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#call-status")).to_have_text("Live")
    page.locator("#call-reset").click()
    page.locator("#call-reset-confirm").click()
    expect(page).to_have_url(f"{app_url}/practice/voice", timeout=30_000)
    expect(page.locator("#start-call")).to_be_visible()
    page.goto(call_url)
    expect(page.get_by_text("does not exist").first).to_be_visible(timeout=30_000)


def test_an_openai_realtime_call_runs_through_our_backend(
    voice_context: BrowserContext, app_url: str, rep: SeededUser, realtime: FakeOpenAIRealtime
) -> None:
    page = signed_in(voice_context, app_url, rep)
    save_user_key(page, app_url, "OpenAI", E2E_KEYS["openai"][0])
    connections = len(realtime.connections)
    start_call(page, app_url, engine="OpenAI Realtime")
    expect(page.locator(".rep-turn").first).to_contain_text(REALTIME_REP_LINE, timeout=60_000)
    expect(page.locator(".buyer-turn", has_text=REALTIME_REPLIES[0]).first).to_be_visible(
        timeout=60_000
    )
    wait_for_stats(page, "s.audioBytesReceived > 0 && s.playedMs > 0")
    connection = realtime.connections[connections]
    assert connection.session["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert "Sarah Mitchell" in connection.session["instructions"]
    page.locator("#call-end").click()
    expect(page).to_have_url(RESULT_URL, timeout=60_000)
    expect(page.locator("#score-overall")).to_contain_text(re.compile(r"\d+"), timeout=90_000)


def test_openai_refusing_the_key_hands_the_call_to_the_local_engine(
    voice_context: BrowserContext, app_url: str, rep: SeededUser, realtime: FakeOpenAIRealtime
) -> None:
    page = signed_in(voice_context, app_url, rep)
    save_user_key(page, app_url, "OpenAI", E2E_KEYS["openai"][0])
    realtime.mode = "unauthorized"
    try:
        start_call(page, app_url, engine="OpenAI Realtime")
        expect(page.locator(".call-notice").first).to_contain_text("local engine", timeout=30_000)
        expect(page.locator(".rep-turn").first).to_contain_text(
            "biggest challenges", timeout=60_000
        )
    finally:
        realtime.mode = "ok"
    page.locator("#call-end").click()
    expect(page).to_have_url(RESULT_URL, timeout=60_000)


def test_openai_dropping_mid_call_ends_it_and_keeps_the_transcript(
    voice_context: BrowserContext, app_url: str, rep: SeededUser, realtime: FakeOpenAIRealtime
) -> None:
    page = signed_in(voice_context, app_url, rep)
    save_user_key(page, app_url, "OpenAI", E2E_KEYS["openai"][0])
    realtime.mode = "drop"
    try:
        start_call(page, app_url, engine="OpenAI Realtime", live=False)
        expect(page.locator(".call-notice").first).to_contain_text("lost", timeout=30_000)
        expect(page.locator("#call-status")).to_have_text("Ended", timeout=30_000)
    finally:
        realtime.mode = "ok"
    expect(page.locator("#call-ended")).to_be_visible()


def test_a_dropped_connection_reconnects_and_the_call_goes_on(
    voice_context: BrowserContext, app_url: str, rep: SeededUser
) -> None:
    page = signed_in(voice_context, app_url, rep)
    sockets: list[WebSocketRoute] = []

    def relay(ws: WebSocketRoute) -> None:
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r".*/api/voice/ws.*"), relay)
    start_call(page, app_url)
    expect(page.locator(".rep-turn").first).to_contain_text("biggest challenges", timeout=60_000)
    sockets[0].close(code=4000, reason="network hiccup")  # not 44xx: the client retries
    wait_for_stats(page, "s.state === 'live'", timeout=30_000)
    page.wait_for_function("() => true")
    expect(page.locator("#call-status")).to_have_text("Live", timeout=30_000)
    assert len(sockets) >= 2
    expect(page.locator(".rep-turn").first).to_contain_text("biggest challenges")
    page.locator("#call-end").click()
    expect(page).to_have_url(RESULT_URL, timeout=60_000)


def test_the_microphone_blocked_by_the_browser_shows_how_to_allow_it(
    playwright: Playwright, app_url: str, rep: SeededUser
) -> None:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream"],
    )
    try:
        context = browser.new_context(base_url=app_url)
        page = signed_in(context, app_url, rep)
        page.goto(f"{app_url}/practice/voice")
        page.locator("#start-call").click()
        expect(page).to_have_url(CALL_URL)
        expect(page.locator("#call-guidance")).to_contain_text("allow the microphone")
        expect(page.locator("#call-connect")).to_be_visible()
    finally:
        browser.close()


def test_the_same_rep_in_two_tabs_keeps_one_live_call(
    voice_context: BrowserContext, app_url: str, rep: SeededUser
) -> None:
    first = signed_in(voice_context, app_url, rep)
    start_call(first, app_url)
    second = voice_context.new_page()
    start_call(second, app_url)
    expect(first.locator("#call-status")).to_have_text("Ended", timeout=30_000)
    expect(second.locator("#call-status")).to_have_text("Live")
    second.locator("#call-end").click()
    expect(second.locator("#call-ended")).to_be_visible(timeout=60_000)


def test_a_call_ends_by_itself_at_its_maximum_length(
    voice_context: BrowserContext, app_url: str, rep: SeededUser
) -> None:
    page = signed_in(voice_context, app_url, rep)
    start_call(page, app_url)
    expect(page.locator(".call-notice", has_text="One minute left")).to_be_visible(
        timeout=(VOICE_MAX_SECONDS - 50) * 1000
    )
    # At the maximum the call ends by itself and the rep lands on the scorecard.
    expect(page).to_have_url(RESULT_URL, timeout=(VOICE_MAX_SECONDS + 30) * 1000)


def test_reloading_mid_call_ends_the_call_and_keeps_its_scorecard(
    voice_context: BrowserContext, app_url: str, rep: SeededUser
) -> None:
    # Leaving the page (a reload too) hangs up at once rather than leaving a call running with
    # nobody on it; what was said is scored.
    page = signed_in(voice_context, app_url, rep)
    start_call(page, app_url)
    expect(page.locator(".rep-turn").first).to_contain_text("biggest challenges", timeout=60_000)
    page.reload()
    expect(page).to_have_url(RESULT_URL, timeout=60_000)
    expect(page.locator("#score-overall")).to_be_visible(timeout=60_000)
    expect(page.locator(".transcript-line", has_text="biggest challenges")).to_be_visible()
