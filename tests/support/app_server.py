"""Starts the production build exactly as `make run` does, on a free port with its own data.

Shared by the browser tests and the benchmarks so both measure what users get.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
START_TIMEOUT = 420


@dataclass(frozen=True)
class RunningApp:
    """Where the app listens and what it runs on."""

    url: str
    database_url: str
    data_dir: Path
    log: Path
    env: dict[str, str]


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url + "/ping", timeout=2) as ping:
                if ping.status == 200:
                    with urllib.request.urlopen(url + "/login", timeout=5) as page:
                        if page.status == 200:
                            return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"server did not start in {START_TIMEOUT}s:\n{log.read_text()[-4000:]}")


def app_environment(data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    """Environment of a local-mode app on SQLite in `data_dir`, with no Redis."""
    env = {
        **os.environ,
        "QUOTAHIT_ENV": "local",
        "QUOTAHIT_DATA_DIR": str(data_dir),
        "QUOTAHIT_PORT": str(port),
        "QUOTAHIT_HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{data_dir / 'app.db'}",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        **extra,
    }
    for name in ("REDIS_URL", "REFLEX_REDIS_URL", "QUOTAHIT_PUBLIC_BASE_URL"):
        if name not in extra:
            env.pop(name, None)
    return env


@contextmanager
def running_app(data_dir: Path, **extra: str) -> Iterator[RunningApp]:
    """Migrate, serve with `quotahit serve`, wait until it answers, stop it afterwards."""
    port = free_port()
    env = app_environment(data_dir, port, **extra)
    subprocess.run([str(BIN / "quotahit"), "migrate"], env=env, check=True, cwd=ROOT)
    log = data_dir / "server.log"
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
        yield RunningApp(url, env["DATABASE_URL"], data_dir, log, env)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
