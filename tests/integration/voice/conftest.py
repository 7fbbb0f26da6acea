"""The voice routes served for real: uvicorn on loopback, the test database, a websocket client.

Whisper and Piper are replaced by scripted ears and a tone voice (`build_engine` is swapped), so
turns are exact and quick; the voice detector, the local buyer, tickets, the database and the
route are the real ones. Analysis jobs are recorded instead of run, so no job outlives its test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from websockets.asyncio.client import ClientConnection, connect

from quotahit import db, settings, wiring
from quotahit.accounts.identity import Identity
from quotahit.analysis import jobs
from quotahit.voice import api, service
from quotahit.voice.engine import CallSetup, VoiceSession
from quotahit.voice.local_engine import LocalVoiceSession
from tests.integration.conftest import Accounts, Member
from tests.support.app_server import free_port
from tests.support.voice_audio import Ears, Voice, chunks, silence, speech_pcm

ORIGIN = "http://127.0.0.1:3000"
REP_LINE = "What are your biggest challenges with the sales team right now?"


def clear_caches() -> None:
    settings.get_settings.cache_clear()
    db._engine_for.cache_clear()
    wiring.keyring.cache_clear()
    api.ticket_book.cache_clear()


@dataclass
class VoiceServer:
    """The served routes, how to ticket a member in, and what the test swapped in."""

    url: str
    accounts: Accounts
    dispatched: list[int] = field(default_factory=list)
    ears: Ears = field(default_factory=lambda: Ears(REP_LINE))
    engines: list[str] = field(default_factory=list)

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/api/voice/ws"

    def start_call(self, member: Member, **options: Any) -> int:
        defaults = {
            "persona_key": "sarah_mitchell",
            "scenario": "discovery",
            "focus": "discovery_questions",
            "difficulty": "medium",
            "engine": "local",
            "patience_s": 20.0,
            "coaching": True,
            "keep_audio": False,
        }
        session = self.accounts.call(
            service.start_call, identity=member.identity, **(defaults | options)
        )
        assert session.id is not None
        return session.id

    def ticket(self, member: Member | Identity, session_id: int, **claims: Any) -> str:
        identity = member.identity if isinstance(member, Member) else member
        return api.ticket_book().issue(
            auth_session_id=claims.get("auth_session_id", identity.session_id),
            user_id=claims.get("user_id", identity.user_id),
            organization_id=claims.get("organization_id", identity.organization_id),
            practice_session_id=session_id,
            client_token=claims.get("client_token", "tab-1"),
            resume=claims.get("resume", False),
        )

    @contextlib.asynccontextmanager
    async def connect(
        self, ticket: str, *, origin: str | None = ORIGIN
    ) -> AsyncIterator[ClientConnection]:
        headers = {"Origin": origin} if origin else {}
        async with connect(
            f"{self.ws_url}?ticket={ticket}", additional_headers=headers, open_timeout=10
        ) as socket:
            yield socket


class Call:
    """A client's view of one connection: everything received, sorted as it arrives."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.messages: list[dict[str, Any]] = []
        self.audio = bytearray()

    async def until(self, predicate: Callable[[dict[str, Any]], bool], within: float = 10) -> dict:
        for message in self.messages:
            if predicate(message):
                return message
        async with asyncio.timeout(within):
            while True:
                frame = await self.socket.recv()
                if isinstance(frame, bytes):
                    self.audio += frame
                    continue
                message = json.loads(frame)
                self.messages.append(message)
                if predicate(message):
                    return message

    async def of_type(self, kind: str, within: float = 10) -> dict:
        return await self.until(lambda m: m["type"] == kind, within)

    async def say(self, text: str, *, tail: float = 0.9) -> None:
        for chunk in chunks(speech_pcm(text) + silence(tail)):
            await self.socket.send(chunk)
            await asyncio.sleep(0.002)

    async def end(self) -> dict:
        await self.socket.send(json.dumps({"type": "end"}))
        return await self.of_type("ended")


@pytest.fixture
async def voice_server(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, accounts: Accounts
) -> AsyncIterator[VoiceServer]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("QUOTAHIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QUOTAHIT_PORT", "3000")
    monkeypatch.setenv("QUOTAHIT_VOICE_RESUME_SECONDS", "1")
    monkeypatch.setenv("OPENAI_API_KEY", "")
    clear_caches()
    server = VoiceServer("", accounts)

    def build_engine(
        engine: str, setup: CallSetup, *, secret: str | None, buyer_memory: dict | None
    ) -> VoiceSession:
        server.engines.append(engine)
        return LocalVoiceSession(
            setup, buyer_memory=buyer_memory, transcribe=server.ears, voice=Voice(), voice_name="t"
        )

    async def dispatch(analysis_id: int) -> None:
        server.dispatched.append(analysis_id)

    monkeypatch.setattr(api, "build_engine", build_engine)
    monkeypatch.setattr(jobs, "dispatch", dispatch)
    app = Starlette(
        routes=[
            WebSocketRoute("/api/voice/ws", api.voice_socket),
            Route("/api/ai/realtime-token", api.realtime_token_endpoint, methods=["POST"]),
        ]
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    while not uv.started:
        assert thread.is_alive(), "uvicorn did not start"
        await asyncio.sleep(0.02)
    server.url = f"http://127.0.0.1:{config.port}"
    try:
        yield server
    finally:
        uv.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        api._live.clear()
        for task in api._waiting.values():
            task.cancel()
        api._waiting.clear()
        clear_caches()
