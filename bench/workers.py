"""A uvicorn worker in its own process, for benchmarks that measure a route as production
serves it (one worker, its own CPU) while their clients run in the benchmark's process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_SECONDS = 60


class WorkerError(RuntimeError):
    """The worker did not start, or crashed."""


@contextmanager
def uvicorn_worker(
    app_factory: str, app_dir: Path, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Serve `module:factory` (found in `app_dir`) on 127.0.0.1:QUOTAHIT_PORT until the block
    ends; raises WorkerError if it does not start or logs a crash."""
    port = int(env["QUOTAHIT_PORT"])
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "--app-dir",
        str(app_dir),
        app_factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with log.open("w") as handle:
        process = subprocess.Popen(
            command, env=env, cwd=app_dir.parent, stdout=handle, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise WorkerError(f"uvicorn exited early:\n{log.read_text()[-4000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise WorkerError(
                        f"uvicorn did not start:\n{log.read_text()[-4000:]}"
                    ) from None
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if "Traceback" in log.read_text():
        raise WorkerError(f"the worker logged a crash:\n{log.read_text()[-4000:]}")
