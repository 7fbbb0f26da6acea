"""Server-sent events for the AI routes: one event per token batch, notice or ending.

The stream is `event: <name>` + `data: <json>`; clients read `delta` events until `done` (or
`error`, which still carries the partial answer). sse-starlette adds keep-alive pings and
stops the generator when the client goes away.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent

T = TypeVar("T")

PING_SECONDS = 15


def event_stream(events: AsyncIterator[tuple[str, dict[str, Any]]]) -> EventSourceResponse:
    """Send (name, payload) pairs as server-sent events, never cached or buffered."""

    async def encoded() -> AsyncIterator[ServerSentEvent]:
        async for name, payload in events:
            yield ServerSentEvent(data=json.dumps(payload), event=name)

    return EventSourceResponse(
        encoded(),
        ping=PING_SECONDS,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@asynccontextmanager
async def closing_stream(stream: AsyncGenerator[T, None]) -> AsyncIterator[AsyncGenerator[T, None]]:
    """Close `stream` when the response ends, however it ends.

    A client that hangs up cancels the response mid-stream; the stream's own clean-up (keeping
    the partial answer) must run then, shielded from that cancellation, not whenever the
    abandoned generator happens to be garbage-collected.
    """
    try:
        yield stream
    finally:
        with anyio.CancelScope(shield=True):
            await stream.aclose()
