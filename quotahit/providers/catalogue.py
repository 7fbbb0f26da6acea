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


@dataclass(frozen=True)
class Model:
    """A model a user can pick, what it can do, and its list price in USD per million tokens."""

    id: str
    label: str
    provider: str  # a KeyProvider id, "custom" (any OpenAI-compatible server) or "local"
    api_model: str  # the name the provider's API expects
    capabilities: frozenset[str]
    input_per_million: float = 0.0
    output_per_million: float = 0.0
    note: str = ""
    per_audio_minute: float = 0.0

    def cost(self, tokens_in: int, tokens_out: int, audio_seconds: float = 0.0) -> float:
        """List-price cost of one call."""
        tokens = tokens_in * self.input_per_million + tokens_out * self.output_per_million
        return tokens / 1e6 + audio_seconds / 60 * self.per_audio_minute


TEXT = "text"
VISION = "vision"
REALTIME = "realtime_voice"
STT = "speech_to_text"
TTS = "text_to_speech"
SEARCH = "web_search"

# List prices as the providers publish them (USD per 1M tokens in / out), used for metering and
# spend caps; the provider's invoice is the truth.
MODELS: tuple[Model, ...] = (
    Model(
        "gpt-4.1",
        "GPT-4.1",
        "openai",
        "gpt-4.1",
        frozenset({TEXT, VISION}),
        2.0,
        8.0,
        "Default for call analysis",
    ),
    Model(
        "gpt-4.1-mini",
        "GPT-4.1 Mini",
        "openai",
        "gpt-4.1-mini",
        frozenset({TEXT, VISION}),
        0.4,
        1.6,
        "Budget",
    ),
    Model(
        "gpt-4o",
        "GPT-4o",
        "openai",
        "gpt-4o",
        frozenset({TEXT, VISION, REALTIME}),
        2.5,
        10.0,
        "Text and realtime voice",
    ),
    Model(
        "claude-opus-4-6",
        "Claude Opus 4.6",
        "anthropic",
        "claude-opus-4-6",
        frozenset({TEXT, VISION}),
        5.0,
        25.0,
        "Premium reasoning",
    ),
    Model(
        "claude-sonnet-4-5",
        "Claude Sonnet 4.5",
        "anthropic",
        "claude-sonnet-4-5",
        frozenset({TEXT, VISION}),
        3.0,
        15.0,
        "Balanced",
    ),
    Model(
        "claude-haiku-4-5",
        "Claude Haiku 4.5",
        "anthropic",
        "claude-haiku-4-5",
        frozenset({TEXT, VISION}),
        1.0,
        5.0,
        "Fast and cheap",
    ),
    Model(
        "grok-4.1-fast",
        "Grok 4.1 Fast",
        "openrouter",
        "x-ai/grok-4.1-fast",
        frozenset({TEXT}),
        0.2,
        0.5,
        "Fast inference, via OpenRouter",
    ),
    Model(
        "gemini-2.5-pro",
        "Gemini 2.5 Pro",
        "openrouter",
        "google/gemini-2.5-pro",
        frozenset({TEXT, VISION}),
        1.25,
        10.0,
        "Long context, via OpenRouter",
    ),
    Model(
        "kimi-k2.5",
        "Kimi K2.5",
        "openrouter",
        "moonshotai/kimi-k2.5",
        frozenset({TEXT}),
        0.6,
        2.5,
        "Budget, via OpenRouter",
    ),
    Model(
        "sonar",
        "Sonar",
        "perplexity",
        "sonar",
        frozenset({TEXT, SEARCH}),
        1.0,
        1.0,
        "Web search with citations",
    ),
    Model(
        "sonar-pro",
        "Sonar Pro",
        "perplexity",
        "sonar-pro",
        frozenset({TEXT, SEARCH}),
        3.0,
        15.0,
        "Advanced search",
    ),
    Model(
        "sonar-reasoning-pro",
        "Sonar Reasoning Pro",
        "perplexity",
        "sonar-reasoning-pro",
        frozenset({TEXT, SEARCH}),
        2.0,
        8.0,
        "Deep reasoning and search",
    ),
    Model(
        "custom",
        "Your own server (OpenAI-compatible)",
        "custom",
        "",
        frozenset({TEXT}),
        note="Ollama, vLLM or LM Studio, set on the API keys page",
    ),
    Model(
        "local",
        "Local (offline)",
        "local",
        "local",
        frozenset({TEXT, STT, TTS}),
        note=(
            "Built in, no key: answers from your documents and the sales playbook; no general chat"
        ),
    ),
)

SPEECH_TO_TEXT_MODELS: tuple[Model, ...] = (
    Model(
        "whisper-1",
        "Whisper",
        "openai",
        "whisper-1",
        frozenset({STT}),
        note="Timed segments",
        per_audio_minute=0.006,
    ),
    Model(
        "gpt-4o-transcribe",
        "GPT-4o Transcribe",
        "openai",
        "gpt-4o-transcribe",
        frozenset({STT}),
        note="Most accurate, no timestamps",
        per_audio_minute=0.006,
    ),
    Model(
        "gpt-4o-transcribe-diarize",
        "GPT-4o Transcribe (speakers)",
        "openai",
        "gpt-4o-transcribe-diarize",
        frozenset({STT}),
        note="Who said what",
        per_audio_minute=0.006,
    ),
    Model(
        "deepgram-nova-3",
        "Deepgram Nova-3",
        "deepgram",
        "nova-3",
        frozenset({STT}),
        note="Speakers and utterances; platform key",
        per_audio_minute=0.0043,
    ),
    Model(
        "local-whisper",
        "Local Whisper (offline)",
        "local",
        "tiny.en",
        frozenset({STT}),
        note="Built in, English, no key",
    ),
)

MODELS_BY_ID = {model.id: model for model in (*MODELS, *SPEECH_TO_TEXT_MODELS)}
DEFAULT_TEXT_MODEL = "gpt-4.1"
# Where an answer goes when its model cannot serve: one balanced model per provider.
FALLBACK_TEXT_MODELS = ("gpt-4.1", "claude-sonnet-4-5", "gemini-2.5-pro", "sonar")
