"""A model's judgement of a call, through the real gateway and SDKs against the loopback fakes.

Errors by design: no usable key (none set, refused, capped) raises the gateway's
`NoProviderError`, so the analyzer falls back to the local engine and shows why; a model that
answers but never with a usable report (after one repair round and one fresh request), or a
provider that breaks off mid-answer, raises `ScoringError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlmodel import Session

from quotahit.ai.service import Gateway, NoProviderError
from quotahit.analysis import scoring, transcript_lines
from quotahit.analysis.judgement import KeyMoment
from quotahit.analysis.metrics import PROSPECT, REP, Turn, measure
from quotahit.keys import service as vault
from quotahit.keys.crypto import Keyring
from quotahit.providers.key_check import KeyStatus, Verdict
from quotahit.usage.models import UsageRecord
from tests.fakes.ai_providers import FakeAIProviders
from tests.integration.conftest import Accounts, Member

OPENAI_KEY = "sk-proj-scoring-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-api03-scoring-0123456789ab"
KEYRING = Keyring.parse(Keyring.generate_entry(1))

TURNS = [
    Turn(REP, 0.0, 8.0, "Hi Dana, thanks for the time. How do you onboard reps today?"),
    Turn(PROSPECT, 9.5, 40.0, "Mostly shadowing, and it takes months."),
    Turn(REP, 41.0, 47.0, "What does that cost you?"),
    Turn(PROSPECT, 48.0, 70.0, "Honestly the price of your tool is too high for us."),
    Turn(REP, 71.5, 80.0, "I hear you. What are you comparing it to?"),
    # 80-200 s: two minutes on hold, no line to cite.
    Turn(PROSPECT, 200.0, 210.0, "A part-time trainer. Fine, let's talk again Tuesday."),
    Turn(REP, 211.0, 215.0, "Great, I'll send an invite for Tuesday at 2 pm."),
]
METRICS = measure(TURNS)
SCORES = {"overall": 74, "discovery": 70, "rapport": 80, "objectionHandling": 72, "nextSteps": 75}


def report(**changes: Any) -> dict[str, Any]:
    """A valid report, with some fields changed."""
    return {
        "summary": "A short discovery call that found the cost of a slow ramp.",
        "scores": dict(SCORES),
        "strengths": ["(00:41) Asked what the slow ramp costs."],
        "improvements": ["(01:11) Answer the price objection with proof, not only a question."],
        "keyMoments": [
            {"type": "positive", "text": "Asked about the cost", "timeSec": 41},
            {"type": "improvement", "text": "Price objection", "timeSec": 71.5},
        ],
        "nextSteps": ["Send the invite for Tuesday at 2 pm."],
        **changes,
    }


VALID = json.dumps(report())


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAIProviders]:
    with FakeAIProviders(keys={"openai": [OPENAI_KEY], "anthropic": [ANTHROPIC_KEY]}) as providers:
        yield providers


@pytest.fixture(autouse=True)
def _clean(fake: FakeAIProviders) -> Iterator[None]:
    fake.reset()
    yield
    fake.reset()


@pytest.fixture
def gateway(accounts: Accounts, fake: FakeAIProviders) -> Gateway:
    @contextmanager
    def sessions() -> Iterator[Session]:
        with Session(accounts.engine, expire_on_commit=False) as db_session:
            yield db_session

    async def no_wait(_seconds: float) -> None:
        return None

    return Gateway(
        sessions=sessions,
        keyring=KEYRING,
        platform_keys={},
        base_urls=dict(fake.base_urls),
        timeout=5.0,
        sleep=no_wait,
    )


@pytest.fixture
def openai_key(accounts: Accounts, admin: Member) -> None:
    store(accounts, admin, "openai", OPENAI_KEY)


def store(accounts: Accounts, member: Member, provider: str, key: str) -> None:
    accounts.call(
        vault.save_key,
        identity=member.identity,
        keyring=KEYRING,
        validator=lambda _provider, _secret: Verdict(KeyStatus.VALID, "ok"),
        provider=provider,
        raw_key=key,
    )


async def judge(gateway: Gateway, member: Member, focus: str = "discovery") -> Any:
    return await scoring.judge_with_model(
        gateway=gateway,
        identity=member.identity,
        model_id="gpt-4.1",
        turns=TURNS,
        metrics=METRICS,
        focus=focus,
    )


def sent_input(fake: FakeAIProviders) -> list[list[dict[str, str]]]:
    """The conversation each OpenAI Responses request carried."""
    return [request.body["input"] for request in fake.requests_for("openai")]


@pytest.mark.usefixtures("openai_key")
async def test_a_valid_reply_becomes_the_judgement(
    accounts: Accounts, admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    fake.queue_replies("openai", VALID)
    judgement = await judge(gateway, admin)
    assert judgement.scores == SCORES
    assert judgement.summary.startswith("A short discovery call")
    assert judgement.strengths == ["(00:41) Asked what the slow ramp costs."]
    assert judgement.key_moments == [
        KeyMoment("positive", "Asked about the cost", 41.0),
        KeyMoment("improvement", "Price objection", 71.5),
    ]
    assert judgement.next_steps == ["Send the invite for Tuesday at 2 pm."]
    assert (judgement.scored_by, judgement.notices) == ("gpt-4.1", [])
    [request] = fake.requests_for("openai")
    instructions, [question] = request.body["instructions"], request.body["input"]
    assert "Training focus: Discovery call." in instructions
    assert "discovery 45 %, rapport 20 %, objection handling 10 %, next steps 25 %" in instructions
    assert "never re-count or re-estimate them" in instructions
    assert (
        "- Questions asked (discovery): 3 questions (good range 11-14 questions; low)"
        in (question["content"])
    )
    assert "[3] 00:41 rep: What does that cost you?" in question["content"]
    assert [(row.module, row.outcome) for row in accounts.rows(UsageRecord)] == [("analysis", "ok")]


@pytest.mark.usefixtures("openai_key")
async def test_json_in_a_code_fence_with_prose_around_it_is_read(
    admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    fake.queue_replies("openai", f"Here is my assessment:\n```json\n{VALID}\n```\nGood luck!")
    judgement = await judge(gateway, admin)
    assert judgement.scores == SCORES
    assert len(fake.requests_for("openai")) == 1


@pytest.mark.usefixtures("openai_key")
async def test_an_invalid_reply_is_repaired_on_the_second_request(
    admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    broken = VALID.replace('"scores"', '"score"')
    fake.queue_replies("openai", broken, VALID)
    judgement = await judge(gateway, admin)
    assert judgement.scores == SCORES
    first, repair = sent_input(fake)
    assert [message["role"] for message in repair] == ["user", "assistant", "user"]
    assert repair[0] == first[0]
    assert repair[1]["content"] == broken
    assert repair[2]["content"].startswith("Your reply could not be used:")
    assert "ONLY the corrected JSON object" in repair[2]["content"]


@pytest.mark.usefixtures("openai_key")
async def test_after_a_failed_repair_one_fresh_request_is_made(
    admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    fake.queue_replies("openai", "I cannot score this.", "{not json", VALID)
    judgement = await judge(gateway, admin)
    assert judgement.scores == SCORES
    first, repair, retry = sent_input(fake)
    assert retry == first
    assert "no JSON object" in repair[2]["content"]


@pytest.mark.usefixtures("openai_key")
async def test_garbage_after_the_repair_and_the_retry_is_a_scoring_error(
    admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    fake.queue_replies("openai", "Sure!", "Sure!", '{"scores": "great"}', VALID)
    with pytest.raises(scoring.ScoringError, match="did not return a usable score") as caught:
        await judge(gateway, admin)
    assert "scores" in str(caught.value)  # the last problem, for the rep to report
    assert len(fake.requests_for("openai")) == 3  # each request is paid for: no fourth


@pytest.mark.usefixtures("openai_key")
async def test_scores_of_the_wrong_type_are_rounded_and_clamped(
    admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    scores = {
        "overall": "82",
        "discovery": 101.7,
        "rapport": -4,
        "objectionHandling": "75%",
        "nextSteps": 66.5,
    }
    fake.queue_replies("openai", json.dumps(report(scores=scores)))
    judgement = await judge(gateway, admin)
    assert judgement.scores == {
        "overall": 82,
        "discovery": 100,
        "rapport": 0,
        "objectionHandling": 75,
        "nextSteps": 66,  # Python rounds half to even
    }


@pytest.mark.usefixtures("openai_key")
async def test_a_score_that_is_not_a_number_gets_a_repair(
    admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    fake.queue_replies("openai", json.dumps(report(scores={**SCORES, "rapport": "warm"})), VALID)
    judgement = await judge(gateway, admin)
    assert judgement.scores == SCORES
    repair_request = sent_input(fake)[1][2]["content"]
    assert "scores.rapport" in repair_request


@pytest.mark.usefixtures("openai_key")
async def test_key_moments_snap_to_real_lines_and_the_rest_are_dropped(
    admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    moments = [
        {"type": "Positive", "text": "Cost question", "timeSec": 43.2},  # inside line 3
        {"type": "improvement", "text": "Price", "timeSec": "01:09"},  # end of line 4 (48 s)
        {"type": "improvement", "text": "On hold", "timeSec": 140},  # two minutes of silence
        {"type": "positive", "text": "After the call", "timeSec": 900},
        {"type": "positive", "text": "Before it", "timeSec": -3},
        {"type": "strength", "text": "Next step", "timeSec": 214},  # inside the last line
        {"type": "positive", "text": "Hung up", "timeSec": 216.5},  # after the call ended
    ]
    fake.queue_replies("openai", json.dumps(report(keyMoments=moments)))
    judgement = await judge(gateway, admin)
    assert judgement.key_moments == [
        KeyMoment("positive", "Cost question", 41.0),
        KeyMoment("improvement", "Price", 48.0),
        KeyMoment("positive", "Next step", 211.0),
    ]


async def test_a_refused_key_or_no_key_raises_no_provider_error(
    accounts: Accounts, admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    with pytest.raises(NoProviderError, match="no openai key"):
        await judge(gateway, admin)
    store(accounts, admin, "openai", "sk-proj-revoked-0123456789abcd")
    with pytest.raises(NoProviderError, match=r"GPT-4.1 with your key failed \(OpenAI refused"):
        await judge(gateway, admin)
    assert [request.status for request in fake.requests_for("openai")] == [401]


async def test_a_failover_is_kept_as_a_notice_and_the_serving_model_scores(
    accounts: Accounts, admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    store(accounts, admin, "openai", OPENAI_KEY)
    store(accounts, admin, "anthropic", ANTHROPIC_KEY)
    fake.set_mode("openai", "server_error")
    fake.queue_replies("anthropic", f"```\n{VALID}\n```")
    judgement = await judge(gateway, admin)
    assert judgement.scored_by == "claude-sonnet-4-5"
    assert judgement.notices == [
        "Answering with Claude Sonnet 4.5 (your key) instead: "
        "GPT-4.1 with your key failed (OpenAI had an error)."
    ]
    assert judgement.scores == SCORES
    assert "Training focus: Discovery call." in fake.last_request("anthropic").body["system"]


@pytest.mark.usefixtures("openai_key")
async def test_a_provider_that_breaks_off_mid_answer_is_a_scoring_error(
    admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    fake.set_mode("openai", "cut_stream")
    fake.queue_replies("openai", VALID)
    with pytest.raises(scoring.ScoringError, match="The AI provider failed while scoring"):
        await judge(gateway, admin)


@pytest.mark.usefixtures("openai_key")
async def test_a_long_transcript_is_cut_to_its_opening_and_close(
    admin: Member, gateway: Gateway, fake: FakeAIProviders
) -> None:
    words = "We walked through the whole onboarding plan again in detail. " * 4
    turns = [
        Turn(REP if number % 2 else PROSPECT, number * 10.0, number * 10.0 + 9, words)
        for number in range(600)
    ]
    fake.queue_replies("openai", VALID)
    await scoring.judge_with_model(
        gateway=gateway,
        identity=admin.identity,
        model_id="gpt-4.1",
        turns=turns,
        metrics=measure(turns),
        focus="general",
    )
    [[question]] = sent_input(fake)
    content = question["content"]
    assert len(content) < transcript_lines.MAX_TRANSCRIPT_CHARS + 2_000
    assert "[1] 00:00 prospect:" in content
    assert "[600] 1:39:50 rep:" in content
    assert "are left out to fit the model's context" in content
