"""The queue between an engine and its call, which merges transcript words still waiting.

An engine can produce events faster than the call relays them: OpenAI sends the rep's
transcription as a dozen small deltas in one burst, just before the buyer's first audio. Relayed
one by one, each is a websocket message and a page update, and together they held the buyer's
first audio back by about a millisecond (bench/bench_voice.py). Deltas of the same turn that
are still queued are merged into one (the page shows the same words), and a turn's final text
absorbs the deltas queued just before it. Audio and everything else keep their order.
"""

from __future__ import annotations

import asyncio
from typing import Any

from quotahit.voice.events import TranscriptDelta, TranscriptDone, VoiceEvent


def merged(queued: TranscriptDelta, new: TranscriptDelta) -> TranscriptDelta | None:
    """One delta saying what `queued` then `new` say, or None when they are of other turns."""
    if (queued.speaker, queued.item_id) != (new.speaker, new.item_id):
        return None
    if new.replace:
        return new  # the whole turn so far: what was queued is stale
    return TranscriptDelta(new.speaker, new.item_id, queued.text + new.text, replace=queued.replace)


class EventQueue(asyncio.Queue[VoiceEvent | None]):
    """An unbounded asyncio queue of engine events (None: the engine is done) that merges
    queued transcript deltas; `asyncio.Queue._put` is the hook its own subclasses use."""

    _queue: Any  # asyncio.Queue's deque

    def _put(self, item: VoiceEvent | None) -> None:
        last = self._queue[-1] if self._queue else None
        if isinstance(last, TranscriptDelta):
            if isinstance(item, TranscriptDelta) and (joined := merged(last, item)):
                self._queue[-1] = joined
                return
            if isinstance(item, TranscriptDone) and (last.speaker, last.item_id) == (
                item.speaker,
                item.item_id,
            ):
                self._queue[-1] = item  # the final text says everything the delta did
                return
        self._queue.append(item)
