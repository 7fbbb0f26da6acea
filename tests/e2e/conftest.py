"""Browser tests: the production build served exactly as `make run` serves it, on a free port.

Chromium is Debian's (`/usr/bin/chromium`); Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
CHROMIUM = "/usr/bin/chromium"
START_TIMEOUT = 420


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url + "/ping", timeout=2) as response:
                if response.status == 200:
                    with urllib.request.urlopen(url + "/login", timeout=5) as page:
                        if page.status == 200:
                            return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"server did not start in {START_TIMEOUT}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A fresh data folder and SQLite database, migrated, served by `quotahit serve`."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `bash scripts/system-deps.sh`")
    data = tmp_path_factory.mktemp("e2e-data")
    port = _free_port()
    env = {
        **os.environ,
        "QUOTAHIT_ENV": "local",
        "QUOTAHIT_DATA_DIR": str(data),
        "QUOTAHIT_PORT": str(port),
        "QUOTAHIT_HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{data / 'e2e.db'}",
        "QUOTAHIT_PLATFORM_ADMINS": "root@platform.test",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    }
    env.pop("REDIS_URL", None)
    env.pop("REFLEX_REDIS_URL", None)
    subprocess.run([str(BIN / "quotahit"), "migrate"], env=env, check=True, cwd=ROOT)
    log = data / "server.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [str(BIN / "quotahit"), "serve"],
            env=env,
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield {"url": url, "database_url": env["DATABASE_URL"], "log": str(log)}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def app_url(app_server: dict[str, str]) -> str:
    """Base URL of the running app."""
    return app_server["url"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium, headless, with no traffic beyond loopback."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


@pytest.fixture(autouse=True)
def _default_timeout(page: Page) -> None:
    page.set_default_timeout(20_000)
    expect.set_options(timeout=20_000)
