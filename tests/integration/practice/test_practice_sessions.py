"""Text role-play sessions on both databases: the local buyer and a model playing the persona,
failures mid-reply, the scorecard through the call analyzer, history and refusals."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from quotahit.accounts.identity import AccountError
from quotahit.accounts.models import Role
from quotahit.ai.service import Gateway, Notice
from quotahit.analysis import service as analysis_service
from quotahit.analysis.models import CallAnalysis
from quotahit.practice import buyer_lines, library, service
from quotahit.practice.buyer import BuyerMemory, tokens
from quotahit.practice.library import PersonaDraft
from quotahit.practice.models import PracticeSession
from quotahit.practice.personas import get_persona
from quotahit.practice.service import PracticeError
from quotahit.providers.text import TextDelta
from quotahit.usage.models import UsageRecord
from tests.fakes.ai_providers import FakeAIProviders
from tests.integration.conftest import Accounts, Member, Staff
from tests.integration.practice.conftest import (
    KEYRING,
    OPENAI_KEY,
    say,
    start,
    streamed_text,
    transcript,
)
from tests.support.provider_keys import store_key

DISCOVERY = (
    "Hi Sarah, thanks for making the time today. How's the quarter going?",
    "What are the biggest challenges your sales team is facing right now?",
    "How has your win rate changed since the team grew?",
    "How do your managers spend their coaching time today?",
    "How long does it take a new hire to ramp to quota?",
)


def echoes(reply: str, message: str) -> bool:
    """Whether the reply repeats five words in a row of the message."""
    said, answer = tokens(message), tokens(reply)
    runs = {tuple(said[i : i + 5]) for i in range(len(said) - 4)}
    return any(tuple(answer[i : i + 5]) in runs for i in range(len(answer) - 4))


def memory_of(accounts: Accounts, member: Member, session_id: int | None) -> BuyerMemory:
    assert session_id is not None
    session = accounts.call(service.get, identity=member.identity, session_id=session_id)
    return BuyerMemory.from_dict(json.loads(session.buyer_json))


def responses_requests(fake: FakeAIProviders) -> list:
    return [r for r in fake.requests_for("openai") if r.path == "/responses"]


def chat_turns(request: object) -> list[tuple[str, str]]:
    return [(turn["role"], turn["content"]) for turn in request.body["input"]]  # type: ignore[attr-defined]


async def run_analysis(gateway: Gateway, analysis_id: int | None, tmp_path: Path) -> CallAnalysis:
    assert analysis_id is not None
    await analysis_service.run(
        analysis_id=analysis_id, gateway=gateway, data_dir=tmp_path, max_seconds=600.0
    )
    with gateway.sessions() as db_session:
        analysis = db_session.get(CallAnalysis, analysis_id)
        assert analysis is not None
        return analysis


async def test_a_local_session_opens_as_the_persona_and_answers_every_turn_from_memory(
    accounts: Accounts, team: Staff, gateway: Gateway
) -> None:
    sarah = get_persona("sarah_mitchell")
    session = start(accounts, team.rep)
    assert (session.persona_key, session.persona_name, session.status) == (
        "sarah_mitchell",
        "Sarah Mitchell",
        "active",
    )
    [opening] = service.transcript_of(session)
    assert opening == {"speaker": "buyer", "text": sarah.opening_line}

    revealed_at: dict[int, int] = {}
    replies: list[str] = []
    for turn, message in enumerate(DISCOVERY, start=1):
        events, done = await say(gateway, team.rep, session.id, message)
        assert done.text == streamed_text(events)
        assert done.text.strip()
        assert (done.model_id, done.key_source, done.error) == ("local", "local", "")
        assert not echoes(done.text, message), (message, done.text)
        replies.append(done.text)
        memory = memory_of(accounts, team.rep, session.id)
        assert memory.turns == turn
        for index in memory.pains_revealed:
            revealed_at.setdefault(index, turn)

    turns = transcript(accounts, team.rep, session.id)
    assert [t["speaker"] for t in turns] == ["buyer"] + ["rep", "buyer"] * len(DISCOVERY)
    assert [t["text"] for t in turns[1::2]] == list(DISCOVERY)
    assert [t["text"] for t in turns[2::2]] == replies
    assert len(set(replies)) == len(replies)

    memory = memory_of(accounts, team.rep, session.id)
    # The buyer remembers every line it said, the opening included: nothing was lost between turns.
    assert memory.last_lines == [t["text"] for t in turns if t["speaker"] == "buyer"]
    assert memory.stage != "opening"
    assert revealed_at, "good discovery questions should draw out at least one pain"
    assert len(memory.pains_revealed) == len(set(memory.pains_revealed))
    for index, turn in revealed_at.items():
        pain = buyer_lines.first_person(sarah.pains[index], sarah)
        said_in = [number for number, reply in enumerate(replies, start=1) if pain in reply]
        assert said_in == [turn], (pain, said_in)

    metered = accounts.rows(UsageRecord, UsageRecord.module == "practice")
    assert len(metered) == len(DISCOVERY)
    assert {(r.provider, r.key_source, r.cost_usd) for r in metered} == {("local", "local", 0.0)}


async def test_a_model_gets_the_persona_prompt_and_a_history_that_starts_with_the_rep(
    accounts: Accounts, team: Staff, gateway: Gateway, fake: FakeAIProviders
) -> None:
    store_key(accounts, team.rep, "openai", OPENAI_KEY, keyring=KEYRING)
    fake.queue_replies(
        "openai", "Sure, go ahead.", "Honestly, our win rate dropped when the team doubled."
    )
    session = start(accounts, team.rep, model_id="gpt-4.1", difficulty="hard")
    [opening] = service.transcript_of(session)

    _events, first = await say(gateway, team.rep, session.id, DISCOVERY[0])
    _events, second = await say(gateway, team.rep, session.id, DISCOVERY[1])

    assert (first.text, first.model_id, first.key_source, first.error) == (
        "Sure, go ahead.",
        "gpt-4.1",
        "user",
        "",
    )
    assert second.text == "Honestly, our win rate dropped when the team doubled."
    requests = responses_requests(fake)
    assert len(requests) == 2
    for request in requests:
        instructions = request.body["instructions"]
        assert "You are Sarah Mitchell, VP of Sales at Brightlane Software" in instructions
        assert "Never break character" in instructions
        assert "Difficulty: hard." in instructions
        assert "discovery questions" in instructions
        assert f'You already opened the call with: "{opening["text"]}"' in instructions
    assert chat_turns(requests[0]) == [("user", DISCOVERY[0])]
    assert chat_turns(requests[1]) == [
        ("user", DISCOVERY[0]),
        ("assistant", "Sure, go ahead."),
        ("user", DISCOVERY[1]),
    ]
    assert [t["text"] for t in transcript(accounts, team.rep, session.id)] == [
        opening["text"],
        DISCOVERY[0],
        "Sure, go ahead.",
        DISCOVERY[1],
        second.text,
    ]


async def test_a_provider_cut_mid_reply_keeps_the_partial_reply_and_reports_the_error(
    accounts: Accounts, team: Staff, gateway: Gateway, fake: FakeAIProviders
) -> None:
    store_key(accounts, team.rep, "openai", OPENAI_KEY, keyring=KEYRING)
    session = start(accounts, team.rep, model_id="gpt-4.1")
    fake.openai.cut_after_tokens = 3
    fake.set_mode("openai", "cut_stream", times=1)
    fake.queue_replies("openai", "We lost three deals last quarter to a competitor.")

    events, done = await say(gateway, team.rep, session.id, DISCOVERY[1])

    partial = streamed_text(events)
    assert partial == "We lost three"
    assert done.text == partial
    assert done.error
    assert done.model_id == "gpt-4.1"
    assert transcript(accounts, team.rep, session.id)[-1] == {"speaker": "buyer", "text": partial}

    fake.queue_replies("openai", "A big one, yes.")
    _events, after = await say(gateway, team.rep, session.id, "Which competitor won them?")
    assert (after.text, after.error) == ("A big one, yes.", "")
    assert chat_turns(responses_requests(fake)[-1]) == [
        ("user", DISCOVERY[1]),
        ("assistant", partial),
        ("user", "Which competitor won them?"),
    ]


async def test_a_reply_that_never_came_leaves_the_model_a_history_that_still_alternates(
    accounts: Accounts, team: Staff, gateway: Gateway, fake: FakeAIProviders
) -> None:
    store_key(accounts, team.rep, "openai", OPENAI_KEY, keyring=KEYRING)
    session = start(accounts, team.rep, model_id="gpt-4.1")
    fake.queue_replies("openai", "", "Go on.")

    _events, silent = await say(gateway, team.rep, session.id, DISCOVERY[0])
    assert (silent.text, silent.error) == ("", "")
    _events, spoken = await say(gateway, team.rep, session.id, DISCOVERY[1])

    assert spoken.text == "Go on."
    assert [t["speaker"] for t in transcript(accounts, team.rep, session.id)] == [
        "buyer",
        "rep",
        "rep",
        "buyer",
    ]
    # Perplexity refuses two user turns in a row: the rep's messages reach it as one.
    assert chat_turns(responses_requests(fake)[-1]) == [
        ("user", f"{DISCOVERY[0]}\n\n{DISCOVERY[1]}")
    ]


async def test_stopping_mid_reply_keeps_what_arrived(
    accounts: Accounts, team: Staff, gateway: Gateway, fake: FakeAIProviders
) -> None:
    store_key(accounts, team.rep, "openai", OPENAI_KEY, keyring=KEYRING)
    session = start(accounts, team.rep, model_id="gpt-4.1")
    fake.queue_replies("openai", "Well, it depends on who you ask.")
    stream = service.stream_buyer_reply(
        gateway=gateway, identity=team.rep.identity, session_id=session.id, rep_message="Hi!"
    )
    received = ""
    async for event in stream:
        if isinstance(event, TextDelta):
            received += event.text
            break
    await stream.aclose()
    assert received == "Well,"
    assert transcript(accounts, team.rep, session.id)[-2:] == [
        {"speaker": "rep", "text": "Hi!"},
        {"speaker": "buyer", "text": "Well,"},
    ]


async def test_without_a_key_a_model_session_falls_back_to_the_local_buyer_and_says_so(
    accounts: Accounts, team: Staff, gateway: Gateway, fake: FakeAIProviders
) -> None:
    session = start(accounts, team.rep, model_id="gpt-4.1")
    events, done = await say(gateway, team.rep, session.id, DISCOVERY[1])
    notices = [e.text for e in events if isinstance(e, Notice)]
    assert notices
    assert "local engine" in notices[0]
    assert (done.model_id, done.key_source, done.error) == ("local", "local", "")
    assert done.text.strip()
    assert memory_of(accounts, team.rep, session.id).turns == 1
    assert responses_requests(fake) == []


async def test_ending_queues_a_practice_scorecard_that_the_analysis_job_finishes(
    accounts: Accounts, team: Staff, gateway: Gateway, tmp_path: Path
) -> None:
    session = start(accounts, team.rep)
    for message in DISCOVERY[:3]:
        await say(gateway, team.rep, session.id, message)
    turns = transcript(accounts, team.rep, session.id)

    ended = accounts.call(service.end, identity=team.rep.identity, session_id=session.id)
    assert ended.status == "ended"
    assert ended.ended_at is not None
    assert ended.analysis_id is not None
    analysis = accounts.one(CallAnalysis, CallAnalysis.id == ended.analysis_id)
    assert (
        analysis.source,
        analysis.focus,
        analysis.speech_model_id,
        analysis.model_id,
        analysis.status,
        analysis.user_id,
    ) == ("practice", "discovery", "text", "local", "queued", team.rep.user_id)
    assert analysis.title == "Practice with Sarah Mitchell · Discovery call"
    segments = analysis_service.segments_of(analysis)
    assert [(s.speaker, s.text) for s in segments] == [
        ("Rep" if t["speaker"] == "rep" else "Prospect", t["text"]) for t in turns
    ]
    for earlier, later in itertools.pairwise(segments):
        assert earlier.start < earlier.end <= later.start
    assert analysis.audio_seconds == segments[-1].end

    # Ending again changes nothing and queues no second scorecard.
    again = accounts.call(service.end, identity=team.rep.identity, session_id=session.id)
    assert again.analysis_id == ended.analysis_id
    assert len(accounts.rows(CallAnalysis)) == 1

    finished = await run_analysis(gateway, ended.analysis_id, tmp_path)
    assert finished.status == "done", finished.error
    assert finished.rep_label == "Rep"
    assert finished.rep_reason == "You played the rep in this practice call."
    assert isinstance(finished.overall_score, int)
    document = analysis_service.document_of(finished)
    assert document["scores"]["overall"] == finished.overall_score
    notices = analysis_service.notices_of(finished)
    assert sum("estimated" in notice for notice in notices) == 1


@pytest.mark.parametrize(
    ("focus", "analysis_focus"),
    [
        ("sales_call", "general"),
        ("product_demo", "demo"),
        ("objection_handling", "objection_handling"),
        ("closing_techniques", "closing"),
    ],
)
async def test_the_training_focus_picks_the_analyzer_rubric(
    accounts: Accounts, admin: Member, gateway: Gateway, focus: str, analysis_focus: str
) -> None:
    session = start(accounts, admin, focus=focus, scenario="objection_handling")
    await say(gateway, admin, session.id, "What worries you most about changing tools?")
    ended = accounts.call(service.end, identity=admin.identity, session_id=session.id)
    analysis = accounts.one(CallAnalysis, CallAnalysis.id == ended.analysis_id)
    assert analysis.focus == analysis_focus
    assert analysis.title == "Practice with Sarah Mitchell · Objection handling"


async def test_history_lists_the_callers_sessions_newest_first_with_their_scores(
    accounts: Accounts, team: Staff, gateway: Gateway, tmp_path: Path
) -> None:
    first = start(accounts, team.rep)
    await say(gateway, team.rep, first.id, DISCOVERY[1])
    ended = accounts.call(service.end, identity=team.rep.identity, session_id=first.id)
    second = start(accounts, team.rep, persona_key="michael_chen", scenario="cold_call")
    start(accounts, team.manager)

    rows, total = accounts.call(service.history, identity=team.rep.identity)
    assert total == 2
    assert [row.id for row in rows] == [second.id, first.id]
    assert [row.overall_score for row in rows] == [None, None]

    finished = await run_analysis(gateway, ended.analysis_id, tmp_path)
    assert finished.overall_score is not None
    rows, _total = accounts.call(service.history, identity=team.rep.identity)
    assert [(row.id, row.overall_score) for row in rows] == [
        (second.id, None),
        (first.id, finished.overall_score),
    ]
    assert accounts.one(PracticeSession, PracticeSession.id == first.id).overall_score == (
        finished.overall_score
    )
    rows, total = accounts.call(service.history, identity=team.rep.identity, page=2)
    assert (rows, total) == ([], 2)

    accounts.call(service.delete, identity=team.rep.identity, session_id=first.id)
    rows, total = accounts.call(service.history, identity=team.rep.identity)
    assert ([row.id for row in rows], total) == ([second.id], 1)
    # The scorecard stays in the analyzer.
    assert accounts.rows(CallAnalysis, CallAnalysis.id == ended.analysis_id)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("persona_key", "nobody", "does not exist"),
        ("persona_key", "custom-999", "does not exist"),
        ("scenario", "karaoke", "Unknown scenario"),
        ("focus", "juggling", "Unknown training focus"),
        ("difficulty", "extreme", "Difficulty is one of"),
        ("model_id", "gpt-9-imaginary", "not a model that can play a buyer"),
        ("model_id", "whisper-1", "not a model that can play a buyer"),
    ],
)
def test_start_refuses_what_no_page_offers(
    accounts: Accounts, admin: Member, option: str, value: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        start(accounts, admin, **{option: value})
    assert accounts.rows(PracticeSession) == []


async def test_empty_over_long_and_late_messages_are_refused_and_change_nothing(
    accounts: Accounts, admin: Member, gateway: Gateway
) -> None:
    session = start(accounts, admin)
    before = transcript(accounts, admin, session.id)
    for message, refusal in (
        ("", "Write something"),
        ("  \n\t ", "Write something"),
        ("x" * (service.MAX_MESSAGE_CHARS + 1), "at most 2,000 characters"),
    ):
        with pytest.raises(PracticeError, match=refusal):
            await say(gateway, admin, session.id, message)
    assert transcript(accounts, admin, session.id) == before

    # Runs of spaces in a one-line message are tidied.
    _events, done = await say(gateway, admin, session.id, "  How   is the  quarter going?  ")
    assert done.text
    assert transcript(accounts, admin, session.id)[1]["text"] == "How is the quarter going?"

    accounts.set(
        PracticeSession,
        {"transcript_json": json.dumps([{"speaker": "rep", "text": "hi"}] * service.MAX_TURNS)},
        PracticeSession.id == session.id,
    )
    with pytest.raises(PracticeError, match="at most 80 messages"):
        await say(gateway, admin, session.id, "One more?")

    accounts.call(service.end, identity=admin.identity, session_id=session.id)
    with pytest.raises(PracticeError, match="has ended"):
        await say(gateway, admin, session.id, "Are you still there?")


async def test_a_message_of_exactly_the_limit_is_taken(
    accounts: Accounts, admin: Member, gateway: Gateway
) -> None:
    session = start(accounts, admin)
    message = ("How does your team handle pricing questions today? " * 60)[
        : service.MAX_MESSAGE_CHARS
    ].strip()
    _events, done = await say(gateway, admin, session.id, message)
    assert done.text
    assert transcript(accounts, admin, session.id)[1]["text"] == message


def test_ending_before_the_rep_has_said_anything_is_refused(
    accounts: Accounts, admin: Member
) -> None:
    session = start(accounts, admin)
    with pytest.raises(PracticeError, match="nothing to score"):
        accounts.call(service.end, identity=admin.identity, session_id=session.id)
    assert accounts.one(PracticeSession, PracticeSession.id == session.id).status == "active"
    assert accounts.rows(CallAnalysis) == []


async def test_another_users_or_organisations_session_reads_as_missing(
    accounts: Accounts, team: Staff, rival: Member, gateway: Gateway
) -> None:
    session = start(accounts, team.rep)
    await say(gateway, team.rep, session.id, DISCOVERY[0])
    before = transcript(accounts, team.rep, session.id)
    for outsider in (team.manager, team.admin, rival):
        for action in (service.get, service.end, service.delete):
            with pytest.raises(PracticeError, match="does not exist"):
                accounts.call(action, identity=outsider.identity, session_id=session.id)
        with pytest.raises(PracticeError, match="does not exist"):
            await say(gateway, outsider, session.id, "Let me in")
        rows, total = accounts.call(service.history, identity=outsider.identity)
        assert (rows, total) == ([], 0)
    assert transcript(accounts, team.rep, session.id) == before
    assert accounts.one(PracticeSession, PracticeSession.id == session.id).status == "active"
    assert accounts.rows(CallAnalysis) == []


def test_a_custom_persona_not_shared_with_the_caller_cannot_be_played(
    accounts: Accounts, team: Staff
) -> None:
    coach = accounts.add_member(team.admin, "ena@acme.example", Role.ENABLEMENT.value, "Ena")
    draft = PersonaDraft(name="Dana Draft", title="CFO", company="Draftco", industry="Retail")
    persona = accounts.call(library.create, identity=coach.identity, draft=draft)
    key = f"custom-{persona.id}"
    for member in (team.rep, team.manager, team.admin):
        with pytest.raises(AccountError, match="not shared with you"):
            start(accounts, member, persona_key=key)
    assert start(accounts, coach, persona_key=key).persona_name == "Dana Draft"
