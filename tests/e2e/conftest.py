"""Browser tests: the production build served exactly as `make run` serves it, on a free port.

Chromium is Debian's (`/usr/bin/chromium`); Playwright never downloads a browser here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.app_server import CHROMIUM, CHROMIUM_ARGS, RunningApp, running_app
from tests.support.seed import Seeder


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """A fresh data folder and SQLite database, migrated and served by `quotahit serve`."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `bash scripts/system-deps.sh`")
    with running_app(
        tmp_path_factory.mktemp("e2e-data"), QUOTAHIT_PLATFORM_ADMINS="root@platform.test"
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
