"""The AI provider fakes speak the real protocols: the real SDKs (openai 3.x, anthropic 2.x, on
httpx2) and plain httpx work against them, and every failure mode raises what the SDK raises for
the real service."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest

from tests.fakes.ai_providers import (
    DEFAULT_KEYS,
    PROVIDERS,
    FakeAIProviders,
    Mode,
    Provider,
    fake_ai_providers,
)

OPENAI_KEY = "sk-test-valid"
ANTHROPIC_KEY = "sk-ant-test-valid"
OPENROUTER_KEY = "sk-or-test-valid"
PERPLEXITY_KEY = "pplx-test-valid"
TAVILY_KEY = "tvly-test-valid"
ELEVENLABS_KEY = "el-test-valid"

GPT = "gpt-5.4-mini"
CLAUDE = "claude-sonnet-4-6"
HI: Any = [{"role": "user", "content": "Say hello"}]  # typed as each SDK's own message param
REPLY = "Hello from the fake model."
SHORT_TIMEOUT = 0.3  # the client time-out in the "timeout" tests


@pytest.fixture
def ai() -> Iterator[FakeAIProviders]:
    yield from fake_ai_providers()


@pytest.fixture
def oai(ai: FakeAIProviders) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=ai.openai_url, api_key=OPENAI_KEY, max_retries=0, timeout=5
    ) as client:
        yield client


@pytest.fixture
def claude(ai: FakeAIProviders) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        base_url=ai.anthropic_url, api_key=ANTHROPIC_KEY, max_retries=0, timeout=5
    ) as client:
        yield client


def chat_text(stream: Any, received: list[str] | None = None) -> str:
    """The text of a Chat Completions stream; tokens land in `received` as they arrive."""
    received = [] if received is None else received
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            received.append(chunk.choices[0].delta.content)
    return "".join(received)


async def async_chat_text(stream: Any, received: list[str]) -> str:
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            received.append(chunk.choices[0].delta.content)
    return "".join(received)


async def async_claude_text(client: anthropic.AsyncAnthropic, received: list[str]) -> str:
    async with client.messages.stream(model=CLAUDE, max_tokens=256, messages=HI) as stream:
        async for token in stream.text_stream:
            received.append(token)
    return "".join(received)


def response_deltas(events: Any, received: list[str] | None = None) -> list[str]:
    """The text deltas of a Responses API event stream."""
    received = [] if received is None else received
    for event in events:
        if event.type == "response.output_text.delta":
            received.append(event.delta)
    return received


def raw_key_request(ai: FakeAIProviders, provider: Provider, key: str) -> httpx.Response:
    """One authenticated request to each provider's cheapest endpoint, sent with plain httpx."""
    url = ai.base_url(provider)
    bearer = {"Authorization": f"Bearer {key}"}
    with httpx.Client(timeout=5) as client:
        if provider == "openai":
            return client.get(f"{url}/models", headers=bearer)
        if provider == "anthropic":
            return client.get(
                f"{url}/v1/models/{CLAUDE}",
                headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
            )
        if provider == "openrouter":
            return client.get(f"{url}/key", headers=bearer)
        if provider == "perplexity":
            body = {"model": "sonar", "messages": HI}
            return client.post(f"{url}/chat/completions", headers=bearer, json=body)
        if provider == "tavily":
            return client.get(f"{url}/usage", headers=bearer)
        return client.get(f"{url}/v1/user", headers={"xi-api-key": key})


# OpenAI through the real SDK.


def test_openai_lists_and_retrieves_models(ai: FakeAIProviders, oai: openai.OpenAI) -> None:
    assert [model.id for model in oai.models.list()] == ai.openai.models
    model = oai.models.retrieve(GPT)
    assert (model.id, model.object) == (GPT, "model")

    request = ai.last_request("openai")
    assert (request.method, request.path, request.status) == ("GET", f"/models/{GPT}", 200)
    assert request.headers["authorization"] == "Bearer ****alid"
    assert request.api_key == "****alid"
    assert OPENAI_KEY not in json.dumps([vars(r) for r in ai.requests])


def test_openai_chat_completion_non_stream(ai: FakeAIProviders, oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model=GPT, messages=HI)
    assert completion.choices[0].message.content == REPLY
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 6
    assert ai.last_request("openai").body == {"model": GPT, "messages": HI}


def test_openai_chat_max_tokens_cuts_the_reply(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model=GPT,
        messages=HI,
        max_completion_tokens=1,
    )
    assert completion.choices[0].message.content == "Hello"
    assert completion.choices[0].finish_reason == "length"


def test_openai_chat_stream_with_usage(ai: FakeAIProviders, oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model=GPT,
            messages=HI,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chat_text(chunks) == REPLY
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 6
    assert all(chunk.usage is None for chunk in chunks[:-1])
    request = ai.last_request("openai")
    assert request.stream
    assert request.body["stream_options"] == {"include_usage": True}


def test_openai_chat_stream_without_usage_option_sends_no_usage(oai: openai.OpenAI) -> None:
    chunks = list(oai.chat.completions.create(model=GPT, messages=HI, stream=True))
    assert chat_text(chunks) == REPLY
    assert all(chunk.usage is None for chunk in chunks)


def test_openai_responses_stream_text_deltas(oai: openai.OpenAI) -> None:
    events = list(oai.responses.create(model=GPT, input="Say hello", stream=True))
    types = [event.type for event in events]
    assert types[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
    assert "".join(deltas) == REPLY
    assert [event.sequence_number for event in events] == list(range(len(events)))
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.output_text == REPLY
    assert completed.response.usage is not None
    assert completed.response.usage.output_tokens == 6


def test_openai_responses_stream_helper_and_plain_call(oai: openai.OpenAI) -> None:
    with oai.responses.stream(model=GPT, input="Say hello") as stream:
        text = "".join(response_deltas(stream))
        final = stream.get_final_response()
    assert text == final.output_text == REPLY

    response = oai.responses.create(model=GPT, instructions="Be brief.", input="Say hello")
    assert (response.status, response.output_text) == ("completed", REPLY)


async def test_async_openai_streams_chat_and_responses(ai: FakeAIProviders) -> None:
    async with openai.AsyncOpenAI(
        base_url=ai.openai_url, api_key=OPENAI_KEY, max_retries=0, timeout=5
    ) as client:
        stream = await client.chat.completions.create(
            model=GPT,
            messages=HI,
            stream=True,
            stream_options={"include_usage": True},
        )
        parts, usage = [], None
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
            usage = chunk.usage or usage
        assert "".join(parts) == REPLY
        assert usage is not None
        assert usage.total_tokens == usage.prompt_tokens + 6

        events = await client.responses.create(model=GPT, input="Say hello", stream=True)
        deltas = [e.delta async for e in events if e.type == "response.output_text.delta"]
        assert "".join(deltas) == REPLY


# Anthropic through the real SDK.


def test_anthropic_lists_and_retrieves_models(
    ai: FakeAIProviders, claude: anthropic.Anthropic
) -> None:
    model = claude.models.retrieve(CLAUDE)
    assert (model.id, model.type, model.display_name) == (CLAUDE, "model", "Claude Sonnet 4.6")
    assert [model.id for model in claude.models.list()] == ai.anthropic.models


def test_anthropic_messages_stream_text(ai: FakeAIProviders, claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(model=CLAUDE, max_tokens=256, messages=HI) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == REPLY
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 6
    assert final.usage.input_tokens > 0

    request = ai.last_request("anthropic")
    assert (request.method, request.path) == ("POST", "/v1/messages")
    # anthropic 2.x sends the key as a Bearer token, not x-api-key.
    assert request.headers["authorization"] == "Bearer ****alid"
    assert "anthropic-version" in request.headers
    assert request.body["stream"] is True


def test_anthropic_raw_stream_event_order(claude: anthropic.Anthropic) -> None:
    events = claude.messages.create(model=CLAUDE, max_tokens=256, messages=HI, stream=True)
    types = [event.type for event in events]  # the SDK drops "ping"
    assert types == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * 6,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


def test_anthropic_message_non_stream_and_max_tokens(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(model=CLAUDE, max_tokens=256, messages=HI)
    assert message.content[0].type == "text"
    assert message.content[0].text == REPLY
    short = claude.messages.create(model=CLAUDE, max_tokens=2, messages=HI)
    assert short.content[0].type == "text"
    assert (short.content[0].text, short.stop_reason) == ("Hello from", "max_tokens")


def test_anthropic_accepts_the_x_api_key_header(ai: FakeAIProviders) -> None:
    response = raw_key_request(ai, "anthropic", ANTHROPIC_KEY)
    assert response.status_code == 200
    assert response.json()["id"] == CLAUDE
    assert ai.last_request("anthropic").headers["x-api-key"] == "****alid"


async def test_async_anthropic_stream(ai: FakeAIProviders) -> None:
    async with (
        anthropic.AsyncAnthropic(
            base_url=ai.anthropic_url, api_key=ANTHROPIC_KEY, max_retries=0, timeout=5
        ) as client,
        client.messages.stream(model=CLAUDE, max_tokens=256, messages=HI) as stream,
    ):
        text = "".join([token async for token in stream.text_stream])
        final = await stream.get_final_message()
    assert text == REPLY
    assert final.usage.output_tokens == 6


# The other providers, through plain httpx (and the openai SDK for the compatible ones).


def test_openrouter_key_info_and_chat(ai: FakeAIProviders) -> None:
    ai.openrouter.account.update(label="vault key", limit=None, usage=0.5)
    response = raw_key_request(ai, "openrouter", OPENROUTER_KEY)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data.items() >= {"label": "vault key", "limit": None, "usage": 0.5}.items()

    with openai.OpenAI(
        base_url=ai.openrouter_url, api_key=OPENROUTER_KEY, max_retries=0, timeout=5
    ) as client:
        completion = client.chat.completions.create(model="openai/gpt-5.4-mini", messages=HI)
        streamed = chat_text(
            client.chat.completions.create(model="openai/gpt-5.4-mini", messages=HI, stream=True)
        )
    assert completion.choices[0].message.content == streamed == REPLY
    assert (completion.model_extra or {})["provider"] == "OpenAI"
    assert [request.path for request in ai.requests_for("openrouter")] == [
        "/key",
        "/chat/completions",
        "/chat/completions",
    ]


def test_perplexity_citations_come_through_the_openai_sdk(ai: FakeAIProviders) -> None:
    urls = [result["url"] for result in ai.perplexity.search_results]
    with openai.OpenAI(
        base_url=ai.perplexity_url, api_key=PERPLEXITY_KEY, max_retries=0, timeout=5
    ) as client:
        completion = client.chat.completions.create(model="sonar", messages=HI)
        chunks = list(client.chat.completions.create(model="sonar", messages=HI, stream=True))

    # Not declared on ChatCompletion: pydantic keeps them as extras, reachable both ways.
    assert completion.model_extra is not None
    assert completion.model_extra["citations"] == urls
    assert completion.citations == urls
    results = completion.search_results
    assert [result["url"] for result in results] == urls  # plain dicts, not models
    assert completion.to_dict()["citations"] == urls
    assert chat_text(chunks) == REPLY
    assert chunks[-1].usage is not None  # Perplexity always ends a stream with usage
    assert all(chunk.model_extra["citations"] == urls for chunk in chunks)


def test_tavily_search_and_usage(ai: FakeAIProviders) -> None:
    bearer = {"Authorization": f"Bearer {TAVILY_KEY}"}
    with httpx.Client(base_url=ai.tavily_url, headers=bearer, timeout=5) as client:
        found = client.post(
            "/search", json={"query": "cold call openers", "max_results": 1, "include_answer": True}
        )
        usage = client.get("/usage")
        missing = client.post("/search", json={"max_results": 1})
    assert found.status_code == 200
    body = found.json()
    assert body["query"] == "cold call openers"
    assert body["answer"] == REPLY
    assert [set(result) >= {"url", "title", "content"} for result in body["results"]] == [True]
    assert usage.json()["key"].items() >= {"usage": 150, "limit": 1000}.items()
    assert usage.json()["account"]["current_plan"] == "Researcher"
    assert missing.status_code == 400
    assert missing.json() == {"detail": {"error": "Query is missing."}}


def test_tavily_accepts_the_legacy_body_key_and_records_it_redacted(ai: FakeAIProviders) -> None:
    with httpx.Client(timeout=5) as client:
        response = client.post(
            f"{ai.tavily_url}/search", json={"api_key": TAVILY_KEY, "query": "pricing"}
        )
    assert response.status_code == 200
    assert ai.last_request("tavily").body == {"api_key": "****alid", "query": "pricing"}


def test_elevenlabs_user_subscription(ai: FakeAIProviders) -> None:
    ai.elevenlabs.account["character_count"] = 99_000
    response = raw_key_request(ai, "elevenlabs", ELEVENLABS_KEY)
    assert response.status_code == 200
    subscription = response.json()["subscription"]
    expected = {"tier": "creator", "character_count": 99_000, "character_limit": 100_000}
    assert subscription.items() >= {**expected, "status": "active"}.items()
    assert ai.last_request("elevenlabs").headers["xi-api-key"] == "****alid"


# Keys and the recorded requests.


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_provider_accepts_its_default_key(ai: FakeAIProviders, provider: Provider) -> None:
    response = raw_key_request(ai, provider, DEFAULT_KEYS[provider][0])
    assert response.status_code == 200, response.text
    assert ai.last_request(provider).key_valid


WRONG_KEY_ERRORS: dict[Provider, Any] = {
    "openai": lambda body: body["error"]["code"] == "invalid_api_key",
    "anthropic": lambda body: body["error"]["type"] == "authentication_error",
    "openrouter": lambda body: body["error"]["code"] == 401,
    "perplexity": lambda body: body["error"]["code"] == 401,
    "tavily": lambda body: "invalid API key" in body["detail"]["error"],
    "elevenlabs": lambda body: body["detail"]["status"] == "invalid_api_key",
}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_wrong_key_always_gets_401_in_the_provider_shape(
    ai: FakeAIProviders, provider: Provider
) -> None:
    ai.set_mode(provider, "rate_limited")  # the key is checked first
    response = raw_key_request(ai, provider, "wrong-key-1234")
    assert response.status_code == 401
    assert WRONG_KEY_ERRORS[provider](response.json())
    request = ai.last_request(provider)
    assert (request.key_valid, request.outcome) == (False, "unauthorized")
    assert request.api_key == "****1234"
    assert "wrong-key-1234" not in json.dumps(request.headers)


def test_configured_keys_replace_the_defaults() -> None:
    with FakeAIProviders(keys={"openai": ["sk-a", "sk-b"]}) as ai:
        assert raw_key_request(ai, "openai", "sk-b").status_code == 200
        assert raw_key_request(ai, "openai", OPENAI_KEY).status_code == 401
        assert raw_key_request(ai, "anthropic", ANTHROPIC_KEY).status_code == 200


def test_unknown_paths_get_404(ai: FakeAIProviders, oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="Invalid URL"):
        oai.get("/nope", cast_to=object)
    with httpx.Client(timeout=5) as client:
        assert client.get(f"{ai.url}/elsewhere").status_code == 404
    assert [request.outcome for request in ai.requests] == ["not_found", "not_found"]


# Allowed models.


def test_models_outside_allowed_models_get_404(ai: FakeAIProviders) -> None:
    ai.openai.allowed_models = {"gpt-4o-mini"}
    ai.anthropic.allowed_models = {"claude-haiku-4-5"}
    with openai.OpenAI(base_url=ai.openai_url, api_key=OPENAI_KEY, max_retries=0) as client:
        assert [model.id for model in client.models.list()] == ["gpt-4o-mini"]
        assert client.models.retrieve("gpt-4o-mini").id == "gpt-4o-mini"
        with pytest.raises(openai.NotFoundError, match="does not exist") as raised:
            client.chat.completions.create(model=GPT, messages=HI)
    assert raised.value.code == "model_not_found"
    with anthropic.Anthropic(base_url=ai.anthropic_url, api_key=ANTHROPIC_KEY, max_retries=0) as c:
        with pytest.raises(anthropic.NotFoundError):
            c.models.retrieve(CLAUDE)
        with pytest.raises(anthropic.NotFoundError):
            c.messages.create(model=CLAUDE, max_tokens=10, messages=HI)
    assert ai.last_request("anthropic").outcome == "model_not_found"


def test_constructor_allowed_models() -> None:
    with FakeAIProviders(allowed_models={"openai": ["gpt-5.4"]}) as ai:
        assert ai.openai.model_allowed("gpt-5.4")
        assert not ai.openai.model_allowed(GPT)
        assert ai.anthropic.allowed_models is None


# Failure modes, through the SDKs.

OPENAI_ERRORS: list[tuple[Mode, type[Exception], int]] = [
    ("unauthorized", openai.AuthenticationError, 401),
    ("forbidden", openai.PermissionDeniedError, 403),
    ("model_not_found", openai.NotFoundError, 404),
    ("rate_limited", openai.RateLimitError, 429),
    ("server_error", openai.InternalServerError, 500),
    ("overloaded", openai.InternalServerError, 503),
]


@pytest.mark.parametrize(("mode", "error", "status"), OPENAI_ERRORS)
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_openai_error_modes_raise_the_sdk_errors(
    ai: FakeAIProviders,
    oai: openai.OpenAI,
    mode: Mode,
    error: type[openai.APIStatusError],
    status: int,
    stream: bool,
) -> None:
    ai.set_mode("openai", mode)
    with pytest.raises(error) as raised:
        oai.chat.completions.create(model=GPT, messages=HI, stream=stream)
    assert raised.value.status_code == status
    assert isinstance(raised.value.body, dict)
    assert set(raised.value.body) == {"message", "type", "param", "code"}  # the SDK unwraps "error"
    assert ai.last_request("openai").outcome == mode


ANTHROPIC_ERRORS: list[tuple[Mode, type[Exception], int, str]] = [
    ("unauthorized", anthropic.AuthenticationError, 401, "authentication_error"),
    ("forbidden", anthropic.PermissionDeniedError, 403, "permission_error"),
    ("model_not_found", anthropic.NotFoundError, 404, "not_found_error"),
    ("rate_limited", anthropic.RateLimitError, 429, "rate_limit_error"),
    ("server_error", anthropic.InternalServerError, 500, "api_error"),
    ("overloaded", anthropic.OverloadedError, 529, "overloaded_error"),
]


@pytest.mark.parametrize(("mode", "error", "status", "kind"), ANTHROPIC_ERRORS)
def test_anthropic_error_modes_raise_the_sdk_errors(
    ai: FakeAIProviders,
    claude: anthropic.Anthropic,
    mode: Mode,
    error: type[anthropic.APIStatusError],
    status: int,
    kind: str,
) -> None:
    ai.set_mode("anthropic", mode)
    with (
        pytest.raises(error) as raised,
        claude.messages.stream(model=CLAUDE, max_tokens=10, messages=HI) as stream,
    ):
        stream.until_done()
    assert raised.value.status_code == status
    assert raised.value.body["type"] == "error"
    assert raised.value.body["error"]["type"] == kind
    assert raised.value.request_id is not None


def test_rate_limited_sends_retry_after(ai: FakeAIProviders, oai: openai.OpenAI) -> None:
    ai.set_mode("openai", "rate_limited")
    ai.openai.retry_after_seconds = 2.5
    with pytest.raises(openai.RateLimitError) as raised:
        oai.models.list()
    headers = raised.value.response.headers
    assert (headers["retry-after"], headers["retry-after-ms"]) == ("3", "2500")
    assert headers["x-ratelimit-remaining-requests"] == "0"


def test_a_mode_for_n_requests_then_ok_lets_the_sdk_retry(ai: FakeAIProviders) -> None:
    ai.set_mode("openai", "rate_limited", times=1)
    ai.openai.retry_after_seconds = 0.01
    with openai.OpenAI(base_url=ai.openai_url, api_key=OPENAI_KEY, max_retries=1) as client:
        assert client.models.retrieve(GPT).id == GPT
    requests = ai.requests_for("openai")
    assert [(r.status, r.headers["x-stainless-retry-count"]) for r in requests] == [
        (429, "0"),
        (200, "1"),
    ]
    assert ai.openai.mode == "ok"


def test_mode_all_and_reset(ai: FakeAIProviders) -> None:
    ai.set_mode("all", "server_error")
    assert {state.mode for state in ai.providers.values()} == {"server_error"}
    assert raw_key_request(ai, "elevenlabs", ELEVENLABS_KEY).status_code == 500
    ai.reset()
    assert ai.requests == []
    assert {state.mode for state in ai.providers.values()} == {"ok"}
    with pytest.raises(ValueError, match="unknown mode"):
        ai.set_mode("openai", "flaky")  # type: ignore[arg-type]


def test_timeout_mode_trips_the_sdk_time_outs(ai: FakeAIProviders) -> None:
    ai.set_mode("all", "timeout")
    with (
        openai.OpenAI(
            base_url=ai.openai_url, api_key=OPENAI_KEY, max_retries=0, timeout=SHORT_TIMEOUT
        ) as client,
        pytest.raises(openai.APITimeoutError),
    ):
        client.chat.completions.create(model=GPT, messages=HI, stream=True)
    with (
        anthropic.Anthropic(
            base_url=ai.anthropic_url, api_key=ANTHROPIC_KEY, max_retries=0, timeout=SHORT_TIMEOUT
        ) as claude,
        pytest.raises(anthropic.APITimeoutError),
    ):
        claude.messages.create(model=CLAUDE, max_tokens=10, messages=HI)
    with pytest.raises(httpx.ReadTimeout), httpx.Client(timeout=SHORT_TIMEOUT) as plain:
        plain.get(f"{ai.tavily_url}/usage", headers={"Authorization": f"Bearer {TAVILY_KEY}"})
    assert [request.outcome for request in ai.requests] == ["timeout"] * 3


def test_stop_releases_held_requests_at_once() -> None:
    ai = FakeAIProviders(hold_seconds=30).start()
    ai.set_mode("tavily", "timeout")
    errors: list[BaseException] = []

    def call() -> None:
        try:
            raw_key_request(ai, "tavily", TAVILY_KEY)
        except httpx.HTTPError as error:
            errors.append(error)

    caller = threading.Thread(target=call)
    caller.start()
    while not ai.requests:
        time.sleep(0.01)
    started = time.monotonic()
    ai.stop()
    caller.join(timeout=5)
    assert not caller.is_alive()
    assert time.monotonic() - started < 2


def test_malformed_json_raises_json_decode_errors(ai: FakeAIProviders, oai: openai.OpenAI) -> None:
    # Neither SDK wraps an unparsable 200 body: the json module's error escapes.
    ai.set_mode("all", "malformed")
    with pytest.raises(json.JSONDecodeError):
        oai.chat.completions.create(model=GPT, messages=HI)
    with (
        anthropic.Anthropic(base_url=ai.anthropic_url, api_key=ANTHROPIC_KEY, max_retries=0) as c,
        pytest.raises(json.JSONDecodeError),
    ):
        c.messages.create(model=CLAUDE, max_tokens=10, messages=HI)
    response = raw_key_request(ai, "elevenlabs", ELEVENLABS_KEY)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_malformed_sse_raises_after_the_first_tokens(
    ai: FakeAIProviders, oai: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    ai.set_mode("all", "malformed")
    received: list[str] = []
    with pytest.raises(json.JSONDecodeError):
        chat_text(oai.chat.completions.create(model=GPT, messages=HI, stream=True), received)
    assert received == ["Hello", " from"]

    deltas: list[str] = []
    with pytest.raises(json.JSONDecodeError):
        response_deltas(oai.responses.create(model=GPT, input="hi", stream=True), deltas)
    assert deltas == ["Hello", " from"]

    tokens: list[str] = []
    with (
        pytest.raises(json.JSONDecodeError),
        claude.messages.stream(model=CLAUDE, max_tokens=10, messages=HI) as stream,
    ):
        tokens.extend(stream.text_stream)
    assert tokens == ["Hello", " from"]


def test_cut_stream_openai_raises_api_connection_error(
    ai: FakeAIProviders, oai: openai.OpenAI
) -> None:
    ai.set_mode("openai", "cut_stream")
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError) as raised:
        chat_text(oai.chat.completions.create(model=GPT, messages=HI, stream=True), received)
    assert received == ["Hello", " from"]
    assert not isinstance(raised.value, openai.APITimeoutError)
    assert isinstance(raised.value.__cause__, httpx2.RemoteProtocolError)

    with pytest.raises(openai.APIConnectionError):
        list(oai.responses.create(model=GPT, input="hi", stream=True))
    with pytest.raises(openai.APIConnectionError):  # a JSON body cut in half
        oai.models.list()
    # The client recovers on a fresh connection.
    ai.set_mode("openai", "ok")
    assert oai.models.retrieve(GPT).id == GPT


def test_cut_stream_anthropic_leaks_the_httpx2_error(
    ai: FakeAIProviders, claude: anthropic.Anthropic
) -> None:
    ai.set_mode("anthropic", "cut_stream")
    # A cut *before* the stream starts is wrapped ...
    with pytest.raises(anthropic.APIConnectionError):
        claude.messages.create(model=CLAUDE, max_tokens=10, messages=HI)
    # ... but anthropic 2.x does not wrap errors while iterating a stream.
    tokens: list[str] = []
    with (
        pytest.raises(httpx2.RemoteProtocolError, match="incomplete chunked read"),
        claude.messages.stream(model=CLAUDE, max_tokens=10, messages=HI) as stream,
    ):
        tokens.extend(stream.text_stream)
    assert tokens == ["Hello", " from"]


async def test_cut_stream_async_clients(ai: FakeAIProviders) -> None:
    ai.set_mode("all", "cut_stream")
    async with openai.AsyncOpenAI(
        base_url=ai.openai_url, api_key=OPENAI_KEY, max_retries=0, timeout=5
    ) as client:
        stream = await client.chat.completions.create(model=GPT, messages=HI, stream=True)
        received: list[str] = []
        with pytest.raises(openai.APIConnectionError):
            await async_chat_text(stream, received)
        assert received == ["Hello", " from"]
    async with anthropic.AsyncAnthropic(
        base_url=ai.anthropic_url, api_key=ANTHROPIC_KEY, max_retries=0, timeout=5
    ) as claude:
        tokens: list[str] = []
        with pytest.raises(httpx2.RemoteProtocolError):
            await async_claude_text(claude, tokens)
        assert tokens == ["Hello", " from"]


def test_cut_stream_plain_httpx_raises_remote_protocol_error(ai: FakeAIProviders) -> None:
    ai.set_mode("openrouter", "cut_stream")
    with pytest.raises(httpx.RemoteProtocolError):
        raw_key_request(ai, "openrouter", OPENROUTER_KEY)


# Streaming pace and concurrency.


async def test_token_delay_paces_streams_and_streams_run_concurrently() -> None:
    tokens = [f" t{number}" for number in range(10)]
    with FakeAIProviders(reply_tokens=tokens, token_delay=0.02) as ai:
        async with openai.AsyncOpenAI(
            base_url=ai.openai_url, api_key=OPENAI_KEY, max_retries=0, timeout=5
        ) as client:

            async def one() -> tuple[str, float]:
                stream = await client.chat.completions.create(
                    model=GPT,
                    messages=HI,
                    stream=True,
                )
                arrivals, parts = [], []
                async for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        parts.append(chunk.choices[0].delta.content)
                        arrivals.append(time.monotonic())
                return "".join(parts), arrivals[-1] - arrivals[0]

            started = time.monotonic()
            results = await asyncio.gather(*(one() for _ in range(8)))
            elapsed = time.monotonic() - started
    assert {text for text, _ in results} == {"".join(tokens)}
    # 9 gaps of 20 ms between the first and the last token of each stream.
    assert all(span >= 0.17 for _, span in results)
    # 8 streams of ~0.2 s each: concurrent, not one after the other (1.6 s).
    assert elapsed < 1.0


def test_a_chunked_request_body_is_read(ai: FakeAIProviders) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"query": '
        yield b'"streamed body"}'

    bearer = {"Authorization": f"Bearer {TAVILY_KEY}", "Content-Type": "application/json"}
    with httpx.Client(base_url=ai.tavily_url, headers=bearer, timeout=5) as client:
        found = client.post("/search", content=body())
        usage = client.get("/usage")  # the same keep-alive connection is still in step
    assert (found.status_code, found.json()["query"]) == (200, "streamed body")
    assert usage.status_code == 200
    assert ai.requests_for("tavily")[0].headers["transfer-encoding"] == "chunked"
