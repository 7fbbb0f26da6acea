"""Key checks through the real SDKs against loopback fakes of each provider, failures included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from quotahit.providers.key_check import KeyStatus, check_key
from tests.fakes.ai_providers import FakeAIProviders

GOOD = {
    "openai": "sk-test-valid",
    "anthropic": "sk-ant-test-valid",
    "openrouter": "sk-or-test-valid",
    "perplexity": "pplx-test-valid",
    "tavily": "tvly-test-valid",
    "elevenlabs": "el-test-valid",
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAIProviders]:
    with FakeAIProviders(
        allowed_models={"openai": ["gpt-4.1"], "anthropic": ["claude-haiku-4-5"]},
        hold_seconds=5.0,
    ) as providers:
        yield providers


@pytest.fixture(autouse=True)
def _clean(fake: FakeAIProviders) -> Iterator[None]:
    fake.reset()
    yield
    fake.reset()


def check(fake: FakeAIProviders, provider: str, secret: str, timeout: float = 5.0) -> KeyStatus:
    return check_key(provider, secret, base_urls=fake.base_urls, timeout=timeout).status


@pytest.mark.parametrize("provider", list(GOOD))
def test_a_good_key_is_valid(fake: FakeAIProviders, provider: str) -> None:
    assert check(fake, provider, GOOD[provider]) is KeyStatus.VALID
    request = fake.last_request(provider)  # type: ignore[arg-type]
    assert GOOD[provider] not in repr(request)


@pytest.mark.parametrize("provider", list(GOOD))
def test_a_wrong_key_is_invalid(fake: FakeAIProviders, provider: str) -> None:
    assert check(fake, provider, GOOD[provider] + "-revoked") is KeyStatus.INVALID


@pytest.mark.parametrize(
    ("provider", "mode", "status"),
    [
        ("openai", "rate_limited", KeyStatus.RATE_LIMITED),
        ("openai", "server_error", KeyStatus.UNREACHABLE),
        ("openai", "forbidden", KeyStatus.NO_MODEL_ACCESS),
        ("openai", "model_not_found", KeyStatus.NO_MODEL_ACCESS),
        ("openai", "malformed", KeyStatus.UNREACHABLE),
        ("anthropic", "overloaded", KeyStatus.UNREACHABLE),
        ("anthropic", "rate_limited", KeyStatus.RATE_LIMITED),
        ("anthropic", "model_not_found", KeyStatus.NO_MODEL_ACCESS),
        ("perplexity", "rate_limited", KeyStatus.RATE_LIMITED),
        ("openrouter", "server_error", KeyStatus.UNREACHABLE),
        ("tavily", "rate_limited", KeyStatus.RATE_LIMITED),
        ("elevenlabs", "forbidden", KeyStatus.NO_MODEL_ACCESS),
    ],
)
def test_provider_failures_get_a_clear_verdict(
    fake: FakeAIProviders, provider: str, mode: str, status: KeyStatus
) -> None:
    fake.set_mode(provider, mode)  # type: ignore[arg-type]
    assert check(fake, provider, GOOD[provider]) is status


@pytest.mark.parametrize("provider", ["openai", "anthropic", "tavily"])
def test_a_provider_that_hangs_is_unreachable_within_the_timeout(
    fake: FakeAIProviders, provider: str
) -> None:
    fake.set_mode(provider, "timeout")  # type: ignore[arg-type]
    assert check(fake, provider, GOOD[provider], timeout=0.5) is KeyStatus.UNREACHABLE


def test_a_closed_port_is_unreachable() -> None:
    urls = dict.fromkeys(GOOD, "http://127.0.0.1:9")
    for provider, secret in GOOD.items():
        verdict = check_key(provider, secret, base_urls=urls, timeout=2)
        assert verdict.status is KeyStatus.UNREACHABLE
        assert "saved unverified" in verdict.message
