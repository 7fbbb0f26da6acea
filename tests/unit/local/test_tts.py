"""Speech synthesis plumbing: the worker protocol against a fake worker, and the espeak fallback.

The real Piper voice is exercised in tests/integration/local/test_tts.py.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from quotahit.providers.local import tts
from quotahit.providers.local.errors import SpeechSynthesisError
from quotahit.providers.local.tts import (
    LocalSpeechSynthesizer,
    PiperWorker,
    split_sentences,
)
from quotahit.providers.local.vad import speech_segments

FAKE_WORKER = Path(__file__).with_name("fake_piper_worker.py")
TWO_SENTENCES = "The price is too high. Can you do better"


def _command(mode: str, log: Path) -> list[str]:
    return [sys.executable, str(FAKE_WORKER), mode, str(log)]


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "requests.jsonl"


@pytest.fixture
def synthesizers() -> Iterator[list[LocalSpeechSynthesizer]]:
    made: list[LocalSpeechSynthesizer] = []
    yield made
    for synthesizer in made:
        synthesizer.close()


def _synthesizer(made: list[LocalSpeechSynthesizer], **kwargs: object) -> LocalSpeechSynthesizer:
    synthesizer = LocalSpeechSynthesizer(**kwargs)  # type: ignore[arg-type]
    made.append(synthesizer)
    return synthesizer


def _seconds(pcm: bytes, rate: int = 24_000) -> float:
    return len(pcm) / 2 / rate


def test_split_sentences() -> None:
    assert split_sentences("Hi there.  How are you? Fine!\nNew line; more: end") == [
        "Hi there.",
        "How are you?",
        "Fine!",
        "New line;",
        "more:",
        "end",
    ]
    assert split_sentences("   ") == []


def test_worker_audio_streams_per_sentence_resampled_to_24k(
    log: Path, synthesizers: list[LocalSpeechSynthesizer]
) -> None:
    synthesizer = _synthesizer(synthesizers, piper_command=_command("ok", log))

    chunks = list(synthesizer.synthesize_stream(TWO_SENTENCES))
    phone = b"".join(synthesizer.synthesize_stream(TWO_SENTENCES, sample_rate=8_000))

    assert synthesizer.voice == tts.PIPER_VOICE
    assert len(chunks) >= 2
    assert _seconds(b"".join(chunks)) == pytest.approx(1.0, abs=0.01)
    assert _seconds(phone, 8_000) == pytest.approx(1.0, abs=0.01)
    assert list(synthesizer.synthesize_stream("  ")) == []


def test_closing_the_stream_early_cancels_the_rest(
    log: Path, synthesizers: list[LocalSpeechSynthesizer]
) -> None:
    synthesizer = _synthesizer(synthesizers, piper_command=_command("ok", log))

    stream = synthesizer.synthesize_stream("One. Two. Three. Four. Five. Six")
    next(stream)
    stream.close()
    after = b"".join(synthesizer.synthesize_stream("Next"))

    assert _seconds(after) == pytest.approx(0.5, abs=0.01)  # no leftovers of the first request
    sent = [json.loads(line) for line in log.read_text().splitlines()]
    assert {"cancel": 1} in sent


def test_concurrent_requests_each_get_their_own_audio(
    log: Path, synthesizers: list[LocalSpeechSynthesizer]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    synthesizer = _synthesizer(synthesizers, piper_command=_command("ok", log))
    texts = ["One", "One. Two", "One. Two. Three", "One. Two. Three. Four"]

    with ThreadPoolExecutor(4) as pool:
        outputs = list(pool.map(lambda t: b"".join(synthesizer.synthesize_stream(t)), texts))

    assert [round(_seconds(pcm), 2) for pcm in outputs] == [0.5, 1.0, 1.5, 2.0]


def test_piper_unavailable_falls_back_to_espeak(
    tmp_path: Path, synthesizers: list[LocalSpeechSynthesizer]
) -> None:
    synthesizer = _synthesizer(synthesizers, piper_command=[str(tmp_path / "no-such-python")])

    chunks = list(synthesizer.synthesize_stream("The price is too high. Can you do better?"))

    assert synthesizer.voice == tts.ESPEAK_VOICE
    assert len(chunks) == 2  # one per sentence
    audio = b"".join(chunks)
    assert 1.5 < _seconds(audio) < 6
    assert len(speech_segments(audio, 24_000, min_silence_ms=600)) >= 1


@pytest.mark.parametrize("mode", ["refuse", "crash-first"])
def test_a_worker_that_fails_before_speaking_hands_over_to_espeak(
    mode: str, log: Path, synthesizers: list[LocalSpeechSynthesizer]
) -> None:
    synthesizer = _synthesizer(synthesizers, piper_command=_command(mode, log))

    audio = b"".join(synthesizer.synthesize_stream("Hello there"))

    assert _seconds(audio) > 0.3
    assert speech_segments(audio, 24_000)


def test_a_worker_that_dies_mid_reply_raises_then_restarts(
    log: Path, synthesizers: list[LocalSpeechSynthesizer]
) -> None:
    synthesizer = _synthesizer(synthesizers, piper_command=_command("crash-second", log))

    stream = synthesizer.synthesize_stream(TWO_SENTENCES)
    assert _seconds(next(stream)) > 0.4
    with pytest.raises(SpeechSynthesisError, match="Piper voice failed"):
        list(stream)
    assert _seconds(b"".join(synthesizer.synthesize_stream("Single"))) == pytest.approx(
        0.5, abs=0.01
    )
    assert synthesizer.voice == tts.PIPER_VOICE


def test_no_voice_at_all_is_a_clear_error(
    tmp_path: Path, synthesizers: list[LocalSpeechSynthesizer]
) -> None:
    synthesizer = _synthesizer(
        synthesizers,
        piper_command=[str(tmp_path / "no-such-python")],
        espeak_binary=str(tmp_path / "no-espeak"),
    )

    with pytest.raises(SpeechSynthesisError, match="install espeak-ng"):
        list(synthesizer.synthesize_stream("Hello"))
    assert synthesizer.voice is None


def test_a_worker_that_never_gets_ready_times_out(log: Path) -> None:
    worker = PiperWorker(_command("never-ready", log), start_timeout_s=0.5)
    started = time.monotonic()

    with pytest.raises(SpeechSynthesisError, match=r"not ready after 0.5 s"):
        worker.start()

    assert time.monotonic() - started < 8
    assert not worker.alive
