"""Server-sent events for the AI routes: one event per token batch, notice or ending.

The stream is `event: <name>` + `data: <json>`; clients read `delta` events until `done` (or
`error`, which still carries the partial answer). sse-starlette adds keep-alive pings and
stops the generator when the client goes away.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent

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
