"""How provider answers become domain errors, and how Perplexity's sources become results."""

from __future__ import annotations

import httpx
import pytest

from quotahit.providers.speech_to_text import SpeechProviderError, translate_error
from quotahit.providers.web_search import SearchProviderError, SearchResult, perplexity_sources


def http_error(status: int, body: object = None, **headers: str) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "https://api.example.com/v1/search")
    response = httpx.Response(status, json=body, headers=headers, request=request)
    return httpx.HTTPStatusError("failed", request=request, response=response)


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (400, "bad_request", False),
        (401, "auth", True),
        (403, "auth", True),
        (404, "no_model", True),
        (408, "timeout", True),
        (413, "bad_request", False),
        (422, "bad_request", False),
        (429, "rate_limited", True),
        (500, "server", True),
        (503, "server", True),
    ],
)
def test_statuses_map_to_kinds(status: int, kind: str, retryable: bool) -> None:
    error = translate_error("tavily", http_error(status), SearchProviderError)

    assert isinstance(error, SearchProviderError)
    assert (error.kind, error.retryable) == (kind, retryable)


def test_retry_after_prefers_milliseconds() -> None:
    error = translate_error(
        "deepgram",
        http_error(429, **{"retry-after": "3", "retry-after-ms": "1500"}),
        SpeechProviderError,
    )

    assert error.retry_after == 1.5


def test_a_bad_request_keeps_the_providers_reason() -> None:
    body = {"detail": {"status": "invalid_request", "message": "text is too long"}}
    error = translate_error("elevenlabs", http_error(400, body), SpeechProviderError)

    assert str(error) == "ElevenLabs rejected the request: text is too long"


def test_an_auth_failure_never_repeats_the_providers_words() -> None:
    body = {"error": {"message": "Incorrect API key provided: sk-abc***wxyz."}}
    error = translate_error("openai", http_error(401, body), SpeechProviderError)

    assert str(error) == "OpenAI refused the key"


def test_a_body_that_is_not_json_is_malformed() -> None:
    error = translate_error("tavily", ValueError("Expecting value"), SearchProviderError)

    assert (error.kind, error.retryable) == ("malformed", True)


def test_perplexity_search_results_are_preferred_to_citations() -> None:
    extra = {
        "citations": ["https://a.example/1"],
        "search_results": [
            {"title": "One", "url": "https://a.example/1", "snippet": "first"},
            {"title": "", "url": "https://b.example/2"},
            {"title": "no address"},
        ],
    }

    assert perplexity_sources(extra) == [
        SearchResult("One", "https://a.example/1", "first"),
        SearchResult("https://b.example/2", "https://b.example/2", ""),
    ]


def test_bare_perplexity_citations_are_titled_by_their_host() -> None:
    extra = {"citations": ["https://www.example.com/pricing", ""]}

    assert perplexity_sources(extra) == [
        SearchResult("www.example.com", "https://www.example.com/pricing", "")
    ]
    assert perplexity_sources({}) == []
