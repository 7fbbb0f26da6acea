"""Research mode: web search with citations, through Perplexity (preferred) or Tavily.

The user's own search key is resolved like any other (user, organisation, platform; caps
respected); without one, the caller is told so, and the coach answers without web sources
rather than inventing them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from quotahit.accounts.identity import Identity
from quotahit.ai.service import WHOSE, Gateway, call_fields, keys_within_caps, meter_call
from quotahit.providers.web_search import SearchProviderError, SearchResult, search
from quotahit.usage.service import CallRecord

SEARCH_PROVIDERS = ("perplexity", "tavily")
PROVIDER_LABELS = {"perplexity": "Perplexity", "tavily": "Tavily"}
# What one search costs at list price (Perplexity Sonar request fee; a Tavily basic credit).
SEARCH_COST_USD = {"perplexity": 0.005, "tavily": 0.008}
MAX_RESULTS = 5


@dataclass(frozen=True)
class Research:
    """What a search found, who searched, and anything the user should know."""

    results: list[SearchResult]
    provider: str  # "" when no search ran
    notice: str


NO_KEY = (
    "Research mode needs a Perplexity or Tavily key, and none is set up, so this answer has no "
    "web sources. Add one on the API keys page."
)


async def research(*, gateway: Gateway, identity: Identity, query: str) -> Research:
    """Search the web with the first search provider that has a usable key."""
    failures: list[str] = []
    for provider in SEARCH_PROVIDERS:
        usable, _reasons = await asyncio.to_thread(keys_within_caps, gateway, identity, provider)
        for key in usable:
            started = time.perf_counter()
            call = call_fields(identity, "coach-research", provider, "web-search", key)
            try:
                results = await asyncio.to_thread(
                    search,
                    provider=provider,
                    secret=key.secret or "",
                    base_url=key.base_url or gateway.base_urls[provider],
                    query=query[:400],
                    max_results=MAX_RESULTS,
                    request_timeout=min(gateway.timeout, 30.0),
                )
            except SearchProviderError as error:
                await asyncio.to_thread(
                    meter_call,
                    gateway,
                    CallRecord(
                        **call,
                        latency_ms=round((time.perf_counter() - started) * 1000),
                        outcome=error.kind,
                        detail=str(error),
                    ),
                )
                failures.append(f"{PROVIDER_LABELS[provider]} with {WHOSE[key.source]}: {error}")
                continue
            await asyncio.to_thread(
                meter_call,
                gateway,
                CallRecord(
                    **call,
                    latency_ms=round((time.perf_counter() - started) * 1000),
                    cost_usd=SEARCH_COST_USD[provider],
                ),
            )
            notice = "" if results else "The web search found nothing for this question."
            if failures:
                notice = (
                    f"Searched with {PROVIDER_LABELS[provider]} instead: "
                    + "; ".join(failures)
                    + ". "
                    + notice
                ).strip()
            return Research(results, provider, notice)
    if failures:
        return Research(
            [],
            "",
            "The web search failed ("
            + "; ".join(failures)
            + "), so this answer has no web sources. Try again in a moment.",
        )
    return Research([], "", NO_KEY)
