"""Call analyses as durable jobs on both databases, run by `service.run` on the local engine.

Mock calls (a timed transcript, no audio) cover the job's life, tenancy and roles quickly; a few
rendered two-voice recordings (tests/support/calls.py, about 30 s each) go through decoding, the
built-in Whisper and the speaker split, and show what happens to the audio afterwards.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from quotahit.accounts import members
from quotahit.accounts.identity import AccountError, PermissionDenied
from quotahit.accounts.models import Role
from quotahit.ai.service import Gateway
from quotahit.analysis import mocks, service, storage
from quotahit.analysis.models import CallAnalysis, Stage, Status
from quotahit.analysis.transcription import NO_SPEECH, ONE_VOICE
from quotahit.db import utcnow
from quotahit.keys.crypto import Keyring
from tests.integration.conftest import Accounts, Member, Staff
from tests.support.analysis_document import (
    assert_analysis_document,
    rep_share,
)
from tests.support.calls import RenderedCall, discovery_script, one_voice_call, render_call
from tests.unit.local.media import encode, espeak_pcm, silence, video_mp4

KEYRING = Keyring.parse(Keyring.generate_entry(1))
MAX_BYTES = 50_000_000
MAX_SECONDS = 600.0
CALL_SECONDS = 30
FIRST_MOCK = "discovery-northwind"


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive UTC, PostgreSQL aware datetimes: compare them as aware UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class Jobs:
    """Creates analyses as the pages do and runs them as a worker does."""

    accounts: Accounts
    gateway: Gateway
    data_dir: Path

    def upload(
        self, member: Member, data: bytes, *, title: str = "Uploaded call", **options: Any
    ) -> CallAnalysis:
        sink = storage.RecordingSink(self.data_dir, member.organization_id, MAX_BYTES)
        sink.write(data)
        relative = sink.close()
        try:
            return self.accounts.call(
                service.create,
                identity=member.identity,
                title=title,
                source="upload",
                audio_path=relative,
                audio_bytes=len(data),
                **options,
            )
        except AccountError:
            storage.delete(self.data_dir, relative)  # as the upload routes do
            raise

    def mock(self, member: Member, slug: str = FIRST_MOCK) -> CallAnalysis:
        return self.accounts.call(service.create_mock, identity=member.identity, slug=slug)

    async def run(self, analysis_id: int | None) -> CallAnalysis:
        assert analysis_id is not None
        await service.run(
            analysis_id=analysis_id,
            gateway=self.gateway,
            data_dir=self.data_dir,
            max_seconds=MAX_SECONDS,
        )
        return self.row(analysis_id)

    def row(self, analysis_id: int | None) -> CallAnalysis:
        return self.accounts.one(CallAnalysis, CallAnalysis.id == analysis_id)

    def exists(self, analysis_id: int | None) -> bool:
        return bool(self.accounts.rows(CallAnalysis, CallAnalysis.id == analysis_id))

    def stored(self, analysis: CallAnalysis) -> Path:
        assert analysis.audio_path
        return storage.resolve(self.data_dir, analysis.audio_path)

    def files(self) -> list[Path]:
        return sorted(p for p in storage.recordings_root(self.data_dir).rglob("*") if p.is_file())


@pytest.fixture
def jobs(accounts: Accounts, tmp_path: Path) -> Jobs:
    gateway = Gateway(sessions=accounts.session, keyring=KEYRING, platform_keys={}, base_urls={})
    return Jobs(accounts, gateway, tmp_path / "data")


@pytest.fixture(scope="module")
def two_voice_call() -> RenderedCall:
    """About 30 s of a rep and a prospect on one (mono) channel."""
    return render_call(discovery_script(CALL_SECONDS))


@pytest.fixture(scope="module")
def dual_channel_call() -> RenderedCall:
    """The same call as a call recorder stores it: the rep left, the prospect right."""
    return render_call(discovery_script(CALL_SECONDS), stereo=True)


def wav_of(pcm: bytes) -> bytes:
    return encode(pcm, 16_000, container="wav", codec="pcm_s16le")


# --- a job's life ----------------------------------------------------------------------------


async def test_every_mock_call_runs_to_done_with_every_fixed_field(jobs: Jobs, team: Staff) -> None:
    overall_scores = set()
    for slug, mock in mocks.MOCK_CALLS.items():
        queued = jobs.mock(team.rep, slug)
        assert (queued.status, queued.stage, queued.source) == ("queued", "analysing", "mock")
        assert queued.title == mock.title
        assert queued.focus == mock.focus
        done = await jobs.run(queued.id)
        assert done.status == Status.DONE.value, (slug, done.error)
        assert (done.stage, done.progress, done.error, done.error_kind) == ("done", 1.0, "", "")
        assert done.lease_until is None
        assert done.finished_at is not None
        assert done.attempts == 1
        document = service.document_of(done)
        assert_analysis_document(document)
        assert done.overall_score == document["scores"]["overall"]
        assert done.rep_label == "Rep"
        assert done.rep_reason
        assert len(document["transcript"]) == len(mock.turns)
        assert [line["speaker"] for line in document["transcript"]] == [
            turn.speaker for turn in sorted(mock.turns, key=lambda t: t.start)
        ]
        overall_scores.add(done.overall_score)
    # The six calls differ on purpose, and so do their scores.
    assert len(overall_scores) >= 3


def test_options_no_page_offers_are_refused(jobs: Jobs, team: Staff) -> None:
    refused = [
        ({"focus": "small talk"}, "Unknown training focus"),
        ({"model_id": "gpt-9-imaginary"}, "not a model that can score"),
        ({"model_id": "tts-1"}, "not a model that can score"),
        ({"speech_model_id": "gpt-4o-transcribe"}, "cannot make a timed transcript"),
        ({"rep_hint": "  "}, "which speaker is the rep"),
        ({"rep_hint": "x" * 41}, "which speaker is the rep"),
    ]
    for options, message in refused:
        with pytest.raises(AccountError, match=message):
            jobs.accounts.call(
                service.create,
                identity=team.rep.identity,
                title="Call",
                source="upload",
                **options,
            )
    with pytest.raises(AccountError, match="Unknown mock call"):
        jobs.mock(team.rep, "no-such-call")
    assert jobs.accounts.rows(CallAnalysis) == []


async def test_a_job_whose_owner_left_fails_with_a_reason(jobs: Jobs, team: Staff) -> None:
    analysis = jobs.mock(team.rep)
    jobs.accounts.call(
        members.set_member_active,
        identity=team.admin.identity,
        membership_id=team.rep.membership_id,
        active=False,
    )
    failed = await jobs.run(analysis.id)
    assert failed.status == Status.FAILED.value
    assert "no longer active" in failed.error


# --- who may see and change an analysis ------------------------------------------------------


def test_history_lists_searches_and_pages_only_the_callers_own(
    jobs: Jobs, team: Staff, rival: Member
) -> None:
    slugs = list(mocks.MOCK_CALLS)
    mine = [jobs.mock(team.rep, slug) for slug in slugs[:4]]
    jobs.mock(team.admin, slugs[4])
    jobs.mock(team.manager, slugs[0])
    jobs.mock(rival, slugs[0])

    rows, total = jobs.accounts.call(service.history, identity=team.rep.identity)
    assert total == 4
    assert [row.id for row in rows] == [row.id for row in reversed(mine)]

    first, total = jobs.accounts.call(service.history, identity=team.rep.identity, page_size=3)
    second, _ = jobs.accounts.call(service.history, identity=team.rep.identity, page=2, page_size=3)
    beyond, _ = jobs.accounts.call(service.history, identity=team.rep.identity, page=3, page_size=3)
    assert (len(first), len(second), len(beyond), total) == (3, 1, 0, 4)
    assert {row.id for row in first + second} == {row.id for row in mine}

    found, total = jobs.accounts.call(
        service.history, identity=team.rep.identity, query="  NORTHWIND "
    )
    assert (total, [row.id for row in found]) == (1, [mine[0].id])
    for wildcard in ("%", "_", "\\"):
        _, total = jobs.accounts.call(service.history, identity=team.rep.identity, query=wildcard)
        assert total == 0, wildcard

    # Admins and managers may open a rep's analysis, but their history is their own.
    for member, expected in ((team.admin, 1), (team.manager, 1), (rival, 1)):
        rows, total = jobs.accounts.call(service.history, identity=member.identity)
        assert total == expected
        assert {row.user_id for row in rows} == {member.user_id}


def test_another_organisation_and_another_rep_cannot_touch_an_analysis(
    jobs: Jobs, accounts: Accounts, team: Staff, rival: Member
) -> None:
    analysis = jobs.mock(team.rep)
    other_rep = accounts.add_member(team.admin, "ron@acme.example", Role.REP.value, "Ron Rep")
    for outsider in (rival, other_rep):
        identity = outsider.identity
        attempts = [
            (service.get, {}),
            (service.get_own, {}),
            (service.cancel, {}),
            (service.retry, {"data_dir": jobs.data_dir}),
            (service.rerun, {"model_id": "local", "focus": "general"}),
            (service.swap_speakers, {}),
            (service.delete, {"data_dir": jobs.data_dir}),
            (service.audio_file, {"data_dir": jobs.data_dir}),
        ]
        for function, extra in attempts:
            with pytest.raises(PermissionDenied):
                accounts.call(function, identity=identity, analysis_id=analysis.id, **extra)
    untouched = jobs.row(analysis.id)
    assert (untouched.status, untouched.cancel_requested) == ("queued", False)


async def test_a_manager_sees_a_reps_analysis_but_only_the_rep_or_an_admin_changes_it(
    jobs: Jobs, accounts: Accounts, team: Staff
) -> None:
    analysis = jobs.mock(team.rep)
    seen = accounts.call(service.get, identity=team.manager.identity, analysis_id=analysis.id)
    assert seen.id == analysis.id
    for function, extra in (
        (service.cancel, {}),
        (service.swap_speakers, {}),
        (service.delete, {"data_dir": jobs.data_dir}),
    ):
        with pytest.raises(PermissionDenied):
            accounts.call(
                function, identity=team.manager.identity, analysis_id=analysis.id, **extra
            )
    done = await jobs.run(analysis.id)
    assert done.status == Status.DONE.value
    with pytest.raises(PermissionDenied):
        accounts.call(
            service.rerun,
            identity=team.manager.identity,
            analysis_id=analysis.id,
            model_id="local",
            focus="closing",
        )
    accounts.call(
        service.delete,
        identity=team.admin.identity,
        analysis_id=analysis.id,
        data_dir=jobs.data_dir,
    )
    assert not jobs.exists(analysis.id)


# --- leases: one worker at a time, and a dead worker's job resumed --------------------------


def test_a_job_is_claimed_by_one_worker_only(jobs: Jobs, team: Staff) -> None:
    analysis = jobs.mock(team.rep)
    with Session(jobs.accounts.engine) as db_session:
        assert service.claim(db_session=db_session, analysis_id=analysis.id)
        assert not service.claim(db_session=db_session, analysis_id=analysis.id)
    claimed = jobs.row(analysis.id)
    assert (claimed.status, claimed.attempts) == ("running", 1)
    assert as_utc(claimed.lease_until) > utcnow() + timedelta(seconds=60)

    contested = jobs.mock(team.rep)
    start = threading.Barrier(4)
    wins: list[bool] = []

    def worker() -> None:
        with Session(jobs.accounts.engine) as db_session:
            start.wait()
            wins.append(service.claim(db_session=db_session, analysis_id=contested.id))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(wins) == [False, False, False, True]
    assert jobs.row(contested.id).attempts == 1


async def test_a_job_whose_worker_died_is_resumed_when_its_lease_runs_out(
    jobs: Jobs, team: Staff
) -> None:
    analysis = jobs.mock(team.rep)
    with Session(jobs.accounts.engine) as db_session:
        assert service.unfinished(db_session=db_session) == [analysis.id]
        assert service.claim(db_session=db_session, analysis_id=analysis.id)
        # The worker holding the lease is alive: nobody else may take the job.
        assert service.unfinished(db_session=db_session) == []
    assert (await jobs.run(analysis.id)).status == Status.RUNNING.value

    # The backend restarts: the job is still "running", its lease is in the past.
    jobs.accounts.set(
        CallAnalysis,
        {"lease_until": utcnow() - timedelta(seconds=1)},
        CallAnalysis.id == analysis.id,
    )
    with Session(jobs.accounts.engine) as db_session:
        assert service.unfinished(db_session=db_session) == [analysis.id]
    resumed = await jobs.run(analysis.id)
    assert resumed.status == Status.DONE.value, resumed.error
    assert resumed.attempts == 2
    assert_analysis_document(service.document_of(resumed))
    with Session(jobs.accounts.engine) as db_session:
        assert service.unfinished(db_session=db_session) == []
    # A message delivered twice finds the job done and changes nothing.
    again = await jobs.run(analysis.id)
    assert (again.status, again.attempts, again.result_json) == (
        "done",
        2,
        resumed.result_json,
    )


async def test_a_job_that_keeps_killing_its_worker_is_failed_not_retried_forever(
    jobs: Jobs, team: Staff
) -> None:
    analysis = jobs.mock(team.rep)
    jobs.accounts.set(
        CallAnalysis,
        {
            "status": Status.RUNNING.value,
            "attempts": service.MAX_ATTEMPTS,
            "lease_until": utcnow() - timedelta(seconds=1),
        },
        CallAnalysis.id == analysis.id,
    )
    failed = await jobs.run(analysis.id)
    assert failed.status == Status.FAILED.value
    assert "several attempts" in failed.error
    retried = jobs.accounts.call(
        service.retry,
        identity=team.rep.identity,
        analysis_id=analysis.id,
        data_dir=jobs.data_dir,
    )
    assert (retried.status, retried.attempts) == (Status.QUEUED.value, 0)
    assert (await jobs.run(analysis.id)).status == Status.DONE.value


async def test_a_job_cancelled_while_its_worker_was_dead_ends_cancelled_without_its_audio(
    jobs: Jobs, team: Staff
) -> None:
    analysis = jobs.upload(team.rep, b"a recording the dead worker never decoded")
    recording = jobs.stored(analysis)
    with Session(jobs.accounts.engine) as db_session:
        assert service.claim(db_session=db_session, analysis_id=analysis.id)
    # The worker dies; the user, still seeing "running", presses Cancel.
    jobs.accounts.call(service.cancel, identity=team.rep.identity, analysis_id=analysis.id)
    jobs.accounts.set(
        CallAnalysis,
        {"lease_until": utcnow() - timedelta(seconds=1)},
        CallAnalysis.id == analysis.id,
    )
    # What the resume loop (jobs.resume_forever) does after the restart.
    with Session(jobs.accounts.engine) as db_session:
        for analysis_id in service.unfinished(db_session=db_session):
            await jobs.run(analysis_id)
    ended = jobs.row(analysis.id)
    assert ended.status == Status.CANCELLED.value
    assert not recording.exists()
    with Session(jobs.accounts.engine) as db_session:
        assert service.unfinished(db_session=db_session) == []


# --- cancelling -----------------------------------------------------------------------------


async def test_a_queued_job_cancelled_stops_at_once_and_can_be_retried(
    jobs: Jobs, team: Staff
) -> None:
    analysis = jobs.mock(team.rep)
    cancelled = jobs.accounts.call(
        service.cancel, identity=team.rep.identity, analysis_id=analysis.id
    )
    assert (cancelled.status, cancelled.cancel_requested) == ("cancelled", True)
    assert cancelled.finished_at is not None
    after = await jobs.run(analysis.id)
    assert (after.status, after.attempts, after.result_json) == ("cancelled", 0, "")
    with pytest.raises(AccountError, match="not running"):
        jobs.accounts.call(service.cancel, identity=team.rep.identity, analysis_id=analysis.id)
    with Session(jobs.accounts.engine) as db_session:
        assert service.unfinished(db_session=db_session) == []

    retried = jobs.accounts.call(
        service.retry, identity=team.rep.identity, analysis_id=analysis.id, data_dir=jobs.data_dir
    )
    assert (retried.status, retried.stage, retried.cancel_requested) == (
        "queued",
        "analysing",
        False,
    )
    assert (await jobs.run(analysis.id)).status == Status.DONE.value
    with pytest.raises(AccountError, match="failed or cancelled"):
        jobs.accounts.call(
            service.retry,
            identity=team.rep.identity,
            analysis_id=analysis.id,
            data_dir=jobs.data_dir,
        )


def test_progress_is_written_and_a_cancel_request_stops_the_next_report(
    jobs: Jobs, team: Staff
) -> None:
    analysis = jobs.upload(team.rep, b"not decoded in this test")
    with Session(jobs.accounts.engine) as db_session:
        assert service.claim(db_session=db_session, analysis_id=analysis.id)
    jobs.accounts.set(
        CallAnalysis,
        {"lease_until": utcnow() + timedelta(seconds=5)},
        CallAnalysis.id == analysis.id,
    )
    progress = service.ProgressWriter(jobs.accounts.session, analysis.id or 0)
    progress(Stage.TRANSCRIBING.value, 0.5)
    row = jobs.row(analysis.id)
    assert (row.stage, row.progress) == ("transcribing", pytest.approx(0.4))
    assert as_utc(row.lease_until) > utcnow() + timedelta(seconds=60)  # renewed

    jobs.accounts.call(service.cancel, identity=team.rep.identity, analysis_id=analysis.id)
    running = jobs.row(analysis.id)
    assert (running.status, running.cancel_requested) == ("running", True)
    with pytest.raises(service.JobCancelled):
        progress(Stage.SPEAKERS.value, 0.0)


@pytest.mark.parametrize("keep", [False, True], ids=["discarded", "kept"])
async def test_a_running_job_cancelled_stops_at_its_next_progress_report(
    jobs: Jobs, team: Staff, two_voice_call: RenderedCall, keep: bool
) -> None:
    analysis = jobs.upload(team.rep, two_voice_call.wav, keep_audio=keep, consent_confirmed=keep)
    recording = jobs.stored(analysis)
    job = asyncio.create_task(jobs.run(analysis.id))
    while jobs.row(analysis.id).status != Status.RUNNING.value:
        assert not job.done(), "the job finished before it could be cancelled"
        await asyncio.sleep(0.02)
    jobs.accounts.call(service.cancel, identity=team.rep.identity, analysis_id=analysis.id)
    cancelled = await job
    assert cancelled.status == Status.CANCELLED.value
    assert (cancelled.result_json, cancelled.error, cancelled.lease_until) == ("", "", None)
    assert cancelled.progress < 1.0
    assert recording.exists() is keep
    assert bool(cancelled.audio_path) is keep
    assert (cancelled.audio_deleted_at is None) is keep


# --- recordings through the local engine ----------------------------------------------------


async def test_an_uploaded_call_is_analysed_and_its_recording_discarded(
    jobs: Jobs, team: Staff, two_voice_call: RenderedCall
) -> None:
    analysis = jobs.upload(team.rep, two_voice_call.wav, title="Call with Dana")
    recording = jobs.stored(analysis)
    assert recording.read_bytes() == two_voice_call.wav
    assert recording.stat().st_mode & 0o777 == 0o600
    assert (analysis.status, analysis.stage, analysis.retain_until) == ("queued", "decoding", None)

    done = await jobs.run(analysis.id)
    assert done.status == Status.DONE.value, done.error
    document = service.document_of(done)
    assert_analysis_document(document)
    assert document["metrics"]["durationSec"] <= two_voice_call.duration_s + 1
    assert done.audio_seconds == pytest.approx(two_voice_call.duration_s, abs=0.1)
    assert document["talkRatio"]["rep"] == pytest.approx(rep_share(two_voice_call.truth), abs=15)
    assert done.speech_model_id == "local-whisper"
    assert done.rep_label in {"S1", "S2"}
    assert done.segments_json
    # Processed and not kept: the recording is gone and the row says when.
    assert not recording.exists()
    assert jobs.files() == []
    assert done.audio_path == ""
    assert done.audio_deleted_at is not None
    assert (
        jobs.accounts.call(
            service.audio_file,
            identity=team.rep.identity,
            analysis_id=analysis.id,
            data_dir=jobs.data_dir,
        )
        is None
    )

    # Judged again with another focus from the stored transcript: no audio needed.
    requeued = jobs.accounts.call(
        service.rerun,
        identity=team.rep.identity,
        analysis_id=analysis.id,
        model_id="local",
        focus="discovery",
    )
    assert (requeued.status, requeued.stage, requeued.result_json) == (
        "queued",
        "analysing",
        done.result_json,
    )
    assert requeued.progress == pytest.approx(service.STAGE_SPANS["analysing"][0])
    again = await jobs.run(analysis.id)
    assert (again.status, again.focus, again.segments_json) == (
        "done",
        "discovery",
        done.segments_json,
    )
    assert service.document_of(again)["transcript"] == document["transcript"]


async def test_a_kept_recording_needs_consent_and_stays_until_deleted(
    jobs: Jobs, team: Staff, rival: Member, dual_channel_call: RenderedCall
) -> None:
    with pytest.raises(AccountError, match="agreed to be recorded"):
        jobs.upload(team.rep, dual_channel_call.wav, keep_audio=True)
    assert jobs.accounts.rows(CallAnalysis) == []
    assert jobs.files() == []

    analysis = jobs.upload(
        team.rep, dual_channel_call.wav, keep_audio=True, consent_confirmed=True, retention_days=7
    )
    assert as_utc(analysis.retain_until) == pytest.approx(
        utcnow() + timedelta(days=7), abs=timedelta(minutes=1)
    )
    done = await jobs.run(analysis.id)
    assert done.status == Status.DONE.value, done.error
    assert_analysis_document(service.document_of(done))
    assert done.rep_label == "left"  # the rep is on the left channel
    recording = jobs.stored(done)
    assert recording.read_bytes() == dual_channel_call.wav
    assert done.audio_deleted_at is None
    for viewer in (team.rep, team.manager, team.admin):
        served = jobs.accounts.call(
            service.audio_file,
            identity=viewer.identity,
            analysis_id=analysis.id,
            data_dir=jobs.data_dir,
        )
        assert served == recording
    with pytest.raises(PermissionDenied):
        jobs.accounts.call(
            service.audio_file,
            identity=rival.identity,
            analysis_id=analysis.id,
            data_dir=jobs.data_dir,
        )

    jobs.accounts.call(
        service.delete, identity=team.rep.identity, analysis_id=analysis.id, data_dir=jobs.data_dir
    )
    assert not jobs.exists(analysis.id)
    assert not recording.exists()
    assert jobs.files() == []


async def test_swapping_speakers_flips_the_talk_ratio_without_transcribing_again(
    jobs: Jobs, team: Staff
) -> None:
    analysis = jobs.mock(team.rep)
    with pytest.raises(AccountError, match="once the analysis is finished"):
        jobs.accounts.call(
            service.swap_speakers, identity=team.rep.identity, analysis_id=analysis.id
        )
    before = await jobs.run(analysis.id)
    swapped = jobs.accounts.call(
        service.swap_speakers, identity=team.rep.identity, analysis_id=analysis.id
    )
    assert (swapped.status, swapped.stage, swapped.rep_hint) == ("queued", "analysing", "Prospect")
    after = await jobs.run(analysis.id)
    assert (after.status, after.rep_label) == ("done", "Prospect")
    old, new = service.document_of(before), service.document_of(after)
    assert new["talkRatio"] == {
        "rep": old["talkRatio"]["prospect"],
        "prospect": old["talkRatio"]["rep"],
    }
    assert [line["speaker"] for line in new["transcript"]] == [
        {"rep": "prospect", "prospect": "rep"}[line["speaker"]] for line in old["transcript"]
    ]
    assert after.segments_json == before.segments_json
    # And back again.
    jobs.accounts.call(service.swap_speakers, identity=team.rep.identity, analysis_id=analysis.id)
    back = await jobs.run(analysis.id)
    assert service.document_of(back)["talkRatio"] == old["talkRatio"]


async def test_rerun_judges_a_finished_call_again_from_the_analysing_stage(
    jobs: Jobs, team: Staff
) -> None:
    analysis = jobs.mock(team.rep)

    def rerun(focus: str) -> CallAnalysis:
        return jobs.accounts.call(
            service.rerun,
            identity=team.rep.identity,
            analysis_id=analysis.id,
            model_id="local",
            focus=focus,
        )

    with pytest.raises(AccountError, match="still running"):
        rerun("closing")
    before = await jobs.run(analysis.id)
    with pytest.raises(AccountError, match="Unknown training focus"):
        rerun("gossip")
    requeued = rerun("closing")
    assert (requeued.status, requeued.stage, requeued.focus) == ("queued", "analysing", "closing")
    after = await jobs.run(analysis.id)
    # Attempts count again from each re-run.
    assert (after.status, after.focus, after.attempts) == ("done", "closing", 1)
    old, new = service.document_of(before), service.document_of(after)
    assert new["metrics"] == old["metrics"]
    assert new["transcript"] == old["transcript"]


async def test_two_finished_calls_are_compared_side_by_side(jobs: Jobs, team: Staff) -> None:
    first = await jobs.run(jobs.mock(team.rep, FIRST_MOCK).id)
    second = jobs.mock(team.rep, "closing-atlas")
    with pytest.raises(AccountError, match="Both calls must be analysed"):
        service.comparison(first, second)
    second = await jobs.run(second.id)
    rows = service.comparison(first, second)
    assert len(rows) == len(service.COMPARED)
    assert rows[0]["label"] == "Overall score"
    assert rows[0]["left"] == str(first.overall_score)
    assert rows[0]["right"] == str(second.overall_score)
    assert all(row["delta"] == "same" for row in service.comparison(first, first))


# --- recordings that cannot be analysed -----------------------------------------------------


async def test_a_silent_recording_fails_with_the_no_speech_message_and_can_be_retried(
    jobs: Jobs, team: Staff
) -> None:
    analysis = jobs.upload(team.rep, wav_of(silence(5, 16_000)))
    failed = await jobs.run(analysis.id)
    assert (failed.status, failed.error, failed.error_kind) == ("failed", NO_SPEECH, "input")
    assert failed.result_json == ""
    # A failed job keeps its file for a while, so a retry needs no new upload.
    assert jobs.stored(failed).exists()
    retried = jobs.accounts.call(
        service.retry, identity=team.rep.identity, analysis_id=analysis.id, data_dir=jobs.data_dir
    )
    assert (retried.status, retried.stage, retried.error, retried.error_kind) == (
        "queued",
        "decoding",
        "",
        "",
    )
    again = await jobs.run(analysis.id)
    assert (again.status, again.error, again.attempts) == ("failed", NO_SPEECH, 1)


async def test_one_voice_fails_with_the_one_voice_message(jobs: Jobs, team: Staff) -> None:
    analysis = jobs.upload(team.rep, one_voice_call(20).wav)
    failed = await jobs.run(analysis.id)
    assert (failed.status, failed.error, failed.error_kind) == ("failed", ONE_VOICE, "input")


def truncated_mp3() -> bytes:
    mp3 = encode(
        espeak_pcm("thanks for the time today, how does your team onboard new reps"),
        16_000,
        container="mp3",
        codec="mp3",
    )
    return mp3[: len(mp3) // 3]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: bytes(range(256)) * 200, "could not be read as audio"),
        (lambda: b"", "The file is empty"),
        (truncated_mp3, "looks cut off"),
        (lambda: video_mp4(with_audio=False), "This file is a video"),
    ],
    ids=["random-bytes", "empty", "truncated-mp3", "silent-video"],
)
async def test_an_unreadable_file_fails_with_a_clear_message(
    jobs: Jobs, team: Staff, make: Any, message: str
) -> None:
    failed = await jobs.run(jobs.upload(team.rep, make()).id)
    assert failed.status == Status.FAILED.value
    assert message in failed.error
    assert failed.error != service.SOMETHING_WENT_WRONG
    assert failed.error_kind in {"input", "video"}


async def test_a_recording_over_the_length_cap_fails_before_transcription(
    jobs: Jobs, team: Staff, two_voice_call: RenderedCall
) -> None:
    analysis = jobs.upload(team.rep, two_voice_call.wav)
    await service.run(
        analysis_id=analysis.id or 0, gateway=jobs.gateway, data_dir=jobs.data_dir, max_seconds=10
    )
    failed = jobs.row(analysis.id)
    assert (failed.status, failed.stage, failed.error_kind) == ("failed", "decoding", "input")
    assert failed.error == "This recording is longer than the 10 s we accept."


async def test_a_video_is_refused_until_the_user_asks_for_its_audio_track(
    jobs: Jobs, team: Staff
) -> None:
    analysis = jobs.upload(team.rep, video_mp4(with_audio=True))
    refused = await jobs.run(analysis.id)
    assert (refused.status, refused.error_kind) == ("failed", "video")
    assert "This file is a video" in refused.error
    retried = jobs.accounts.call(
        service.retry,
        identity=team.rep.identity,
        analysis_id=analysis.id,
        data_dir=jobs.data_dir,
        extract_audio=True,
    )
    assert (retried.status, retried.error_kind) == ("queued", "extract_audio")
    # Past the refusal, the video's one-second tone is judged as audio: no conversation in it.
    heard = await jobs.run(analysis.id)
    assert (heard.status, heard.error_kind) == ("failed", "input")
    assert heard.error in {NO_SPEECH, ONE_VOICE}


# --- deleting recordings ----------------------------------------------------------------------


def test_deleting_an_analysis_deletes_its_row_and_recording(jobs: Jobs, team: Staff) -> None:
    analysis = jobs.upload(team.rep, b"a kept recording", keep_audio=True, consent_confirmed=True)
    recording = jobs.stored(analysis)
    assert recording.exists()
    jobs.accounts.call(
        service.delete, identity=team.rep.identity, analysis_id=analysis.id, data_dir=jobs.data_dir
    )
    assert not jobs.exists(analysis.id)
    assert not recording.exists()
    with pytest.raises(PermissionDenied):
        jobs.accounts.call(service.get, identity=team.rep.identity, analysis_id=analysis.id)


def test_the_sweep_deletes_kept_recordings_past_retention_and_failed_jobs_audio_after_a_day(
    jobs: Jobs, team: Staff
) -> None:
    now = utcnow()
    cases = {
        # title: (status, kept, retain until, last update, swept)
        "kept, retention over": ("done", True, now - timedelta(hours=1), now, True),
        "kept, retention running": (
            "done",
            True,
            now + timedelta(days=3),
            now - timedelta(days=40),
            False,
        ),
        "failed two days ago": ("failed", False, None, now - timedelta(hours=25), True),
        "failed an hour ago": ("failed", False, None, now - timedelta(hours=1), False),
        "queued two days ago": ("queued", False, None, now - timedelta(days=2), False),
        "running, retention over": ("running", True, now - timedelta(days=1), now, False),
    }
    made: dict[str, tuple[CallAnalysis, Path]] = {}
    for title, (status, kept, retain_until, updated_at, _) in cases.items():
        analysis = jobs.upload(
            team.rep, title.encode(), title=title, keep_audio=kept, consent_confirmed=kept
        )
        jobs.accounts.set(
            CallAnalysis,
            {"status": status, "retain_until": retain_until, "updated_at": updated_at},
            CallAnalysis.id == analysis.id,
        )
        made[title] = (analysis, jobs.stored(analysis))

    with Session(jobs.accounts.engine) as db_session:
        assert service.sweep_recordings(db_session=db_session, data_dir=jobs.data_dir, now=now) == 2
    for title, (analysis, recording) in made.items():
        swept = cases[title][4]
        row = jobs.row(analysis.id)
        assert recording.exists() is not swept, title
        assert (row.audio_path == "") is swept, title
        assert (row.audio_deleted_at is not None) is swept, title
        assert row.status == cases[title][0], title
    with Session(jobs.accounts.engine) as db_session:
        assert service.sweep_recordings(db_session=db_session, data_dir=jobs.data_dir, now=now) == 0
