"""The call analyzer's speed, each figure beside a baseline measured in the same run.

* A 30-minute two-voice call analysed end to end on the local engine (decode, Whisper, speaker
  clustering, metrics, scoring), as a real-time factor, against Whisper alone on the same audio.
  Target: RTF <= 0.15 on 2 cores.
* Metrics for a 2-hour transcript against one bare pass over the same turns. Target: < 50 ms.
* A 60-minute call transcribed in overlapping chunks sent side by side, against the same chunks
  sent one after the other, to a loopback fake of OpenAI that takes time to answer like a real
  service (1 s plus 0.5 s per uploaded megabyte: about 10 s for a 10-minute chunk, still well
  under what hosted Whisper takes). Target: >= 3x faster.
* A mock transcript analysed (no audio), next to the 15-20 s per analysis the original product
  quotes.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OPENAI_KEY = "sk-bench-0123456789abcdef"


def _median_ms(action: object, runs: int = 7) -> float:
    action()  # type: ignore[operator]
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def bench_metrics() -> None:
    from quotahit.analysis.metrics import PROSPECT, REP, Turn, measure

    turns = []
    clock = 0.0
    for index in range(2400):  # two hours of 3-second turns
        speaker = REP if index % 2 else PROSPECT
        text = (
            "So how do you handle approvals today? Um, we send it over next week, you know."
            if speaker == REP
            else "We mostly use spreadsheets and a lot of e-mail back and forth, honestly."
        )
        turns.append(Turn(speaker, clock, clock + 2.6, text))
        clock += 3.0

    def bare() -> float:
        return sum(t.end - t.start for t in turns if t.speaker == REP)

    ours = _median_ms(lambda: measure(turns))
    base = _median_ms(bare)
    print(
        f"BENCH analysis_metrics_2h_transcript {ours:.1f} ms "
        f"baseline {base:.2f} ms ratio {ours / base:.0f} (target < 50 ms)",
        flush=True,
    )


def bench_parallel_transcription() -> None:
    import numpy as np

    from tests.fakes.audio_providers import FakeAudioProviders

    with FakeAudioProviders(keys={"openai": [OPENAI_KEY]}) as fake:
        fake.openai.latency_seconds = 1.0
        fake.openai.latency_per_megabyte = 0.5
        os.environ["OPENAI_API_KEY"] = OPENAI_KEY
        os.environ["OPENAI_BASE_URL"] = fake.openai_url
        from quotahit import settings

        settings.get_settings.cache_clear()
        from quotahit.analysis import standalone, transcription

        rng = np.random.default_rng(0)
        samples = (rng.standard_normal(60 * 60 * transcription.RATE) * 300).astype(np.int16)

        def run(parallel: int) -> float:
            transcription.PARALLEL_CHUNKS = parallel
            with standalone._scratch_gateway() as (gateway, identity):
                tick = transcription._ChunkProgress(7, lambda stage, fraction: None)
                started = time.perf_counter()
                asyncio.run(
                    transcription._provider_track(
                        gateway=gateway,
                        identity=identity,
                        samples=samples,
                        model_id="whisper-1",
                        label="left",
                        tick=tick,
                        notices=[],
                    )
                )
                return time.perf_counter() - started

        chunks = len(transcription.chunk_bounds(60 * 60))
        parallel = run(6)
        serial = run(1)
    print(
        f"BENCH analysis_transcribe_60min_{chunks}_chunks_parallel {parallel:.1f} s "
        f"baseline {serial:.1f} s ratio {serial / parallel:.1f}x faster (target >= 3x)",
        flush=True,
    )


def bench_local_call() -> None:
    from quotahit.analysis import standalone
    from quotahit.providers.local import stt
    from quotahit.providers.local.audio import decode_audio
    from tests.support.calls import long_call

    call = long_call(30)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "call.wav"
        path.write_bytes(call.wav)
        seconds = len(call.pcm) / 2 / call.sample_rate
        stt.load_model()
        started = time.perf_counter()
        result = asyncio.run(standalone.analyze_file(path))
        ours = time.perf_counter() - started
        decoded = decode_audio(path)
        started = time.perf_counter()
        stt.transcribe(decoded.pcm, decoded.sample_rate, word_timestamps=True, skip_silence=True)
        whisper = time.perf_counter() - started
    talk = result.analysed.document["talkRatio"]["rep"]
    print(
        f"BENCH analysis_30min_call_local_rtf {ours / seconds:.3f} "
        f"baseline {whisper / seconds:.3f} (Whisper alone) ratio {ours / whisper:.2f} "
        f"({ours:.0f} s for {seconds / 60:.0f} min; target RTF <= 0.15; rep talk {talk} %)",
        flush=True,
    )


def bench_mock_analysis() -> None:
    from quotahit.analysis import service, standalone

    async def analyse() -> None:
        with standalone._scratch_gateway() as (gateway, identity):
            await service.analyse_segments(
                gateway=gateway,
                identity=identity,
                segments=service.mock_segments("discovery-northwind"),
                rep_hint="auto",
                focus="discovery",
                model_id="local",
            )

    ours = _median_ms(lambda: asyncio.run(analyse()), runs=5)
    print(
        f"BENCH analysis_mock_transcript_local {ours:.0f} ms "
        f"baseline 17500 ms (the original product's quoted 15-20 s per analysis) "
        f"ratio {17500 / ours:.0f}x faster",
        flush=True,
    )


if __name__ == "__main__":
    bench_metrics()
    bench_mock_analysis()
    bench_parallel_transcription()
    bench_local_call()
