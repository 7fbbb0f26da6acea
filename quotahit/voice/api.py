"""The voice routes: the call websocket and `POST /api/ai/realtime-token`.

    /api/voice/ws?ticket=...        a practice call (protocol: `quotahit.voice.protocol`)
    POST /api/ai/realtime-token     an OpenAI Realtime client secret (60 s) for a persona,
                                    for clients that talk to OpenAI directly; personal API token

Every connection is checked before anything is heard: the Origin must be the app's own, the
ticket signed, fresh and unused, its login session still live, and the practice session the
caller's own and still going. One user has one live call: opening another ends the first
("replaced"). A call whose socket drops waits `voice_resume_seconds` for the browser to come
back with its resume ticket, then ends and is scored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from quotahit import wiring
from quotahit.accounts import sessions
from quotahit.accounts.identity import AccountError, Identity
from quotahit.analysis import jobs
from quotahit.apitokens.http import (
    NO_STORE,
    BodyError,
    authenticate_request,
    error_response,
    json_object,
)
from quotahit.db import session_scope
from quotahit.practice import library
from quotahit.practice import service as practice_service
from quotahit.practice.models import PracticeSession
from quotahit.practice.service import check_choice
from quotahit.providers.realtime_token import mint_client_secret
from quotahit.providers.speech_to_text import SpeechProviderError
from quotahit.settings import get_settings
from quotahit.voice import service
from quotahit.voice.call import CallHooks, CallRunner
from quotahit.voice.coaching import LiveCoach
from quotahit.voice.engine import CallSetup, VoiceSession
from quotahit.voice.local_engine import LocalVoiceSession
from quotahit.voice.protocol import CLOSE_BAD_ORIGIN, CLOSE_BAD_TICKET
from quotahit.voice.realtime_bridge import RealtimeVoiceSession
from quotahit.voice.realtime_session import session_config
from quotahit.voice.recorder import CallRecorder
from quotahit.voice.tickets import TicketBook, TicketError
from quotahit.voice.transcript import CallTranscript

logger = logging.getLogger(__name__)

PUSH_EVERY_S = 0.15
MAX_TOKEN_BODY = 10_000


@lru_cache(maxsize=1)
def ticket_book() -> TicketBook:
    """Signs and redeems this process's call tickets (keyed by the app's secret)."""
    return TicketBook(get_settings().secret_key)


def warm_local_engine() -> None:
    """Load Whisper and start Piper before the first words (both are shared per process)."""
    from quotahit.providers.local import stt, tts

    stt.load_model()
    tts.speech_synthesizer().start()


def build_engine(
    engine: str, setup: CallSetup, *, secret: str | None, buyer_memory: dict | None
) -> VoiceSession:
    """The engine a call asked for (tests replace this to inject their own)."""
    if engine == "openai" and secret:
        settings = get_settings()
        return RealtimeVoiceSession(
            setup,
            api_key=secret,
            base_url=settings.openai_base_url,
            websocket_base_url=settings.openai_realtime_url or None,
        )
    return LocalVoiceSession(setup, buyer_memory=buyer_memory, warm_up=warm_local_engine)


# One live call per user in this process, and calls waiting for their browser to come back.
_live: dict[int, tuple[int, CallRunner]] = {}
_waiting: dict[int, asyncio.Task[None]] = {}

# Set by the app: pushes a call's snapshot into the browser tab's page state.
tab_updater: Callable[[str, dict[str, Any]], Any] | None = None


class _SocketTransport:
    def __init__(self, websocket: WebSocket) -> None:
        self._ws = websocket

    async def send_text(self, text: str) -> None:
        await self._ws.send_text(text)

    async def send_bytes(self, data: bytes) -> None:
        await self._ws.send_bytes(data)

    async def receive(self) -> str | bytes | None:
        try:
            message = await self._ws.receive()
        except (WebSocketDisconnect, RuntimeError):
            return None
        if message["type"] == "websocket.disconnect":
            return None
        if message.get("bytes") is not None:
            return message["bytes"]
        return message.get("text") or ""

    async def close(self, code: int) -> None:
        if self._ws.application_state == WebSocketState.CONNECTED:
            await self._ws.close(code)


def _origin_allowed(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin", "").rstrip("/")
    return bool(origin) and origin in get_settings().cors_origins


async def _refuse(websocket: WebSocket, code: int, reason: str) -> None:
    # Accept first so the browser sees the close code (a refused handshake is just "1006").
    await websocket.accept()
    await websocket.close(code, reason)


def _identity(auth_session_id: int, user_id: int, organization_id: int) -> Identity | None:
    with session_scope() as db_session:
        identity = sessions.resolve_session_id(db_session=db_session, session_id=auth_session_id)
    if identity is None or identity.user_id != user_id:
        return None
    return identity if identity.organization_id == organization_id else None


def _load_call(identity: Identity, session_id: int) -> PracticeSession:
    with session_scope() as db_session:
        session = service.live_call(db_session=db_session, identity=identity, session_id=session_id)
        db_session.expunge(session)
        return session


async def voice_socket(websocket: WebSocket) -> None:
    """`/api/voice/ws`: one connection of a voice practice call."""
    if not _origin_allowed(websocket):
        await _refuse(websocket, CLOSE_BAD_ORIGIN, "origin not allowed")
        return
    try:
        ticket = ticket_book().redeem(websocket.query_params.get("ticket", ""))
    except TicketError as error:
        await _refuse(websocket, CLOSE_BAD_TICKET, str(error))
        return
    identity = await asyncio.to_thread(
        _identity, ticket.auth_session_id, ticket.user_id, ticket.organization_id
    )
    if identity is None:
        await _refuse(websocket, CLOSE_BAD_TICKET, "signed out")
        return
    try:
        session = await asyncio.to_thread(_load_call, identity, ticket.practice_session_id)
    except AccountError as error:
        await _refuse(websocket, CLOSE_BAD_TICKET, str(error)[:120])
        return
    await websocket.accept()
    await _run_call(websocket, identity, session, ticket.client_token, ticket.resume)


async def _run_call(
    websocket: WebSocket,
    identity: Identity,
    session: PracticeSession,
    client_token: str,
    resumed: bool,
) -> None:
    settings = get_settings()
    session_id = session.id or 0
    waiting = _waiting.pop(session_id, None)
    if waiting is not None:
        waiting.cancel()
    previous = _live.get(identity.user_id)
    if previous is not None:
        same_call = previous[0] == session_id
        previous[1].replace(same_call=same_call)
        if same_call:
            # Let the old connection save what it heard, then carry on from the stored call.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(previous[1].ended(), timeout=10)
            try:
                session = await asyncio.to_thread(_load_call, identity, session_id)
            except AccountError as error:
                await websocket.close(CLOSE_BAD_TICKET, str(error)[:120])
                return
    gateway = wiring.gateway()
    choice = await asyncio.to_thread(service.choose_engine, gateway, identity, session.engine)
    setup = service.call_setup(session, max_seconds=settings.voice_max_seconds)
    memory = json.loads(session.buyer_json) if session.buyer_json else None
    secret = choice.key.secret if choice.key else None
    engine = build_engine(choice.engine, setup, secret=secret, buyer_memory=memory)

    def fallback() -> VoiceSession:
        return build_engine("local", setup, secret=None, buyer_memory=memory)

    transcript = CallTranscript(
        json.loads(session.transcript_json or "[]"), bytes_per_second=setup.audio.bytes_per_second
    )
    recorder = (
        CallRecorder(
            settings.data_dir,
            identity.organization_id,
            sample_rate=setup.audio.sample_rate,
            max_seconds=settings.voice_max_seconds,
        )
        if session.keep_audio and not resumed
        else None
    )
    started = time.monotonic()

    async def save(turns: list[dict[str, Any]], buyer: dict | None, elapsed: float) -> None:
        def write() -> None:
            with session_scope() as db_session:
                service.save_progress(
                    db_session=db_session,
                    identity=identity,
                    session_id=session_id,
                    turns=turns,
                    buyer_memory=buyer,
                    duration_s=elapsed,
                )

        await asyncio.shield(asyncio.to_thread(write))

    async def finish(reason: str, audio: tuple[str, int] | None) -> int | None:
        return await _finish(identity, session_id, reason, audio)

    async def metered(engine_name: str, seconds: float) -> None:
        if engine_name == "openai" and choice.key is not None:
            await asyncio.to_thread(
                service.meter_realtime, gateway, identity, choice.key, seconds, "ok"
            )

    def resume_token() -> str:
        return ticket_book().issue(
            auth_session_id=identity.session_id,
            user_id=identity.user_id,
            organization_id=identity.organization_id,
            practice_session_id=session_id,
            client_token=client_token,
            resume=True,
        )

    pusher = _TabPusher(client_token)
    runner = CallRunner(
        setup=setup,
        transport=_SocketTransport(websocket),
        engine=engine,
        hooks=CallHooks(
            save=save,
            finish=finish,
            resume_token=resume_token,
            on_update=pusher.push,
            on_engine_end=metered,
        ),
        transcript=transcript,
        coach=_coach(session) if session.coaching else None,
        recorder=recorder,
        fallback=fallback if choice.engine == "openai" else None,
        resumed=resumed,
    )
    if choice.notice:
        with contextlib.suppress(Exception):
            await websocket.send_text(json.dumps({"type": "notice", "message": choice.notice}))
    _live[identity.user_id] = (session_id, runner)
    try:
        outcome = await runner.run()
    finally:
        if _live.get(identity.user_id, (0, None))[1] is runner:
            del _live[identity.user_id]
        await pusher.flush()
    logger.info(
        "voice call %s ended after %.0f s: %s",
        session_id,
        time.monotonic() - started,
        outcome.reason or "dropped",
    )
    if not outcome.reason:
        _waiting[session_id] = asyncio.create_task(
            _finish_later(identity, session_id, client_token, settings.voice_resume_seconds)
        )


def _coach(session: PracticeSession) -> LiveCoach:
    persona = library.persona_from_json(session.persona_json)
    kinds = [objection.kind for objection in persona.objections]
    return LiveCoach(session.focus, session.scenario, persona_objection_kinds=kinds)


async def _finish(
    identity: Identity, session_id: int, reason: str, audio: tuple[str, int] | None
) -> int | None:
    def end() -> int | None:
        with session_scope() as db_session:
            session = service.finish_call(
                db_session=db_session,
                identity=identity,
                session_id=session_id,
                reason=reason,
                audio=audio,
            )
            if audio and not session.analysis_id:
                from quotahit.analysis import storage

                storage.delete(get_settings().data_dir, audio[0])
            return session.analysis_id

    analysis_id = await asyncio.shield(asyncio.to_thread(end))
    if analysis_id:
        await jobs.dispatch(analysis_id)
    return analysis_id


async def _finish_later(identity: Identity, session_id: int, client_token: str, wait: int) -> None:
    """A dropped call that did not come back is ended and scored."""
    await asyncio.sleep(wait)
    _waiting.pop(session_id, None)
    try:
        analysis_id = await _finish(identity, session_id, "dropped", None)
    except AccountError:
        return  # already ended (the page ended it) or deleted
    _TabPusher(client_token).push({"status": "ended", "analysis_id": analysis_id})


async def finish_now(identity: Identity, session_id: int, reason: str) -> int | None:
    """End a call from its page (a live connection is ended first); returns its analysis."""
    waiting = _waiting.pop(session_id, None)
    if waiting is not None:
        waiting.cancel()
    live = _live.get(identity.user_id)
    if live is not None and live[0] == session_id:
        live[1].end(reason)
        outcome = await asyncio.wait_for(live[1].ended(), timeout=30)
        return outcome.analysis_id if outcome else None
    return await _finish(identity, session_id, reason, None)


async def discard_call(identity: Identity, session_id: int) -> None:
    """Hang up without a scorecard and delete the session (the rep starts over)."""
    waiting = _waiting.pop(session_id, None)
    if waiting is not None:
        waiting.cancel()
    live = _live.get(identity.user_id)
    if live is not None and live[0] == session_id:
        live[1].end("discarded")
        await asyncio.wait_for(live[1].ended(), timeout=30)

    def delete() -> None:
        with session_scope() as db_session:
            session = practice_service.get(
                db_session=db_session, identity=identity, session_id=session_id
            )
            if session.mode != "voice":
                raise AccountError("This practice session is not a voice call.")
            practice_service.delete(db_session=db_session, identity=identity, session_id=session_id)

    await asyncio.to_thread(delete)


class _TabPusher:
    """Sends a call's latest snapshot to its tab's page state, at most every 150 ms."""

    def __init__(self, client_token: str) -> None:
        self._token = client_token
        self._latest: dict[str, Any] | None = None
        self._task: asyncio.Task[None] | None = None

    def push(self, snapshot: dict[str, Any]) -> None:
        if tab_updater is None or not self._token:
            return
        self._latest = snapshot
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._send_soon())

    async def _send_soon(self) -> None:
        await asyncio.sleep(PUSH_EVERY_S)
        await self._send()

    async def _send(self) -> None:
        snapshot, self._latest = self._latest, None
        if snapshot is None or tab_updater is None:
            return
        try:
            await tab_updater(self._token, snapshot)
        except Exception:
            logger.exception("could not update the call's page")

    async def flush(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        await self._send()


async def realtime_token_endpoint(request: Request) -> Response:
    """`POST /api/ai/realtime-token`: a 60-second OpenAI client secret for one persona's call."""
    identity = await asyncio.to_thread(authenticate_request, request)
    if identity is None:
        return error_response(401, "Send a personal API token as `Authorization: Bearer …`.")
    try:
        body = await json_object(request, MAX_TOKEN_BODY)
        setup = await asyncio.to_thread(_token_setup, identity, body)
    except (BodyError, AccountError) as error:
        return error_response(400, str(error))
    gateway = wiring.gateway()
    choice = await asyncio.to_thread(service.choose_engine, gateway, identity, "openai")
    if choice.key is None or not choice.key.secret:
        return error_response(
            409,
            "No OpenAI key can serve Realtime: add one on the API keys page (or ask your admin).",
        )
    config = session_config(setup)
    config.pop("type", None)
    try:
        minted = await asyncio.to_thread(
            mint_client_secret,
            secret=choice.key.secret,
            base_url=gateway.base_urls["openai"],
            session=config,
            expires_after_seconds=60,
        )
    except SpeechProviderError as error:
        status = 502 if error.kind != "auth" else 424
        return error_response(status, str(error))
    await asyncio.to_thread(service.meter_realtime, gateway, identity, choice.key, 0.0, "minted")
    return JSONResponse(
        {
            "value": minted.value,
            "expiresAt": minted.expires_at,
            "model": setup.model,
            "session": minted.session,
        },
        headers=NO_STORE,
    )


def _token_setup(identity: Identity, body: dict[str, Any]) -> CallSetup:
    scenario = str(body.get("scenario") or "discovery")
    focus = str(body.get("focus") or "general_training")
    difficulty = str(body.get("difficulty") or "medium")
    check_choice(scenario=scenario, focus=focus, difficulty=difficulty, model_id="local")
    patience = body.get("patience", 6)
    if isinstance(patience, bool) or not isinstance(patience, int | float):
        raise AccountError("patience is a number of seconds.")
    service.check_options(engine="openai", patience_s=float(patience))
    with session_scope() as db_session:
        persona = library.resolve(
            db_session=db_session,
            identity=identity,
            key=str(body.get("persona") or "sarah_mitchell"),
        )
    draft = PracticeSession(
        id=0,
        organization_id=identity.organization_id,
        user_id=identity.user_id,
        persona_key=persona.slug,
        persona_name=persona.name,
        persona_json=library.persona_json(persona),
        scenario=scenario,
        focus=focus,
        difficulty=difficulty,
        patience_s=float(patience),
        mode="voice",
    )
    return service.call_setup(draft)
