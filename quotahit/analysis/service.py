"""The call analyzer's business logic: analyses as durable jobs, their results, their audio.

A job's row is its truth: `run` claims it with a lease, does whatever stages are left (a swap of
speakers or a re-run with another model skips transcription), writes progress as it goes and
stops at the next progress report when the user cancels. A job whose worker died is resumed
when its lease runs out.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from quotahit.accounts.identity import AccountError, Identity, PermissionDenied
from quotahit.accounts.models import Membership, Role, User
from quotahit.ai.service import Gateway, NoProviderError
from quotahit.analysis import mocks, report, scoring, speakers, storage
from quotahit.analysis.judgement import FOCUSES, Judgement
from quotahit.analysis.metrics import REP, CallMetrics, Turn, measure
from quotahit.analysis.models import ACTIVE, CallAnalysis, Stage, Status
from quotahit.analysis.speakers import LabelledSegment
from quotahit.analysis.transcription import (
    ANALYSIS_SPEECH_MODELS,
    LOCAL_SPEECH_MODEL,
    AnalysisError,
    hear_call,
)
from quotahit.db import like_pattern, tenant_get, tenant_select, utcnow
from quotahit.providers.catalogue import MODELS_BY_ID, TEXT
from quotahit.providers.text import TextProviderError

logger = logging.getLogger(__name__)

LEASE_SECONDS = 120
# A job that has killed its worker this many times (out of memory, a decoder crash) is failed
# instead of being handed out again forever.
MAX_ATTEMPTS = 3
PROGRESS_EVERY_SECONDS = 0.5
FAILED_AUDIO_HOURS = 24  # a failed job keeps its file this long, so "retry" needs no re-upload
STAGE_SPANS = {
    Stage.DECODING.value: (0.0, 0.05),
    Stage.TRANSCRIBING.value: (0.05, 0.75),
    Stage.SPEAKERS.value: (0.75, 0.85),
    Stage.ANALYSING.value: (0.85, 1.0),
}
SOMETHING_WENT_WRONG = "Something went wrong while analysing this call. Try again."


class JobCancelled(Exception):
    """The user cancelled the job: raised from a progress report, it unwinds the pipeline."""


@dataclass(frozen=True)
class Analysed:
    """One call analysed: the public JSON, what the page shows beside it, and notices."""

    document: dict[str, Any]
    extras: dict[str, Any]
    notices: list[str]
    rep_label: str
    rep_reason: str


def check_options(*, focus: str, model_id: str, speech_model_id: str, rep_hint: str) -> None:
    """Refuse options no page offers (a client may send anything)."""
    if focus not in FOCUSES:
        raise AccountError(f"Unknown training focus “{focus}”.")
    if model_id != "local":
        model = MODELS_BY_ID.get(model_id)
        if model is None or TEXT not in model.capabilities:
            raise AccountError(f"“{model_id}” is not a model that can score a call.")
    if speech_model_id not in ANALYSIS_SPEECH_MODELS:
        raise AccountError(f"“{speech_model_id}” cannot make a timed transcript.")
    if not rep_hint.strip() or len(rep_hint) > 40:
        raise AccountError("Say which speaker is the rep: auto, first, second or a label.")


def _judge_locally(turns: Sequence[Turn], metrics: CallMetrics, focus: str) -> Judgement:
    return scoring.judge_locally(turns, metrics, focus)


async def analyse_segments(
    *,
    gateway: Gateway,
    identity: Identity,
    segments: Sequence[LabelledSegment],
    rep_hint: str,
    focus: str,
    model_id: str,
) -> Analysed:
    """Decide the rep, measure, judge: everything after the transcript.

    Raises:
        AnalysisError: the rep hint names no speaker of this call.
    """
    try:
        choice = speakers.choose_rep(segments, rep_hint)
    except ValueError as error:
        raise AnalysisError(str(error)) from None
    turns = speakers.to_turns(segments, choice.label)
    metrics = await asyncio.to_thread(measure, turns)
    notices: list[str] = []
    judgement: Judgement | None = None
    if model_id != "local":
        try:
            judgement = await scoring.judge_with_model(
                gateway=gateway,
                identity=identity,
                model_id=model_id,
                turns=turns,
                metrics=metrics,
                focus=focus,
            )
        except (NoProviderError, scoring.ScoringError, TextProviderError) as error:
            notices.append(f"Scored by the built-in local engine instead: {error}")
    if judgement is None:
        judgement = await asyncio.to_thread(_judge_locally, turns, metrics, focus)
    notices += judgement.notices
    roles = {s.speaker: (REP if s.speaker == choice.label else "prospect") for s in segments}
    return Analysed(
        document=report.public_document(turns, metrics, judgement),
        extras=report.extras(
            metrics,
            judgement,
            speaker_labels=roles,
        ),
        notices=notices,
        rep_label=choice.label,
        rep_reason=choice.reason,
    )


def mock_segments(slug: str) -> list[LabelledSegment]:
    """A mock training call as labelled segments (labels "Rep" and "Prospect")."""
    mock = mocks.get_mock(slug)
    return [
        LabelledSegment(t.start, t.end, t.text, "Rep" if t.speaker == REP else "Prospect")
        for t in mock.turns
    ]


# --- creating and reading analyses ---------------------------------------------------------


def create(
    *,
    db_session: Session,
    identity: Identity,
    title: str,
    source: str,
    focus: str = "general",
    model_id: str = "local",
    speech_model_id: str = LOCAL_SPEECH_MODEL,
    rep_hint: str = "auto",
    audio_path: str = "",
    audio_bytes: int = 0,
    keep_audio: bool = False,
    consent_confirmed: bool = False,
    retention_days: int = 30,
    mock_slug: str = "",
) -> CallAnalysis:
    """A queued analysis of an uploaded file or a mock transcript."""
    check_options(
        focus=focus, model_id=model_id, speech_model_id=speech_model_id, rep_hint=rep_hint
    )
    if keep_audio and not consent_confirmed:
        raise AccountError(
            "To keep the recording, confirm that everyone on the call agreed to be recorded."
        )
    now = utcnow()
    analysis = CallAnalysis(
        organization_id=identity.organization_id,
        user_id=identity.user_id,
        title=(title.strip() or "Untitled call")[:200],
        source=source,
        mock_slug=mock_slug,
        focus=focus,
        model_id=model_id,
        speech_model_id=speech_model_id,
        rep_hint=rep_hint.strip(),
        audio_path=audio_path,
        audio_bytes=audio_bytes,
        keep_audio=keep_audio,
        consent_confirmed=consent_confirmed,
        retain_until=now + timedelta(days=retention_days) if keep_audio else None,
    )
    if mock_slug:
        segments = mock_segments(mock_slug)
        analysis.segments_json = json.dumps([s.__dict__ for s in segments])
        analysis.audio_seconds = max(s.end for s in segments)
        analysis.speech_model_id = "mock"
        analysis.stage = Stage.ANALYSING.value
        analysis.progress = STAGE_SPANS[Stage.ANALYSING.value][0]
    db_session.add(analysis)
    db_session.commit()
    db_session.refresh(analysis)
    return analysis


def create_mock(
    *, db_session: Session, identity: Identity, slug: str, model_id: str = "local"
) -> CallAnalysis:
    """A queued analysis of one of the six mock training calls."""
    try:
        mock = mocks.get_mock(slug)
    except KeyError:
        raise AccountError(f"Unknown mock call “{slug}”.") from None
    return create(
        db_session=db_session,
        identity=identity,
        title=mock.title,
        source="mock",
        focus=mock.focus,
        model_id=model_id,
        mock_slug=slug,
    )


TEXT_WORDS_PER_MINUTE = 150.0
TEXT_PAUSE_SECONDS = 0.8
TEXT_NOTICE = (
    "This was a typed role-play: talk time, pace and pauses are estimated from word counts "
    "(150 words a minute), so judge the wording, not the timing."
)


# A practice call's rep is never guessed: "You chose speaker Rep as the rep" read like a choice.
PRACTICE_REP_REASON = "You played the rep in this practice call."
VOICE_NOTICE = (
    "This was a live practice call: talk time, pace and pauses come from when each turn was "
    "spoken, and the words from live transcription, which can mishear a word."
)

ConversationTurn = tuple[str, str] | tuple[str, str, float, float]


def text_segments(turns: Sequence[ConversationTurn]) -> list[LabelledSegment]:
    """A conversation as timed segments ("Rep" / "Prospect").

    Spoken turns carry their (start, end) seconds; typed ones are timed at an even pace.
    """
    segments: list[LabelledSegment] = []
    clock_at = 0.0
    for turn in turns:
        speaker, text = turn[0], turn[1]
        words = len(text.split())
        if not words:
            continue
        if len(turn) == 4:
            start, end = float(turn[2]), max(float(turn[3]), float(turn[2]) + 0.1)  # type: ignore[misc]
            segments.append(
                LabelledSegment(
                    round(start, 2), round(end, 2), text, "Rep" if speaker == "rep" else "Prospect"
                )
            )
            clock_at = max(clock_at, end)
            continue
        seconds = max(1.0, words / TEXT_WORDS_PER_MINUTE * 60)
        start = clock_at + (TEXT_PAUSE_SECONDS if segments else 0.0)
        segments.append(
            LabelledSegment(
                round(start, 2),
                round(start + seconds, 2),
                text,
                "Rep" if speaker == "rep" else "Prospect",
            )
        )
        clock_at = start + seconds
    return segments


def create_from_text(
    *,
    db_session: Session,
    identity: Identity,
    title: str,
    turns: Sequence[ConversationTurn],
    focus: str,
    model_id: str,
    source: str = "practice",
    audio_path: str = "",
    audio_bytes: int = 0,
) -> CallAnalysis:
    """A queued analysis of a conversation (speaker "rep" or "buyer", text[, start, end]).

    A spoken call's turns carry their times, and its recording (kept only when the rep opted
    in) becomes the analysis's playable audio.
    """
    segments = text_segments(turns)
    if not any(segment.speaker == "Rep" for segment in segments):
        raise AccountError("There is nothing of yours to score yet: write to the buyer first.")
    spoken = any(len(turn) == 4 for turn in turns)
    analysis = create(
        db_session=db_session,
        identity=identity,
        title=title,
        source=source,
        focus=focus,
        model_id=model_id,
        rep_hint="Rep",
        audio_path=audio_path,
        audio_bytes=audio_bytes,
        keep_audio=bool(audio_path),
        consent_confirmed=bool(audio_path),  # a practice call: the rep is the only person on it
    )
    analysis.segments_json = json.dumps([s.__dict__ for s in segments])
    analysis.audio_seconds = max(s.end for s in segments)
    analysis.speech_model_id = "voice" if spoken else "text"
    analysis.stage = Stage.ANALYSING.value
    analysis.progress = STAGE_SPANS[Stage.ANALYSING.value][0]
    analysis.notices_json = json.dumps([VOICE_NOTICE if spoken else TEXT_NOTICE])
    db_session.add(analysis)
    db_session.commit()
    db_session.refresh(analysis)
    return analysis


def _can_see(identity: Identity, analysis: CallAnalysis) -> bool:
    return (
        analysis.user_id == identity.user_id
        or identity.is_admin
        or identity.role
        in {
            Role.MANAGER.value,
        }
    )


def get(*, db_session: Session, identity: Identity, analysis_id: int) -> CallAnalysis:
    """One analysis the caller may see (their own; managers and admins see their organisation's).

    Raises:
        PermissionDenied: it does not exist in the caller's organisation, or is not theirs to see.
    """
    analysis = tenant_get(
        db_session,
        CallAnalysis,
        organization_id=identity.organization_id,
        row_id=analysis_id,
    )
    if analysis is None or not _can_see(identity, analysis):
        raise PermissionDenied("This analysis does not exist, or is not yours to see.")
    return analysis


def get_own(*, db_session: Session, identity: Identity, analysis_id: int) -> CallAnalysis:
    """An analysis the caller may change: their own, or any of the organisation's for admins."""
    analysis = get(db_session=db_session, identity=identity, analysis_id=analysis_id)
    if analysis.user_id != identity.user_id and not identity.is_admin:
        raise PermissionDenied("Only the person who uploaded this call can change it.")
    return analysis


def history(
    *,
    db_session: Session,
    identity: Identity,
    query: str = "",
    page: int = 1,
    page_size: int = 20,
) -> tuple[list[CallAnalysis], int]:
    """The caller's analyses, newest first, searched by title."""
    statement = tenant_select(CallAnalysis, identity.organization_id).where(
        CallAnalysis.user_id == identity.user_id
    )
    if query.strip():
        statement = statement.where(
            col(CallAnalysis.title).ilike(like_pattern(query.strip()), escape="\\")
        )
    total = db_session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = db_session.exec(
        statement.order_by(col(CallAnalysis.created_at).desc(), col(CallAnalysis.id).desc())
        .offset((max(page, 1) - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(rows), int(total)


def document_of(analysis: CallAnalysis) -> dict[str, Any]:
    """The public JSON of a finished analysis ({} before it is done)."""
    return json.loads(analysis.result_json)["document"] if analysis.result_json else {}


def extras_of(analysis: CallAnalysis) -> dict[str, Any]:
    """What the page shows beside the public JSON."""
    return json.loads(analysis.result_json)["extras"] if analysis.result_json else {}


def notices_of(analysis: CallAnalysis) -> list[str]:
    """What the user should be told about how the call was analysed."""
    return json.loads(analysis.notices_json) if analysis.notices_json else []


def segments_of(analysis: CallAnalysis) -> list[LabelledSegment]:
    """The transcript with its raw speaker labels."""
    if not analysis.segments_json:
        return []
    return [LabelledSegment(**item) for item in json.loads(analysis.segments_json)]


# --- changing analyses ---------------------------------------------------------------------


def _requeue(analysis: CallAnalysis, *, from_stage: Stage) -> None:
    analysis.status = Status.QUEUED.value
    analysis.stage = from_stage.value
    analysis.progress = STAGE_SPANS[from_stage.value][0]
    analysis.error = ""
    analysis.error_kind = ""
    analysis.cancel_requested = False
    analysis.lease_until = None
    analysis.finished_at = None
    analysis.attempts = 0
    analysis.updated_at = utcnow()


def cancel(
    *, db_session: Session, identity: Identity, analysis_id: int, data_dir: Path | None = None
) -> CallAnalysis:
    """Ask a queued or running job to stop; a queued one stops at once."""
    analysis = get_own(db_session=db_session, identity=identity, analysis_id=analysis_id)
    if analysis.status not in ACTIVE:
        raise AccountError("This analysis is not running.")
    analysis.cancel_requested = True
    if analysis.status == Status.QUEUED.value:
        analysis.status = Status.CANCELLED.value
        analysis.finished_at = utcnow()
        if not analysis.keep_audio and data_dir is not None:
            _discard_audio(db_session, analysis, data_dir)  # never processed, never kept
    analysis.updated_at = utcnow()
    db_session.add(analysis)
    db_session.commit()
    db_session.refresh(analysis)
    return analysis


def retry(
    *,
    db_session: Session,
    identity: Identity,
    analysis_id: int,
    data_dir: Path,
    extract_audio: bool = False,
) -> CallAnalysis:
    """Run a failed or cancelled job again from where it stopped (the audio of a video on ask)."""
    analysis = get_own(db_session=db_session, identity=identity, analysis_id=analysis_id)
    if analysis.status in ACTIVE or analysis.status == Status.DONE.value:
        raise AccountError("Only a failed or cancelled analysis can be retried.")
    if not analysis.segments_json and not _audio_exists(data_dir, analysis):
        raise AccountError("The recording is no longer stored: upload it again.")
    _requeue(
        analysis,
        from_stage=Stage.ANALYSING if analysis.segments_json else Stage.DECODING,
    )
    # The flag the job reads to take a video's audio track instead of refusing the file.
    analysis.error_kind = "extract_audio" if extract_audio else ""
    db_session.add(analysis)
    db_session.commit()
    db_session.refresh(analysis)
    return analysis


def rerun(
    *, db_session: Session, identity: Identity, analysis_id: int, model_id: str, focus: str
) -> CallAnalysis:
    """Judge a finished call again with another model or focus (no new transcription)."""
    analysis = get_own(db_session=db_session, identity=identity, analysis_id=analysis_id)
    if not analysis.segments_json:
        raise AccountError("This call has no transcript yet.")
    if analysis.status in ACTIVE:
        raise AccountError("This analysis is still running.")
    check_options(
        focus=focus,
        model_id=model_id,
        speech_model_id=LOCAL_SPEECH_MODEL,
        rep_hint=analysis.rep_hint,
    )
    analysis.model_id, analysis.focus = model_id, focus
    _requeue(analysis, from_stage=Stage.ANALYSING)
    db_session.add(analysis)
    db_session.commit()
    db_session.refresh(analysis)
    return analysis


def swap_speakers(*, db_session: Session, identity: Identity, analysis_id: int) -> CallAnalysis:
    """Make the other speaker the rep and analyse again (no new transcription)."""
    analysis = get_own(db_session=db_session, identity=identity, analysis_id=analysis_id)
    if analysis.status in ACTIVE or not analysis.rep_label:
        raise AccountError("Speakers can be swapped once the analysis is finished.")
    labels = sorted({s.speaker for s in segments_of(analysis)})
    others = [label for label in labels if label != analysis.rep_label]
    if not others:
        raise AccountError("This call has only one speaker.")
    analysis.rep_hint = others[0]
    _requeue(analysis, from_stage=Stage.ANALYSING)
    db_session.add(analysis)
    db_session.commit()
    db_session.refresh(analysis)
    return analysis


def delete(*, db_session: Session, identity: Identity, analysis_id: int, data_dir: Path) -> None:
    """Delete an analysis and its recording."""
    analysis = get_own(db_session=db_session, identity=identity, analysis_id=analysis_id)
    storage.delete(data_dir, analysis.audio_path)
    db_session.delete(analysis)
    db_session.commit()


def _audio_exists(data_dir: Path, analysis: CallAnalysis) -> bool:
    return bool(analysis.audio_path) and storage.resolve(data_dir, analysis.audio_path).exists()


def audio_file(
    *, db_session: Session, identity: Identity, analysis_id: int, data_dir: Path
) -> Path | None:
    """The kept recording of an analysis the caller may see, if it is still stored."""
    analysis = get(db_session=db_session, identity=identity, analysis_id=analysis_id)
    if not analysis.keep_audio or not _audio_exists(data_dir, analysis):
        return None
    return storage.resolve(data_dir, analysis.audio_path)


def _discard_audio(db_session: Session, analysis: CallAnalysis, data_dir: Path) -> None:
    storage.delete(data_dir, analysis.audio_path)
    analysis.audio_path = ""
    analysis.audio_deleted_at = utcnow()


def sweep_recordings(*, db_session: Session, data_dir: Path, now: datetime | None = None) -> int:
    """Delete recordings past their retention, and those of failed jobs after a day."""
    now = now or utcnow()
    rows = db_session.exec(
        select(CallAnalysis).where(
            CallAnalysis.audio_path != "",
            col(CallAnalysis.status).not_in(ACTIVE),
            or_(
                col(CallAnalysis.retain_until) < now,
                (CallAnalysis.keep_audio == False)  # noqa: E712
                & (col(CallAnalysis.updated_at) < now - timedelta(hours=FAILED_AUDIO_HOURS)),
            ),
        )
    ).all()
    for analysis in rows:
        _discard_audio(db_session, analysis, data_dir)
        db_session.add(analysis)
    db_session.commit()
    return len(rows)


# --- running jobs --------------------------------------------------------------------------


def claim(*, db_session: Session, analysis_id: int, now: datetime | None = None) -> bool:
    """Take a queued job, or one whose worker's lease ran out; False when another has it."""
    now = now or utcnow()
    result = db_session.execute(
        update(CallAnalysis)
        .where(
            col(CallAnalysis.id) == analysis_id,
            or_(
                (CallAnalysis.status == Status.QUEUED.value)
                & (CallAnalysis.cancel_requested == False),  # noqa: E712
                # A dead worker's job, even one cancelled since: `run` then ends it as cancelled.
                (CallAnalysis.status == Status.RUNNING.value)
                & (col(CallAnalysis.lease_until) < now),
            ),
        )
        .values(
            status=Status.RUNNING.value,
            lease_until=now + timedelta(seconds=LEASE_SECONDS),
            attempts=CallAnalysis.attempts + 1,
            updated_at=now,
        )
    )
    db_session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def unfinished(*, db_session: Session, now: datetime | None = None) -> list[int]:
    """Jobs to dispatch again: queued ones, and running ones whose worker died."""
    now = now or utcnow()
    rows = db_session.exec(
        select(CallAnalysis.id).where(
            or_(
                CallAnalysis.status == Status.QUEUED.value,
                (CallAnalysis.status == Status.RUNNING.value)
                & (col(CallAnalysis.lease_until) < now),
            )
        )
    ).all()
    return [row for row in rows if row is not None]


class ProgressWriter:
    """Writes a job's stage and progress (at most twice a second), renews its lease, and
    raises JobCancelled when the user has asked to stop."""

    def __init__(self, sessions: Any, analysis_id: int) -> None:
        self.sessions, self.analysis_id = sessions, analysis_id
        self.last_write = 0.0
        self.last_stage = ""

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == self.last_stage and now - self.last_write < PROGRESS_EVERY_SECONDS:
            return
        self.last_write, self.last_stage = now, stage
        low, high = STAGE_SPANS[stage]
        with self.sessions() as db_session:
            analysis = db_session.get(CallAnalysis, self.analysis_id)
            if analysis is None or analysis.cancel_requested:
                raise JobCancelled
            analysis.stage = stage
            analysis.progress = round(low + (high - low) * max(0.0, min(1.0, fraction)), 3)
            analysis.lease_until = utcnow() + timedelta(seconds=LEASE_SECONDS)
            analysis.updated_at = utcnow()
            db_session.add(analysis)
            db_session.commit()


def member_identity(*, db_session: Session, user_id: int, organization_id: int) -> Identity | None:
    """Who a user is in an organisation now (None once deactivated): for work done on their
    behalf without a session, such as a job or a signed audio link."""
    membership = db_session.exec(
        select(Membership).where(
            Membership.user_id == user_id,
            Membership.organization_id == organization_id,
            Membership.is_active == True,  # noqa: E712
        )
    ).first()
    user = db_session.get(User, user_id)
    if membership is None or user is None or not user.is_active:
        return None
    return Identity(
        user_id=user_id,
        organization_id=organization_id,
        role=membership.role,
        is_platform_admin=False,
        session_id=0,
    )


def _owner_identity(db_session: Session, analysis: CallAnalysis) -> Identity | None:
    return member_identity(
        db_session=db_session,
        user_id=analysis.user_id,
        organization_id=analysis.organization_id,
    )


def _finish(
    sessions: Any,
    analysis_id: int,
    data_dir: Path,
    *,
    status: Status,
    error: str = "",
    error_kind: str = "",
) -> None:
    with sessions() as db_session:
        analysis = db_session.get(CallAnalysis, analysis_id)
        if analysis is None:
            return
        analysis.status = status.value
        analysis.error, analysis.error_kind = error[:500], error_kind
        analysis.lease_until = None
        analysis.finished_at = analysis.updated_at = utcnow()
        if status is Status.DONE:
            analysis.stage, analysis.progress = Stage.DONE.value, 1.0
        if status is Status.CANCELLED and not analysis.keep_audio:
            _discard_audio(db_session, analysis, data_dir)
        db_session.add(analysis)
        db_session.commit()


async def run(
    *, analysis_id: int, gateway: Gateway, data_dir: Path, max_seconds: float | None
) -> None:
    """Do what is left of one job; a no-op when another worker holds it or it is finished."""
    sessions = gateway.sessions

    def load() -> tuple[CallAnalysis, Identity | None] | None:
        with sessions() as db_session:
            if not claim(db_session=db_session, analysis_id=analysis_id):
                return None
            analysis = db_session.get(CallAnalysis, analysis_id)
            if analysis is None:
                return None
            identity = _owner_identity(db_session, analysis)
            db_session.expunge(analysis)
            return analysis, identity

    loaded = await asyncio.to_thread(load)
    if loaded is None:
        return
    analysis, identity = loaded
    if analysis.attempts > MAX_ATTEMPTS:
        await asyncio.to_thread(
            _finish,
            sessions,
            analysis_id,
            data_dir,
            status=Status.FAILED,
            error="This call could not be analysed after several attempts. Try again.",
            error_kind="internal",
        )
        return
    if identity is None:
        await asyncio.to_thread(
            _finish,
            sessions,
            analysis_id,
            data_dir,
            status=Status.FAILED,
            error="The account that uploaded this call is no longer active.",
        )
        return
    progress = ProgressWriter(sessions, analysis_id)
    heartbeat = asyncio.create_task(_renew_lease(sessions, analysis_id))
    try:
        await _run_stages(analysis, identity, gateway, data_dir, max_seconds, progress)
    except JobCancelled:
        await asyncio.to_thread(_finish, sessions, analysis_id, data_dir, status=Status.CANCELLED)
    except AnalysisError as error:
        await asyncio.to_thread(
            _finish,
            sessions,
            analysis_id,
            data_dir,
            status=Status.FAILED,
            error=str(error),
            error_kind="video" if error.video else "input",
        )
    except Exception:
        logger.exception("analysis %s failed", analysis_id)
        await asyncio.to_thread(
            _finish,
            sessions,
            analysis_id,
            data_dir,
            status=Status.FAILED,
            error=SOMETHING_WENT_WRONG,
            error_kind="internal",
        )
    else:
        await asyncio.to_thread(_finish, sessions, analysis_id, data_dir, status=Status.DONE)
    finally:
        heartbeat.cancel()


async def _renew_lease(sessions: Any, analysis_id: int) -> None:
    """Keep the lease while a long step (a model judging the call) reports no progress."""

    def renew() -> None:
        with sessions() as db_session:
            db_session.execute(
                update(CallAnalysis)
                .where(
                    col(CallAnalysis.id) == analysis_id,
                    CallAnalysis.status == Status.RUNNING.value,
                )
                .values(lease_until=utcnow() + timedelta(seconds=LEASE_SECONDS))
            )
            db_session.commit()

    while True:
        await asyncio.sleep(LEASE_SECONDS / 4)
        try:
            await asyncio.to_thread(renew)
        except Exception:
            logger.exception("renewing the lease of analysis %s failed", analysis_id)


async def _run_stages(
    analysis: CallAnalysis,
    identity: Identity,
    gateway: Gateway,
    data_dir: Path,
    max_seconds: float | None,
    progress: ProgressWriter,
) -> None:
    sessions = gateway.sessions
    notices: list[str] = [TEXT_NOTICE] if analysis.speech_model_id == "text" else []
    segments = segments_of(analysis)
    if not segments:
        if not _audio_exists(data_dir, analysis):
            raise AnalysisError("The recording is no longer stored: upload it again.")
        heard = await hear_call(
            gateway=gateway,
            identity=identity,
            path=storage.resolve(data_dir, analysis.audio_path),
            speech_model_id=analysis.speech_model_id,
            allow_video=analysis.error_kind == "extract_audio",
            max_seconds=max_seconds,
            progress=progress,
        )
        segments, notices = heard.segments, heard.notices

        def keep_transcript() -> None:
            with sessions() as db_session:
                row = db_session.get(CallAnalysis, analysis.id)
                if row is None:
                    raise JobCancelled
                row.segments_json = json.dumps([s.__dict__ for s in segments])
                row.audio_seconds = heard.duration
                row.speech_model_id = heard.speech_model_id
                if not row.keep_audio:
                    _discard_audio(db_session, row, data_dir)  # processed: not kept
                db_session.add(row)
                db_session.commit()

        await asyncio.to_thread(keep_transcript)
    await asyncio.to_thread(progress, Stage.ANALYSING.value, 0.0)
    analysed = await analyse_segments(
        gateway=gateway,
        identity=identity,
        segments=segments,
        rep_hint=analysis.rep_hint,
        focus=analysis.focus,
        model_id=analysis.model_id,
    )

    def keep_result() -> None:
        with sessions() as db_session:
            row = db_session.get(CallAnalysis, analysis.id)
            if row is None or row.cancel_requested:
                raise JobCancelled
            row.result_json = json.dumps({"document": analysed.document, "extras": analysed.extras})
            row.notices_json = json.dumps(notices + analysed.notices)
            reason = analysed.rep_reason
            if analysis.source == "practice" and analysed.rep_label == "Rep":
                reason = PRACTICE_REP_REASON
            row.rep_label, row.rep_reason = analysed.rep_label, reason[:300]
            row.overall_score = analysed.document["scores"]["overall"]
            db_session.add(row)
            db_session.commit()

    await asyncio.to_thread(keep_result)


COMPARED = (
    ("Overall score", ("scores", "overall"), ""),
    ("Discovery", ("scores", "discovery"), ""),
    ("Rapport", ("scores", "rapport"), ""),
    ("Objection handling", ("scores", "objectionHandling"), ""),
    ("Next steps", ("scores", "nextSteps"), ""),
    ("Rep talk share", ("talkRatio", "rep"), " %"),
    ("Questions asked", ("metrics", "repQuestions"), ""),
    ("Longest rep monologue", ("metrics", "longestRepMonologueSec"), " s"),
    ("Interruptions", ("metrics", "interruptions"), ""),
    ("Patience", ("metrics", "patienceSec"), " s"),
    ("Speaking rate", ("metrics", "repWordsPerMinute"), " wpm"),
    ("Duration", ("metrics", "durationSec"), " s"),
)


def comparison(left: CallAnalysis, right: CallAnalysis) -> list[dict[str, str]]:
    """Scores and metrics of two finished calls side by side, with the change."""
    first, second = document_of(left), document_of(right)
    if not first or not second:
        raise AccountError("Both calls must be analysed before they can be compared.")
    rows = []
    for label, (group, key), unit in COMPARED:
        a, b = float(first[group][key]), float(second[group][key])
        delta = b - a
        rows.append(
            {
                "label": label,
                "left": f"{a:g}{unit}",
                "right": f"{b:g}{unit}",
                "delta": f"{delta:+g}{unit}" if delta else "same",
            }
        )
    return rows
