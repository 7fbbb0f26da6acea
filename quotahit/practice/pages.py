"""The practice pages: set up and play a text role-play, its history, and the persona library."""

from __future__ import annotations

from typing import Any

import reflex as rx

from quotahit.practice.state import PersonaLibraryState, PracticeState
from quotahit.ui import theme
from quotahit.ui.components import (
    card,
    confirm_dialog,
    error_callout,
    labelled_select,
    page_heading,
    pager,
)
from quotahit.ui.model_picker import model_picker
from quotahit.ui.shell import app_page

# A focused role="button" element is pressed with Enter or Space as a native button is: through
# its click handler. Space would otherwise scroll the page.
PRESS_WITH_ENTER_OR_SPACE = rx.Var(
    '(e) => { if (e.key === "Enter" || e.key === " ") '
    "{ e.preventDefault(); e.currentTarget.click(); } }"
)


def persona_option(
    persona: rx.Var, chosen_key: rx.Var, on_pick: Any, class_name: str
) -> rx.Component:
    """A persona card to pick (text and voice practice); `on_pick` takes the persona's key."""
    chosen = persona["key"] == chosen_key
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(persona["name"], weight="bold", color=theme.PLATINUM),
                rx.badge(persona["difficulty"], variant="soft"),
                rx.cond(persona["custom"], rx.badge("custom", color_scheme="green")),
                spacing="2",
                align="center",
            ),
            rx.text(persona["title"], " · ", persona["company"], size="1", color=theme.SILVER),
            rx.text(persona["industry"], size="1", color=theme.MIST),
            spacing="1",
        ),
        on_click=on_pick(persona["key"].to(str)),
        border=rx.cond(chosen, f"1px solid {theme.NEON_BLUE}", f"1px solid {theme.GUNMETAL}"),
        background=rx.cond(chosen, "rgba(59,130,246,0.08)", "transparent"),
        border_radius="6px",
        padding="0.75em",
        cursor="pointer",
        class_name=class_name,
        custom_attrs={
            "data-persona": persona["key"].to(str),
            "aria-pressed": chosen.to(str),
            "on_key_down": PRESS_WITH_ENTER_OR_SPACE,
        },
        role="button",
        tab_index=0,
    )


def _setup() -> rx.Component:
    persona = PracticeState.chosen_persona
    return card(
        rx.vstack(
            rx.heading("Start a text role-play", size="4", color=theme.PLATINUM),
            rx.text("Choose a buyer", size="2", color=theme.SILVER),
            rx.grid(
                rx.foreach(
                    PracticeState.personas,
                    lambda p: persona_option(
                        p, PracticeState.persona_key, PracticeState.set_persona, "persona-option"
                    ),
                ),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                spacing="2",
                width="100%",
                id="persona-options",
            ),
            rx.cond(
                persona.contains("name"),
                rx.text(persona["personality"].to(str), size="2", color=theme.MIST),
            ),
            rx.grid(
                labelled_select(
                    "Scenario",
                    PracticeState.scenarios,
                    PracticeState.scenario,
                    PracticeState.set_scenario,
                    key="slug",
                    id_="practice-scenario",
                ),
                labelled_select(
                    "Training focus",
                    PracticeState.focuses,
                    PracticeState.focus,
                    PracticeState.set_focus,
                    key="slug",
                    id_="practice-focus",
                ),
                rx.vstack(
                    rx.el.label(
                        "Difficulty",
                        html_for="practice-difficulty",
                        style={"color": theme.SILVER, "fontSize": "14px"},
                    ),
                    rx.segmented_control.root(
                        rx.foreach(
                            PracticeState.difficulties,
                            lambda d: rx.segmented_control.item(d, value=d),
                        ),
                        value=PracticeState.difficulty,
                        on_change=PracticeState.set_difficulty,
                        id="practice-difficulty",
                    ),
                    spacing="1",
                ),
                rx.vstack(
                    rx.el.label(
                        "Who plays the buyer",
                        html_for="practice-model",
                        style={"color": theme.SILVER, "fontSize": "14px"},
                    ),
                    model_picker(
                        PracticeState.options,
                        PracticeState.model_id,
                        PracticeState.set_model,
                        id="practice-model",
                    ),
                    spacing="1",
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
            ),
            rx.button(
                rx.icon("play", size=16),
                "Start role-play",
                size="3",
                on_click=PracticeState.start,
                id="start-practice",
            ),
            spacing="3",
            width="100%",
        )
    )


def _history() -> rx.Component:
    return card(
        rx.heading("Your sessions", size="4", color=theme.PLATINUM),
        rx.cond(
            PracticeState.sessions.length() > 0,
            rx.vstack(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Buyer"),
                            rx.table.column_header_cell("Scenario"),
                            rx.table.column_header_cell("When"),
                            rx.table.column_header_cell("Turns"),
                            rx.table.column_header_cell("Score"),
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            PracticeState.sessions,
                            lambda row: rx.table.row(
                                rx.table.cell(
                                    rx.hstack(
                                        rx.link(row["persona"], href=row["href"].to(str)),
                                        rx.cond(
                                            row["mode"] == "voice",
                                            rx.badge("voice", variant="soft", color_scheme="green"),
                                        ),
                                        spacing="2",
                                        align="center",
                                    )
                                ),
                                rx.table.cell(row["scenario"], " · ", row["difficulty"]),
                                rx.table.cell(row["when"]),
                                rx.table.cell(row["turns"]),
                                rx.table.cell(
                                    rx.cond(
                                        row["analysis_id"].to(int) > 0,
                                        rx.link(
                                            rx.cond(row["score"] != "", row["score"], "scorecard"),
                                            href="/analyze/" + row["analysis_id"].to(str),
                                        ),
                                        rx.text("in progress", color=theme.MIST),
                                    )
                                ),
                            ),
                        )
                    ),
                    width="100%",
                    id="practice-history",
                ),
                pager(
                    PracticeState.page,
                    PracticeState.pages,
                    PracticeState.total,
                    PracticeState.go_to_page(PracticeState.page - 1),
                    PracticeState.go_to_page(PracticeState.page + 1),
                    "practice",
                ),
                width="100%",
            ),
            rx.text(
                "No sessions yet: pick a buyer and start your first role-play.",
                size="2",
                color=theme.MIST,
                id="no-sessions",
            ),
        ),
    )


def _turn(turn: rx.Var) -> rx.Component:
    is_rep = turn["speaker"] == "rep"
    return rx.box(
        rx.text(
            rx.cond(is_rep, "You", PracticeState.buyer_name),
            size="1",
            color=theme.MIST,
        ),
        rx.text(turn["text"], white_space="pre-wrap", color=theme.PLATINUM),
        background=rx.cond(is_rep, theme.GUNMETAL, theme.ONYX),
        padding="0.6em 0.9em",
        border_radius="6px",
        max_width="85%",
        align_self=rx.cond(is_rep, "end", "start"),
        class_name=rx.cond(is_rep, "rep-turn", "buyer-turn"),
    )


def _session() -> rx.Component:
    return card(
        rx.vstack(
            rx.hstack(
                rx.heading(PracticeState.session_title, size="4", color=theme.PLATINUM),
                rx.spacer(),
                rx.button(
                    rx.icon("plus", size=14),
                    "New session",
                    variant="soft",
                    on_click=PracticeState.new_session,
                    id="new-session",
                ),
                rx.cond(
                    PracticeState.ended,
                    rx.cond(
                        PracticeState.analysis_id > 0,
                        rx.link(
                            rx.button(rx.icon("clipboard_check", size=14), "Open the scorecard"),
                            href="/analyze/" + PracticeState.analysis_id.to(str),
                            id="open-scorecard",
                        ),
                    ),
                    rx.button(
                        rx.icon("flag", size=14),
                        "End and score",
                        color_scheme="green",
                        on_click=PracticeState.end_session,
                        disabled=PracticeState.replying | (PracticeState.rep_turns == 0),
                        id="end-session",
                    ),
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.box(
                rx.vstack(
                    rx.foreach(PracticeState.transcript, _turn),
                    rx.cond(
                        PracticeState.replying,
                        rx.box(
                            rx.text(PracticeState.buyer_name, size="1", color=theme.MIST),
                            rx.cond(
                                PracticeState.live_reply != "",
                                rx.text(PracticeState.live_reply, color=theme.PLATINUM),
                                rx.hstack(rx.spinner(size="1"), rx.text("…", color=theme.MIST)),
                            ),
                            background=theme.ONYX,
                            padding="0.6em 0.9em",
                            border_radius="6px",
                            id="live-reply",
                        ),
                    ),
                    spacing="3",
                    width="100%",
                    id="practice-transcript",
                ),
                custom_attrs={"data-autoscroll": "true"},
                overflow_y="auto",
                max_height="60vh",
                width="100%",
            ),
            rx.cond(
                PracticeState.notice != "",
                rx.text(PracticeState.notice, size="1", color=theme.WARNING_AMBER),
            ),
            rx.cond(
                PracticeState.buyer_ended & ~PracticeState.ended,
                rx.callout(
                    "The buyer has ended the conversation. End the session to see your scorecard.",
                    icon="phone_off",
                    color_scheme="amber",
                    id="buyer-ended",
                ),
            ),
            error_callout(PracticeState.error, id="practice-error"),
            rx.cond(
                ~PracticeState.ended,
                rx.form(
                    rx.hstack(
                        rx.text_area(
                            name="message",
                            placeholder="Your reply (Enter to send, Shift+Enter for a new line)",
                            id="practice-message",
                            custom_attrs={"data-enter-submits": "true"},
                            rows="2",
                            width="100%",
                            aria_label="Your message to the buyer",
                            max_length=2000,
                        ),
                        rx.button(
                            rx.icon("send", size=14),
                            "Send",
                            type="submit",
                            loading=PracticeState.replying,
                            id="practice-send",
                        ),
                        align="end",
                        width="100%",
                    ),
                    on_submit=PracticeState.send,
                    reset_on_submit=True,
                    width="100%",
                ),
                rx.text(
                    "This session has ended.",
                    size="2",
                    color=theme.MIST,
                    id="session-ended",
                ),
            ),
            spacing="3",
            width="100%",
        )
    )


@app_page("/practice", "Text practice", on_load=PracticeState.load)
def practice_page() -> rx.Component:
    """Set up a role-play, and the history of sessions."""
    return rx.vstack(
        page_heading(
            "Text practice",
            "Role-play a sales conversation in writing against an AI buyer, then get scored.",
        ),
        rx.hstack(
            rx.spacer(),
            rx.link("Persona library →", href="/practice/personas", id="persona-library-link"),
            width="100%",
        ),
        error_callout(PracticeState.error, id="practice-error"),
        _setup(),
        _history(),
        spacing="4",
        width="100%",
    )


@app_page("/practice/[session_id]", "Text practice", on_load=PracticeState.load)
def session_page() -> rx.Component:
    """One role-play session."""
    return rx.vstack(_session(), rx.script(src="/chat_keys.js"), spacing="4", width="100%")


def _list(title: str, items: rx.Var) -> rx.Component:
    return rx.cond(
        items.to(list).length() > 0,
        rx.vstack(
            rx.text(title, size="1", weight="bold", color=theme.SILVER),
            rx.foreach(
                items.to(list[str]), lambda item: rx.text("• ", item, size="1", color=theme.MIST)
            ),
            spacing="0",
            align="start",
        ),
    )


def _library_card(persona: rx.Var) -> rx.Component:
    return card(
        rx.vstack(
            rx.hstack(
                rx.heading(persona["name"], size="3", color=theme.PLATINUM),
                rx.badge(persona["difficulty"], variant="soft"),
                rx.cond(persona["custom"], rx.badge("custom", color_scheme="green")),
                rx.cond(
                    persona["custom"] & ~persona["shared"].to(bool),
                    rx.badge("draft, only you", color_scheme="gray"),
                ),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text(
                persona["title"],
                " at ",
                persona["company"],
                " · ",
                persona["industry"],
                size="2",
                color=theme.SILVER,
            ),
            rx.text(persona["personality"], size="2", color=theme.MIST),
            _list("Goals", persona["goals"]),
            _list("Pains", persona["pains"]),
            _list("Objections", persona["objections"]),
            _list("What wins them", persona["wins"]),
            rx.text("Patience ", persona["patience"], " / 1", size="1", color=theme.MIST),
            rx.hstack(
                rx.link(
                    rx.button("Practise", size="1"),
                    href="/practice?persona=" + persona["key"].to(str),
                ),
                rx.cond(
                    PersonaLibraryState.can_author,
                    rx.fragment(
                        rx.button(
                            "Copy",
                            size="1",
                            variant="soft",
                            on_click=PersonaLibraryState.new_persona(persona["key"].to(str)),
                            class_name="copy-persona",
                        ),
                        rx.cond(
                            persona["custom"],
                            rx.fragment(
                                rx.button(
                                    "Edit",
                                    size="1",
                                    variant="soft",
                                    on_click=PersonaLibraryState.edit_persona(
                                        persona["key"].to(str)
                                    ),
                                    class_name="edit-persona",
                                ),
                                rx.button(
                                    "Delete",
                                    size="1",
                                    variant="soft",
                                    color_scheme="red",
                                    on_click=PersonaLibraryState.ask_delete(persona["key"].to(str)),
                                    class_name="delete-persona",
                                ),
                            ),
                        ),
                    ),
                ),
                spacing="2",
            ),
            spacing="2",
            align="start",
        ),
        class_name="persona-card",
        custom_attrs={"data-persona": persona["key"].to(str)},
    )


def _text_field(label: str, name: str, *, area: bool = False, hint: str = "") -> rx.Component:
    value = PersonaLibraryState.form[name]
    control = (
        rx.text_area(name=name, default_value=value, id=f"persona-{name}", rows="3", width="100%")
        if area
        else rx.input(name=name, default_value=value, id=f"persona-{name}", width="100%")
    )
    return rx.vstack(
        rx.el.label(
            label, html_for=f"persona-{name}", style={"color": theme.SILVER, "fontSize": "14px"}
        ),
        control,
        rx.cond(hint != "", rx.text(hint, size="1", color=theme.MIST)),
        spacing="1",
        width="100%",
    )


def _editor() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(
                rx.cond(PersonaLibraryState.editing_id > 0, "Edit persona", "New persona")
            ),
            rx.form(
                rx.vstack(
                    rx.grid(
                        _text_field("Name", "name"),
                        _text_field("Title", "title"),
                        _text_field("Company", "company"),
                        _text_field("Industry", "industry"),
                        _text_field("Company size", "company_size"),
                        _text_field("Patience (0 to 1)", "patience"),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                    rx.vstack(
                        rx.text("Difficulty", size="2", color=theme.SILVER),
                        rx.segmented_control.root(
                            rx.segmented_control.item("easy", value="easy"),
                            rx.segmented_control.item("medium", value="medium"),
                            rx.segmented_control.item("hard", value="hard"),
                            value=PersonaLibraryState.form["difficulty"],
                            on_change=PersonaLibraryState.set_difficulty,
                        ),
                        spacing="1",
                    ),
                    _text_field("Personality", "personality", area=True),
                    _text_field("How they talk", "communication_style"),
                    _text_field("Goals", "goals", area=True, hint="One per line."),
                    _text_field(
                        "Pains",
                        "pains",
                        area=True,
                        hint="One per line; revealed to good questions.",
                    ),
                    _text_field(
                        "Objections",
                        "objections",
                        area=True,
                        hint="One per line as “kind: what they say”. Kinds: "
                        + PersonaLibraryState.objection_kinds,
                    ),
                    _text_field("What wins them over", "wins", area=True, hint="One per line."),
                    _text_field("Opening line", "opening_line"),
                    rx.hstack(
                        rx.switch(
                            checked=PersonaLibraryState.shared,
                            on_change=PersonaLibraryState.set_shared,
                            id="persona-shared",
                            name="shared",
                        ),
                        rx.el.label("Share with my organisation", html_for="persona-shared"),
                        spacing="2",
                        align="center",
                    ),
                    error_callout(PersonaLibraryState.error, id="persona-error"),
                    rx.hstack(
                        rx.button(
                            "Cancel",
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=PersonaLibraryState.close_editor,
                        ),
                        rx.button("Save persona", type="submit", id="save-persona"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=PersonaLibraryState.save,
                key=PersonaLibraryState.editing_id.to(str) + PersonaLibraryState.form["name"],
            ),
            max_width="720px",
        ),
        open=PersonaLibraryState.editor_open,
        on_open_change=lambda _open: PersonaLibraryState.close_editor,
    )


def _delete_dialog() -> rx.Component:
    return confirm_dialog(
        title="Delete this persona?",
        description="Sessions already played against it keep their transcript and scorecard.",
        is_open=PersonaLibraryState.confirm_delete_id != 0,
        on_cancel=PersonaLibraryState.cancel_delete,
        on_confirm=PersonaLibraryState.confirm_delete,
        confirm_id="confirm-delete-persona",
    )


@app_page("/practice/personas", "Persona library", on_load=PersonaLibraryState.load)
def personas_page() -> rx.Component:
    """Every buyer persona; enablement users create, edit and share their own."""
    return rx.vstack(
        rx.hstack(
            page_heading(
                "Persona library",
                "The buyers reps practise against: five built in, plus your organisation's own.",
            ),
            rx.spacer(),
            rx.cond(
                PersonaLibraryState.can_author,
                rx.button(
                    rx.icon("plus", size=14),
                    "New persona",
                    on_click=PersonaLibraryState.new_persona(""),
                    id="new-persona",
                ),
            ),
            width="100%",
            align="center",
        ),
        error_callout(PersonaLibraryState.error, id="library-error"),
        rx.grid(
            rx.foreach(PersonaLibraryState.personas, _library_card),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
            id="persona-library",
        ),
        _editor(),
        _delete_dialog(),
        spacing="4",
        width="100%",
    )
