"""`POST /api/ai/text-practice`: text role-play over the API, authenticated by a personal token.

`{"action": "start", "persona", "scenario", "focus", "difficulty", "model"}` answers JSON with the
session and the buyer's opening line; `{"action": "message", "sessionId", "message"}` streams the
buyer's reply as server-sent events; `{"action": "end", "sessionId"}` queues the scorecard and
answers its analysis id (read it with the call-analysis routes or open `/analyze/<id>`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from quotahit import wiring
from quotahit.accounts.identity import AccountError, Identity
from quotahit.ai.service import Notice
from quotahit.ai.sse import closing_stream, event_stream
from quotahit.analysis import jobs
from quotahit.apitokens.http import (
    NO_STORE,
    BodyError,
    authenticate_request,
    error_response,
    json_object,
)
from quotahit.db import row_id, session_scope
from quotahit.practice import service
from quotahit.practice.service import BuyerDone
from quotahit.providers.text import TextDelta

MAX_BODY_BYTES = 20_000


def _session_id(body: dict[str, Any]) -> int:
    session_id = row_id(body.get("sessionId", body.get("session_id")))
    if session_id is None:
        raise AccountError("sessionId is the whole number the start action answered.")
    return session_id


def _start(identity: Identity, body: dict[str, Any]) -> dict[str, Any]:
    with session_scope() as db_session:
        session = service.start(
            db_session=db_session,
            identity=identity,
            persona_key=str(body.get("persona") or "sarah_mitchell"),
            scenario=str(body.get("scenario") or "discovery"),
            focus=str(body.get("focus") or "general_training"),
            difficulty=str(body.get("difficulty") or "medium"),
            model_id=str(body.get("model") or "local"),
        )
        turns = service.transcript_of(session)
        return {
            "sessionId": session.id,
            "persona": session.persona_name,
            "opening": turns[0]["text"] if turns else "",
        }


def _end(identity: Identity, session_id: int) -> dict[str, Any]:
    with session_scope() as db_session:
        session = service.end(db_session=db_session, identity=identity, session_id=session_id)
        return {
            "sessionId": session.id,
            "status": session.status,
            "analysisId": session.analysis_id,
        }


async def text_practice_endpoint(request: Request) -> Response:
    """Start, talk in, or end a text role-play."""
    identity = await asyncio.to_thread(authenticate_request, request)
    if identity is None:
        return error_response(401, "Send a valid personal API token: Authorization: Bearer qh_...")
    try:
        body = await json_object(request, MAX_BODY_BYTES)
    except BodyError as error:
        return error_response(400, str(error))
    action = str(body.get("action") or ("message" if body.get("message") else "start"))
    try:
        if action == "start":
            return JSONResponse(await asyncio.to_thread(_start, identity, body), headers=NO_STORE)
        if action == "end":
            ended = await asyncio.to_thread(_end, identity, _session_id(body))
            if ended["analysisId"]:
                await jobs.dispatch(ended["analysisId"])
            return JSONResponse(ended, headers=NO_STORE)
        if action != "message":
            raise AccountError("action is start, message or end.")
        session_id = _session_id(body)
        message = str(body.get("message") or "")
        stream = service.stream_buyer_reply(
            gateway=wiring.gateway(),
            identity=identity,
            session_id=session_id,
            rep_message=message,
        )
        # The first step (storing the rep's turn) raises refusals before anything streams.
        first = await anext(stream)
    except AccountError as refused:
        return error_response(400, str(refused))
    except StopAsyncIteration:
        return error_response(500, "The buyer did not answer.")

    async def events() -> AsyncIterator[tuple[str, dict[str, Any]]]:
        event: Any = first
        async with closing_stream(stream):
            while True:
                if isinstance(event, TextDelta):
                    yield "delta", {"text": event.text}
                elif isinstance(event, Notice):
                    yield "notice", {"text": event.text}
                elif isinstance(event, BuyerDone):
                    payload = {
                        "text": event.text,
                        "model": event.model_id,
                        "keySource": event.key_source,
                        "buyerEnded": event.buyer_ended,
                        "stage": event.stage,
                    }
                    if event.error:
                        failed = {"error": event.error, "partial": event.text, "retryable": True}
                        yield "error", payload | failed
                    else:
                        yield "done", payload
                try:
                    event = await anext(stream)
                except StopAsyncIteration:
                    return

    return event_stream(events())
