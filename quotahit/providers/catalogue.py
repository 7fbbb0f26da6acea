"""The providers a user can bring a key for, grouped as the settings page shows them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyProvider:
    """A provider whose API key the vault stores."""

    id: str
    label: str
    group: str  # "AI" | "Web search" | "Voice"
    prefix: str  # what every key of this provider starts with ("" when it has no fixed shape)
    console_url: str


KEY_PROVIDERS: tuple[KeyProvider, ...] = (
    KeyProvider("openai", "OpenAI", "AI", "sk-", "https://platform.openai.com/api-keys"),
    KeyProvider("anthropic", "Anthropic", "AI", "sk-ant-", "https://console.anthropic.com/"),
    KeyProvider("openrouter", "OpenRouter", "AI", "sk-or-", "https://openrouter.ai/keys"),
    KeyProvider("perplexity", "Perplexity", "Web search", "pplx-", "https://www.perplexity.ai/"),
    KeyProvider("tavily", "Tavily", "Web search", "tvly-", "https://app.tavily.com/"),
    KeyProvider("elevenlabs", "ElevenLabs", "Voice", "", "https://elevenlabs.io/app/"),
)

KEY_PROVIDERS_BY_ID = {provider.id: provider for provider in KEY_PROVIDERS}
KEY_GROUPS = ("AI", "Web search", "Voice")


def provider_for_prefix(raw_key: str) -> KeyProvider | None:
    """The provider whose prefix the key carries, longest prefix first (sk-ant- before sk-)."""
    candidates = sorted(
        (provider for provider in KEY_PROVIDERS if provider.prefix),
        key=lambda provider: len(provider.prefix),
        reverse=True,
    )
    return next((provider for provider in candidates if raw_key.startswith(provider.prefix)), None)
