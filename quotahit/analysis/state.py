"""The call analyzer's page states: thin, they check the caller and call `service`.

The upload streams in chunks into private storage (never Reflex's public upload folder); the
job runs on the queue, and the results page follows its row until it finishes, so a reload or a
backend restart loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import datetime
from typing import Any

import reflex as rx

from quotahit import wiring
from quotahit.accounts.identity import AccountError, Identity
from quotahit.accounts.state import identity_of
from quotahit.ai import service as ai_service
from quotahit.analysis import audio_links, export, jobs, mocks, service, storage
from quotahit.analysis.judgement import FOCUSES
from quotahit.analysis.models import ACTIVE, CallAnalysis, Status
from quotahit.analysis.report import MetricRow
from quotahit.analysis.storage import UploadTooLarge
from quotahit.analysis.transcript_lines import clock
from quotahit.analysis.transcription import ANALYSIS_SPEECH_MODELS, speech_model_label
from quotahit.coach.attachments import picker_refusal
from quotahit.db import row_id, session_scope
from quotahit.providers.catalogue import MODELS_BY_ID
from quotahit.settings import get_settings

logger = logging.getLogger(__name__)

PAGE_SIZE = 10
POLL_SECONDS = 1.0
TIMELINE_BUCKETS = 240
STAGE_LABELS = {
    "decoding": "Decoding the audio",
    "transcribing": "Transcribing",
    "speakers": "Finding the speakers",
    "analysing": "Measuring and scoring",
    "done": "Done",
}
STATUS_LABELS = {
    "queued": "Queued",
    "running": "Running",
    "done": "Done",
    "failed": "Failed",
    "cancelled": "Cancelled",
}


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _history_row(analysis: CallAnalysis) -> dict[str, str]:
    return {
        "id": str(analysis.id),
        "title": analysis.title,
        "when": _when(analysis.created_at),
        "status": analysis.status,
        "status_label": STATUS_LABELS.get(analysis.status, analysis.status),
        "score": "" if analysis.overall_score is None else str(analysis.overall_score),
        "duration": clock(analysis.audio_seconds) if analysis.audio_seconds else "",
        "focus": FOCUSES.get(analysis.focus, analysis.focus),
        "source": analysis.source,
    }


def _scoring_options(identity: Identity) -> list[dict[str, str]]:
    options = [{"id": "local", "label": "Built-in local engine", "served_by": "offline"}]
    for option in ai_service.model_options(gateway=wiring.gateway(), identity=identity):
        if option.provider != "local":
            options.append({"id": option.id, "label": option.label, "served_by": option.served_by})
    return options


def _speech_options() -> list[dict[str, str]]:
    return [
        {"id": model_id, "label": speech_model_label(model_id)}
        for model_id in ANALYSIS_SPEECH_MODELS
    ]


async def _store_upload(
    chunks: rx.UploadChunkIterator, identity: Identity, options: dict[str, Any]
) -> tuple[int, str]:
    """Stream an upload into private storage and queue its analysis: (analysis id, error).

    Whatever goes wrong (a cap, a refused option, a closed tab, a database error), nothing is
    left on disk without a row that the retention sweep can find.
    """
    settings = get_settings()
    sink = storage.RecordingSink(
        settings.data_dir, identity.organization_id, settings.analysis_max_megabytes * 10**6
    )
    error, filename = "", ""
    try:
        async for chunk in chunks:
            filename = filename or chunk.filename
            if error:
                continue  # the iterator must be drained even after the cap is reached
            try:
                await asyncio.to_thread(sink.write, chunk.data)
            except UploadTooLarge as too_large:
                error = str(too_large)
        if error:
            return 0, error
        relative = sink.close()
        if sink.size == 0:
            sink.discard()
            return 0, "The file is empty: choose the recording again."
        with session_scope() as db_session:
            analysis = service.create(
                db_session=db_session,
                identity=identity,
                title=filename.rsplit(".", 1)[0] if filename else "Uploaded call",
                source="upload",
                audio_path=relative,
                audio_bytes=sink.size,
                retention_days=settings.recording_retention_days,
                **options,
            )
            return analysis.id or 0, ""
    except AccountError as refused:
        sink.discard()
        return 0, str(refused)
    except BaseException:
        sink.discard()
        raise


# What the dropzone takes, and the same in words for the message when it refuses a file.
ACCEPT = {
    "audio/*": [".mp3", ".m4a", ".wav", ".ogg", ".webm", ".flac", ".aac", ".opus"],
    "video/*": [".mp4", ".mov", ".webm", ".mkv"],
}


def _listed(extensions: list[str]) -> str:
    names = [extension.removeprefix(".") for extension in extensions]
    return f"{', '.join(names[:-1])} or {names[-1]}"


RECORDING_TYPES = (
    f"a call recording ({_listed(ACCEPT['audio/*'])}) "
    f"or a video with sound ({_listed(ACCEPT['video/*'])})"
)


class AnalyzerState(rx.State):
    """The upload form, the mock calls and the history."""

    focus: str = "general"
    model_id: str = "local"
    speech_model_id: str = "local-whisper"
    rep_hint: str = "auto"
    keep_audio: bool = False
    consent: bool = False
    scoring_options: list[dict[str, str]] = []
    speech_options: list[dict[str, str]] = []
    max_megabytes: int = 200
    max_minutes: int = 120

    uploading: bool = False
    upload_percent: int = 0
    upload_error: str = ""
    action_error: str = ""

    mock_calls: list[dict[str, str]] = []
    rows: list[dict[str, str]] = []
    query: str = ""
    page: int = 1
    total: int = 0
    loaded: bool = False

    @rx.var
    def page_count(self) -> int:
        """Pages of history."""
        return max(1, math.ceil(self.total / PAGE_SIZE))

    @rx.var
    def focus_options(self) -> list[list[str]]:
        """Training focuses as (value, label) pairs."""
        return [[key, label] for key, label in FOCUSES.items()]

    @rx.event
    async def load(self) -> None:
        """Options this user can use, the mock calls and the first page of history."""
        identity = await identity_of(self)
        if identity is None:
            return
        settings = get_settings()
        self.max_megabytes = settings.analysis_max_megabytes
        self.max_minutes = settings.analysis_max_minutes
        self.scoring_options = await asyncio.to_thread(_scoring_options, identity)
        if self.model_id not in {option["id"] for option in self.scoring_options}:
            self.model_id = "local"
        self.speech_options = _speech_options()
        self.mock_calls = [
            {
                "slug": mock.slug,
                "title": mock.title,
                "description": mock.description,
                "focus": FOCUSES.get(mock.focus, mock.focus),
            }
            for mock in mocks.MOCK_CALLS.values()
        ]
        self.uploading, self.upload_percent, self.upload_error = False, 0, ""
        self.action_error = ""
        self._read_history(identity)
        self.loaded = True

    def _read_history(self, identity: Identity) -> None:
        with session_scope() as db_session:
            rows, total = service.history(
                db_session=db_session,
                identity=identity,
                query=self.query,
                page=self.page,
                page_size=PAGE_SIZE,
            )
        self.total = total
        if rows == [] and self.page > 1:
            self.page = 1
            self._read_history(identity)
            return
        self.rows = [_history_row(row) for row in rows]

    @rx.event
    def set_focus(self, value: str) -> None:
        """The rubric to judge against."""
        self.focus = value if value in FOCUSES else "general"

    @rx.event
    def set_model(self, value: str) -> None:
        """The model that scores the call."""
        if any(option["id"] == value for option in self.scoring_options):
            self.model_id = value

    @rx.event
    def set_speech_model(self, value: str) -> None:
        """The model that transcribes the call."""
        if value in ANALYSIS_SPEECH_MODELS:
            self.speech_model_id = value

    @rx.event
    def set_rep_hint(self, value: str) -> None:
        """Who the rep is: decided automatically, or the first or second voice."""
        self.rep_hint = value if value in {"auto", "first", "second"} else "auto"

    @rx.event
    def set_keep_audio(self, value: bool) -> None:
        """Keep the recording after analysis (needs the consent box)."""
        self.keep_audio = bool(value)
        if not self.keep_audio:
            self.consent = False

    @rx.event
    def set_consent(self, value: bool) -> None:
        """Everyone on the call agreed to be recorded."""
        self.consent = bool(value)

    @rx.event
    async def search(self, value: str) -> None:
        """Filter the history by title."""
        self.query, self.page = value[:100], 1
        identity = await identity_of(self)
        if identity is not None:
            self._read_history(identity)

    @rx.event
    async def previous_page(self) -> None:
        """The page before."""
        self.page = max(1, self.page - 1)
        identity = await identity_of(self)
        if identity is not None:
            self._read_history(identity)

    @rx.event
    async def next_page(self) -> None:
        """The page after."""
        self.page = min(self.page_count, self.page + 1)
        identity = await identity_of(self)
        if identity is not None:
            self._read_history(identity)

    @rx.event
    def start_upload(self) -> None:
        """Show the progress bar as the browser starts sending."""
        self.uploading, self.upload_percent, self.upload_error = True, 0, ""

    @rx.event
    async def reject_files(self, refused: list[dict[str, Any]]) -> None:
        """Say which file the picker refused and what it takes (instead of Reflex's toast)."""
        identity = await identity_of(self)
        self.uploading = False
        self.upload_error = (
            "Your session has ended: log in."
            if identity is None
            else picker_refusal(refused, accepted=RECORDING_TYPES)
        )

    @rx.event
    def upload_progress(self, progress: dict[str, Any]) -> None:
        """The browser's own upload progress (0 to 1)."""
        try:
            self.upload_percent = max(0, min(100, round(float(progress["progress"]) * 100)))
        except (KeyError, TypeError, ValueError):
            return

    @rx.event(background=True)
    async def receive_upload(self, chunks: rx.UploadChunkIterator) -> Any:
        """Stream the file into private storage under the cap, then queue its analysis."""
        async with self:
            identity = await identity_of(self)
            options = {
                "focus": self.focus,
                "model_id": self.model_id,
                "speech_model_id": self.speech_model_id,
                "rep_hint": self.rep_hint,
                "keep_audio": self.keep_audio,
                "consent_confirmed": self.consent,
            }
        if identity is None:
            async for _chunk in chunks:
                pass
            async with self:
                self.uploading, self.upload_error = False, "Your session has ended: log in."
            return None
        try:
            analysis_id, error = await _store_upload(chunks, identity, options)
        except Exception:
            logger.exception("an upload failed")
            analysis_id, error = 0, "The upload failed: try again."
        async with self:
            self.uploading = False
            self.upload_error = error
            if error:
                return None
        await jobs.dispatch(analysis_id)
        return rx.redirect(f"/analyze/{analysis_id}")

    @rx.event
    async def analyse_mock(self, slug: str) -> Any:
        """Queue the analysis of a mock training call and open its page."""
        identity = await identity_of(self)
        if identity is None:
            return None
        try:
            with session_scope() as db_session:
                analysis = service.create_mock(
                    db_session=db_session,
                    identity=identity,
                    slug=str(slug),
                    model_id=self.model_id,
                )
        except AccountError as refused:
            self.action_error = str(refused)
            return None
        await jobs.dispatch(analysis.id or 0)
        return rx.redirect(f"/analyze/{analysis.id}")

    @rx.event
    async def delete(self, analysis_id: str) -> None:
        """Delete an analysis and its recording from the history."""
        identity = await identity_of(self)
        if identity is None:
            return
        try:
            with session_scope() as db_session:
                service.delete(
                    db_session=db_session,
                    identity=identity,
                    analysis_id=int(analysis_id),
                    data_dir=get_settings().data_dir,
                )
        except (AccountError, ValueError) as refused:
            self.action_error = str(refused)
            return
        self._read_history(identity)


def _timeline(transcript: list[dict[str, Any]], duration: float) -> list[dict[str, str]]:
    """Talk time per speaker as bars; turns closer than one bucket merge, so a two-hour call
    draws a few hundred bars, not thousands."""
    if duration <= 0:
        return []
    bucket = duration / TIMELINE_BUCKETS
    spans: list[list[Any]] = []
    open_span: dict[str, list[Any]] = {}
    for turn in transcript:
        speaker, start, end = turn["speaker"], float(turn["start"]), float(turn["end"])
        current = open_span.get(speaker)
        if current is not None and start - current[2] < bucket:
            current[2] = max(current[2], end)
            continue
        open_span[speaker] = [speaker, start, end]
        spans.append(open_span[speaker])
    return [
        {
            "speaker": speaker,
            "left": f"{100 * start / duration:.2f}%",
            "width": f"{max(0.3, 100 * (end - start) / duration):.2f}%",
            "at": clock(start),
            "start": f"{start:.2f}",
        }
        for speaker, start, end in spans
    ]


class ResultState(rx.State):
    """One analysis: its progress while it runs, its results when done."""

    analysis_id: int = 0
    found: bool = False
    not_found_reason: str = ""
    title: str = ""
    status: str = ""
    stage: str = ""
    progress_percent: int = 0
    error: str = ""
    error_kind: str = ""
    can_change: bool = False
    notices: list[str] = []
    summary: str = ""
    scores: list[dict[str, str]] = []
    talk_rep: float = 0.0
    talk_prospect: float = 0.0
    metric_rows: list[dict[str, str]] = []
    strengths: list[str] = []
    improvements: list[str] = []
    key_moments: list[dict[str, str]] = []
    next_steps: list[str] = []
    questions: list[str] = []
    transcript: list[dict[str, str]] = []
    timeline: list[dict[str, str]] = []
    duration: str = ""
    scored_by: str = ""
    transcribed_by: str = ""
    focus_label: str = ""
    rep_reason: str = ""
    audio_url: str = ""
    audio_note: str = ""
    rerun_model: str = "local"
    rerun_focus: str = "general"
    scoring_options: list[dict[str, str]] = []
    action_error: str = ""
    busy: bool = False

    @rx.var
    def status_label(self) -> str:
        """The job's status as words."""
        return STATUS_LABELS.get(self.status, self.status)

    @rx.var
    def stage_label(self) -> str:
        """The running stage as words."""
        return STAGE_LABELS.get(self.stage, self.stage)

    @rx.var
    def is_active(self) -> bool:
        """Queued or running."""
        return self.status in ACTIVE

    @rx.var
    def focus_options(self) -> list[list[str]]:
        """Training focuses as (value, label) pairs."""
        return [[key, label] for key, label in FOCUSES.items()]

    def _requested_id(self) -> int:
        raw = str(self.router.page.params.get("analysis_id", ""))
        return row_id(raw) or 0

    @rx.event
    async def load(self) -> Any:
        """Read the analysis named in the address and follow it while it runs."""
        identity = await identity_of(self)
        if identity is None:
            return None
        self.analysis_id = self._requested_id()
        self.action_error, self.busy = "", False
        self.scoring_options = await asyncio.to_thread(_scoring_options, identity)
        self._refresh(identity)
        return ResultState.watch if self.found and self.status in ACTIVE else None

    def _refresh(self, identity: Identity) -> None:
        try:
            with session_scope() as db_session:
                analysis = service.get(
                    db_session=db_session, identity=identity, analysis_id=self.analysis_id
                )
                self._show(analysis, identity)
        except AccountError as refused:
            self.found, self.not_found_reason = False, str(refused)

    def _show(self, analysis: CallAnalysis, identity: Identity) -> None:
        self.found = True
        self.title = analysis.title
        self.status, self.stage = analysis.status, analysis.stage
        self.progress_percent = round(analysis.progress * 100)
        self.error, self.error_kind = analysis.error, analysis.error_kind
        self.can_change = analysis.user_id == identity.user_id or identity.is_admin
        self.focus_label = FOCUSES.get(analysis.focus, analysis.focus)
        self.rerun_model, self.rerun_focus = analysis.model_id, analysis.focus
        self.notices = service.notices_of(analysis)
        self.transcribed_by = (
            "Mock transcript"
            if analysis.source == "mock"
            else "Typed role-play"
            if analysis.speech_model_id == "text"
            else speech_model_label(analysis.speech_model_id)
        )
        self.rep_reason = analysis.rep_reason
        self.audio_note, self.audio_url = "", ""
        if analysis.keep_audio and analysis.audio_path:
            token = audio_links.sign(
                get_settings().secret_key,
                audio_links.AudioGrant(
                    analysis.id or 0, identity.user_id, identity.organization_id, identity.role
                ),
            )
            self.audio_url = f"/api/analyses/{analysis.id}/audio?t={token}"
        elif analysis.source != "mock":
            self.audio_note = (
                "The recording was not kept (processed and discarded)."
                if not analysis.keep_audio
                else "The recording was deleted at the end of its retention."
            )
        document = service.document_of(analysis)
        if not document:
            return
        extras = service.extras_of(analysis)
        self.summary = document["summary"]
        labels = (
            ("overall", "Overall"),
            ("discovery", "Discovery"),
            ("rapport", "Rapport"),
            ("objectionHandling", "Objection handling"),
            ("nextSteps", "Next steps"),
        )
        self.scores = [
            {"key": key, "label": label, "value": str(document["scores"][key])}
            for key, label in labels
        ]
        self.talk_rep = document["talkRatio"]["rep"]
        self.talk_prospect = document["talkRatio"]["prospect"]
        self.metric_rows = [
            {k: str(v) for k, v in row.items()} for row in extras.get("metricRows", [])
        ]
        self.strengths = document["strengths"]
        self.improvements = document["improvements"]
        self.key_moments = [
            {
                "type": moment["type"],
                "text": moment["text"],
                "at": clock(moment["timeSec"]),
                "start": f"{moment['timeSec']:.2f}",
            }
            for moment in document["keyMoments"]
        ]
        self.next_steps = document["nextSteps"]
        self.questions = extras.get("repQuestionList", [])
        self.transcript = [
            {
                "speaker": turn["speaker"],
                "at": clock(turn["start"]),
                "start": f"{turn['start']:.2f}",
                "text": turn["text"],
            }
            for turn in document["transcript"]
        ]
        seconds = float(document["metrics"]["durationSec"])
        self.duration = clock(seconds)
        self.timeline = _timeline(document["transcript"], seconds)
        scored = extras.get("scoredBy", "local")
        model = MODELS_BY_ID.get(scored)
        self.scored_by = (
            "Built-in local engine" if scored == "local" else (model.label if model else scored)
        )

    # `supersedes`: a newer watcher cancels the one before, so a tab has one at most. A flag
    # saying "already watching" went stale when a reload cancelled the old watcher after the new
    # page had read it, and the page then froze at its first figure until the next reload.
    @rx.event(background=True, supersedes=True)
    async def watch(self) -> None:
        """Follow the shown job's row once a second until it finishes (whichever analysis the
        page shows now: moving to another one keeps the same watcher)."""
        while True:
            await asyncio.sleep(POLL_SECONDS)
            async with self:
                identity = await identity_of(self)
                if identity is None:
                    return
                self._refresh(identity)
                if not self.found or self.status not in ACTIVE:
                    return

    async def _change(self, action: Any, **options: Any) -> Any:
        """Apply a service action to the shown analysis (the service checks who may), then
        follow the job if it was queued again."""
        identity = await identity_of(self)
        if identity is None:
            return None
        self.action_error = ""
        try:
            with session_scope() as db_session:
                analysis = action(
                    db_session=db_session,
                    identity=identity,
                    analysis_id=self.analysis_id,
                    **options,
                )
                queued = analysis is not None and analysis.status == Status.QUEUED.value
        except (AccountError, ValueError) as refused:
            self.action_error = str(refused)
            return None
        if queued:
            await jobs.dispatch(self.analysis_id)
        self._refresh(identity)
        return ResultState.watch if self.status in ACTIVE else None

    @rx.event
    async def cancel(self) -> Any:
        """Stop the job."""
        return await self._change(service.cancel, data_dir=get_settings().data_dir)

    @rx.event
    async def retry(self) -> Any:
        """Run a failed or cancelled job again."""
        return await self._change(service.retry, data_dir=get_settings().data_dir)

    @rx.event
    async def extract_audio(self) -> Any:
        """Analyse the audio track of the video that was refused."""
        return await self._change(
            service.retry, data_dir=get_settings().data_dir, extract_audio=True
        )

    @rx.event
    async def swap_speakers(self) -> Any:
        """The other voice is the rep: analyse again."""
        return await self._change(service.swap_speakers)

    @rx.event
    def set_rerun_model(self, value: str) -> None:
        """The model for a re-run."""
        if any(option["id"] == value for option in self.scoring_options):
            self.rerun_model = value

    @rx.event
    def set_rerun_focus(self, value: str) -> None:
        """The rubric for a re-run."""
        self.rerun_focus = value if value in FOCUSES else "general"

    @rx.event
    async def rerun(self) -> Any:
        """Judge the call again with the chosen model and focus."""
        return await self._change(service.rerun, model_id=self.rerun_model, focus=self.rerun_focus)

    @rx.event
    async def delete(self) -> Any:
        """Delete this analysis and its recording."""
        identity = await identity_of(self)
        if identity is None:
            return None
        try:
            with session_scope() as db_session:
                service.delete(
                    db_session=db_session,
                    identity=identity,
                    analysis_id=self.analysis_id,
                    data_dir=get_settings().data_dir,
                )
        except AccountError as refused:
            self.action_error = str(refused)
            return None
        return rx.redirect("/analyze")

    def _export(self, identity: Identity) -> tuple[dict[str, Any], dict[str, Any], str, datetime]:
        with session_scope() as db_session:
            analysis = service.get(
                db_session=db_session, identity=identity, analysis_id=self.analysis_id
            )
            if analysis.status != Status.DONE.value:
                raise AccountError("The analysis is not finished yet.")
            return (
                service.document_of(analysis),
                service.extras_of(analysis),
                analysis.title,
                analysis.created_at,
            )

    @rx.event
    async def download(self, kind: str) -> Any:
        """The analysis as a PDF or Markdown file."""
        identity = await identity_of(self)
        if identity is None:
            return None
        try:
            document, extras, title, when = self._export(identity)
        except AccountError as refused:
            self.action_error = str(refused)
            return None
        stem = "".join(c if c.isalnum() else "-" for c in title).strip("-")[:60] or "call"
        options = {
            "title": title,
            "analysed_at": when,
            "scored_by": self.scored_by,
            "metric_rows": [MetricRow(**row) for row in extras.get("metricRows", [])],
        }
        if kind == "pdf":
            data = await asyncio.to_thread(export.to_pdf, document, **options)
            return rx.download(data=data, filename=f"{stem}-analysis.pdf")
        text = export.to_markdown(document, **options)
        return rx.download(data=text, filename=f"{stem}-analysis.md")


class CompareState(rx.State):
    """Two finished analyses side by side."""

    choices: list[dict[str, str]] = []
    left_id: str = ""
    right_id: str = ""
    rows: list[dict[str, str]] = []
    left_title: str = ""
    right_title: str = ""
    error: str = ""

    @rx.event
    async def load(self) -> None:
        """The caller's finished analyses to choose from (the two newest by default)."""
        identity = await identity_of(self)
        if identity is None:
            return
        with session_scope() as db_session:
            rows, _total = service.history(
                db_session=db_session, identity=identity, page=1, page_size=200
            )
        done = [row for row in rows if row.status == Status.DONE.value]
        self.choices = [
            {"id": str(row.id), "label": f"{row.title} · {_when(row.created_at)}"} for row in done
        ]
        params = self.router.page.params
        ids = [choice["id"] for choice in self.choices]
        self.left_id = str(params.get("a", "")) if str(params.get("a", "")) in ids else ""
        self.right_id = str(params.get("b", "")) if str(params.get("b", "")) in ids else ""
        if not self.left_id and ids:
            self.left_id = ids[1] if len(ids) > 1 else ids[0]
        if not self.right_id and ids:
            self.right_id = ids[0]
        self._compare(identity)

    @rx.event
    async def set_left(self, value: str) -> None:
        """The call on the left."""
        self.left_id = value
        identity = await identity_of(self)
        if identity is not None:
            self._compare(identity)

    @rx.event
    async def set_right(self, value: str) -> None:
        """The call on the right."""
        self.right_id = value
        identity = await identity_of(self)
        if identity is not None:
            self._compare(identity)

    def _compare(self, identity: Identity) -> None:
        self.rows, self.error = [], ""
        if row_id(self.left_id) is None or row_id(self.right_id) is None:
            return
        try:
            with session_scope() as db_session:
                left = service.get(
                    db_session=db_session, identity=identity, analysis_id=row_id(self.left_id) or 0
                )
                right = service.get(
                    db_session=db_session, identity=identity, analysis_id=row_id(self.right_id) or 0
                )
                self.left_title, self.right_title = left.title, right.title
                self.rows = service.comparison(left, right)
        except AccountError as refused:
            self.error = str(refused)
