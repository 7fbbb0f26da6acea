"""The AI coach page: conversations on the left, the chat on the right."""

from __future__ import annotations

import reflex as rx

from quotahit.coach.attachments import PICKER_TYPES
from quotahit.coach.state import UPLOAD_ID, CoachState
from quotahit.ui import theme
from quotahit.ui.components import attach_controls, card, confirm_dialog, error_callout, pager
from quotahit.ui.model_picker import model_picker
from quotahit.ui.shell import app_page

ACCEPTED = PICKER_TYPES


def _conversation_item(row: rx.Var) -> rx.Component:
    current = row["id"].to(int) == CoachState.conversation_id
    return rx.box(
        rx.cond(
            CoachState.renaming_id == row["id"].to(int),
            rx.hstack(
                rx.input(
                    value=CoachState.rename_text,
                    on_change=CoachState.set_rename_text,
                    size="1",
                    aria_label="New title",
                    id="rename-input",
                    auto_focus=True,
                ),
                rx.icon_button(
                    rx.icon("check", size=14),
                    size="1",
                    on_click=CoachState.save_rename,
                    aria_label="Save title",
                    id="rename-save",
                ),
                rx.icon_button(
                    rx.icon("x", size=14),
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    on_click=CoachState.cancel_rename,
                    aria_label="Cancel",
                ),
                spacing="1",
            ),
            rx.hstack(
                rx.link(
                    rx.vstack(
                        rx.text(row["title"], size="2", color=theme.PLATINUM, trim="both"),
                        rx.text(row["when"], size="1", color=theme.MIST),
                        spacing="0",
                    ),
                    href="/coach/" + row["id"].to(str),
                    # Through the handler, which refuses while an answer is being written.
                    on_click=CoachState.open_conversation(row["id"].to(int)).prevent_default,
                    underline="none",
                    class_name="conversation-link",
                    flex="1",
                    min_width="0",
                ),
                rx.icon_button(
                    rx.icon("pencil", size=12),
                    size="1",
                    variant="ghost",
                    on_click=CoachState.start_rename(row["id"].to(int), row["title"].to(str)),
                    aria_label="Rename",
                    class_name="rename-conversation",
                ),
                rx.icon_button(
                    rx.icon("trash_2", size=12),
                    size="1",
                    variant="ghost",
                    color_scheme="red",
                    on_click=CoachState.ask_delete(row["id"].to(int)),
                    aria_label="Delete",
                    class_name="delete-conversation",
                ),
                spacing="1",
                align="center",
                width="100%",
            ),
        ),
        padding="0.5em",
        border_radius="6px",
        background=rx.cond(current, theme.GUNMETAL, "transparent"),
        width="100%",
        class_name="conversation-item",
    )


def _conversation_list() -> rx.Component:
    return card(
        rx.vstack(
            rx.button(
                rx.icon("plus", size=14),
                "New conversation",
                on_click=CoachState.new_conversation,
                width="100%",
                id="new-conversation",
            ),
            rx.input(
                placeholder="Search conversations",
                value=CoachState.search_text,
                on_change=CoachState.search.debounce(300),
                aria_label="Search conversations",
                id="conversation-search",
                width="100%",
            ),
            rx.cond(
                CoachState.conversations.length() > 0,
                rx.vstack(
                    rx.foreach(CoachState.conversations, _conversation_item),
                    spacing="1",
                    width="100%",
                    id="conversation-list",
                ),
                rx.text(
                    rx.cond(
                        CoachState.search_text != "",
                        "No conversation matches.",
                        "Your conversations appear here.",
                    ),
                    size="2",
                    color=theme.MIST,
                    id="no-conversations",
                ),
            ),
            rx.cond(
                CoachState.total > 20,
                pager(
                    CoachState.page,
                    CoachState.pages,
                    CoachState.total,
                    CoachState.go_to_page(CoachState.page - 1),
                    CoachState.go_to_page(CoachState.page + 1),
                    "conversations",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width=["100%", "100%", "280px"],
        flex_shrink="0",
    )


def _citation(item: rx.Var) -> rx.Component:
    label = rx.cond(
        item["ref"] != "", "[" + item["ref"].to(str) + "] " + item["title"].to(str), item["title"]
    )
    return rx.cond(
        item["url"] != "",
        rx.link(
            rx.badge(rx.icon("globe", size=12), label, variant="soft", color_scheme="blue"),
            href=item["url"].to(str),
            is_external=True,
        ),
        rx.badge(
            rx.icon(rx.cond(item["kind"] == "playbook", "book_open", "file_text"), size=12),
            label,
            variant="soft",
            color_scheme=rx.cond(item["kind"] == "playbook", "gray", "green"),
        ),
    )


def _answer_actions(message: rx.Var, index: rx.Var[int]) -> rx.Component:
    is_last = index == CoachState.messages.length() - 1
    return rx.hstack(
        rx.icon_button(
            rx.icon("copy", size=14),
            size="1",
            variant="ghost",
            aria_label="Copy answer",
            class_name="copy-answer",
            on_click=[
                rx.set_clipboard(message["content"].to(str)),
                rx.toast.success("Copied to the clipboard."),
            ],
        ),
        rx.cond(
            is_last,
            rx.button(
                rx.icon("refresh_cw", size=14),
                rx.cond(message["status"] == "complete", "Regenerate", "Retry"),
                size="1",
                variant="soft",
                on_click=CoachState.regenerate,
                disabled=CoachState.streaming,
                id="regenerate",
            ),
        ),
        rx.text(message["model"], size="1", color=theme.MIST),
        spacing="2",
        align="center",
    )


def _message(message: rx.Var, index: rx.Var[int]) -> rx.Component:
    return rx.cond(
        message["role"] == "user",
        rx.box(
            rx.text(message["content"], white_space="pre-wrap", color=theme.PLATINUM),
            background=theme.GUNMETAL,
            padding="0.6em 0.9em",
            border_radius="6px",
            max_width="85%",
            align_self="end",
            class_name="user-message",
        ),
        rx.vstack(
            rx.cond(
                message["notice"] != "",
                rx.text(
                    message["notice"], size="1", color=theme.WARNING_AMBER, class_name="notice"
                ),
            ),
            rx.box(
                rx.markdown(
                    message["content"].to(str),
                    use_raw=False,
                    use_math=False,
                    use_katex=False,
                ),
                class_name="assistant-message",
                width="100%",
            ),
            rx.cond(
                message["citations"].to(list).length() > 0,
                rx.hstack(
                    rx.text("Sources:", size="1", color=theme.MIST),
                    rx.foreach(message["citations"].to(list[dict[str, str]]), _citation),
                    wrap="wrap",
                    spacing="1",
                    class_name="citations",
                ),
            ),
            rx.cond(
                message["error"] != "",
                rx.callout(
                    message["status_label"].to(str) + ": " + message["error"].to(str),
                    icon="triangle_alert",
                    color_scheme="red",
                    size="1",
                    class_name="answer-error",
                ),
                rx.cond(
                    message["status_label"] != "",
                    rx.text(message["status_label"], size="1", color=theme.MIST),
                ),
            ),
            _answer_actions(message, index),
            spacing="2",
            width="100%",
            align="start",
        ),
    )


def _live_answer() -> rx.Component:
    return rx.vstack(
        rx.foreach(
            CoachState.live_notices,
            lambda text: rx.text(text, size="1", color=theme.WARNING_AMBER, class_name="notice"),
        ),
        rx.cond(
            CoachState.live_sources.length() > 0,
            rx.hstack(
                rx.text("Searching:", size="1", color=theme.MIST),
                rx.foreach(CoachState.live_sources, _citation),
                wrap="wrap",
                spacing="1",
            ),
        ),
        rx.cond(
            CoachState.live_answer != "",
            rx.box(
                rx.markdown(CoachState.live_answer, use_raw=False, use_math=False, use_katex=False),
                id="live-answer",
                width="100%",
            ),
            rx.hstack(
                rx.spinner(size="2"),
                rx.text("Thinking…", size="2", color=theme.MIST),
                id="thinking",
            ),
        ),
        width="100%",
        align="start",
    )


def _quick_prompts() -> rx.Component:
    return rx.vstack(
        rx.heading("What are you working on?", size="4", color=theme.PLATINUM),
        rx.text(
            "Ask about a deal, an objection or a call, attach your own materials (PDF, images, "
            "a web page), or start from a common situation:",
            size="2",
            color=theme.SILVER,
        ),
        rx.flex(
            rx.foreach(
                CoachState.quick_prompts,
                lambda item: rx.button(
                    item["label"],
                    variant="outline",
                    size="2",
                    on_click=CoachState.ask_quick(item["prompt"]),
                    class_name="quick-prompt",
                ),
            ),
            wrap="wrap",
            gap="2",
        ),
        spacing="3",
        padding="1em 0",
        id="quick-prompts",
    )


def _attachment_chip(item: rx.Var) -> rx.Component:
    return rx.badge(
        rx.icon(rx.match(item["kind"], ("image", "image"), ("url", "globe"), "file_text"), size=12),
        item["name"],
        rx.cond(item["notice"] != "", rx.text(" · ", item["notice"], as_="span")),
        rx.icon_button(
            rx.icon("x", size=10),
            size="1",
            variant="ghost",
            on_click=CoachState.remove_attachment(item["id"].to(int)),
            aria_label="Remove attachment",
        ),
        variant="surface",
        size="2",
        class_name="attachment-chip",
    )


def _attach_bar() -> rx.Component:
    return rx.vstack(
        rx.cond(
            CoachState.attachments.length() > 0,
            rx.flex(
                rx.foreach(CoachState.attachments, _attachment_chip),
                wrap="wrap",
                gap="2",
                id="attachments",
            ),
        ),
        attach_controls(
            upload_id=UPLOAD_ID,
            accepted=ACCEPTED,
            button_label="Attach a file",
            attaching=CoachState.attaching,
            on_start=CoachState.start_attaching,
            on_receive=CoachState.receive_attachment,
            on_rejected=CoachState.reject_files,
            url=CoachState.url,
            on_url_change=CoachState.set_url,
            on_url_submit=CoachState.attach_url,
            url_placeholder="https://… a web page to read",
            url_id="attach-url",
            url_button_id="attach-url-button",
        ),
        error_callout(CoachState.attach_error, id="attach-error"),
        spacing="2",
        width="100%",
    )


def _composer() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.text_area(
                name="question",
                placeholder="Ask the coach… (Enter to send, Shift+Enter for a new line)",
                id="coach-question",
                custom_attrs={"data-enter-submits": "true"},
                rows="3",
                width="100%",
                aria_label="Your question",
                max_length=8000,
            ),
            rx.cond(
                CoachState.streaming,
                rx.button(
                    rx.icon("square", size=14),
                    "Stop",
                    type="button",
                    color_scheme="red",
                    on_click=CoachState.stop,
                    id="coach-stop",
                ),
                rx.button(rx.icon("send", size=14), "Send", type="submit", id="coach-send"),
            ),
            align="end",
            width="100%",
        ),
        on_submit=CoachState.send,
        reset_on_submit=True,
        width="100%",
    )


def _chat() -> rx.Component:
    return card(
        rx.vstack(
            rx.hstack(
                rx.heading(
                    rx.cond(CoachState.title != "", CoachState.title, "AI Coach"),
                    size="4",
                    color=theme.PLATINUM,
                    id="conversation-title",
                ),
                rx.spacer(),
                rx.hstack(
                    rx.switch(
                        checked=CoachState.research,
                        on_change=CoachState.set_research,
                        id="research-mode",
                    ),
                    rx.el.label("Research the web", html_for="research-mode"),
                    align="center",
                    spacing="2",
                ),
                model_picker(
                    CoachState.options, CoachState.model_id, CoachState.set_model, id="coach-model"
                ),
                width="100%",
                align="center",
                wrap="wrap",
                spacing="3",
            ),
            rx.box(
                rx.cond(
                    (CoachState.messages.length() == 0) & ~CoachState.streaming,
                    _quick_prompts(),
                ),
                rx.vstack(
                    rx.foreach(CoachState.messages, _message),
                    rx.cond(CoachState.streaming, _live_answer()),
                    spacing="4",
                    width="100%",
                    id="messages",
                ),
                custom_attrs={"data-autoscroll": "true"},
                overflow_y="auto",
                max_height="60vh",
                width="100%",
                padding_right="0.5em",
                id="chat-log",
            ),
            error_callout(CoachState.error, id="coach-error"),
            _attach_bar(),
            _composer(),
            spacing="3",
            width="100%",
        ),
        flex="1",
        min_width="0",
    )


def _delete_dialog() -> rx.Component:
    return confirm_dialog(
        title="Delete this conversation?",
        description="Its messages and attachments will be deleted for good.",
        is_open=CoachState.confirm_delete_id != 0,
        on_cancel=CoachState.cancel_delete,
        on_confirm=CoachState.confirm_delete,
        confirm_id="confirm-delete",
    )


def _coach() -> rx.Component:
    return rx.fragment(
        rx.flex(
            _conversation_list(),
            _chat(),
            direction=rx.breakpoints(initial="column", md="row"),
            gap="4",
            width="100%",
            align="start",
        ),
        _delete_dialog(),
        rx.script(src="/chat_keys.js"),
    )


@app_page("/coach", "AI Coach", on_load=CoachState.load)
def coach_page() -> rx.Component:
    """A new conversation, with the list of earlier ones."""
    return _coach()


@app_page("/coach/[conversation_id]", "AI Coach", on_load=CoachState.load)
def conversation_page() -> rx.Component:
    """One conversation."""
    return _coach()
