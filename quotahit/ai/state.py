"""The model playground on the API-keys page: ask any model a question through the gateway.

It proves a key end to end (streaming, failover notices, metering) before a feature relies on it.
"""

from __future__ import annotations

import reflex as rx

from quotahit import wiring
from quotahit.accounts.state import identity_of
from quotahit.ai import service
from quotahit.ai.picker import picker_options, usable_choice
from quotahit.ai.service import AnswerDone, NoProviderError, Notice
from quotahit.providers.text import ChatMessage, TextDelta, TextProviderError

MAX_PROMPT = 2000
FLUSH_EVERY = 0.05


class ModelTestState(rx.State):
    """The picker's options, the question, and the streamed answer."""

    options: list[dict[str, str]] = []
    model_id: str = "gpt-4.1"
    answer: str = ""
    notice: str = ""
    error: str = ""
    footer: str = ""
    running: bool = False
    _pending_prompt: str = ""

    @rx.event
    async def load(self) -> None:
        """Which models this user can use now, and whose key serves each."""
        identity = await identity_of(self)
        if identity is None:
            return
        self.options = picker_options(identity)
        self.model_id = usable_choice(self.options, self.model_id)

    @rx.event
    def set_model(self, value: str) -> None:
        """Choose the model to ask."""
        if any(option["id"] == value for option in self.options):
            self.model_id = value

    @rx.event
    def ask(self, form_data: dict) -> rx.event.EventSpec | None:
        """Start streaming an answer in the background, so the tab stays responsive."""
        if self.running:
            return None
        prompt = str(form_data.get("prompt", "")).strip()[:MAX_PROMPT]
        if not prompt:
            self.error = "Type a question first."
            return None
        self.answer, self.notice, self.error, self.footer = "", "", "", ""
        self.running = True
        self._pending_prompt = prompt
        return ModelTestState.stream

    @rx.event(background=True)
    async def stream(self) -> None:
        """Stream the prompt `ask` accepted (a client calling this directly finds none).

        Network waits happen outside the state lock.
        """
        async with self:
            identity = await identity_of(self)
            model_id = self.model_id
            prompt, self._pending_prompt = self._pending_prompt[:MAX_PROMPT], ""
        if identity is None or not prompt:
            async with self:
                self.running = False
            return
        buffer = ""
        try:
            async for event in service.stream_answer(
                gateway=wiring.gateway(),
                identity=identity,
                module="playground",
                model_id=model_id,
                messages=[ChatMessage("user", prompt)],
                max_tokens=400,
            ):
                if isinstance(event, TextDelta):
                    buffer += event.text
                    if len(buffer) >= 24 or buffer.endswith((".", "\n")):
                        async with self:
                            self.answer += buffer
                        buffer = ""
                elif isinstance(event, Notice):
                    async with self:
                        self.notice = event.text
                elif isinstance(event, AnswerDone):
                    async with self:
                        self.answer += buffer
                        buffer = ""
                        self.footer = (
                            "Local (offline) · no key, no cost · quoted: "
                            + ", ".join(event.citations)
                            if event.key_source == "local"
                            else f"{event.model_id} · {event.key_source} key · "
                            f"{event.tokens_in} + {event.tokens_out} tokens · "
                            f"${event.cost_usd:.5f}"
                        )
        except (NoProviderError, TextProviderError) as error:
            async with self:
                self.answer += buffer
                self.error = str(error) + (
                    " The partial answer is kept; ask again to retry." if self.answer else ""
                )
        finally:
            async with self:
                self.running = False
