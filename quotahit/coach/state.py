"""The AI coach page's state: thin; it checks the caller and calls the coach's services.

Answers stream in a background handler (the tab never blocks) and reach the browser in small
batches, at most every FLUSH_SECONDS, so fifty streaming chats do not flood the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

import reflex as rx

from quotahit import wiring
from quotahit.accounts.identity import AccountError, Identity
from quotahit.accounts.state import identity_of
from quotahit.ai.picker import picker_options, usable_choice
from quotahit.ai.service import Notice
from quotahit.coach import answering, attachments, conversations
from quotahit.coach.answering import SourcesFound
from quotahit.coach.attachments import AttachmentError, PreparedImage
from quotahit.coach.models import CoachMessage
from quotahit.db import row_id, session_scope
from quotahit.providers.catalogue import MODELS_BY_ID
from quotahit.providers.text import TextDelta
from quotahit.settings import get_settings

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05
UPLOAD_ID = "coach-attachment"
SESSION_ENDED = "Your session has ended: log in again."
QUICK_PROMPTS: tuple[tuple[str, str], ...] = (
    (
        "“You're too expensive”",
        "The buyer says we're too expensive. How do I respond without jumping to a discount?",
    ),
    (
        "“We already use a competitor”",
        "The buyer says they already use a competitor. How do I keep the conversation going?",
    ),
    (
        "“Send me some information”",
        "The buyer says 'just send me some information'. How do I turn that into a meeting?",
    ),
    (
        "Prepare a discovery call",
        "Help me prepare a discovery call: the questions to ask and the order to ask them in.",
    ),
    (
        "“Let me think about it”",
        "The buyer says 'let me think about it' at the end of a demo. What do I say?",
    ),
    (
        "Write a follow-up e-mail",
        "Write a short follow-up e-mail after a first call that agreed a next meeting.",
    ),
)
STATUS_LABELS = {
    "partial": "The answer was cut off",
    "failed": "No answer",
    "stopped": "Stopped",
    "streaming": "Interrupted",
}


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _model_label(model_id: str) -> str:
    if model_id == "local":
        return "Local engine"
    model = MODELS_BY_ID.get(model_id)
    return model.label if model else model_id


def _message_row(message: CoachMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "role": message.role,
        "content": message.content,
        "status": message.status,
        "status_label": STATUS_LABELS.get(message.status, ""),
        "error": message.error,
        "notice": message.notice,
        "model": _model_label(message.model_id) if message.role == "assistant" else "",
        "citations": [
            {
                "ref": str(item.get("ref", "")),
                "title": str(item.get("title", "")),
                "url": str(item.get("url", "")),
                "kind": str(item.get("kind", "")),
            }
            for item in conversations.citations_of(message)
            if isinstance(item, dict)
        ],
    }


class CoachState(rx.State):
    """Conversations, the open one's messages and attachments, and the streaming answer."""

    conversations: list[dict[str, Any]] = []
    search_text: str = ""
    page: int = 1
    total: int = 0
    conversation_id: int = 0
    title: str = ""
    messages: list[dict[str, Any]] = []
    attachments: list[dict[str, Any]] = []
    options: list[dict[str, str]] = []
    model_id: str = "local"
    research: bool = False
    streaming: bool = False
    live_answer: str = ""
    live_notices: list[str] = []
    live_sources: list[dict[str, str]] = []
    error: str = ""
    attach_error: str = ""
    attaching: bool = False
    url: str = ""
    renaming_id: int = 0
    rename_text: str = ""
    confirm_delete_id: int = 0
    _pending: str = ""
    _regenerate: bool = False
    _stop: bool = False

    @rx.var
    def quick_prompts(self) -> list[dict[str, str]]:
        """Common situations, one click away on an empty conversation."""
        return [{"label": label, "prompt": prompt} for label, prompt in QUICK_PROMPTS]

    @rx.var
    def pages(self) -> int:
        """How many pages the conversation list has."""
        return max(1, -(-self.total // conversations.PAGE_SIZE))

    @rx.var
    def can_regenerate(self) -> bool:
        """The last message is an answer, and nothing is streaming."""
        return (
            not self.streaming and bool(self.messages) and self.messages[-1]["role"] == "assistant"
        )

    async def _identity(self) -> Identity | None:
        identity = await identity_of(self)
        if identity is None:
            self.error = SESSION_ENDED
        return identity

    @rx.event
    async def load(self) -> None:
        """Open the page: models, the conversation list, and the conversation in the URL."""
        identity = await self._identity()
        if identity is None:
            return
        self.error, self.attach_error = "", ""
        self.options = picker_options(identity)
        self.model_id = usable_choice(self.options, self.model_id)
        self._read_list(identity)
        wanted = row_id(self.router.page.params.get("conversation_id", "") or "")
        if wanted is not None:
            # A reload while the answer streams: reopening from the database would show the
            # answer being written as interrupted.
            if not (self.streaming and wanted == self.conversation_id):
                self._open(identity, wanted)
        elif not self.streaming:
            self._clear()

    def _clear(self) -> None:
        self.conversation_id, self.title = 0, ""
        self.messages, self.attachments = [], []
        self.live_answer, self.live_notices, self.live_sources = "", [], []

    def _read_list(self, identity: Identity) -> None:
        with session_scope() as db_session:
            found = conversations.search(
                db_session=db_session, identity=identity, text=self.search_text, page=self.page
            )
        self.total = found.total
        self.conversations = [
            {"id": c.id, "title": c.title, "when": _when(c.updated_at)} for c in found.rows
        ]

    def _open(self, identity: Identity, conversation_id: int) -> None:
        try:
            with session_scope() as db_session:
                conversation = conversations.get(
                    db_session=db_session, identity=identity, conversation_id=conversation_id
                )
                rows = conversations.messages(
                    db_session=db_session, identity=identity, conversation_id=conversation_id
                )
                files = conversations.attachments(
                    db_session=db_session, identity=identity, conversation_id=conversation_id
                )
                self.conversation_id = conversation.id or 0
                self.title = conversation.title
                if any(o["id"] == conversation.model_id for o in self.options):
                    self.model_id = conversation.model_id
                self.research = conversation.research
                self.messages = [_message_row(m) for m in rows]
                self.attachments = [
                    {"id": a.id, "kind": a.kind, "name": a.name, "notice": a.notice} for a in files
                ]
        except AccountError as missing:
            self._clear()
            self.error = str(missing)

    @rx.event
    async def search(self, text: str) -> None:
        """Filter the conversation list by title or message text."""
        identity = await self._identity()
        if identity is None:
            return
        self.search_text, self.page = str(text)[:200], 1
        self._read_list(identity)

    @rx.event
    async def go_to_page(self, page: int) -> None:
        """Show another page of conversations."""
        identity = await self._identity()
        if identity is None:
            return
        self.page = max(1, min(int(page), self.pages))
        self._read_list(identity)

    @rx.event
    async def open_conversation(self, conversation_id: int) -> Any:
        """Show one of the caller's conversations."""
        if self.streaming:
            return rx.toast.info("Wait for the answer to finish, or stop it first.")
        return rx.redirect(f"/coach/{int(conversation_id)}")

    @rx.event
    def new_conversation(self) -> Any:
        """Start afresh (the conversation is created with its first question)."""
        if self.streaming:
            return rx.toast.info("Wait for the answer to finish, or stop it first.")
        self._clear()
        self.error, self.attach_error = "", ""
        return rx.redirect("/coach")

    @rx.event
    def set_url(self, value: str) -> None:
        """Keep the web address being attached."""
        self.url = str(value)[:2000]

    @rx.event
    async def set_model(self, value: str) -> None:
        """Choose the model that answers next."""
        if any(o["id"] == value for o in self.options):
            self.model_id = value

    @rx.event
    def set_research(self, value: bool) -> None:
        """Turn web research on or off for the next answers."""
        self.research = bool(value)

    def _ensure_conversation(self, identity: Identity) -> rx.event.EventSpec | None:
        """Create the conversation on its first question or attachment.

        Returns:
            For a new conversation, the script that shows its address (so a reload opens it),
            else None. Not a redirect: navigating re-renders the page, which would wipe a
            draft being typed and the answer streaming in.
        """
        if self.conversation_id:
            return None
        with session_scope() as db_session:
            conversation = conversations.create(
                db_session=db_session,
                identity=identity,
                model_id=self.model_id,
                research=self.research,
            )
            self.conversation_id = conversation.id or 0
            self.title = conversation.title
        return rx.call_script(
            f"window.history.replaceState(window.history.state, '', "
            f"'/coach/{self.conversation_id}')"
        )

    @rx.event
    async def send(self, form_data: dict | None = None) -> Any:
        """Ask the draft (or a quick prompt); the answer streams in the background."""
        if self.streaming:
            return None
        identity = await self._identity()
        if identity is None:
            return None
        question = str((form_data or {}).get("question", "") or "").strip()
        if not question:
            self.error = "Type a question first."
            return None
        if len(question) > answering.MAX_QUESTION_CHARS:
            self.error = (
                f"A question can be at most {answering.MAX_QUESTION_CHARS:,} characters; "
                "attach long text as a file instead."
            )
            return None
        try:
            answering.check_model(self.model_id)
            address = self._ensure_conversation(identity)
        except AccountError as refused:
            self.error = str(refused)
            return None
        self.error = ""
        self.messages = [
            *self.messages,
            {
                "id": 0,
                "role": "user",
                "content": question,
                "status": "complete",
                "status_label": "",
                "error": "",
                "notice": "",
                "model": "",
                "citations": [],
            },
        ]
        self._pending, self._regenerate = question, False
        return [self._begin(), address] if address else self._begin()

    @rx.event
    async def ask_quick(self, prompt: str) -> Any:
        """Ask one of the quick prompts."""
        return await self.send({"question": str(prompt)})

    @rx.event
    async def regenerate(self) -> Any:
        """Answer the last question again (after a failure, or for another take)."""
        if self.streaming or not self.conversation_id:
            return None
        if await self._identity() is None:
            return None
        while self.messages and self.messages[-1]["role"] == "assistant":
            self.messages = self.messages[:-1]
        if not self.messages:
            return None
        self.error = ""
        self._pending, self._regenerate = "", True
        return self._begin()

    def _begin(self) -> Any:
        self.streaming, self._stop = True, False
        self.live_answer, self.live_notices, self.live_sources = "", [], []
        return CoachState.stream_answer

    @rx.event
    def stop(self) -> None:
        """Stop the answer being written; what arrived so far is kept."""
        self._stop = True

    @rx.event(background=True)
    async def stream_answer(self) -> Any:
        """Stream the answer `send` or `regenerate` prepared (a direct call finds none)."""
        async with self:
            identity = await identity_of(self)
            question: str | None = self._pending or None
            regenerate, conversation_id = self._regenerate, self.conversation_id
            model_id, research = self.model_id, self.research
            self._pending, self._regenerate = "", False
            if identity is None or not conversation_id or (question is None and not regenerate):
                self.streaming = False
                return None
        stream = answering.stream_reply(
            gateway=wiring.gateway(),
            identity=identity,
            conversation_id=conversation_id,
            question=question,
            model_id=model_id,
            research_mode=research,
            data_dir=get_settings().data_dir,
        )
        buffer, flushed_at, error = "", time.monotonic(), ""
        try:
            async for event in stream:
                if isinstance(event, TextDelta):
                    buffer += event.text
                    if time.monotonic() - flushed_at < FLUSH_SECONDS:
                        continue
                    async with self:
                        self.live_answer += buffer
                        stop = self._stop
                    buffer, flushed_at = "", time.monotonic()
                    if stop:
                        break
                elif isinstance(event, Notice):
                    async with self:
                        self.live_notices = [*self.live_notices, event.text]
                elif isinstance(event, SourcesFound):
                    async with self:
                        self.live_sources = event.sources
                # Started and ReplyDone need nothing here: how the answer ended (its error
                # included) is stored on the answer, which is reread below.
        except AccountError as refused:
            error = str(refused)
        except Exception:
            logger.exception("a coach answer failed")
            error = "Something went wrong while answering: try again."
        finally:
            await stream.aclose()
        async with self:
            self.live_answer += buffer
            self.streaming = False
            if self.conversation_id == conversation_id:
                self._open(identity, conversation_id)
            self._read_list(identity)
            self.live_answer, self.live_notices, self.live_sources = "", [], []
            self.error = error
        return None

    @rx.event
    async def start_rename(self, conversation_id: int, title: str) -> None:
        """Show the rename box for one conversation."""
        self.renaming_id, self.rename_text = int(conversation_id), str(title)[:120]

    @rx.event
    def set_rename_text(self, value: str) -> None:
        """Keep the new title being typed."""
        self.rename_text = str(value)[:120]

    @rx.event
    def cancel_rename(self) -> None:
        """Close the rename box."""
        self.renaming_id = 0

    @rx.event
    async def save_rename(self) -> Any:
        """Rename the conversation (the caller's own only)."""
        identity = await self._identity()
        if identity is None or not self.renaming_id:
            return None
        try:
            with session_scope() as db_session:
                renamed = conversations.rename(
                    db_session=db_session,
                    identity=identity,
                    conversation_id=self.renaming_id,
                    title=self.rename_text,
                )
        except AccountError as refused:
            return rx.toast.error(str(refused))
        if renamed.id == self.conversation_id:
            self.title = renamed.title
        self.renaming_id = 0
        self._read_list(identity)
        return None

    @rx.event
    def ask_delete(self, conversation_id: int) -> None:
        """Ask for confirmation before deleting."""
        self.confirm_delete_id = int(conversation_id)

    @rx.event
    def cancel_delete(self) -> None:
        """Keep the conversation."""
        self.confirm_delete_id = 0

    @rx.event
    async def confirm_delete(self) -> Any:
        """Delete the conversation, its messages and attachments."""
        identity = await self._identity()
        target, self.confirm_delete_id = self.confirm_delete_id, 0
        if identity is None or not target:
            return None
        if self.streaming and target == self.conversation_id:
            return rx.toast.info("Stop the answer before deleting this conversation.")
        try:
            with session_scope() as db_session:
                conversations.delete(
                    db_session=db_session,
                    identity=identity,
                    conversation_id=target,
                    data_dir=get_settings().data_dir,
                )
        except AccountError as refused:
            return rx.toast.error(str(refused))
        self._read_list(identity)
        if target == self.conversation_id:
            self._clear()
            return rx.redirect("/coach")
        return rx.toast.success("Conversation deleted.")

    @rx.event
    def start_attaching(self) -> None:
        """Show progress while a file uploads."""
        self.attaching, self.attach_error = True, ""

    @rx.event(background=True)
    async def receive_attachment(self, chunks: rx.UploadChunkIterator) -> Any:
        """Read an attached file (capped while it streams in) and keep its text or image."""
        async with self:
            identity = await identity_of(self)
        try:
            item = await attachments.read_streamed_upload(chunks, drain_only=identity is None)
        except AttachmentError as refused:
            async with self:
                self.attaching, self.attach_error = False, str(refused)
            return None
        if identity is None:
            async with self:
                self.attaching, self.attach_error = False, SESSION_ENDED
            return None
        if item is None:
            # No file came: the picker refused it, and `reject_files` says why.
            async with self:
                self.attaching = False
            return None
        async with self:
            return self._keep_attachment(identity, item)

    @rx.event
    async def reject_files(self, refused: list[dict[str, Any]]) -> None:
        """Say which file the picker refused and what it accepts (instead of Reflex's toast)."""
        identity = await identity_of(self)
        self.attaching = False
        self.attach_error = (
            SESSION_ENDED if identity is None else attachments.picker_refusal(refused)
        )

    def _keep_attachment(
        self, identity: Identity, item: attachments.ExtractedDocument | PreparedImage, url: str = ""
    ) -> rx.event.EventSpec | None:
        """Store the attachment (creating the conversation if need be); errors are shown.

        Returns:
            The script showing the address of a conversation this created, else None.
        """
        self.attaching = False
        try:
            address = self._ensure_conversation(identity)
            conversation_id = self.conversation_id
            with session_scope() as db_session:
                if isinstance(item, PreparedImage):
                    conversations.attach_image(
                        db_session=db_session,
                        identity=identity,
                        conversation_id=conversation_id,
                        image=item,
                        data_dir=get_settings().data_dir,
                    )
                else:
                    conversations.attach_document(
                        db_session=db_session,
                        identity=identity,
                        conversation_id=conversation_id,
                        document=item,
                        source_url=url,
                    )
        except AccountError as refused:
            self.attach_error = str(refused)
            return None
        self.attach_error = ""
        if url:
            self.url = ""
        self._open(identity, conversation_id)
        self._read_list(identity)
        return address

    @rx.event(background=True)
    async def attach_url(self) -> Any:
        """Fetch a web page (SSRF-checked) and keep its readable text."""
        async with self:
            identity = await identity_of(self)
            url = self.url.strip()
            if identity is None or not url or self.attaching:
                self.attach_error = "Paste a web address first." if not url else ""
                return None
            self.attaching, self.attach_error = True, ""
        try:
            document = await asyncio.to_thread(attachments.read_url, url)
        except AttachmentError as refused:
            async with self:
                self.attaching, self.attach_error = False, str(refused)
            return None
        async with self:
            return self._keep_attachment(identity, document, url)

    @rx.event
    async def remove_attachment(self, attachment_id: int) -> None:
        """Take an attachment out of the conversation."""
        identity = await self._identity()
        if identity is None:
            return
        try:
            with session_scope() as db_session:
                conversations.detach(
                    db_session=db_session,
                    identity=identity,
                    attachment_id=int(attachment_id),
                    data_dir=get_settings().data_dir,
                )
        except AccountError as refused:
            self.attach_error = str(refused)
            return
        if self.conversation_id:
            self._open(identity, self.conversation_id)
