"""Images in text requests, through the real SDKs against the loopback fakes.

A user turn with images must reach each API as that API's content parts (Responses for OpenAI,
Messages for Anthropic, Chat Completions for OpenRouter) with the exact bytes, while turns without
images stay plain strings and the answer streams as usual.
"""

from __future__ import annotations

import base64
import io
import random
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from quotahit.providers.text import (
    ChatMessage,
    ImagePart,
    TextDelta,
    TextDone,
    TextProviderError,
    stream_text,
)
from tests.fakes.ai_providers import (
    DEFAULT_REPLY_TOKENS,
    IMAGE_TOKENS,
    FakeAIProviders,
    Provider,
    ReceivedImage,
    fake_ai_providers,
)

KEYS: dict[Provider, str] = {
    "openai": "sk-test-valid",
    "anthropic": "sk-ant-test-valid",
    "openrouter": "sk-or-test-valid",
}
MODELS: dict[Provider, str] = {
    "openai": "gpt-5.4-mini",
    "anthropic": "claude-sonnet-4-6",
    "openrouter": "openai/gpt-5.4-mini",
}
PROVIDERS: list[Provider] = ["openai", "anthropic", "openrouter"]
REPLY = "".join(DEFAULT_REPLY_TOKENS)
QUESTION = "What does this whiteboard say?"


def picture(size: tuple[int, int], image_format: str = "PNG", *, noise: bool = False) -> bytes:
    if noise:  # incompressible pixels, so the file and its base64 are large
        pixels = random.Random(7).randbytes(size[0] * size[1] * 3)
        image = Image.frombytes("RGB", size, pixels)
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


PNG = picture((4, 3))
JPEG = picture((5, 5), "JPEG")


@pytest.fixture(scope="module")
def ai() -> Iterator[FakeAIProviders]:
    yield from fake_ai_providers(hold_seconds=5.0)


@pytest.fixture(autouse=True)
def _clean(ai: FakeAIProviders) -> Iterator[None]:
    ai.reset()
    yield
    ai.reset()


async def ask(
    ai: FakeAIProviders, provider: Provider, messages: list[ChatMessage]
) -> tuple[str, TextDone]:
    events = [
        event
        async for event in stream_text(
            provider=provider,
            api_model=MODELS[provider],
            secret=KEYS[provider],
            base_url=ai.base_url(provider),
            messages=messages,
            request_timeout=5.0,
        )
    ]
    *deltas, done = events
    assert isinstance(done, TextDone)
    assert all(isinstance(delta, TextDelta) for delta in deltas)
    return "".join(delta.text for delta in deltas if isinstance(delta, TextDelta)), done


def turns(ai: FakeAIProviders, provider: Provider) -> list[dict[str, Any]]:
    body = ai.last_request(provider).body
    return body["input"] if provider == "openai" else body["messages"]


def image_question_as_sent(provider: Provider) -> list[dict[str, Any]]:
    """The content parts each API documents for QUESTION with PNG, built without the adapter."""
    encoded = base64.b64encode(PNG).decode()
    data_url = f"data:image/png;base64,{encoded}"
    if provider == "openai":
        return [
            {"type": "input_text", "text": QUESTION},
            {"type": "input_image", "image_url": data_url, "detail": "auto"},
        ]
    if provider == "anthropic":
        return [
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/png", "data": encoded},
            },
            {"type": "text", "text": QUESTION},
        ]
    return [
        {"type": "text", "text": QUESTION},
        {"type": "image_url", "image_url": {"url": data_url}},
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_image_reaches_the_provider_in_its_shape(
    ai: FakeAIProviders, provider: Provider
) -> None:
    conversation = [
        ChatMessage("system", "You read whiteboards for sales reps."),
        ChatMessage("user", "I will send a photo."),
        ChatMessage("assistant", "Ready."),
        ChatMessage("user", QUESTION, images=(ImagePart("image/png", PNG),)),
    ]

    text, done = await ask(ai, provider, conversation)

    assert text == REPLY
    assert done.tokens_out == len(DEFAULT_REPLY_TOKENS)
    sent = turns(ai, provider)
    assert [turn["content"] for turn in sent[-3:-1]] == ["I will send a photo.", "Ready."]
    assert sent[-1] == {"role": "user", "content": image_question_as_sent(provider)}
    assert ai.last_request(provider).images == [ReceivedImage("user", "image/png", PNG, None)]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_turns_without_images_stay_plain_strings(
    ai: FakeAIProviders, provider: Provider
) -> None:
    text, _ = await ask(ai, provider, [ChatMessage("user", QUESTION)])

    assert text == REPLY
    assert turns(ai, provider) == [{"role": "user", "content": QUESTION}]
    assert ai.last_request(provider).images == []


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_several_images_without_text_keep_their_order(
    ai: FakeAIProviders, provider: Provider
) -> None:
    noisy = picture((64, 64), noise=True)
    images = (ImagePart("image/png", noisy), ImagePart("image/jpeg", JPEG))

    text, done = await ask(ai, provider, [ChatMessage("user", "", images=images)])

    assert text == REPLY
    [turn] = turns(ai, provider)
    assert [part["type"] for part in turn["content"]] == 2 * [
        {"openai": "input_image", "anthropic": "image", "openrouter": "image_url"}[provider]
    ]  # an empty text part would be refused by Anthropic, so none is sent anywhere
    received = ai.last_request(provider).images
    assert [(image.media_type, image.data) for image in received] == [
        ("image/png", noisy),
        ("image/jpeg", JPEG),
    ]
    # The fake bills each image a fixed count, as providers do, not its base64 length.
    assert 2 * IMAGE_TOKENS <= done.tokens_in < 2 * IMAGE_TOKENS + 100 < len(noisy) // 3


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_image_type_the_provider_refuses_is_a_bad_request(
    ai: FakeAIProviders, provider: Provider
) -> None:
    bitmap = picture((2, 2), "BMP")
    message = ChatMessage("user", QUESTION, images=(ImagePart("image/bmp", bitmap),))

    with pytest.raises(TextProviderError) as caught:
        await ask(ai, provider, [message])

    assert (caught.value.kind, caught.value.retryable) == ("bad_request", False)
    assert ai.last_request(provider).status == 400


def test_image_parts_are_data_urls_and_only_user_turns_carry_them() -> None:
    image = ImagePart("image/png", PNG)
    assert image.data_url == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert ChatMessage("user", "hi") == ChatMessage("user", "hi", ())
    for role in ("system", "assistant"):
        with pytest.raises(ValueError, match="only a user turn"):
            ChatMessage(role, "look", images=(image,))
