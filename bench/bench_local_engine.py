"""The built-in local engine's speed on this machine, offline, with baselines from the same run.

Speech-to-text and text-to-speech are set against the audio's own duration (the ratio is the
real-time factor: below 1 is faster than real time); text-to-speech's first audio against the
whole synthesis of the same reply (how much streaming per sentence saves); embeddings in one
batch against the same sentences one by one; decoding and VAD against the clip's duration. Every
figure is the median of several runs after a warm-up. Nothing here touches the network: the
models come from installed packages, and HF_HUB_OFFLINE=1 makes any hub lookup fail loudly.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quotahit.providers.local import embeddings, stt, vad
from quotahit.providers.local.audio import decode_audio
from quotahit.providers.local.tts import LocalSpeechSynthesizer
from tests.unit.local.media import encode, espeak_pcm, word_error_rate

RUNS = 5
REPLY = (
    "I hear you on the budget. Most teams we work with felt the same before they saw the "
    "numbers. Our customers usually recover the cost within one quarter. What would it take "
    "for this to be a priority for you? If it helps, I can send a short proposal with two "
    "package options. Would Thursday at ten work for a fifteen minute call?"
)
USER_TURN = "the price is too high for our budget this quarter"
SUBJECTS = ["the price", "our budget", "the contract", "your onboarding", "the renewal", "support"]
VIEWS = ["is too high", "looks fine", "worries my boss", "needs another look", "is unclear"]
TIMES = ["this quarter", "next year", "right now", "after the summer", "for the team"]


def _median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    action()  # warm-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _stream_timing(chunks: Iterator[bytes]) -> tuple[float, float, bytes]:
    started = time.perf_counter()
    first = None
    audio = b""
    for chunk in chunks:
        if first is None:
            first = (time.perf_counter() - started) * 1000
        audio += chunk
    return first or 0.0, (time.perf_counter() - started) * 1000, audio


def _tts(synthesizer: LocalSpeechSynthesizer, name: str) -> bytes:
    _stream_timing(synthesizer.synthesize_stream(REPLY))  # warm-up
    runs = [_stream_timing(synthesizer.synthesize_stream(REPLY)) for _ in range(RUNS)]
    first = statistics.median(run[0] for run in runs)
    total = statistics.median(run[1] for run in runs)
    audio = runs[-1][2]
    audio_ms = len(audio) / 2 / 24_000 * 1000
    print(f"BENCH {name}_first_audio {first:.0f} ms baseline {total:.0f} ratio {first / total:.3f}")
    print(
        f"BENCH {name}_realtime_factor {total / 1000:.3f} s "
        f"baseline {audio_ms / 1000:.2f} ratio {total / audio_ms:.3f}"
    )
    return audio


def main() -> None:
    """Load each model, then time each stage of a local voice turn."""
    started = time.perf_counter()
    stt.load_model()
    print(f"BENCH local_stt_model_load {(time.perf_counter() - started) * 1000:.0f} ms")

    piper = LocalSpeechSynthesizer()
    started = time.perf_counter()
    voice = piper.start()
    print(f"BENCH local_tts_worker_start {(time.perf_counter() - started) * 1000:.0f} ms")
    if voice != "Piper joe (US English, neural)":
        raise SystemExit(f"the Piper worker did not start (voice: {voice})")
    reply = _tts(piper, "local_tts")
    # The fallback voice, as when Piper cannot start (its warning is expected here).
    logging.getLogger("quotahit.providers.local.tts").setLevel(logging.ERROR)
    espeak = LocalSpeechSynthesizer(piper_command=["/nonexistent/piper"])
    _tts(espeak, "local_tts_espeak")

    # Speech-to-text on the Piper reply, as uploaded from a browser (webm/Opus, 16 kHz).
    upload = encode(reply, 24_000, container="webm", codec="libopus")
    clip = decode_audio(upload, sample_rate=16_000)
    audio_ms = clip.duration_s * 1000
    stt_ms = _median_ms(lambda: stt.transcribe(clip.pcm, 16_000), runs=3)
    print(
        f"BENCH local_stt_realtime_factor {stt_ms / 1000:.3f} s "
        f"baseline {audio_ms / 1000:.2f} ratio {stt_ms / audio_ms:.3f}"
    )
    plain_ms = _median_ms(lambda: stt.transcribe(clip.pcm, 16_000, word_timestamps=False), runs=3)
    print(
        f"BENCH local_stt_word_timestamps {stt_ms:.0f} ms "
        f"baseline {plain_ms:.0f} ratio {stt_ms / plain_ms:.3f}"
    )
    heard = stt.transcript_text(stt.transcribe(clip.pcm, 16_000))
    print(f"BENCH local_stt_word_error_rate {word_error_rate(REPLY, heard):.3f} fraction")

    decode_ms = _median_ms(lambda: decode_audio(upload, sample_rate=16_000))
    print(
        f"BENCH local_decode_webm {decode_ms:.1f} ms "
        f"baseline {audio_ms:.0f} ratio {decode_ms / audio_ms:.5f}"
    )
    vad_ms = _median_ms(lambda: vad.speech_segments(clip.pcm, 16_000))
    print(f"BENCH local_vad {vad_ms:.1f} ms baseline {audio_ms:.0f} ratio {vad_ms / audio_ms:.5f}")

    # One turn: the user's utterance has ended -> transcript -> the reply's first audio.
    utterance = espeak_pcm(USER_TURN, 16_000)

    def turn() -> None:
        stt.transcribe(utterance, 16_000)
        next(iter(piper.synthesize_stream("I understand. Let's look at the numbers together.")))

    print(f"BENCH local_turn_first_audio {_median_ms(turn):.0f} ms")
    piper.close()

    sentences = [
        f"{subject} {view} {when}" for subject in SUBJECTS for view in VIEWS for when in TIMES
    ]
    embeddings.load_model()
    batch_ms = _median_ms(lambda: embeddings.embed(sentences), runs=3)
    single_ms = _median_ms(lambda: [embeddings.embed([s]) for s in sentences], runs=3)
    batch_rate = len(sentences) / batch_ms * 1000
    single_rate = len(sentences) / single_ms * 1000
    print(
        f"BENCH local_embeddings_per_second {batch_rate:.0f} /s "
        f"baseline {single_rate:.0f} ratio {batch_rate / single_rate:.2f}"
    )
    query_ms = _median_ms(lambda: embeddings.embed([USER_TURN]), runs=20)
    print(f"BENCH local_embeddings_query {query_ms:.1f} ms")


if __name__ == "__main__":
    main()
