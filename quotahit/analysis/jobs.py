"""Analysis jobs on taskiq: the in-memory broker by default, a Redis stream when configured.

The queue only carries an analysis id; `service.run` reads the row to know what is left to do,
so a lost message is picked up by the periodic resume and a repeated one is a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.api.receiver import run_receiver_task

from quotahit import wiring
from quotahit.analysis import service
from quotahit.db import session_scope
from quotahit.settings import get_settings

logger = logging.getLogger(__name__)

RESUME_EVERY_SECONDS = 60.0


def build_broker(url: str, queue_name: str) -> AsyncBroker:
    """A Redis stream broker for `url`, else one that runs jobs in this process."""
    if url:
        from taskiq_redis import RedisStreamBroker

        return RedisStreamBroker(url, queue_name=queue_name)
    return InMemoryBroker(max_async_tasks=4)


broker = build_broker(get_settings().job_broker_url, get_settings().job_queue_name)
_started = False


@broker.task(task_name="analysis.run")
async def run_analysis(analysis_id: int) -> None:
    """Run (or resume) one analysis."""
    settings = get_settings()
    await service.run(
        analysis_id=analysis_id,
        gateway=wiring.gateway(),
        data_dir=settings.data_dir,
        max_seconds=settings.analysis_max_minutes * 60,
    )


async def _ensure_started() -> None:
    global _started
    if not _started:
        _started = True
        await broker.startup()


async def dispatch(analysis_id: int) -> None:
    """Send one analysis to the queue."""
    await _ensure_started()
    await run_analysis.kiq(analysis_id)


def _housekeeping() -> list[int]:
    settings = get_settings()
    with session_scope() as db_session:
        swept = service.sweep_recordings(db_session=db_session, data_dir=settings.data_dir)
        if swept:
            logger.info("deleted %d recordings past their retention", swept)
        return service.unfinished(db_session=db_session)


async def resume_forever() -> None:
    """Lifespan task: dispatch unfinished jobs at start-up and every minute after, and delete
    recordings past their retention."""
    while True:
        try:
            for analysis_id in await asyncio.to_thread(_housekeeping):
                await dispatch(analysis_id)
        except Exception:
            logger.exception("resuming analysis jobs failed; trying again in a minute")
        await asyncio.sleep(RESUME_EVERY_SECONDS)


async def work_forever() -> None:
    """`quotahit worker`: take jobs from the Redis stream until stopped."""
    await _ensure_started()
    resume = asyncio.create_task(resume_forever())
    try:
        await run_receiver_task(broker, max_async_tasks=2)
    finally:
        resume.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await resume
        await broker.shutdown()
