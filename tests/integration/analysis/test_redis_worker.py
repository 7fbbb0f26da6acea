"""Scaled out: a job dispatched through a Redis stream is run by a separate `quotahit worker`.

The web process and the worker share only the database and Redis, as in production; the row is
the truth, so the worker finds everything it needs from the id the stream carries.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from quotahit.analysis import service
from quotahit.analysis.models import CallAnalysis, Status
from tests.conftest import REDIS_HOST, REDIS_PORT, redis_problem, require_service
from tests.integration.conftest import Accounts, Member

ROOT = Path(__file__).resolve().parents[3]
QUOTAHIT = ROOT / ".venv" / "bin" / "quotahit"


def test_a_worker_runs_jobs_sent_through_redis(
    accounts: Accounts, admin: Member, db_url: str, tmp_path: Path
) -> None:
    require_service(redis_problem())
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "QUOTAHIT_DATA_DIR": str(tmp_path),
        "QUOTAHIT_JOB_BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
        "QUOTAHIT_JOB_QUEUE": f"quotahit-test-{uuid.uuid4().hex}",
    }
    worker = subprocess.Popen(
        [str(QUOTAHIT), "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(3)  # the worker's start-up sweep runs before the job exists
        analysis = accounts.call(service.create_mock, identity=admin.identity, slug="closing-atlas")
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import asyncio, sys; from quotahit.analysis import jobs; "
                "asyncio.run(jobs.dispatch(int(sys.argv[1])))",
                str(analysis.id),
            ],
            env=env,
            cwd=ROOT,
            check=True,
            timeout=60,
        )
        deadline = time.monotonic() + 90
        row = accounts.one(CallAnalysis, CallAnalysis.id == analysis.id)
        while row.status != Status.DONE.value and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
            time.sleep(0.5)
            row = accounts.one(CallAnalysis, CallAnalysis.id == analysis.id)
        assert row.status == Status.DONE.value, (row.status, row.error)
        assert service.document_of(row)["scores"]["overall"] >= 0
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def test_the_worker_refuses_to_start_without_a_broker(tmp_path: Path) -> None:
    env = {**os.environ, "QUOTAHIT_DATA_DIR": str(tmp_path), "QUOTAHIT_JOB_BROKER_URL": ""}
    result = subprocess.run(
        [str(QUOTAHIT), "worker"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "no worker is needed" in result.stderr
