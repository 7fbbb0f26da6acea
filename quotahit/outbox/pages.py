"""The local outbox page: read the e-mails a local install would have sent, click their links."""

from __future__ import annotations

import reflex as rx

from quotahit.accounts.pages import auth_layout
from quotahit.outbox.state import OutboxState
from quotahit.ui import theme
from quotahit.ui.components import card, empty_state, pager


def _message(message: rx.Var) -> rx.Component:
    return card(
        rx.hstack(
            rx.text(message["subject"], weight="medium", color=theme.PLATINUM),
            rx.spacer(),
            rx.text(message["when"], size="1", color=theme.MIST),
            width="100%",
            wrap="wrap",
        ),
        rx.text("To: ", message["to"], size="1", color=theme.MIST),
        rx.text(message["body"], white_space="pre-wrap", size="2", class_name="outbox-body"),
        rx.cond(
            message["link"] != "",
            rx.link(
                rx.button("Open the link", size="2"), href=message["link"], class_name="outbox-link"
            ),
        ),
        class_name="outbox-message",
    )


@rx.page(route="/outbox", title="Outbox · QuotaHit", on_load=OutboxState.load)
def outbox_page() -> rx.Component:
    """Local mode only: with a real e-mail provider the page says it is not available."""
    return rx.cond(
        OutboxState.available,
        rx.box(
            rx.vstack(
                rx.hstack(
                    rx.heading("Local outbox", size="6", color=theme.PLATINUM),
                    rx.spacer(),
                    rx.link("Back to the app", href="/dashboard"),
                    width="100%",
                ),
                rx.text(
                    "This install sends no real e-mail: messages are kept here so you can "
                    "follow their links.",
                    color=theme.SILVER,
                    size="2",
                ),
                rx.input(
                    placeholder="Filter by recipient",
                    on_change=OutboxState.set_recipient.debounce(300),
                    id="outbox-filter",
                    width="100%",
                ),
                rx.cond(
                    OutboxState.messages.length() > 0,
                    rx.vstack(
                        rx.foreach(OutboxState.messages, _message), spacing="3", width="100%"
                    ),
                    empty_state("mail", "No e-mail yet", "Sign up or invite someone to see one."),
                ),
                pager(
                    OutboxState.page,
                    OutboxState.page_count,
                    OutboxState.total,
                    OutboxState.page_step(-1),
                    OutboxState.page_step(1),
                    "outbox",
                ),
                spacing="4",
                width="100%",
                max_width="800px",
                margin="0 auto",
            ),
            padding="2em 1em",
            min_height="100vh",
            background=theme.OBSIDIAN,
        ),
        auth_layout("Not available", "The outbox exists only when QuotaHit runs in local mode."),
    )
