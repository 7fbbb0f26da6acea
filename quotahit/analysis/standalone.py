"""Analysing a file outside the web app (the `quotahit analyze` command).

The gateway still needs a database for key resolution and metering; a throwaway SQLite file with
one organisation and one user serves it, so the command works without the app's database and
leaves it untouched. Only platform keys from the environment (and the local engine) are used.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, SQLModel

from quotahit import tables, wiring
from quotahit.accounts.identity import Identity
from quotahit.accounts.models import Membership, Organization, Role, User
from quotahit.ai.service import Gateway
from quotahit.analysis import service
from quotahit.analysis.service import Analysed
from quotahit.analysis.transcription import AnalysisError, HeardCall, hear_call
from quotahit.db import make_engine


@dataclass(frozen=True)
class FileAnalysis:
    """A file analysed: what was heard and the analysis."""

    heard: HeardCall
    analysed: Analysed


@contextmanager
def _scratch_gateway() -> Iterator[tuple[Gateway, Identity]]:
    with tempfile.TemporaryDirectory(prefix="quotahit-analyze-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'scratch.db'}")
        SQLModel.metadata.create_all(engine, tables=list(tables.metadata.tables.values()))

        @contextmanager
        def sessions() -> Iterator[Session]:
            with Session(engine) as db_session:
                yield db_session

        with sessions() as db_session:
            organization = Organization(name="Command line")
            user = User(email="cli@quotahit.local", name="Command line", password_hash="!")  # noqa: S106 - no login
            db_session.add_all([organization, user])
            db_session.flush()
            assert organization.id is not None
            assert user.id is not None
            db_session.add(
                Membership(organization_id=organization.id, user_id=user.id, role=Role.REP.value)
            )
            db_session.commit()
            identity = Identity(user.id, organization.id, Role.REP.value, False, 0)
        gateway = Gateway(
            sessions=sessions,
            keyring=wiring.keyring(),
            platform_keys=wiring.platform_keys(),
            base_urls=wiring.provider_base_urls(),
        )
        try:
            yield gateway, identity
        finally:
            engine.dispose()


def _check_file(path: Path, max_bytes: int | None) -> None:
    if not path.is_file():
        raise AnalysisError(f"No such file: {path}")
    if max_bytes is not None and path.stat().st_size > max_bytes:
        raise AnalysisError(f"This file is larger than the {max_bytes / 1e6:g} MB we accept.")


async def analyze_file(
    path: Path,
    *,
    model_id: str = "local",
    speech_model_id: str = "local-whisper",
    rep_hint: str = "auto",
    focus: str = "general",
    max_bytes: int | None = None,
    max_seconds: float | None = None,
    progress: Callable[[str, float], None] = lambda stage, fraction: None,
) -> FileAnalysis:
    """Analyse one recording end to end.

    Raises:
        AnalysisError: the file is missing, too large, or not a usable recording of a call.
        AccountError: an option is not one the analyzer offers.
    """
    service.check_options(
        focus=focus, model_id=model_id, speech_model_id=speech_model_id, rep_hint=rep_hint
    )
    _check_file(path, max_bytes)
    with _scratch_gateway() as (gateway, identity):
        heard = await hear_call(
            gateway=gateway,
            identity=identity,
            path=path,
            speech_model_id=speech_model_id,
            max_seconds=max_seconds,
            progress=progress,
        )
        progress("analysing", 0.0)
        analysed = await service.analyse_segments(
            gateway=gateway,
            identity=identity,
            segments=heard.segments,
            rep_hint=rep_hint,
            focus=focus,
            model_id=model_id,
        )
    return FileAnalysis(heard, analysed)
