"""The local engine's real models, loaded once for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from quotahit.providers.local import embeddings, stt
from quotahit.providers.local.tts import LocalSpeechSynthesizer


@pytest.fixture(scope="session")
def whisper() -> None:
    """The process-wide Whisper model, loaded up front so no test pays for it alone."""
    stt.load_model()


@pytest.fixture(scope="session")
def e5() -> None:
    """The process-wide embedding model."""
    embeddings.load_model()


@pytest.fixture(scope="session")
def piper() -> Iterator[LocalSpeechSynthesizer]:
    """A synthesizer with its Piper worker running (not the fallback)."""
    synthesizer = LocalSpeechSynthesizer()
    assert synthesizer.start() == "Piper joe (US English, neural)", "the Piper worker did not start"
    yield synthesizer
    synthesizer.close()
