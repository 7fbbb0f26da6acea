"""Speech-to-text, text-to-speech, Realtime client secrets and web search through the real SDKs.

Each adapter runs against loopback fakes (tests/fakes/audio_providers.py for OpenAI audio,
Deepgram and ElevenLabs; tests/fakes/ai_providers.py for Tavily and Perplexity), failures
included, and no key or minted client secret may reach a log or a recorded request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from quotahit.providers.realtime_token import ClientSecret, mint_client_secret
from quotahit.providers.speech_to_text import Segment, SpeechProviderError, transcribe
from quotahit.providers.text_to_speech import SAMPLE_RATE, synthesize
from quotahit.providers.web_search import SearchProviderError, SearchResult, search
from tests.fakes.ai_providers import FakeAIProviders, fake_ai_providers
from tests.fakes.audio_providers import (
    DEFAULT_SCRIPT,
    FakeAudioProviders,
    UploadedFile,
    fake_audio_providers,
    tone_pcm16,
    wav_bytes,
)

KEYS = {
    "openai": "sk-test-valid",
    "deepgram": "dg-test-valid",
    "elevenlabs": "el-test-valid",
    "tavily": "tvly-test-valid",
    "perplexity": "pplx-test-valid",
}
STT_MODELS = {"openai": "whisper-1", "deepgram": "nova-3"}
VOICES = {"openai": "marin", "elevenlabs": "21m00Tcm4TlvDq8ikWAM"}
CALL = wav_bytes(tone_pcm16(1.5, rate=16_000), rate=16_000)  # what the fakes "hear" is scripted
SPOKEN = " ".join(line.text for line in DEFAULT_SCRIPT)
RETRY_AFTER = 2.0
SHORT_TIMEOUT = 0.5

# How each failure mode of a fake must reach the caller: kind and retryable.
FAILURES = {
    "unauthorized": ("auth", True),
    "forbidden": ("auth", True),
    "rate_limited": ("rate_limited", True),
    "server_error": ("server", True),
    "timeout": ("timeout", True),
    "malformed": ("malformed", True),
}


@pytest.fixture(scope="module")
def audio() -> Iterator[FakeAudioProviders]:
    yield from fake_audio_providers(hold_seconds=5.0, retry_after_seconds=RETRY_AFTER)


@pytest.fixture(scope="module")
def ai() -> Iterator[FakeAIProviders]:
    yield from fake_ai_providers(hold_seconds=5.0, retry_after_seconds=RETRY_AFTER)


@pytest.fixture(autouse=True)
def _clean(audio: FakeAudioProviders, ai: FakeAIProviders) -> Iterator[None]:
    audio.reset()
    ai.reset()
    yield
    audio.reset()
    ai.reset()


def stt(
    audio: FakeAudioProviders,
    provider: str,
    *,
    model: str | None = None,
    diarize: bool = False,
    secret: str | None = None,
    timeout: float = 5.0,
):
    return transcribe(
        provider=provider,
        model=model or STT_MODELS[provider],
        secret=secret or KEYS[provider],
        base_url=audio.base_url(provider),  # type: ignore[arg-type]
        audio=CALL,
        filename="call.wav",
        content_type="audio/wav",
        diarize=diarize,
        request_timeout=timeout,
    )


def tts(
    audio: FakeAudioProviders,
    provider: str,
    *,
    text: str = "Thanks for taking my call.",
    voice: str | None = None,
    secret: str | None = None,
    timeout: float = 5.0,
) -> list[bytes]:
    return list(
        synthesize(
            provider=provider,
            voice=voice or VOICES[provider],
            secret=secret or KEYS[provider],
            base_url=audio.base_url(provider),  # type: ignore[arg-type]
            text=text,
            request_timeout=timeout,
        )
    )


def mint(audio: FakeAudioProviders, *, secret: str = KEYS["openai"], timeout: float = 5.0):
    return mint_client_secret(
        secret=secret,
        base_url=audio.openai_url,
        session={"model": "gpt-realtime", "instructions": "You are a busy CFO."},
        expires_after_seconds=60,
        request_timeout=timeout,
    )


def web(
    ai: FakeAIProviders,
    provider: str,
    *,
    secret: str | None = None,
    max_results: int = 5,
    timeout: float = 5.0,
) -> list[SearchResult]:
    return search(
        provider=provider,
        secret=secret or KEYS[provider],
        base_url=ai.base_url(provider),  # type: ignore[arg-type]
        query="how to open a cold call",
        max_results=max_results,
        request_timeout=timeout,
    )


# Speech-to-text.


def test_whisper_gives_timed_segments(audio: FakeAudioProviders) -> None:
    transcript = stt(audio, "openai")

    assert transcript.text == SPOKEN
    assert transcript.duration == pytest.approx(9.9)
    assert transcript.segments[0] == Segment(0.0, 2.4, "Hi, this is Sam from QuotaHit.", None)
    assert len(transcript.segments) == len(DEFAULT_SCRIPT)
    form = audio.last_request("openai").body
    assert form["model"] == "whisper-1"
    assert form["response_format"] == "verbose_json"
    assert form["timestamp_granularities[]"] == ["segment"]
    upload = form["file"]
    assert isinstance(upload, UploadedFile)
    assert (upload.filename, upload.content_type, upload.data) == ("call.wav", "audio/wav", CALL)


def test_gpt_4o_transcribe_gives_one_segment_over_the_recording(
    audio: FakeAudioProviders,
) -> None:
    transcript = stt(audio, "openai", model="gpt-4o-transcribe")

    assert transcript.duration == pytest.approx(1.5)  # from the WAV header: json has no timing
    assert transcript.segments == [Segment(0.0, 1.5, SPOKEN)]
    form = audio.last_request("openai").body
    assert form["response_format"] == "json"
    assert "timestamp_granularities[]" not in form


def test_the_diarize_model_labels_the_speakers(audio: FakeAudioProviders) -> None:
    transcript = stt(audio, "openai", model="gpt-4o-transcribe-diarize", diarize=True)

    assert [segment.speaker for segment in transcript.segments] == ["A", "B", "A", "B"]
    assert transcript.segments[1] == Segment(2.7, 4.1, "Hello. What is this about?", "B")
    form = audio.last_request("openai").body
    assert (form["response_format"], form["chunking_strategy"]) == ("diarized_json", "auto")


def test_diarizing_with_a_model_that_cannot_is_refused_before_any_call(
    audio: FakeAudioProviders,
) -> None:
    with pytest.raises(SpeechProviderError) as caught:
        stt(audio, "openai", model="gpt-4o-transcribe", diarize=True)

    assert (caught.value.kind, caught.value.retryable) == ("bad_request", False)
    assert audio.requests == []


def test_deepgram_gives_utterances_with_speakers(audio: FakeAudioProviders) -> None:
    transcript = stt(audio, "deepgram", diarize=True)

    assert transcript.text == SPOKEN
    assert transcript.duration == pytest.approx(9.9)
    assert [segment.speaker for segment in transcript.segments] == ["0", "1", "0", "1"]
    assert transcript.segments[2].start == pytest.approx(4.4)
    request = audio.last_request("deepgram")
    assert request.path == "/v1/listen"
    assert request.query == {
        "model": "nova-3",
        "diarize": "true",
        "utterances": "true",
        "smart_format": "true",
    }
    assert request.headers["authorization"] == "Token ****alid"
    assert isinstance(request.body, UploadedFile)
    assert (request.body.filename, request.body.content_type) == (None, "audio/wav")
    assert request.body.data == CALL


def test_deepgram_without_diarization_names_no_speaker(audio: FakeAudioProviders) -> None:
    transcript = stt(audio, "deepgram")

    assert len(transcript.segments) == len(DEFAULT_SCRIPT)
    assert {segment.speaker for segment in transcript.segments} == {None}
    assert audio.last_request("deepgram").query["diarize"] == "false"


@pytest.mark.parametrize("provider", ["openai", "deepgram"])
@pytest.mark.parametrize("mode", list(FAILURES))
def test_transcription_failures_say_what_went_wrong(
    audio: FakeAudioProviders, provider: str, mode: str
) -> None:
    audio.set_mode(provider, mode)  # type: ignore[arg-type]
    with pytest.raises(SpeechProviderError) as caught:
        stt(audio, provider, timeout=SHORT_TIMEOUT)

    assert (caught.value.kind, caught.value.retryable) == FAILURES[mode]
    assert caught.value.retry_after == (RETRY_AFTER if mode == "rate_limited" else 0.0)


@pytest.mark.parametrize("provider", ["openai", "deepgram"])
def test_a_wrong_transcription_key_is_an_auth_failure(
    audio: FakeAudioProviders, provider: str
) -> None:
    with pytest.raises(SpeechProviderError) as caught:
        stt(audio, provider, secret=KEYS[provider] + "-revoked")

    assert caught.value.kind == "auth"
    assert "revoked" not in str(caught.value)


# Text-to-speech.


@pytest.mark.parametrize("provider", ["openai", "elevenlabs"])
def test_speech_streams_24khz_pcm16(audio: FakeAudioProviders, provider: str) -> None:
    audio.providers[provider].speech_seconds = 1.0  # type: ignore[index]

    chunks = tts(audio, provider)

    assert len(chunks) > 1  # streamed, not one blob
    assert b"".join(chunks) == tone_pcm16(1.0, rate=SAMPLE_RATE)


def test_openai_speech_asks_for_pcm(audio: FakeAudioProviders) -> None:
    tts(audio, "openai")

    body = audio.last_request("openai").body
    assert body["model"] == "gpt-4o-mini-tts"
    assert body["response_format"] == "pcm"
    assert (body["voice"], body["input"]) == ("marin", "Thanks for taking my call.")


def test_elevenlabs_speech_asks_for_pcm_24000(audio: FakeAudioProviders) -> None:
    tts(audio, "elevenlabs")

    request = audio.last_request("elevenlabs")
    assert request.path == "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream"
    assert request.query == {"output_format": "pcm_24000"}
    assert request.body["model_id"] == "eleven_flash_v2_5"
    assert request.headers["xi-api-key"] == "****alid"


@pytest.mark.parametrize("provider", ["openai", "elevenlabs"])
def test_chunks_that_split_a_sample_are_recut(audio: FakeAudioProviders, provider: str) -> None:
    state = audio.providers[provider]  # type: ignore[index]
    state.speech_seconds, state.chunk_bytes = 0.5, 1001

    chunks = tts(audio, provider)

    assert all(len(chunk) % 2 == 0 for chunk in chunks)
    assert b"".join(chunks) == tone_pcm16(0.5, rate=SAMPLE_RATE)


@pytest.mark.parametrize("provider", ["openai", "elevenlabs"])
def test_audio_that_ends_inside_a_sample_is_malformed(
    audio: FakeAudioProviders, provider: str
) -> None:
    audio.providers[provider].extra_bytes = b"\x01"  # type: ignore[index]
    with pytest.raises(SpeechProviderError) as caught:
        tts(audio, provider)

    assert caught.value.kind == "malformed"


def test_nothing_is_sent_until_the_audio_is_read(audio: FakeAudioProviders) -> None:
    speech = synthesize(
        provider="openai",
        voice="marin",
        secret=KEYS["openai"],
        base_url=audio.openai_url,
        text="Hello",
    )
    assert audio.requests == []
    assert next(speech)
    speech.close()
    assert len(audio.requests) == 1


@pytest.mark.parametrize("provider", ["openai", "elevenlabs"])
@pytest.mark.parametrize("mode", [*FAILURES, "cut_stream"])
def test_speech_failures_say_what_went_wrong(
    audio: FakeAudioProviders, provider: str, mode: str
) -> None:
    audio.set_mode(provider, mode)  # type: ignore[arg-type]
    audio.providers[provider].speech_seconds = 2.0  # type: ignore[index]
    with pytest.raises(SpeechProviderError) as caught:
        tts(audio, provider, timeout=SHORT_TIMEOUT)

    expected = ("stream_cut", True) if mode == "cut_stream" else FAILURES[mode]
    assert (caught.value.kind, caught.value.retryable) == expected


def test_an_unknown_openai_voice_is_a_bad_request(audio: FakeAudioProviders) -> None:
    with pytest.raises(SpeechProviderError) as caught:
        tts(audio, "openai", voice="nobody")

    assert (caught.value.kind, caught.value.retryable) == ("bad_request", False)
    assert "nobody" in str(caught.value)  # the provider's reason is kept for 400s


def test_an_unknown_elevenlabs_voice_is_not_found(audio: FakeAudioProviders) -> None:
    with pytest.raises(SpeechProviderError) as caught:
        tts(audio, "elevenlabs", voice="no-such-voice")

    assert caught.value.kind == "no_model"


# Realtime client secrets.


def test_a_client_secret_opens_the_session_asked_for(audio: FakeAudioProviders) -> None:
    before = int(time.time())

    minted = mint(audio)

    assert minted.value.startswith("ek_")
    assert minted.value in audio.client_secrets
    assert before + 60 <= minted.expires_at <= int(time.time()) + 60
    assert minted.session["type"] == "realtime"
    assert minted.session["model"] == "gpt-realtime"
    assert minted.session["instructions"] == "You are a busy CFO."
    assert minted.value not in repr(minted)
    body = audio.last_request("openai").body
    assert body["expires_after"] == {"anchor": "created_at", "seconds": 60}
    assert body["session"]["type"] == "realtime"


@pytest.mark.parametrize("mode", list(FAILURES))
def test_minting_failures_say_what_went_wrong(audio: FakeAudioProviders, mode: str) -> None:
    audio.set_mode("openai", mode)  # type: ignore[arg-type]
    with pytest.raises(SpeechProviderError) as caught:
        mint(audio, timeout=SHORT_TIMEOUT)

    assert (caught.value.kind, caught.value.retryable) == FAILURES[mode]


@pytest.mark.parametrize("seconds", [9, 7201])
def test_an_expiry_outside_openais_bounds_is_refused(
    audio: FakeAudioProviders, seconds: int
) -> None:
    with pytest.raises(ValueError, match="expires_after_seconds"):
        mint_client_secret(
            secret=KEYS["openai"],
            base_url=audio.openai_url,
            session={},
            expires_after_seconds=seconds,
        )
    assert audio.requests == []


# Web search.


def test_tavily_results(ai: FakeAIProviders) -> None:
    results = web(ai, "tavily", max_results=1)

    assert results == [
        SearchResult(
            "Cold calling openers that work",
            "https://example.com/sales/openers",
            "Open with a reason for the call and ask for thirty seconds.",
        )
    ]
    request = ai.last_request("tavily")
    assert request.headers["authorization"] == "Bearer ****alid"
    assert request.body["query"] == "how to open a cold call"
    assert request.body["max_results"] == 1


def test_perplexity_results_come_from_its_sources(ai: FakeAIProviders) -> None:
    results = web(ai, "perplexity")

    assert [result.url for result in results] == [
        "https://example.com/sales/openers",
        "https://example.org/objections/price",
    ]
    assert results[1].title == "Handling the price objection"
    assert ai.last_request("perplexity").body["model"] == "sonar"
    assert web(ai, "perplexity", max_results=1) == results[:1]


def test_results_that_are_not_web_addresses_are_dropped(ai: FakeAIProviders) -> None:
    ai.tavily.search_results[0]["url"] = "javascript:alert(1)"

    assert [result.url for result in web(ai, "tavily")] == ["https://example.org/objections/price"]


@pytest.mark.parametrize("provider", ["tavily", "perplexity"])
@pytest.mark.parametrize("mode", list(FAILURES))
def test_search_failures_say_what_went_wrong(ai: FakeAIProviders, provider: str, mode: str) -> None:
    ai.set_mode(provider, mode)  # type: ignore[arg-type]
    with pytest.raises(SearchProviderError) as caught:
        web(ai, provider, timeout=SHORT_TIMEOUT)

    assert (caught.value.kind, caught.value.retryable) == FAILURES[mode]
    assert caught.value.retry_after == (RETRY_AFTER if mode == "rate_limited" else 0.0)


def test_a_closed_port_is_unreachable() -> None:
    closed = "http://127.0.0.1:9"
    with pytest.raises(SearchProviderError) as searching:
        search(provider="tavily", secret="k", base_url=closed, query="q", request_timeout=2)
    with pytest.raises(SpeechProviderError) as speaking:
        list(synthesize(provider="elevenlabs", voice="v", secret="k", base_url=closed, text="t"))
    with pytest.raises(SpeechProviderError) as listening:
        transcribe(
            provider="deepgram",
            model="nova-3",
            secret="k",
            base_url=closed,
            audio=CALL,
            filename="call.wav",
            content_type="audio/wav",
            request_timeout=2,
        )

    for caught in (searching, speaking, listening):
        assert (caught.value.kind, caught.value.retryable) == ("unreachable", True)


# Secrets.


def test_no_key_or_client_secret_reaches_a_log_or_a_recorded_request(
    audio: FakeAudioProviders, ai: FakeAIProviders, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    minted: list[ClientSecret] = []

    def run_everything(secrets: dict[str, str]) -> None:
        calls = [
            lambda: stt(audio, "openai", secret=secrets["openai"]),
            lambda: stt(audio, "deepgram", diarize=True, secret=secrets["deepgram"]),
            lambda: tts(audio, "openai", secret=secrets["openai"]),
            lambda: tts(audio, "elevenlabs", secret=secrets["elevenlabs"]),
            lambda: minted.append(mint(audio, secret=secrets["openai"])),
            lambda: web(ai, "tavily", secret=secrets["tavily"]),
            lambda: web(ai, "perplexity", secret=secrets["perplexity"]),
        ]
        for call in calls:
            try:
                call()
            except (SpeechProviderError, SearchProviderError) as error:
                logging.getLogger("test").exception("provider call failed: %r", error)

    run_everything(KEYS)
    wrong = {name: key + "-revoked" for name, key in KEYS.items()}
    run_everything(wrong)
    audio.set_mode("all", "rate_limited")
    ai.set_mode("all", "rate_limited")
    run_everything(KEYS)

    assert len(minted) == 1
    assert any(record.name.startswith("openai") for record in caplog.records)
    assert any(record.name.startswith("httpx") for record in caplog.records)
    recorded = repr(audio.requests) + repr(ai.requests)
    for secret in [*KEYS.values(), *wrong.values(), minted[0].value]:
        assert secret not in caplog.text
        assert secret not in recorded


def test_a_refused_key_never_reaches_a_traceback() -> None:
    import traceback

    from quotahit.providers.speech_to_text import SpeechProviderError, transcribe
    from tests.fakes.audio_providers import FakeAudioProviders

    wrong = "dg-wrong-key-0123456789-SECRET"
    with FakeAudioProviders() as fake:
        try:
            transcribe(
                provider="deepgram",
                model="nova-3",
                secret=wrong,
                base_url=fake.base_url("deepgram"),
                audio=b"RIFF0000WAVE",
                filename="call.wav",
                content_type="audio/wav",
            )
        except SpeechProviderError as error:
            printed = "".join(traceback.format_exception(error))
            kind = error.kind
        else:
            raise AssertionError("a wrong key should be refused")
    assert wrong not in printed
    assert kind == "auth"
