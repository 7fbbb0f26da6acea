"""The AI gateway's overhead against calling the SDK directly, on the same loopback fake.

The gateway resolves and decrypts the key from the database, checks the spend cap, streams the
answer and meters the call; the baseline streams the same answer with the bare OpenAI SDK in the
same run. The fake emits 20 tokens, one every 20 ms (a realistic model pace).
Target (issue #3): a full streamed answer costs at most 5 % more (ratio <= 1.05).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openai
from sqlmodel import Session

from quotahit import migrations
from quotahit.ai import service as ai
from quotahit.ai.service import Gateway
from quotahit.db import make_engine
from quotahit.keys import service as vault
from quotahit.keys.crypto import Keyring
from quotahit.providers.key_check import KeyStatus, Verdict
from quotahit.providers.text import ChatMessage, TextDelta
from tests.fakes.ai_providers import FakeAIProviders
from tests.support.seed import Seeder, signed_in

RUNS = 15
KEY = "sk-proj-bench-0123456789abcdef"
TOKENS = tuple(f" word{index}" for index in range(20))
QUESTION = [ChatMessage("user", "How do I answer a price objection?")]


async def direct(fake: FakeAIProviders) -> tuple[float, float]:
    """Seconds to the first token and to the end, with the bare SDK."""
    started = time.perf_counter()
    first = 0.0
    async with openai.AsyncOpenAI(api_key=KEY, base_url=fake.openai_url, max_retries=0) as client:
        stream = await client.responses.create(
            model="gpt-4.1", input=[{"role": "user", "content": QUESTION[0].content}], stream=True
        )
        async for event in stream:
            if event.type == "response.output_text.delta" and not first:
                first = time.perf_counter() - started
    return first, time.perf_counter() - started


async def through_gateway(gateway: Gateway, identity: object) -> tuple[float, float]:
    """Seconds to the first token and to the end, through the gateway."""
    started = time.perf_counter()
    first = 0.0
    async for event in ai.stream_answer(
        gateway=gateway, identity=identity, module="bench", model_id="gpt-4.1", messages=QUESTION
    ):
        if isinstance(event, TextDelta) and not first:
            first = time.perf_counter() - started
    return first, time.perf_counter() - started


async def main() -> None:
    """Alternate direct and gateway runs so both see the same machine load."""
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeAIProviders(keys={"openai": [KEY]}, reply_tokens=TOKENS, token_delay=0.02) as fake,
    ):
        url = f"sqlite:///{folder}/bench.db"
        migrations.upgrade(url)
        seeder = Seeder(url)
        admin = seeder.organization(
            name="Bench", email="gateway@bench.test", password="quiet lantern ridge", person="Ben"
        )
        keyring = Keyring.parse(Keyring.generate_entry(1))
        engine = make_engine(url)
        with Session(engine) as db_session:
            identity = signed_in(db_session, admin)
            vault.save_key(
                db_session=db_session,
                identity=identity,
                keyring=keyring,
                validator=lambda _p, _s: Verdict(KeyStatus.VALID, "ok"),
                provider="openai",
                raw_key=KEY,
            )

        @contextmanager
        def sessions() -> Iterator[Session]:
            with Session(engine, expire_on_commit=False) as db_session:
                yield db_session

        gateway = Gateway(
            sessions=sessions,
            keyring=keyring,
            platform_keys={},
            base_urls=dict(fake.base_urls),
        )
        await direct(fake)
        await through_gateway(gateway, identity)
        bare, ours = [], []
        for _ in range(RUNS):
            bare.append(await direct(fake))
            ours.append(await through_gateway(gateway, identity))
        bare_full = statistics.median(run[1] for run in bare) * 1000
        ours_full = statistics.median(run[1] for run in ours) * 1000
        bare_first = statistics.median(run[0] for run in bare) * 1000
        ours_first = statistics.median(run[0] for run in ours) * 1000
        print(
            f"BENCH ai_gateway_full_answer {ours_full:.1f} ms "
            f"baseline {bare_full:.1f} ratio {ours_full / bare_full:.3f}"
        )
        print(
            f"BENCH ai_gateway_first_token {ours_first:.1f} ms "
            f"baseline {bare_first:.1f} ratio {ours_first / bare_first:.3f}"
        )
        print(f"BENCH ai_gateway_first_token_added {ours_first - bare_first:.1f} ms")
        engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
