"""Browser tests: the production build served exactly as `make run` serves it, on a free port.

Chromium is Debian's (`/usr/bin/chromium`); Playwright never downloads a browser here.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.fakes.ai_providers import FakeAIProviders
from tests.fakes.openai_realtime import FakeOpenAIRealtime
from tests.support.app_server import CHROMIUM, CHROMIUM_ARGS, RunningApp, running_app
from tests.support.seed import Seeder

# Voice calls end at this length in the browser tests (one test waits for it).
VOICE_MAX_SECONDS = 75
REALTIME_REP_LINE = "Hello, this is Rita from QuotaHit. How do you onboard new reps today?"
REALTIME_REPLIES = ("We mostly shadow senior reps for a month. Why do you ask?",)
E2E_KEYS = {
    "openai": ["sk-proj-e2e-valid-0123456789WXYZ"],
    "anthropic": ["sk-ant-api03-e2e-valid-0123456789"],
    "openrouter": ["sk-or-v1-e2e-valid-0123456789ab"],
    "perplexity": ["pplx-e2e-valid-0123456789abcdef"],
    "tavily": ["tvly-e2e-valid-0123456789abcdef"],
    "elevenlabs": ["e2e-elevenlabs-valid-0123456789"],
}


@pytest.fixture(scope="session")
def ai_providers() -> Iterator[FakeAIProviders]:
    """Every AI provider, faked on loopback; the app is pointed at it."""
    with FakeAIProviders(keys=E2E_KEYS) as fake:
        yield fake


@pytest.fixture(scope="session")
def realtime() -> Iterator[FakeOpenAIRealtime]:
    """OpenAI Realtime's websocket, faked on loopback: hears the rep say REALTIME_REP_LINE."""
    with FakeOpenAIRealtime(
        valid_keys={E2E_KEYS["openai"][0]},
        transcriber=lambda _pcm: REALTIME_REP_LINE,
        replies=list(REALTIME_REPLIES),
        pace=1.0,
    ) as fake:
        yield fake


@pytest.fixture(scope="session")
def app_server(
    tmp_path_factory: pytest.TempPathFactory,
    ai_providers: FakeAIProviders,
    realtime: FakeOpenAIRealtime,
) -> Iterator[RunningApp]:
    """A fresh data folder and SQLite database, migrated and served by `quotahit serve`."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `bash scripts/system-deps.sh`")
    urls = {f"{provider.upper()}_BASE_URL": url for provider, url in ai_providers.base_urls.items()}
    with running_app(
        tmp_path_factory.mktemp("e2e-data"),
        QUOTAHIT_PLATFORM_ADMINS="root@platform.test",
        OPENAI_REALTIME_URL=realtime.ws_url,
        QUOTAHIT_VOICE_MAX_SECONDS=str(VOICE_MAX_SECONDS),
        QUOTAHIT_VOICE_RESUME_SECONDS="20",
        **urls,
    ) as app:
        yield app


@pytest.fixture(scope="session")
def app_url(app_server: RunningApp) -> str:
    """Base URL of the running app."""
    return app_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium, headless, with no traffic beyond loopback."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(autouse=True)
def _default_timeout(page: Page) -> None:
    page.set_default_timeout(20_000)
    expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def seeder(app_server: RunningApp) -> Seeder:
    """Adds confirmed users to the running app's database."""
    return Seeder(app_server.database_url)


SERVER_LOG_TAIL = 6_000


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Generator:
    """A failed browser test also shows the end of the server's log: in CI it is the only trace
    of what the server did (an error, a stalled job) while the page waited."""
    outcome = yield
    report = outcome.get_result()
    app = getattr(item, "funcargs", {}).get("app_server")
    if report.failed and isinstance(app, RunningApp) and app.log.exists():
        report.sections.append(("server log (end)", app.log.read_text()[-SERVER_LOG_TAIL:]))
