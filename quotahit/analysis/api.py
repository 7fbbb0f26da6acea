"""`POST /api/ai/analyze-call` and `GET /api/analyses/{id}/audio`.

The analyze route takes the recording as the raw request body (`Content-Type: audio/...` or
`application/octet-stream`, options in the query string) or as a multipart form with a `file`
part (options as form fields), streams it into private storage under the size cap, runs the
same job the page runs (it appears in the caller's history) and answers the analysis JSON.
A JSON body `{"mock": "<slug>"}` analyses one of the mock training calls instead.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response

from quotahit import wiring
from quotahit.accounts.identity import AccountError, Identity
from quotahit.analysis import audio_links, service, storage
from quotahit.analysis.models import ACTIVE, Status
from quotahit.analysis.storage import UploadTooLarge
from quotahit.apitokens import service as tokens
from quotahit.apitokens.http import NO_STORE, bearer_token
from quotahit.apitokens.http import error_response as _error
from quotahit.db import session_scope
from quotahit.settings import get_settings

COPY_CHUNK = 1024 * 1024
JSON_MAX_BYTES = 64 * 1024


def _authenticate(request: Request) -> Identity | None:
    raw = bearer_token(request)
    if raw is None:
        return None
    with session_scope() as db_session:
        return tokens.authenticate(db_session=db_session, raw=raw)


async def _receive_raw(request: Request, sink: storage.RecordingSink) -> None:
    async for chunk in request.stream():
        if chunk:
            sink.write(chunk)


async def _receive_form(
    request: Request, sink: storage.RecordingSink
) -> tuple[dict[str, str], str]:
    """The form's text fields and the uploaded file's name; the file goes into `sink`."""
    async with request.form(max_files=1, max_fields=20) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise AccountError("Send the recording in a form field named “file”.")
        while chunk := await upload.read(COPY_CHUNK):
            sink.write(chunk)
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        return fields, upload.filename or "call"


async def _small_body(request: Request) -> bytes:
    """A JSON request's body, refused past JSON_MAX_BYTES however it is sent."""
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > JSON_MAX_BYTES:
            raise AccountError("A JSON request carries options only: send the recording itself.")
    return bytes(received)


def _options(values: dict[str, str]) -> dict[str, str]:
    return {
        "model_id": values.get("model", "local"),
        "speech_model_id": values.get("speechModel", values.get("speech_model", "local-whisper")),
        "rep_hint": values.get("repSpeaker", values.get("rep_speaker", "auto")),
        "focus": values.get("focus", "general"),
    }


async def analyze_call_endpoint(request: Request) -> Response:
    """Analyse an uploaded call (or a mock) and answer the analysis JSON."""
    identity = await asyncio.to_thread(_authenticate, request)
    if identity is None:
        return _error(401, "Send a valid personal API token: Authorization: Bearer qh_...")
    settings = get_settings()
    max_bytes = settings.analysis_max_megabytes * 1_000_000
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    content_type_text = content_type.decode("latin-1").lower()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + 64 * 1024:
        return _error(413, f"This file is larger than the {max_bytes / 1e6:g} MB we accept.")
    try:
        if content_type_text == "application/json":
            body = json.loads(await _small_body(request) or b"{}")
            if not isinstance(body, dict) or not isinstance(body.get("mock"), str):
                return _error(400, 'Send a recording, or JSON {"mock": "<slug>"}.')
            options = _options({k: str(v) for k, v in body.items()})

            def create_mock() -> int:
                with session_scope() as db_session:
                    analysis = service.create_mock(
                        db_session=db_session,
                        identity=identity,
                        slug=body["mock"],
                        model_id=options["model_id"],
                    )
                    return analysis.id or 0

            analysis_id = await asyncio.to_thread(create_mock)
        else:
            analysis_id = await _receive_upload(
                request, identity, content_type_text, max_bytes, settings.data_dir
            )
    except UploadTooLarge as error:
        return _error(413, str(error))
    except AccountError as error:
        return _error(400, str(error))
    except (ValueError, ClientDisconnect):
        return _error(400, "The request body could not be read.")

    await service.run(
        analysis_id=analysis_id,
        gateway=wiring.gateway(),
        data_dir=settings.data_dir,
        max_seconds=settings.analysis_max_minutes * 60,
    )

    def outcome() -> tuple[str, str, dict[str, Any]]:
        with session_scope() as db_session:
            analysis = service.get(
                db_session=db_session, identity=identity, analysis_id=analysis_id
            )
            return analysis.status, analysis.error, service.document_of(analysis)

    status, error, document = await asyncio.to_thread(outcome)
    while status in ACTIVE:  # the resume loop may have taken the job first: wait for it
        await asyncio.sleep(1.0)
        status, error, document = await asyncio.to_thread(outcome)
    if status != Status.DONE.value:
        return _error(422, error or "The call could not be analysed.", analysisId=analysis_id)
    return JSONResponse(document, headers={**NO_STORE, "X-Analysis-Id": str(analysis_id)})


async def _receive_upload(
    request: Request, identity: Identity, content_type: str, max_bytes: int, data_dir: Path
) -> int:
    sink = storage.RecordingSink(data_dir, identity.organization_id, max_bytes)
    try:
        if content_type == "multipart/form-data":
            if not request.headers.get("content-length", "").isdigit():
                raise AccountError("Send a Content-Length with a multipart upload.")
            fields, filename = await _receive_form(request, sink)
        else:
            await _receive_raw(request, sink)
            fields = dict(request.query_params)
            filename = fields.get("title", "API upload")
        relative = sink.close()
        if sink.size == 0:
            raise AccountError("The file is empty: send the recording in the request body.")
    except BaseException:
        sink.discard()
        raise
    options = _options(fields)

    def create() -> int:
        with session_scope() as db_session:
            analysis = service.create(
                db_session=db_session,
                identity=identity,
                title=fields.get("title", filename),
                source="api",
                audio_path=relative,
                audio_bytes=sink.size,
                **options,
            )
            return analysis.id or 0

    try:
        return await asyncio.to_thread(create)
    except AccountError:
        storage.delete(data_dir, relative)
        raise


async def audio_endpoint(request: Request) -> Response:
    """A kept recording for the results page's player, through a signed link (`audio_links`)."""
    settings = get_settings()
    grant = audio_links.read(settings.secret_key, request.query_params.get("t", ""))
    if grant is None or grant.analysis_id != request.path_params.get("analysis_id"):
        return _error(403, "This audio link is not valid or has expired: reload the page.")

    def locate() -> Path | None:
        with session_scope() as db_session:
            # The viewer as the database knows them now: a link outlives no deactivation.
            identity = service.member_identity(
                db_session=db_session,
                user_id=grant.user_id,
                organization_id=grant.organization_id,
            )
            if identity is None:
                return None
            try:
                return service.audio_file(
                    db_session=db_session,
                    identity=identity,
                    analysis_id=grant.analysis_id,
                    data_dir=settings.data_dir,
                )
            except AccountError:
                return None

    path = await asyncio.to_thread(locate)
    if path is None:
        return _error(404, "This recording is not stored.")
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={**NO_STORE, "X-Content-Type-Options": "nosniff"},
    )
