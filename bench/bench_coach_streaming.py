"""Coach chat streaming: the gateway's time to first token, and token pacing under 50 streams.

Time to first token: `stream_answer` as the chat route calls it (the production gateway: the key
read from the database and decrypted, the answer streamed through the OpenAI SDK and metered)
against the bare SDK on one shared client, on the same loopback fake, interleaved, medians of
RUNS after a warm-up. The fake waits 20 ms before each token, so every figure includes that wait.
The bare SDK with a client made per call (as the gateway makes one) is shown beside them.
Target (issue): at most 20 ms added.

Token pacing: one uvicorn worker in a subprocess serves POST /api/ai/chat (real token auth, real
gateway) while STREAMS clients stream at once over raw sockets and time every `delta` event as
it arrives; the fake emits STREAM_TOKENS tokens 20 ms apart. The baseline is the same streams
read straight from the fake, with the same client. Target (issue): p95 gap <= 100 ms.
Tokens that arrive in bursts make most gaps near zero, so the p95 can pass while streams stall:
the p99, the longest gap and the time to the last token show stalls.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openai
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.routing import Route
from workers import uvicorn_worker  # bench/workers.py (this folder is on sys.path)

from quotahit import migrations, wiring
from quotahit.accounts.identity import Identity
from quotahit.ai import service as ai
from quotahit.apitokens import service as tokens
from quotahit.coach.api import chat_endpoint
from quotahit.db import get_engine
from quotahit.keys import service as vault
from quotahit.keys.crypto import Keyring
from quotahit.providers.key_check import KeyStatus, Verdict
from quotahit.providers.text import ChatMessage, TextDelta
from tests.fakes.ai_providers import PROVIDERS, FakeAIProviders
from tests.support.app_server import app_environment, free_port
from tests.support.seed import Seeder, signed_in

HERE = Path(__file__).resolve().parent
RUNS = 30
STREAMS = 50
TOKEN_DELAY = 0.02
TTFT_TOKENS = (" Start", " here")
STREAM_TOKENS = tuple(f" word{index}" for index in range(100))
KEY = "sk-proj-bench-0123456789abcdef"
MODEL = "gpt-4.1"
QUESTION = "How do I answer a price objection?"
EVENT_END = re.compile(rb"\r\n\r\n|\n\n")


class BenchError(RuntimeError):
    """The benchmark could not measure what it claims to (a stream broke, the server died)."""


def chat_app() -> Starlette:
    """The chat route alone, for the uvicorn worker (`--factory`)."""
    return Starlette(routes=[Route("/api/ai/chat", chat_endpoint, methods=["POST"])])


def _environment(data_dir: Path, port: int, fake: FakeAIProviders) -> dict[str, str]:
    """A local-mode app on SQLite whose providers are all the fake, with no platform keys."""
    urls = {f"{name.upper()}_BASE_URL": url for name, url in fake.base_urls.items()}
    platform_keys = {f"{name.upper()}_API_KEY": "" for name in PROVIDERS}
    return app_environment(
        data_dir,
        port,
        QUOTAHIT_SECRET_KEY="bench-secret-key-0123456789",
        QUOTAHIT_ENCRYPTION_KEYS=Keyring.generate_entry(1),
        **urls,
        **platform_keys,
    )


def _seed(database_url: str) -> tuple[Identity, str]:
    """A user with a stored OpenAI key and a personal API token; their identity and the token."""
    migrations.upgrade(database_url)
    admin = Seeder(database_url).organization(
        name="Bench", email="coach@bench.test", password="quiet lantern ridge", person="Ben"
    )
    with Session(get_engine(), expire_on_commit=False) as db_session:
        vault.save_key(
            db_session=db_session,
            identity=signed_in(db_session, admin),
            keyring=wiring.keyring(),
            validator=lambda _provider, _secret: Verdict(KeyStatus.VALID, "ok"),
            provider="openai",
            raw_key=KEY,
        )
        raw, _view = tokens.create_token(
            db_session=db_session, identity=signed_in(db_session, admin), name="Bench"
        )
        identity = tokens.authenticate(db_session=db_session, raw=raw)
    assert identity is not None
    return identity, raw


async def _first_delta(client: openai.AsyncOpenAI, started: float) -> float:
    first = 0.0
    stream = await client.responses.create(
        model=MODEL, input=[{"role": "user", "content": QUESTION}], stream=True
    )
    async for event in stream:
        if event.type == "response.output_text.delta" and not first:
            first = time.perf_counter() - started
    return first


async def _direct_first_token(fake: FakeAIProviders, shared: openai.AsyncOpenAI | None) -> float:
    """Seconds to the first token with the bare SDK: on a shared client, or one made per call."""
    started = time.perf_counter()
    if shared is not None:
        return await _first_delta(shared, started)
    async with openai.AsyncOpenAI(api_key=KEY, base_url=fake.openai_url, max_retries=0) as client:
        return await _first_delta(client, started)


async def _gateway_first_token(identity: Identity) -> float:
    """Seconds to the first token through the production gateway."""
    started = time.perf_counter()
    first = 0.0
    async for event in ai.stream_answer(
        gateway=wiring.gateway(),
        identity=identity,
        module="chat",
        model_id=MODEL,
        messages=[ChatMessage("user", QUESTION)],
        max_tokens=1_500,
    ):
        if isinstance(event, TextDelta) and not first:
            first = time.perf_counter() - started
    return first


def _stat_line(name: str, ours: float, bare: float) -> str:
    return f"BENCH {name} {ours:.1f} ms baseline {bare:.1f} ratio {ours / bare:.3f}"


async def measure_first_token(fake: FakeAIProviders, identity: Identity) -> None:
    """Alternate the three ways so they see the same machine load."""
    fake.openai.reply_tokens = list(TTFT_TOKENS)
    fake.openai.token_delay = TOKEN_DELAY
    async with openai.AsyncOpenAI(api_key=KEY, base_url=fake.openai_url, max_retries=0) as shared:
        await _direct_first_token(fake, shared)
        await _direct_first_token(fake, None)
        await _gateway_first_token(identity)
        bare, per_call, ours = [], [], []
        for _ in range(RUNS):
            bare.append(await _direct_first_token(fake, shared))
            per_call.append(await _direct_first_token(fake, None))
            ours.append(await _gateway_first_token(identity))
    bare_ms, per_call_ms, ours_ms = (
        statistics.median(runs) * 1000 for runs in (bare, per_call, ours)
    )
    print(_stat_line("coach_ttft_gateway", ours_ms, bare_ms))
    print(f"BENCH coach_ttft_overhead {ours_ms - bare_ms:.1f} ms")
    print(_stat_line("coach_ttft_direct_client_per_call", per_call_ms, bare_ms))


@dataclass(frozen=True)
class Received:
    """One server-sent event and when its last byte reached the client."""

    at: float
    name: str
    data: Any


def _parse_event(at: float, block: bytes) -> Received:
    name, data = "message", []
    for line in block.decode().splitlines():
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return Received(at, name, json.loads("\n".join(data)) if data else None)


async def read_events(port: int, path: str, token: str, body: dict[str, Any]) -> list[Received]:
    """POST `body` and read the chunked SSE answer, timing each event on arrival.

    Raw sockets rather than an HTTP library: the client shares the machine with the server, and
    the lighter it is, the less it delays the arrivals it times.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    payload = json.dumps(body).encode()
    writer.write(
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Accept: text/event-stream\r\nContent-Length: {len(payload)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        + payload
    )
    events: list[Received] = []
    try:
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200") or b"chunked" not in head.lower():
            rest = await reader.read()
            raise BenchError(f"{path} answered {head.decode()!r} {rest[:500]!r}")
        pending = b""
        while size := int((await reader.readline()).split(b";")[0], 16):
            pending += (await reader.readexactly(size + 2))[:-2]
            at = time.perf_counter()
            *complete, pending = EVENT_END.split(pending)
            events += [_parse_event(at, block) for block in complete if block.strip()]
    finally:
        writer.close()
    return events


@dataclass(frozen=True)
class Streams:
    """Token arrival times of concurrent streams, each checked to be the whole answer."""

    started: float
    token_times: list[list[float]]

    @property
    def gaps_ms(self) -> list[float]:
        return [
            (later - earlier) * 1000
            for times in self.token_times
            for earlier, later in itertools.pairwise(times)
        ]

    @property
    def first_token_ms(self) -> list[float]:
        return [(times[0] - self.started) * 1000 for times in self.token_times]

    @property
    def last_token_ms(self) -> list[float]:
        return [(times[-1] - self.started) * 1000 for times in self.token_times]

    @property
    def tokens(self) -> int:
        return sum(len(times) for times in self.token_times)


def _tokens_of(
    events: list[Received], delta: str, text_field: str, end: str
) -> tuple[list[float], str]:
    """Arrival times and text of the delta events; raises unless the stream ended normally."""
    if not events or events[-1].name != end:
        names = [event.name for event in events[-3:]]
        raise BenchError(f"the stream did not end with {end!r}: ... {names}")
    deltas = [event for event in events if event.name == delta]
    return [event.at for event in deltas], "".join(event.data[text_field] for event in deltas)


CHAT = ("/api/ai/chat", "delta", "text", "done")
RESPONSES = ("/openai/v1/responses", "response.output_text.delta", "delta", "response.completed")


async def stream_concurrently(
    port: int, route: tuple[str, str, str, str], token: str, body: dict[str, Any], streams: int
) -> Streams:
    """Identical streamed requests at once; each must carry the whole answer."""
    path, delta, text_field, end = route
    started = time.perf_counter()
    answers = await asyncio.gather(*(read_events(port, path, token, body) for _ in range(streams)))
    token_times = []
    for number, events in enumerate(answers):
        times, text = _tokens_of(events, delta, text_field, end)
        if text != "".join(STREAM_TOKENS):
            raise BenchError(f"stream {number} via {path} got {len(times)} tokens: {text[:80]!r}")
        token_times.append(times)
    return Streams(started, token_times)


@contextmanager
def chat_worker(env: dict[str, str], log: Path) -> Iterator[int]:
    """One uvicorn worker serving `chat_app` on a free loopback port; yields the port."""
    with uvicorn_worker(f"{Path(__file__).stem}:chat_app", HERE, env, log):
        yield int(env["QUOTAHIT_PORT"])


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure_stream_gaps(fake: FakeAIProviders, token: str, env: dict[str, str]) -> None:
    """The same concurrent streams straight from the fake, then through one app worker."""
    fake.openai.reply_tokens = list(STREAM_TOKENS)
    fake.openai.token_delay = TOKEN_DELAY
    fake_port = int(fake.url.rsplit(":", 1)[1])
    direct_body = {"model": MODEL, "input": [{"role": "user", "content": QUESTION}], "stream": True}
    chat_body = {"model": MODEL, "messages": [{"role": "user", "content": QUESTION}]}
    with chat_worker(env, Path(env["QUOTAHIT_DATA_DIR"]) / "uvicorn.log") as port:
        # The worker's first chat pays for lazy imports and the SDK's schemas: timed apart.
        cold = await stream_concurrently(port, CHAT, token, chat_body, 1)
        bare = await stream_concurrently(fake_port, RESPONSES, KEY, direct_body, STREAMS)
        ours = await stream_concurrently(port, CHAT, token, chat_body, STREAMS)
    rows = [
        ("gap_p95", _percentile(ours.gaps_ms, 0.95), _percentile(bare.gaps_ms, 0.95)),
        ("gap_p50", _percentile(ours.gaps_ms, 0.5), _percentile(bare.gaps_ms, 0.5)),
        ("gap_p99", _percentile(ours.gaps_ms, 0.99), _percentile(bare.gaps_ms, 0.99)),
        ("gap_max", max(ours.gaps_ms), max(bare.gaps_ms)),
        (
            "first_token_p95",
            _percentile(ours.first_token_ms, 0.95),
            _percentile(bare.first_token_ms, 0.95),
        ),
        (
            "last_token_p95",
            _percentile(ours.last_token_ms, 0.95),
            _percentile(bare.last_token_ms, 0.95),
        ),
    ]
    for name, value, baseline in rows:
        print(_stat_line(f"coach_stream_{name}", value, baseline))
    print(
        f"BENCH coach_stream_tokens {ours.tokens} tokens baseline {bare.tokens} "
        f"ratio {ours.tokens / bare.tokens:.3f}"
    )
    print(f"BENCH coach_stream_cold_first_token {cold.first_token_ms[0]:.1f} ms")


async def main() -> None:
    """First-token overhead in this process, then token pacing against a uvicorn worker."""
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeAIProviders(keys={"openai": [KEY]}) as fake,
    ):
        env = _environment(Path(folder), free_port(), fake)
        os.environ.update(env)  # before the first get_settings(): this process is the app too
        identity, token = _seed(env["DATABASE_URL"])
        await measure_first_token(fake, identity)
        await measure_stream_gaps(fake, token, env)
        get_engine().dispose()
        if fake.errors:
            raise BenchError(f"the fake AI providers crashed: {fake.errors!r}")


if __name__ == "__main__":
    asyncio.run(main())
