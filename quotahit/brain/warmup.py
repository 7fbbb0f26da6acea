"""Load the local engine's models when the app starts: embeddings and the playbook index,
then Whisper and the Piper voice.

Without it the first offline answer after a start waits 10 s or more for the model to load and
the playbook to be embedded (measured by the browser tests on this 2-core machine), and the first
voice call waits about a second more for Whisper and Piper before the buyer's greeting.
"""

from __future__ import annotations

import asyncio
import logging

from quotahit.brain import intents, retrieval

logger = logging.getLogger(__name__)


def _warm() -> None:
    retrieval.search_playbook("warm up", top_k=1)
    intents.detect_intent("Hello, thanks for taking the call.")
    from quotahit.providers.local import stt, tts  # heavy imports, only when the app runs

    stt.load_model()
    tts.speech_synthesizer().start()


async def warm_local_engine() -> None:
    """Lifespan task: warm the local engine in a thread, so requests are served meanwhile."""
    try:
        await asyncio.to_thread(_warm)
    except Exception:
        logger.exception("warming the local engine failed; it will load on first use")
