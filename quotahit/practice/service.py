"""Text role-play sessions: start against a persona, talk turn by turn, end and get scored.

A model plays the buyer from the persona prompt; with no key (or when every provider fails) the
local buyer, our own dialogue manager, answers instead, through the same AI gateway, so the
fallback is metered and announced like every other. Ending a session sends the transcript to the
call analyzer, so practice and real calls get the same scorecard.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from quotahit.accounts.identity import AccountError, Identity
from quotahit.ai import service as ai
from quotahit.ai.service import AnswerDone, Gateway, LocalReply, NoProviderError, Notice
from quotahit.analysis import service as analysis_service
from quotahit.analysis.models import CallAnalysis
from quotahit.db import tenant_select, utcnow
from quotahit.practice import library
from quotahit.practice.buyer import BuyerMemory, LocalBuyer
from quotahit.practice.models import PracticeSession, SessionStatus
from quotahit.practice.personas import persona_prompt
from quotahit.practice.scenarios import (
    DIFFICULTIES,
    SCENARIOS,
    TRAINING_FOCUSES,
    get_focus,
    get_scenario,
)
from quotahit.providers.catalogue import MODELS_BY_ID, TEXT
from quotahit.providers.text import ChatMessage, TextDelta, TextProviderError

MAX_MESSAGE_CHARS = 2_000
MAX_TURNS = 80
MAX_BUYER_TOKENS = 220
PAGE_SIZE = 10


class PracticeError(AccountError):
    """A refusal the user can act on."""


@dataclass(frozen=True)
class BuyerDone:
    """The buyer's turn is over: what they said, who played them, and how it ended."""

    text: str
    model_id: str
    key_source: str
    error: str
    buyer_ended: bool
    stage: str


@dataclass(frozen=True)
class VoiceOptions:
    """What only a voice call has (checked by the voice module before it gets here)."""

    engine: str
    patience_s: float
    coaching: bool
    keep_audio: bool
    context_json: str = "[]"


def check_choice(*, scenario: str, focus: str, difficulty: str, model_id: str) -> None:
    """Refuse options no page offers (a client may send anything)."""
    if scenario not in SCENARIOS:
        raise PracticeError(f"Unknown scenario “{scenario}”.")
    if focus not in TRAINING_FOCUSES:
        raise PracticeError(f"Unknown training focus “{focus}”.")
    if difficulty not in DIFFICULTIES:
        raise PracticeError(f"Difficulty is one of: {', '.join(DIFFICULTIES)}.")
    if model_id != "local":
        model = MODELS_BY_ID.get(model_id)
        if model is None or TEXT not in model.capabilities:
            raise PracticeError(f"“{model_id}” is not a model that can play a buyer.")


def transcript_of(session: PracticeSession) -> list[dict[str, str]]:
    """The session's turns: {"speaker": "rep" | "buyer", "text"}."""
    try:
        turns = json.loads(session.transcript_json or "[]")
    except ValueError:
        return []
    return [t for t in turns if isinstance(t, dict)]


def _seed(session: PracticeSession) -> int:
    return (session.id or 0) * 7919


def start(
    *,
    db_session: Session,
    identity: Identity,
    persona_key: str,
    scenario: str,
    focus: str,
    difficulty: str,
    model_id: str,
    voice: VoiceOptions | None = None,
) -> PracticeSession:
    """A new session; the buyer opens the conversation in character.

    A voice call (`voice` given) starts with an empty transcript: its engine speaks the opening
    line, and the call keeps the transcript as it is spoken.
    """
    check_choice(scenario=scenario, focus=focus, difficulty=difficulty, model_id=model_id)
    persona = library.resolve(db_session=db_session, identity=identity, key=persona_key)
    session = PracticeSession(
        organization_id=identity.organization_id,
        user_id=identity.user_id,
        persona_key=persona.slug,
        persona_name=persona.name,
        persona_json=library.persona_json(persona),
        scenario=scenario,
        focus=focus,
        difficulty=difficulty,
        model_id=model_id,
    )
    if voice is not None:
        session.mode = "voice"
        session.engine = voice.engine
        session.patience_s = voice.patience_s
        session.coaching = voice.coaching
        session.keep_audio = voice.keep_audio
        session.context_json = voice.context_json
        db_session.add(session)
        db_session.commit()
        db_session.refresh(session)
        return session
    db_session.add(session)
    db_session.flush()
    buyer = LocalBuyer(persona, get_scenario(scenario), difficulty, seed=_seed(session))
    opening = buyer.opening()
    session.transcript_json = json.dumps([{"speaker": "buyer", "text": opening.text}])
    session.buyer_json = json.dumps(buyer.memory.to_dict())
    db_session.add(session)
    db_session.commit()
    db_session.refresh(session)
    return session


def get(*, db_session: Session, identity: Identity, session_id: int) -> PracticeSession:
    """The caller's own session (another user's reads as missing)."""
    session = db_session.exec(
        tenant_select(PracticeSession, identity.organization_id).where(
            PracticeSession.id == session_id, PracticeSession.user_id == identity.user_id
        )
    ).first()
    if session is None:
        raise PracticeError("This practice session does not exist.")
    return session


def history(
    *, db_session: Session, identity: Identity, page: int = 1
) -> tuple[list[PracticeSession], int]:
    """The caller's sessions, newest first, and how many there are."""
    query = tenant_select(PracticeSession, identity.organization_id).where(
        PracticeSession.user_id == identity.user_id
    )
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(
        query.order_by(col(PracticeSession.created_at).desc(), col(PracticeSession.id).desc())
        .offset((max(1, page) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    _refresh_scores(db_session, list(rows))
    return list(rows), int(total)


def _refresh_scores(db_session: Session, rows: Sequence[PracticeSession]) -> None:
    """Copy finished scorecards' overall scores onto their sessions (one query for the page)."""
    waiting = {
        row.analysis_id: row for row in rows if row.analysis_id and row.overall_score is None
    }
    if not waiting:
        return
    scored = db_session.exec(
        select(CallAnalysis.id, CallAnalysis.overall_score).where(
            col(CallAnalysis.id).in_(waiting),
            col(CallAnalysis.overall_score).is_not(None),
        )
    ).all()
    for analysis_id, score in scored:
        waiting[analysis_id].overall_score = score
        db_session.add(waiting[analysis_id])
    if scored:
        db_session.commit()


def _chat(session: PracticeSession, turns: Sequence[dict[str, str]]) -> list[ChatMessage]:
    persona = library.persona_from_json(session.persona_json)
    # Chat APIs want the user to speak first: the buyer's opening line goes in the prompt.
    opened_with = turns[0]["text"] if turns and turns[0]["speaker"] == "buyer" else ""
    system = persona_prompt(
        persona,
        get_scenario(session.scenario),
        get_focus(session.focus),
        session.difficulty,
        opened_with=opened_with,
    )
    messages = [ChatMessage("system", system)]
    for turn in turns[1:] if opened_with else turns:
        role = "user" if turn["speaker"] == "rep" else "assistant"
        if messages[-1].role == role:
            # A reply that never came leaves two rep turns in a row; Perplexity refuses those.
            messages[-1] = ChatMessage(role, f"{messages[-1].content}\n\n{turn['text']}")
        else:
            messages.append(ChatMessage(role, turn["text"]))
    return messages


async def stream_buyer_reply(
    *, gateway: Gateway, identity: Identity, session_id: int, rep_message: str
) -> AsyncIterator[TextDelta | Notice | BuyerDone]:
    """Add the rep's message and stream the buyer's answer; the turn is stored whatever happens.

    Raises:
        PracticeError: unknown or ended session, empty or over-long message, too many turns.
    """
    text = " ".join(rep_message.split()) if "\n" not in rep_message else rep_message.strip()
    if not text:
        raise PracticeError("Write something to the buyer first.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise PracticeError(f"A message can be at most {MAX_MESSAGE_CHARS:,} characters.")
    session, turns = await asyncio.to_thread(_add_rep_turn, gateway, identity, session_id, text)
    buyer_state: dict[str, Any] = {}

    async def local_buyer(_messages: Sequence[ChatMessage]) -> LocalReply:
        def play() -> LocalReply:
            persona = library.persona_from_json(session.persona_json)
            memory = (
                BuyerMemory.from_dict(json.loads(session.buyer_json))
                if session.buyer_json
                else None
            )
            buyer = LocalBuyer(
                persona,
                get_scenario(session.scenario),
                session.difficulty,
                memory=memory,
                seed=_seed(session),
            )
            turn = buyer.reply(text)
            buyer_state.update(memory=buyer.memory.to_dict(), ended=turn.ended, stage=turn.stage)
            return LocalReply(turn.text, [])

        return await asyncio.to_thread(play)

    reply, error, done = "", "", None
    try:
        async for event in ai.stream_answer(
            gateway=gateway,
            identity=identity,
            module="practice",
            model_id=session.model_id,
            messages=_chat(session, turns),
            max_tokens=MAX_BUYER_TOKENS,
            local_engine=local_buyer,
        ):
            if isinstance(event, TextDelta):
                reply += event.text
                yield event
            elif isinstance(event, Notice):
                yield event
            elif isinstance(event, AnswerDone):
                done = event
    except (NoProviderError, TextProviderError) as failure:
        error = str(failure)
    finally:
        # Shielded: when a client hangs up, the cancellation would also cancel a write the
        # thread pool has not started yet, and the partial reply would be lost.
        await asyncio.shield(
            asyncio.to_thread(_add_buyer_turn, gateway, identity, session_id, reply, buyer_state)
        )
    yield BuyerDone(
        reply,
        done.model_id if done else session.model_id,
        done.key_source if done else "",
        error,
        bool(buyer_state.get("ended")),
        str(buyer_state.get("stage", "")),
    )


def _add_rep_turn(
    gateway: Gateway, identity: Identity, session_id: int, text: str
) -> tuple[PracticeSession, list[dict[str, str]]]:
    with gateway.sessions() as db_session:
        session = get(db_session=db_session, identity=identity, session_id=session_id)
        if session.status != SessionStatus.ACTIVE.value:
            raise PracticeError("This session has ended: start a new one to keep practising.")
        turns = transcript_of(session)
        if len(turns) >= MAX_TURNS:
            raise PracticeError(
                f"A session holds at most {MAX_TURNS} messages: end it to get your scorecard."
            )
        turns.append({"speaker": "rep", "text": text})
        session.transcript_json = json.dumps(turns)
        db_session.add(session)
        db_session.commit()
        db_session.refresh(session)
        db_session.expunge(session)
        return session, turns


def _add_buyer_turn(
    gateway: Gateway,
    identity: Identity,
    session_id: int,
    reply: str,
    buyer_state: dict[str, Any],
) -> None:
    with gateway.sessions() as db_session:
        session = db_session.exec(
            tenant_select(PracticeSession, identity.organization_id).where(
                PracticeSession.id == session_id
            )
        ).first()
        if session is None:
            return
        if reply.strip():
            turns = transcript_of(session)
            turns.append({"speaker": "buyer", "text": reply.strip()})
            session.transcript_json = json.dumps(turns)
        if buyer_state.get("memory"):
            session.buyer_json = json.dumps(buyer_state["memory"])
        db_session.add(session)
        db_session.commit()


def end(
    *,
    db_session: Session,
    identity: Identity,
    session_id: int,
    audio_path: str = "",
    audio_bytes: int = 0,
) -> PracticeSession:
    """End the session and queue the call analyzer's scorecard of its transcript.

    The caller dispatches the analysis job (`session.analysis_id`) after this returns. A voice
    call's turns carry their times; `audio_path` is its recording, kept when the rep opted in.
    """
    session = get(db_session=db_session, identity=identity, session_id=session_id)
    if session.status != SessionStatus.ACTIVE.value:
        return session
    turns = transcript_of(session)
    if not any(turn["speaker"] == "rep" and turn.get("text") for turn in turns):
        raise PracticeError("Say something to the buyer before ending: there is nothing to score.")
    focus = get_focus(session.focus).analysis_focus
    kind = "Voice practice" if session.mode == "voice" else "Practice"
    analysis = analysis_service.create_from_text(
        db_session=db_session,
        identity=identity,
        title=f"{kind} with {session.persona_name} · {get_scenario(session.scenario).label}",
        turns=[_scored_turn(turn) for turn in turns if turn.get("text")],
        focus=focus,
        model_id=session.model_id,
        audio_path=audio_path,
        audio_bytes=audio_bytes,
    )
    session.status = SessionStatus.ENDED.value
    session.ended_at = utcnow()
    session.analysis_id = analysis.id
    db_session.add(session)
    db_session.commit()
    db_session.refresh(session)
    return session


def _scored_turn(turn: dict[str, Any]) -> analysis_service.ConversationTurn:
    if isinstance(turn.get("start"), int | float) and isinstance(turn.get("end"), int | float):
        return (turn["speaker"], turn["text"], float(turn["start"]), float(turn["end"]))
    return (turn["speaker"], turn["text"])


def delete(*, db_session: Session, identity: Identity, session_id: int) -> None:
    """Delete a session from the caller's history (its scorecard stays in the analyzer)."""
    session = get(db_session=db_session, identity=identity, session_id=session_id)
    db_session.delete(session)
    db_session.commit()
