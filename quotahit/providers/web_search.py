"""The web search capability: a query in, a few results (title, address, snippet) out.

Tavily is called over HTTP (its SDK is not a dependency); Perplexity through the OpenAI SDK, since
its Sonar models speak Chat Completions and return the sources they read as extra fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import openai

from quotahit.providers.errors import ProviderError, translate_error
from quotahit.providers.speech_to_text import SDK_FAILURES

PERPLEXITY_MODEL = "sonar"


@dataclass(frozen=True)
class SearchResult:
    """One page the search found."""

    title: str
    url: str
    snippet: str


class SearchProviderError(ProviderError):
    """A web search call failed; `retryable` says whether waiting or failing over may help."""


def search(
    *,
    provider: str,
    secret: str,
    base_url: str,
    query: str,
    max_results: int = 5,
    request_timeout: float = 30.0,
) -> list[SearchResult]:
    """Search the web; at most `max_results` results, best first, only http(s) addresses."""
    if provider not in ("tavily", "perplexity"):
        raise ValueError(f"no web search adapter for provider {provider!r}")
    try:
        if provider == "tavily":
            found = _tavily(secret, base_url, query, max_results, request_timeout)
        else:
            found = _perplexity(secret, base_url, query, request_timeout)
    except SDK_FAILURES as error:
        raise translate_error(provider, error, SearchProviderError) from error
    return [result for result in found if _is_web_address(result.url)][:max_results]


def _tavily(
    secret: str, base_url: str, query: str, max_results: int, request_timeout: float
) -> list[SearchResult]:
    response = httpx.post(
        f"{base_url.rstrip('/')}/search",
        json={
            "query": query,
            "max_results": max_results,
            "search_depth": "basic",
            "include_answer": False,
        },
        headers={"Authorization": f"Bearer {secret}"},
        timeout=request_timeout,
        follow_redirects=False,
    )
    response.raise_for_status()
    payload = response.json()
    results = payload.get("results") if isinstance(payload, dict) else None
    if not isinstance(results, list):
        raise ValueError("Tavily's answer has no results list")
    return [
        SearchResult(
            str(item.get("title") or item["url"]), str(item["url"]), str(item.get("content") or "")
        )
        for item in results
        if isinstance(item, dict) and item.get("url")
    ]


def _perplexity(
    secret: str, base_url: str, query: str, request_timeout: float
) -> list[SearchResult]:
    with openai.OpenAI(
        api_key=secret, base_url=base_url, timeout=request_timeout, max_retries=0
    ) as client:
        completion = client.chat.completions.create(
            model=PERPLEXITY_MODEL, messages=[{"role": "user", "content": query}]
        )
    return perplexity_sources(completion.model_extra or {})


def perplexity_sources(extra: dict[str, Any]) -> list[SearchResult]:
    """Perplexity's sources: `search_results` (title, url, snippet) or else bare `citations`."""
    results = extra.get("search_results")
    if isinstance(results, list) and results:
        return [
            SearchResult(
                str(item.get("title") or item["url"]),
                str(item["url"]),
                str(item.get("snippet") or ""),
            )
            for item in results
            if isinstance(item, dict) and item.get("url")
        ]
    citations = extra.get("citations")
    if isinstance(citations, list):
        return [
            SearchResult(urlsplit(str(url)).hostname or str(url), str(url), "")
            for url in citations
            if url
        ]
    return []


def _is_web_address(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")
