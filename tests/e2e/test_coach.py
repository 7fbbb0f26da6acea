"""The AI coach as a rep meets it: attachments, streamed answers with sources, failures, history."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF
from playwright.sync_api import Page, expect
from pypdf import PdfReader, PdfWriter

from tests.e2e.conftest import E2E_KEYS
from tests.e2e.helpers import log_in, save_user_key
from tests.fakes.ai_providers import FakeAIProviders
from tests.support.seed import SeededUser, Seeder

CONVERSATION_URL = re.compile(r".*/coach/\d+$")
PRICE_LINE = "Acme Rocket Boots cost 49 dollars per seat."
QUESTION = "How much do Acme Rocket Boots cost per seat?"
# The local engine embeds the playbook on its first question: seconds on a busy machine.
FIRST_LOCAL_ANSWER_MS = 60_000
# Records whether the streaming answer (or its thinking indicator) was ever on screen.
WATCH_STREAMING = """() => {
  window.__streamSeen = [];
  new MutationObserver(() => {
    for (const id of ["live-answer", "thinking"]) {
      if (document.getElementById(id) && !window.__streamSeen.includes(id)) {
        window.__streamSeen.push(id);
      }
    }
  }).observe(document.body, { childList: true, subtree: true });
}"""
_numbers = itertools.count(1)


@pytest.fixture
def rep(seeder: Seeder) -> SeededUser:
    number = next(_numbers)
    return seeder.organization(
        name=f"Coach Org {number}",
        email=f"coach-{number}@acme.test",
        password="amber lighthouse fern",
        person="Casey Coachee",
    )


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("coach-documents")
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for number, text in enumerate(
        (
            "Onboarding takes two weeks and starts with a kickoff workshop.",
            f"Pricing. {PRICE_LINE} Volume discounts start at 100 seats.",
            "Support is included: e-mail within one business day, chat for admins.",
        ),
        start=1,
    ):
        pdf.add_page()
        pdf.multi_cell(0, 8, f"Page {number}. {text}")
    files = {"pricing": folder / "acme-pricing.pdf", "locked": folder / "locked-pricing.pdf"}
    pdf.output(str(files["pricing"]))
    locked = PdfWriter(clone_from=PdfReader(files["pricing"]))
    locked.encrypt("open sesame")
    locked.write(files["locked"])
    return files


@pytest.fixture
def providers(ai_providers: FakeAIProviders) -> Iterator[FakeAIProviders]:
    """The fakes in their normal state before and after, token pacing included."""
    ai_providers.reset()
    yield ai_providers
    ai_providers.reset()
    ai_providers.openai.token_delay = 0.0
    ai_providers.openai.cut_after_tokens = 2


def attach(page: Page, path: Path) -> None:
    page.locator("#coach-attachment input[type=file]").set_input_files(str(path))


def ask(page: Page, question: str) -> None:
    page.locator("#coach-question").fill(question)
    page.locator("#coach-question").press("Enter")


def open_coach_with(page: Page, app_url: str, path: Path) -> None:
    """A new conversation holding the document (attaching it creates the conversation)."""
    page.goto(f"{app_url}/coach")
    expect(page.locator(".quick-prompt").first).to_be_visible()
    attach(page, path)
    expect(page.locator(".attachment-chip")).to_contain_text(path.name)
    expect(page).to_have_url(CONVERSATION_URL)


def test_the_local_coach_quotes_an_attached_pdf_and_keeps_the_conversation(
    page: Page, app_url: str, rep: SeededUser, documents: dict[str, Path]
) -> None:
    log_in(page, app_url, rep.email, rep.password)
    page.locator("#nav-ai-coach").click()
    expect(page.locator("#no-conversations")).to_be_visible()
    question = page.locator("#coach-question")
    question.fill(QUESTION)
    attach(page, documents["pricing"])
    expect(page.locator(".attachment-chip")).to_contain_text("acme-pricing.pdf")
    expect(page).to_have_url(CONVERSATION_URL)
    expect(question).to_have_value(QUESTION)  # the new conversation's address kept the draft
    page.evaluate(WATCH_STREAMING)
    question.press("Enter")
    answer = page.locator(".assistant-message")
    expect(answer).to_contain_text(PRICE_LINE, timeout=FIRST_LOCAL_ANSWER_MS)
    assert page.evaluate("window.__streamSeen.length") > 0, "nothing showed while answering"
    expect(page.locator(".user-message")).to_have_text(QUESTION)
    expect(page.locator(".citations")).to_contain_text("[D1] acme-pricing.pdf")
    expect(page.locator("#coach-question")).to_have_value("")
    expect(page.locator(".conversation-item")).to_have_count(1)
    expect(page.locator(".conversation-item")).to_contain_text(QUESTION)
    expect(page.locator("#conversation-title")).to_have_text(QUESTION)

    page.reload()
    expect(page.locator(".assistant-message")).to_contain_text(PRICE_LINE)
    expect(page.locator(".user-message")).to_have_text(QUESTION)
    expect(page.locator(".citations")).to_contain_text("acme-pricing.pdf")
    expect(page.locator(".attachment-chip")).to_contain_text("acme-pricing.pdf")
    expect(page.locator("#conversation-title")).to_have_text(QUESTION)
    expect(page.locator(".conversation-item")).to_contain_text(QUESTION)
    expect(page.locator("#regenerate")).to_have_text("Regenerate")


MODEL_ANSWER = (
    "Acme Rocket Boots are priced at 49 dollars per seat [D1]. Lead with the value first: "
    "ask how many reps would use them, what a slow ramp costs the team each quarter, and "
    "who signs off on tooling, then anchor the price against that cost before you talk "
    "about volume discounts or any other concession. Closing thought."
)


def test_a_models_answer_streams_and_a_cut_answer_is_kept_then_retried(
    page: Page,
    app_url: str,
    rep: SeededUser,
    documents: dict[str, Path],
    providers: FakeAIProviders,
) -> None:
    log_in(page, app_url, rep.email, rep.password)
    save_user_key(page, app_url, "OpenAI", E2E_KEYS["openai"][0])
    open_coach_with(page, app_url, documents["pricing"])
    page.locator("#coach-model").click()
    page.get_by_role("option", name="GPT-4.1 — your key", exact=True).click()
    expect(page.locator("#coach-model")).to_contain_text("GPT-4.1")

    providers.openai.token_delay = 0.05
    providers.queue_replies("openai", MODEL_ANSWER)
    ask(page, QUESTION)
    live = page.locator("#live-answer")
    expect(live).to_contain_text("Acme Rocket Boots are priced")
    assert "Closing thought" not in live.inner_text(), "the answer arrived in one piece"
    expect(page.locator("#coach-stop")).to_be_visible()
    draft = page.locator("#coach-question")
    draft.fill("And if they say that is too expensive?")
    draft.press("Enter")  # nothing to send to while an answer is being written: kept
    answer = page.locator(".assistant-message")
    expect(answer).to_contain_text("Closing thought.", timeout=30_000)
    expect(live).to_have_count(0)
    expect(draft).to_have_value("And if they say that is too expensive?")
    expect(page.locator(".user-message")).to_have_count(1)
    expect(page.locator(".citations")).to_contain_text("[D1] acme-pricing.pdf")
    expect(page.get_by_text("GPT-4.1", exact=True)).to_be_visible()
    assert providers.last_request("openai").stream

    providers.openai.token_delay = 0.0
    providers.openai.cut_after_tokens = 6
    providers.set_mode("openai", "cut_stream", times=1)
    providers.queue_replies(
        "openai",
        "Bundle onboarding into the first year so the price never stands alone.",
        "Offer a pilot for one team, then expand at the same seat price [D1].",
    )
    draft.press("Enter")
    expect(answer).to_have_count(2)
    expect(answer.last).to_have_text("Bundle onboarding into the first year")
    expect(page.locator(".answer-error")).to_contain_text("The answer was cut off")
    retry = page.locator("#regenerate")
    expect(retry).to_have_text("Retry")
    retry.click()
    expect(answer.last).to_have_text(
        "Offer a pilot for one team, then expand at the same seat price [D1]."
    )
    expect(page.locator(".answer-error")).to_have_count(0)
    expect(page.locator("#regenerate")).to_have_text("Regenerate")
    expect(answer).to_have_count(2)
    expect(page.locator(".user-message")).to_have_count(2)

    page.reload()
    expect(answer.last).to_contain_text("Offer a pilot for one team")
    expect(page.locator(".answer-error")).to_have_count(0)


def test_locked_pdfs_and_private_addresses_are_refused(
    page: Page, app_url: str, rep: SeededUser, documents: dict[str, Path]
) -> None:
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/coach")
    expect(page.locator(".quick-prompt").first).to_be_visible()
    attach(page, documents["locked"])
    expect(page.locator("#attach-error")).to_contain_text("password-protected")
    for address in ("http://127.0.0.1:1/", "http://169.254.169.254/latest/meta-data"):
        page.locator("#attach-url").fill(address)
        page.locator("#attach-url-button").click()
        host = address.split("/")[2].split(":")[0]
        expect(page.locator("#attach-error")).to_contain_text(
            f"{host} points into a private network"
        )
    expect(page.locator(".attachment-chip")).to_have_count(0)
    expect(page.locator("#attach-url")).to_have_value("http://169.254.169.254/latest/meta-data")
    expect(page.locator("#no-conversations")).to_be_visible()


def test_conversations_are_renamed_searched_and_deleted(
    page: Page, app_url: str, rep: SeededUser
) -> None:
    log_in(page, app_url, rep.email, rep.password)
    page.goto(f"{app_url}/coach")
    page.locator(".quick-prompt", has_text="Let me think about it").click()
    expect(page.locator(".assistant-message")).to_be_visible(timeout=FIRST_LOCAL_ANSWER_MS)
    page.locator("#new-conversation").click()
    expect(page.locator(".quick-prompt").first).to_be_visible()
    ask(page, "How do I open a cold call with a CFO?")
    expect(page.locator(".assistant-message")).to_be_visible()
    items = page.locator(".conversation-item")
    expect(items).to_have_count(2)

    cold_call = items.filter(has_text="cold call with a CFO")
    cold_call.locator(".rename-conversation").click()
    page.locator("#rename-input").fill("Zebra plan for the CFO")
    page.locator("#rename-save").click()
    expect(items.filter(has_text="Zebra plan for the CFO")).to_have_count(1)
    expect(page.locator("#conversation-title")).to_have_text("Zebra plan for the CFO")

    page.locator("#conversation-search").fill("zebra")
    expect(items).to_have_count(1)
    expect(items).to_contain_text("Zebra plan for the CFO")
    page.locator("#conversation-search").fill("no such words")
    expect(page.locator("#no-conversations")).to_have_text("No conversation matches.")
    page.locator("#conversation-search").fill("")
    expect(items).to_have_count(2)

    items.filter(has_text="Zebra plan for the CFO").locator(".delete-conversation").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Delete this conversation?")
    dialog.get_by_role("button", name="Keep it").click()
    expect(dialog).to_have_count(0)
    expect(items).to_have_count(2)
    items.filter(has_text="Zebra plan for the CFO").locator(".delete-conversation").click()
    page.locator("#confirm-delete").click()
    expect(items).to_have_count(1)
    expect(items.filter(has_text="Zebra plan for the CFO")).to_have_count(0)
    expect(page).to_have_url(re.compile(r".*/coach/?$"))
    page.reload()
    expect(items).to_have_count(1)
    expect(items).to_contain_text("let me think about it")
