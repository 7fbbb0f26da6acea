"""The text role-play and persona library pages' states: thin; they check the caller and call
the practice services. The buyer's reply streams in a background handler."""

from __future__ import annotations

import logging
import time
from typing import Any

import reflex as rx

from quotahit import wiring
from quotahit.accounts.identity import AccountError, Identity
from quotahit.accounts.state import identity_of
from quotahit.ai.picker import picker_options, usable_choice
from quotahit.ai.service import Notice
from quotahit.analysis import jobs
from quotahit.db import row_id, session_scope
from quotahit.practice import library, service
from quotahit.practice.models import PracticeSession
from quotahit.practice.personas import OBJECTION_KINDS, Persona
from quotahit.practice.scenarios import DIFFICULTIES, SCENARIOS, TRAINING_FOCUSES
from quotahit.practice.service import BuyerDone
from quotahit.providers.text import TextDelta

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05


def persona_card(persona: Persona) -> dict[str, Any]:
    """What the persona picker and library show of a persona."""
    return {
        "key": persona.slug,
        "name": persona.name,
        "title": persona.title,
        "company": persona.company,
        "industry": persona.industry,
        "difficulty": persona.difficulty,
        "personality": persona.personality,
        "custom": persona.slug.startswith(library.CUSTOM_PREFIX),
        "goals": list(persona.goals),
        "pains": list(persona.pains),
        "objections": [f"{o.kind.replace('_', ' ')}: {o.line}" for o in persona.objections],
        "wins": list(persona.what_wins_them),
        "patience": f"{persona.patience:.1f}",
    }


def session_path(session: PracticeSession) -> str:
    """The page that plays the session: a voice call has its own, whatever link opened it."""
    if session.mode == "voice":
        return f"/practice/voice/{session.id}"
    return f"/practice/{session.id}"


def _session_row(session: PracticeSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "persona": session.persona_name,
        "scenario": SCENARIOS[session.scenario].label if session.scenario in SCENARIOS else "",
        "difficulty": session.difficulty,
        "when": session.created_at.strftime("%Y-%m-%d %H:%M"),
        "status": session.status,
        "score": "" if session.overall_score is None else str(session.overall_score),
        "analysis_id": session.analysis_id or 0,
        "turns": len(service.transcript_of(session)),
        "mode": session.mode,
        "href": session_path(session),
    }


class PracticeState(rx.State):
    """Setup choices, the running session's transcript, and the history."""

    personas: list[dict[str, Any]] = []
    persona_key: str = "sarah_mitchell"
    scenario: str = "discovery"
    focus: str = "discovery_questions"
    difficulty: str = "medium"
    options: list[dict[str, str]] = []
    model_id: str = "local"
    session_id: int = 0
    session_title: str = ""
    buyer_name: str = ""
    transcript: list[dict[str, str]] = []
    live_reply: str = ""
    notice: str = ""
    error: str = ""
    replying: bool = False
    ended: bool = False
    buyer_ended: bool = False
    analysis_id: int = 0
    sessions: list[dict[str, Any]] = []
    page: int = 1
    total: int = 0
    _pending: str = ""

    @rx.var
    def scenarios(self) -> list[dict[str, str]]:
        """The seven situations."""
        return [
            {"slug": s.slug, "label": s.label, "description": s.description}
            for s in SCENARIOS.values()
        ]

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
    def rep_turns(self) -> int:
        """How many messages the rep has written."""
        return sum(1 for turn in self.transcript if turn.get("speaker") == "rep")

    @rx.var
    def pages(self) -> int:
        """How many pages the history has."""
        return max(1, -(-self.total // service.PAGE_SIZE))

    async def _identity(self) -> Identity | None:
        identity = await identity_of(self)
        if identity is None:
            self.error = "Your session has ended: log in again."
        return identity

    @rx.event
    async def load(self) -> Any:
        """Open the page: personas, models, history, and the session in the URL.

        A voice call opened here (an old or hand-typed link) goes to the voice call page.
        """
        identity = await self._identity()
        if identity is None:
            return None
        self.error, self.notice = "", ""
        wanted_session = row_id(self.router.page.params.get("session_id", "") or "")
        session = None if wanted_session is None else self._find(identity, wanted_session)
        if session is not None and session.mode == "voice":
            return rx.redirect(session_path(session))
        with session_scope() as db_session:
            self.personas = [
                persona_card(p) for p in library.available(db_session=db_session, identity=identity)
            ]
        self.options = picker_options(identity)
        self.model_id = usable_choice(self.options, self.model_id)
        wanted = str(self.router.page.params.get("persona", "") or "")
        if any(p["key"] == wanted for p in self.personas):
            self.persona_key = wanted
        if session is not None:
            self._show(session)
        elif wanted_session is None and not self.replying:
            self._reset_session()
        self._read_history(identity)
        return None

    def _reset_session(self) -> None:
        self.session_id, self.session_title, self.transcript = 0, "", []
        self.live_reply, self.ended, self.buyer_ended, self.analysis_id = "", False, False, 0

    def _find(self, identity: Identity, session_id: int) -> PracticeSession | None:
        try:
            with session_scope() as db_session:
                return service.get(db_session=db_session, identity=identity, session_id=session_id)
        except AccountError as missing:
            self._reset_session()
            self.error = str(missing)
            return None

    def _open(self, identity: Identity, session_id: int) -> None:
        session = self._find(identity, session_id)
        if session is not None:
            self._show(session)

    def _show(self, session: PracticeSession) -> None:
        self.session_id = session.id or 0
        self.buyer_name = session.persona_name
        scenario = SCENARIOS.get(session.scenario)
        self.session_title = (
            f"{session.persona_name} · {scenario.label if scenario else session.scenario}"
            f" · {session.difficulty}"
        )
        self.transcript = service.transcript_of(session)
        self.ended = session.status != "active"
        self.analysis_id = session.analysis_id or 0

    def _read_history(self, identity: Identity) -> None:
        with session_scope() as db_session:
            rows, self.total = service.history(
                db_session=db_session, identity=identity, page=self.page
            )
            self.sessions = [_session_row(row) for row in rows]

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
    def set_model(self, value: str) -> None:
        """Choose who plays the buyer."""
        if any(o["id"] == value for o in self.options):
            self.model_id = value

    @rx.event
    async def go_to_page(self, page: int) -> None:
        """Show another page of history."""
        identity = await self._identity()
        if identity is None:
            return
        self.page = max(1, min(int(page), self.pages))
        self._read_history(identity)

    @rx.event
    async def start(self) -> Any:
        """Start a session with the chosen persona, scenario, focus and difficulty."""
        identity = await self._identity()
        if identity is None or self.replying:
            return None
        try:
            with session_scope() as db_session:
                session = service.start(
                    db_session=db_session,
                    identity=identity,
                    persona_key=self.persona_key,
                    scenario=self.scenario,
                    focus=self.focus,
                    difficulty=self.difficulty,
                    model_id=self.model_id,
                )
        except AccountError as refused:
            self.error = str(refused)
            return None
        self.error = ""
        return rx.redirect(f"/practice/{session.id}")

    @rx.event
    async def send(self, form_data: dict) -> Any:
        """Say something to the buyer; the reply streams in the background."""
        if self.replying or not self.session_id or self.ended:
            return None
        if await self._identity() is None:
            return None
        text = str(form_data.get("message", "") or "").strip()
        if not text:
            self.error = "Write something to the buyer first."
            return None
        if len(text) > service.MAX_MESSAGE_CHARS:
            self.error = f"A message can be at most {service.MAX_MESSAGE_CHARS:,} characters."
            return None
        self.error, self.notice, self.live_reply = "", "", ""
        self.transcript = [*self.transcript, {"speaker": "rep", "text": text}]
        self._pending, self.replying = text, True
        return PracticeState.stream_reply

    @rx.event(background=True)
    async def stream_reply(self) -> None:
        """Stream the buyer's answer to the message `send` accepted."""
        async with self:
            identity = await identity_of(self)
            text, self._pending = self._pending, ""
            session_id = self.session_id
            if identity is None or not text or not session_id:
                self.replying = False
                return
        buffer, flushed_at, error = "", time.monotonic(), ""
        stream = service.stream_buyer_reply(
            gateway=wiring.gateway(), identity=identity, session_id=session_id, rep_message=text
        )
        try:
            async for event in stream:
                if isinstance(event, TextDelta):
                    buffer += event.text
                    if time.monotonic() - flushed_at >= FLUSH_SECONDS:
                        async with self:
                            self.live_reply += buffer
                        buffer, flushed_at = "", time.monotonic()
                elif isinstance(event, Notice):
                    async with self:
                        self.notice = event.text
                elif isinstance(event, BuyerDone):
                    error = event.error
                    async with self:
                        self.buyer_ended = event.buyer_ended
        except AccountError as refused:
            error = str(refused)
        except Exception:
            logger.exception("a practice reply failed")
            error = "Something went wrong: try again."
        finally:
            await stream.aclose()
        async with self:
            kept = bool(buffer or self.live_reply)
            self._open(identity, session_id)
            self.live_reply, self.replying = "", False
            if error:
                self.error = error.rstrip(".") + (
                    ". What the buyer said so far is kept." if kept else "."
                )

    @rx.event
    async def end_session(self) -> Any:
        """End the session and queue its scorecard."""
        identity = await self._identity()
        if identity is None or not self.session_id or self.replying:
            return None
        try:
            with session_scope() as db_session:
                session = service.end(
                    db_session=db_session, identity=identity, session_id=self.session_id
                )
        except AccountError as refused:
            self.error = str(refused)
            return None
        if session.analysis_id:
            await jobs.dispatch(session.analysis_id)
            return rx.redirect(f"/analyze/{session.analysis_id}")
        return None

    @rx.event
    def new_session(self) -> Any:
        """Back to the setup."""
        self._reset_session()
        return rx.redirect("/practice")


def _draft_from_form(form: dict[str, Any]) -> library.PersonaDraft:
    try:
        patience = float(str(form.get("patience", "0.5") or "0.5"))
    except ValueError:
        raise AccountError("Patience is a number from 0 (none) to 1 (endless).") from None
    return library.PersonaDraft(
        name=str(form.get("name", "")).strip(),
        title=str(form.get("title", "")).strip(),
        company=str(form.get("company", "")).strip(),
        industry=str(form.get("industry", "")).strip(),
        company_size=str(form.get("company_size", "")).strip(),
        difficulty=str(form.get("difficulty", "medium")),
        personality=str(form.get("personality", "")).strip(),
        communication_style=str(form.get("communication_style", "")).strip(),
        goals=library.parse_lines(str(form.get("goals", ""))),
        pains=library.parse_lines(str(form.get("pains", ""))),
        objections=library.parse_objections(str(form.get("objections", ""))),
        what_wins_them=library.parse_lines(str(form.get("wins", ""))),
        patience=patience,
        opening_line=str(form.get("opening_line", "")).strip(),
        voice_hint=str(form.get("voice_hint", "")).strip(),
        shared=str(form.get("shared", "")).lower() in {"on", "true", "1", "yes"},
    )


EMPTY_FORM: dict[str, str] = {
    "name": "",
    "title": "",
    "company": "",
    "industry": "",
    "company_size": "",
    "difficulty": "medium",
    "personality": "",
    "communication_style": "",
    "goals": "",
    "pains": "",
    "objections": "",
    "wins": "",
    "patience": "0.5",
    "opening_line": "",
    "voice_hint": "",
}


class PersonaLibraryState(rx.State):
    """The persona library: every persona, and the editor for enablement users."""

    personas: list[dict[str, Any]] = []
    can_author: bool = False
    editing_id: int = 0  # 0: a new persona
    editor_open: bool = False
    form: dict[str, str] = dict(EMPTY_FORM)
    shared: bool = True
    error: str = ""
    confirm_delete_id: int = 0

    @rx.var
    def objection_kinds(self) -> str:
        """The kinds an objection line may start with."""
        return ", ".join(OBJECTION_KINDS)

    @rx.event
    async def load(self) -> None:
        """List the personas; offer the editor to enablement users and admins."""
        identity = await identity_of(self)
        if identity is None:
            return
        self.can_author = library.can_author(identity)
        self._read(identity)

    def _read(self, identity: Identity) -> None:
        with session_scope() as db_session:
            rows = library.custom_personas(db_session=db_session, identity=identity)
            cards = [
                persona_card(p) for p in library.available(db_session=db_session, identity=identity)
            ]
        shared = {f"{library.CUSTOM_PREFIX}{row.id}": row.shared for row in rows}
        mine = {
            f"{library.CUSTOM_PREFIX}{row.id}": row.created_by == identity.user_id for row in rows
        }
        for card in cards:
            card["shared"] = shared.get(card["key"], True)
            card["mine"] = mine.get(card["key"], False)
        self.personas = cards

    @rx.event
    async def new_persona(self, copy_of: str = "") -> None:
        """Open the editor empty, or filled from an existing persona to adapt."""
        identity = await identity_of(self)
        if identity is None or not library.can_author(identity):
            self.error = "Only enablement users and admins can create personas."
            return
        self.editing_id, self.error, self.shared = 0, "", True
        self.form = dict(EMPTY_FORM)
        if copy_of:
            with session_scope() as db_session:
                try:
                    persona = library.resolve(db_session=db_session, identity=identity, key=copy_of)
                except AccountError as missing:
                    self.error = str(missing)
                    return
            self.form = self._form_of(persona)
            self.form["name"] = f"{persona.name} (copy)"[:80]
        self.editor_open = True

    @staticmethod
    def _form_of(persona: Persona) -> dict[str, str]:
        return {
            "name": persona.name,
            "title": persona.title,
            "company": persona.company,
            "industry": persona.industry,
            "company_size": persona.company_size,
            "difficulty": persona.difficulty,
            "personality": persona.personality,
            "communication_style": persona.communication_style,
            "goals": "\n".join(persona.goals),
            "pains": "\n".join(persona.pains),
            "objections": library.objection_lines(persona.objections),
            "wins": "\n".join(persona.what_wins_them),
            "patience": f"{persona.patience:.2f}",
            "opening_line": persona.opening_line,
            "voice_hint": persona.voice_hint,
        }

    @rx.event
    async def edit_persona(self, key: str) -> None:
        """Open the editor on a custom persona."""
        identity = await identity_of(self)
        if identity is None:
            return
        persona_id = row_id(str(key).removeprefix(library.CUSTOM_PREFIX))
        if persona_id is None:
            self.error = "Built-in personas cannot be edited: copy one instead."
            return
        try:
            with session_scope() as db_session:
                row = library.get_editable(
                    db_session=db_session, identity=identity, persona_id=persona_id
                )
                self.form = self._form_of(library.to_persona(row))
                self.shared = row.shared
        except AccountError as refused:
            self.error = str(refused)
            return
        self.editing_id, self.error, self.editor_open = persona_id, "", True

    @rx.event
    def close_editor(self) -> None:
        """Close the editor without saving."""
        self.editor_open, self.error = False, ""

    @rx.event
    def set_shared(self, value: bool) -> None:
        """Share the persona with the organisation, or keep it a private draft."""
        self.shared = bool(value)

    @rx.event
    def set_difficulty(self, value: str | list[str]) -> None:
        """The persona's default difficulty."""
        if isinstance(value, str) and value in DIFFICULTIES:
            self.form = {**self.form, "difficulty": value}

    @rx.event
    async def save(self, form_data: dict) -> Any:
        """Create or update the persona (enablement users and admins only)."""
        identity = await identity_of(self)
        if identity is None:
            return None
        data = {**form_data, "difficulty": self.form.get("difficulty", "medium")}
        data["shared"] = "on" if self.shared else ""
        try:
            draft = _draft_from_form(data)
            with session_scope() as db_session:
                if self.editing_id:
                    library.update(
                        db_session=db_session,
                        identity=identity,
                        persona_id=self.editing_id,
                        draft=draft,
                    )
                else:
                    library.create(db_session=db_session, identity=identity, draft=draft)
        except AccountError as refused:
            self.form = {k: str(form_data.get(k, v)) for k, v in self.form.items()}
            self.error = str(refused)
            return None
        self.editor_open, self.error = False, ""
        self._read(identity)
        return rx.toast.success(f"Saved “{draft.name}”.")

    @rx.event
    def ask_delete(self, key: str) -> None:
        """Ask before deleting a custom persona."""
        raw = str(key).removeprefix(library.CUSTOM_PREFIX)
        self.confirm_delete_id = row_id(raw) or 0

    @rx.event
    def cancel_delete(self) -> None:
        """Keep the persona."""
        self.confirm_delete_id = 0

    @rx.event
    async def confirm_delete(self) -> Any:
        """Delete the persona (sessions played against it keep their snapshot)."""
        identity = await identity_of(self)
        target, self.confirm_delete_id = self.confirm_delete_id, 0
        if identity is None or not target:
            return None
        try:
            with session_scope() as db_session:
                library.delete(db_session=db_session, identity=identity, persona_id=target)
        except AccountError as refused:
            return rx.toast.error(str(refused))
        self._read(identity)
        return rx.toast.success("Persona deleted.")
