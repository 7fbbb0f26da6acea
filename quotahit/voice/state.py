"""The voice practice page's state: thin; it checks the caller and calls the voice services.

Audio never passes through here. The browser's own websocket carries it (`voice-call.js`), and
the call route pushes the live transcript, hints and status into `VoiceCallState` through
`update_tab`, keyed by the tab's client token that the call ticket carries.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any

import reflex as rx

from quotahit import wiring
from quotahit.accounts.identity import AccountError, Identity
from quotahit.accounts.state import identity_of
from quotahit.coach import attachments
from quotahit.coach.attachments import AttachmentError, PreparedImage
from quotahit.db import row_id, session_scope
from quotahit.practice import library
from quotahit.practice import service as practice
from quotahit.practice.scenarios import DIFFICULTIES, SCENARIOS, TRAINING_FOCUSES
from quotahit.practice.state import persona_card
from quotahit.voice import api, service

logger = logging.getLogger(__name__)

SESSION_ENDED = "Your session has ended: log in again."

MIC_GUIDANCE = {
    "mic_denied": (
        "The browser blocked the microphone. Click the lock or camera icon in the address bar, "
        "allow the microphone for this site, then press Start call again."
    ),
    "no_mic": "No microphone was found. Plug one in (or choose it in your system settings).",
    "unsupported": (
        "This browser cannot stream audio from this address. Use a current Chrome, Edge, Firefox "
        "or Safari, over https (or on localhost)."
    ),
    "rejected": "The call could not be opened (your sign-in may have expired): reload the page.",
    "busy": "A call is already running in this tab.",
    "dropped": "The connection was lost and could not be restored. Your transcript is kept.",
    "replaced": "This call continued in another tab or window.",
    "timeout": "The call did not connect in time. Check your connection and try again.",
}


# The page's scripts load alongside its first events: wait for them (up to 10 s) before starting.
# The page's two scripts load after on_load, in either order: wait for both (page-glue.js
# loading first made a call fail as "unsupported" about one run in three).
BEGIN_SCRIPT = """(async () => {
  const loaded = () => window.quotahitVoiceBegin && window.quotahitVoice;
  for (let i = 0; i < 200 && !loaded(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!loaded()) return {outcome: "unsupported"};
  return window.quotahitVoiceBegin(TICKET);
})()"""


class VoiceCallState(rx.State):
    """Set-up choices, the live call as the route reports it, and the call's outcome."""

    personas: list[dict[str, Any]] = []
    persona_key: str = "sarah_mitchell"
    scenario: str = "discovery"
    focus: str = "discovery_questions"
    difficulty: str = "medium"
    patience: float = 6.0
    engine: str = "local"
    openai_ready: bool = False
    coaching: bool = True
    keep_audio: bool = False
    context: list[dict[str, str]] = []  # name, kind, size (what the page shows)
    url: str = ""
    attaching: bool = False
    context_error: str = ""
    error: str = ""
    guidance: str = ""
    starting: bool = False

    session_id: int = 0
    call_title: str = ""
    buyer_name: str = ""
    call_engine: str = ""
    call_coaching: bool = False
    status: str = "idle"  # idle, connecting, live, muted, reconnecting, ended
    turns: list[dict[str, Any]] = []
    hints: list[dict[str, Any]] = []
    notices: list[str] = []
    talk_rep: float = 0.0
    talk_buyer: float = 0.0
    muted: bool = False
    analysis_id: int = 0
    _context_items: list[dict[str, str]] = []

    @rx.var
    def scenarios(self) -> list[dict[str, str]]:
        """The seven situations."""
        return [{"slug": s.slug, "label": s.label} for s in SCENARIOS.values()]

    @rx.var
    def focuses(self) -> list[dict[str, str]]:
        """The seven training focuses."""
        return [{"slug": f.slug, "label": f.label} for f in TRAINING_FOCUSES.values()]

    @rx.var
    def difficulties(self) -> list[str]:
        """Easy, medium, hard."""
        return list(DIFFICULTIES)

    @rx.var
    def chosen_persona(self) -> dict[str, Any]:
        """The persona card of the current choice."""
        return next((p for p in self.personas if p["key"] == self.persona_key), {})

    @rx.var
    def talk_ratio(self) -> int:
        """The rep's share of talk time so far, in per cent."""
        total = self.talk_rep + self.talk_buyer
        return round(100 * self.talk_rep / total) if total else 0

    @rx.var
    def in_call(self) -> bool:
        """Whether the call screen shows a running call."""
        return self.status in ("connecting", "live", "muted", "reconnecting")

    async def _identity(self) -> Identity | None:
        identity = await identity_of(self)
        if identity is None:
            self.error = SESSION_ENDED
        return identity

    # Set-up.

    @rx.event
    async def load_setup(self) -> None:
        """Open the set-up page: personas, and whether OpenAI Realtime can be used."""
        identity = await self._identity()
        if identity is None:
            return
        self.error, self.guidance = "", ""
        with session_scope() as db_session:
            self.personas = [
                persona_card(p) for p in library.available(db_session=db_session, identity=identity)
            ]
        choice = await asyncio.to_thread(
            service.choose_engine, wiring.gateway(), identity, "openai"
        )
        self.openai_ready = choice.engine == "openai"
        if not self.openai_ready:
            self.engine = "local"
        wanted = str(self.router.page.params.get("persona", "") or "")
        if any(p["key"] == wanted for p in self.personas):
            self.persona_key = wanted

    @rx.event
    def set_persona(self, value: str) -> None:
        """Choose the buyer."""
        if any(p["key"] == value for p in self.personas):
            self.persona_key = value

    @rx.event
    def set_scenario(self, value: str) -> None:
        """Choose the situation."""
        if value in SCENARIOS:
            self.scenario = value

    @rx.event
    def set_focus(self, value: str) -> None:
        """Choose the training focus."""
        if value in TRAINING_FOCUSES:
            self.focus = value

    @rx.event
    def set_difficulty(self, value: str | list[str]) -> None:
        """Choose the difficulty."""
        if isinstance(value, str) and value in DIFFICULTIES:
            self.difficulty = value

    @rx.event
    def set_patience(self, value: list[float] | list[int] | float) -> None:
        """How long the buyer waits in a silence (seconds)."""
        raw = value[0] if isinstance(value, list) and value else value
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            self.patience = min(service.MAX_PATIENCE_S, max(service.MIN_PATIENCE_S, float(raw)))

    @rx.event
    def set_engine(self, value: str | list[str]) -> None:
        """Who plays the buyer: the local engine, or OpenAI Realtime when a key allows."""
        if value == "local" or (value == "openai" and self.openai_ready):
            self.engine = str(value)

    @rx.event
    def set_coaching(self, value: bool) -> None:
        """Script coaching: hints in a side panel during the call."""
        self.coaching = bool(value)

    @rx.event
    def set_keep_audio(self, value: bool) -> None:
        """Keep the call's recording with its scorecard (off by default)."""
        self.keep_audio = bool(value)

    @rx.event
    def set_url(self, value: str) -> None:
        """The web page address being typed."""
        self.url = str(value)[:2_000]

    @rx.event
    def start_attaching(self) -> None:
        """Show progress while a context file uploads."""
        self.attaching, self.context_error = True, ""

    @rx.event(background=True)
    async def receive_context(self, chunks: rx.UploadChunkIterator) -> None:
        """Read a context file (PDF, image or text), capped while it streams in."""
        async with self:
            identity = await identity_of(self)
        try:
            item = await attachments.read_streamed_upload(chunks, drain_only=identity is None)
        except AttachmentError as refused:
            async with self:
                self.attaching, self.context_error = False, str(refused)
            return
        if identity is None:
            async with self:
                self.attaching, self.context_error = False, SESSION_ENDED
            return
        if item is None:
            # No file came: the picker refused it, and `reject_files` says why.
            async with self:
                self.attaching = False
            return
        async with self:
            self._keep_context(item)

    @rx.event
    async def reject_files(self, refused: list[dict[str, Any]]) -> None:
        """Say which file the picker refused and what it accepts (instead of Reflex's toast)."""
        identity = await identity_of(self)
        self.attaching = False
        self.context_error = (
            SESSION_ENDED if identity is None else attachments.picker_refusal(refused)
        )

    @rx.event(background=True)
    async def attach_url(self) -> None:
        """Read a web page (SSRF-checked, as the coach does) into the buyer's knowledge."""
        async with self:
            identity = await identity_of(self)
            url = self.url.strip()
            if identity is None or not url or self.attaching:
                self.context_error = "Paste a web address first." if not url else ""
                return
            self.attaching, self.context_error = True, ""
        try:
            document = await asyncio.to_thread(attachments.read_url, url)
        except AttachmentError as refused:
            async with self:
                self.attaching, self.context_error = False, str(refused)
            return
        async with self:
            self._keep_context(document)
            self.url = ""

    def _keep_context(self, item: attachments.ExtractedDocument | PreparedImage) -> None:
        self.attaching = False
        if len(self._context_items) >= service.MAX_CONTEXT_ITEMS:
            self.context_error = f"A call takes at most {service.MAX_CONTEXT_ITEMS} context items."
            return
        if isinstance(item, PreparedImage):
            encoded = base64.b64encode(item.data).decode()
            stored = {
                "kind": "image",
                "name": item.name,
                "text": f"data:{item.mime};base64,{encoded}",
            }
            size = f"{item.width} x {item.height} px"
        else:
            stored = {"kind": item.kind, "name": item.name, "text": item.text}
            size = f"{len(item.text):,} characters"
        self._context_items = [*self._context_items, stored]
        self.context = [*self.context, {"name": item.name, "kind": stored["kind"], "size": size}]
        self.context_error = ""

    @rx.event
    def remove_context(self, index: int) -> None:
        """Take a context item out."""
        if isinstance(index, int) and 0 <= index < len(self._context_items):
            self._context_items = [c for i, c in enumerate(self._context_items) if i != index]
            self.context = [c for i, c in enumerate(self.context) if i != index]

    @rx.event
    async def start_call(self) -> Any:
        """Create the call with the chosen set-up and open the call screen."""
        identity = await self._identity()
        if identity is None or self.starting:
            return None
        try:
            with session_scope() as db_session:
                session = service.start_call(
                    db_session=db_session,
                    identity=identity,
                    persona_key=self.persona_key,
                    scenario=self.scenario,
                    focus=self.focus,
                    difficulty=self.difficulty,
                    engine=self.engine,
                    patience_s=self.patience,
                    coaching=self.coaching,
                    keep_audio=self.keep_audio,
                    context=list(self._context_items),
                )
        except AccountError as refused:
            self.error = str(refused)
            return None
        self.error = ""
        return rx.redirect(f"/practice/voice/{session.id}")

    # The call.

    @rx.event
    async def load_call(self) -> Any:
        """Open the call in the URL: a live one connects, an ended one shows its outcome."""
        identity = await self._identity()
        if identity is None:
            return None
        session_id = row_id(self.router.page.params.get("session_id", "") or "")
        if session_id and session_id == self.session_id and self.in_call:
            return None  # the page loaded again (Reflex may run on_load twice): already connected
        self._clear_call()
        try:
            with session_scope() as db_session:
                session = practice.get(
                    db_session=db_session, identity=identity, session_id=session_id or 0
                )
        except AccountError as missing:
            self.error = str(missing)
            return None
        if session.mode != "voice":
            return rx.redirect(f"/practice/{session.id}")
        self.session_id = session.id or 0
        self.buyer_name = session.persona_name
        scenario = SCENARIOS.get(session.scenario)
        self.call_title = (
            f"{session.persona_name} · {scenario.label if scenario else session.scenario}"
            f" · {session.difficulty}"
        )
        self.call_coaching = session.coaching
        self.turns = practice.transcript_of(session)
        if session.status != "active":
            self.status = "ended"
            self.analysis_id = session.analysis_id or 0
            return None
        return VoiceCallState.connect

    def _clear_call(self) -> None:
        self.session_id, self.turns, self.hints, self.notices = 0, [], [], []
        self.status, self.analysis_id, self.muted, self.guidance = "idle", 0, False, ""
        self.talk_rep = self.talk_buyer = 0.0
        self.error = ""

    @rx.event
    async def connect(self) -> Any:
        """Issue this tab a one-minute ticket and start the browser's audio client."""
        identity = await self._identity()
        if identity is None or not self.session_id:
            return None
        try:
            with session_scope() as db_session:
                service.live_call(
                    db_session=db_session, identity=identity, session_id=self.session_id
                )
        except AccountError as refused:
            self.error = str(refused)
            return None
        ticket = api.ticket_book().issue(
            auth_session_id=identity.session_id,
            user_id=identity.user_id,
            organization_id=identity.organization_id,
            practice_session_id=self.session_id,
            client_token=self.router.session.client_token,
        )
        self.status, self.guidance = "connecting", ""
        return rx.call_script(
            BEGIN_SCRIPT.replace("TICKET", json.dumps(ticket)),
            callback=VoiceCallState.client_started,
        )

    @rx.event
    def client_started(self, result: Any) -> None:
        """The audio client's answer: live, or why it could not start (mic denied, ...)."""
        outcome = result.get("outcome") if isinstance(result, dict) else None
        if outcome in ("live", "ended", "busy"):
            return  # busy: this tab's audio client already runs this call
        self.status = "idle"
        self.guidance = MIC_GUIDANCE.get(str(outcome), MIC_GUIDANCE["timeout"])

    @rx.event
    def toggle_mute(self) -> Any:
        """Mute or unmute the microphone."""
        if not self.in_call:
            return None
        self.muted = not self.muted
        return rx.call_script(f"window.quotahitVoice.setMuted({json.dumps(self.muted)})")

    @rx.event
    def hang_up(self) -> Any:
        """End the call; the route scores it and reports back."""
        if not self.in_call:
            return None
        return rx.call_script("window.quotahitVoice.hangup()")

    @rx.event
    async def end_dropped(self) -> Any:
        """End a call whose connection is gone (the transcript is kept and scored)."""
        identity = await self._identity()
        if identity is None or not self.session_id:
            return None
        try:
            analysis_id = await api.finish_now(identity, self.session_id, "dropped")
        except AccountError as refused:
            self.error = str(refused)
            return None
        self.status = "ended"
        self.analysis_id = analysis_id or 0
        return None

    @rx.event
    async def start_over(self) -> Any:
        """Hang up without a scorecard, forget this call, and go back to the set-up."""
        identity = await self._identity()
        if identity is None or not self.session_id:
            return None
        session_id = self.session_id
        try:
            await api.discard_call(identity, session_id)
        except AccountError as refused:
            self.error = str(refused)
            return None
        self._clear_call()
        return rx.redirect("/practice/voice")

    @rx.event
    def open_scorecard(self) -> Any:
        """Go to the call's scorecard."""
        if self.analysis_id:
            return rx.redirect(f"/analyze/{self.analysis_id}")
        return None

    def _apply(self, snapshot: dict[str, Any]) -> None:
        """A call snapshot from the route (never from the browser: this is not an event)."""
        if "turns" in snapshot:
            self.turns = snapshot["turns"]
            self.hints = snapshot.get("hints", [])
            self.notices = snapshot.get("notices", [])
            talk = snapshot.get("talk", {})
            self.talk_rep = float(talk.get("rep", 0.0))
            self.talk_buyer = float(talk.get("buyer", 0.0))
            self.call_engine = snapshot.get("engine", self.call_engine)
        status = snapshot.get("status")
        if status:
            self.status = status
        if snapshot.get("analysis_id"):
            self.analysis_id = int(snapshot["analysis_id"])


async def update_tab(client_token: str, snapshot: dict[str, Any]) -> None:
    """Push a call's snapshot into the tab that opened it."""
    from quotahit.quotahit import app  # the assembled app; imported late to avoid a cycle

    token = rx.BaseStateToken(ident=client_token, cls=VoiceCallState)
    async with app.modify_state(token) as root:
        state = await root.get_state(VoiceCallState)
        state._apply(snapshot)


api.tab_updater = update_tab
