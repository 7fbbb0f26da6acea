"""The voice practice pages: set up a call, then the call screen (transcript, coach, controls)."""

from __future__ import annotations

import reflex as rx

from quotahit.coach.pages import ACCEPTED
from quotahit.practice.pages import persona_option
from quotahit.ui import theme
from quotahit.ui.components import (
    ask_first,
    attach_controls,
    card,
    error_callout,
    labelled_select,
    page_heading,
)
from quotahit.ui.shell import app_page
from quotahit.voice.state import VoiceCallState

UPLOAD_ID = "voice-context-upload"
SCRIPTS = ("/voice/voice-call.js", "/voice/page-glue.js")


def _label(text: str, for_id: str) -> rx.Component:
    return rx.el.label(text, html_for=for_id, style={"color": theme.SILVER, "fontSize": "14px"})


def _context_chip(item: rx.Var, index: rx.Var) -> rx.Component:
    return rx.badge(
        rx.icon(rx.cond(item["kind"] == "image", "image", "file_text"), size=12),
        rx.text(
            item["name"],
            max_width="14em",
            overflow="hidden",
            text_overflow="ellipsis",
            white_space="nowrap",
            title=item["name"],
        ),
        rx.text(" · ", item["size"], size="1", color=theme.MIST),
        rx.icon_button(
            rx.icon("x", size=10),
            size="1",
            variant="ghost",
            aria_label="Remove",
            on_click=VoiceCallState.remove_context(index),
        ),
        variant="soft",
        class_name="context-item",
    )


def _context_picker() -> rx.Component:
    return rx.vstack(
        rx.text("What the buyer knows (optional)", size="2", color=theme.SILVER),
        rx.text(
            "Add the prospect's website, a PDF or a screenshot: the buyer answers like someone who "
            "lives it. The local buyer quotes the text (it answers from it and calls out figures "
            "that do not match); a model-played buyer also sees pictures.",
            size="1",
            color=theme.MIST,
        ),
        rx.cond(
            VoiceCallState.context.length() > 0,
            rx.flex(
                rx.foreach(VoiceCallState.context, _context_chip),
                wrap="wrap",
                gap="2",
                id="voice-context",
            ),
        ),
        attach_controls(
            upload_id=UPLOAD_ID,
            accepted=ACCEPTED,
            button_label="Add a file",
            attaching=VoiceCallState.attaching,
            on_start=VoiceCallState.start_attaching,
            on_receive=VoiceCallState.receive_context,
            url=VoiceCallState.url,
            on_url_change=VoiceCallState.set_url,
            on_url_submit=VoiceCallState.attach_url,
            url_placeholder="https://… the prospect's website",
            url_id="voice-context-url",
            url_button_id="voice-context-url-button",
            on_rejected=VoiceCallState.reject_files,
        ),
        error_callout(VoiceCallState.context_error, id="voice-context-error"),
        spacing="2",
        width="100%",
    )


def _setup() -> rx.Component:
    return card(
        rx.vstack(
            rx.heading("Start a voice call", size="4", color=theme.PLATINUM),
            rx.text("Choose a buyer", size="2", color=theme.SILVER),
            rx.grid(
                rx.foreach(
                    VoiceCallState.personas,
                    lambda p: persona_option(
                        p, VoiceCallState.persona_key, VoiceCallState.set_persona, "voice-persona"
                    ),
                ),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                spacing="2",
                width="100%",
                id="voice-personas",
            ),
            rx.cond(
                VoiceCallState.chosen_persona.contains("name"),
                rx.text(
                    VoiceCallState.chosen_persona["personality"].to(str), size="2", color=theme.MIST
                ),
            ),
            rx.grid(
                labelled_select(
                    "Scenario",
                    VoiceCallState.scenarios,
                    VoiceCallState.scenario,
                    VoiceCallState.set_scenario,
                    key="slug",
                    id_="voice-scenario",
                ),
                labelled_select(
                    "Training focus",
                    VoiceCallState.focuses,
                    VoiceCallState.focus,
                    VoiceCallState.set_focus,
                    key="slug",
                    id_="voice-focus",
                ),
                rx.vstack(
                    _label("Difficulty", "voice-difficulty"),
                    rx.segmented_control.root(
                        rx.foreach(
                            VoiceCallState.difficulties,
                            lambda d: rx.segmented_control.item(d, value=d),
                        ),
                        value=VoiceCallState.difficulty,
                        on_change=VoiceCallState.set_difficulty,
                        id="voice-difficulty",
                    ),
                    spacing="1",
                ),
                rx.vstack(
                    _label("Who plays the buyer", "voice-engine"),
                    rx.segmented_control.root(
                        rx.segmented_control.item("Local engine", value="local"),
                        rx.segmented_control.item(
                            "OpenAI Realtime",
                            value="openai",
                            # Radix Themes forces `disabled={false}` on segmented items: say it
                            # with aria-disabled and the look (set_engine refuses it anyway).
                            custom_attrs={"aria-disabled": (~VoiceCallState.openai_ready).to(str)},
                            opacity=rx.cond(VoiceCallState.openai_ready, "1", "0.45"),
                            cursor=rx.cond(VoiceCallState.openai_ready, "pointer", "not-allowed"),
                        ),
                        value=VoiceCallState.engine,
                        on_change=VoiceCallState.set_engine,
                        id="voice-engine",
                    ),
                    rx.cond(
                        ~VoiceCallState.openai_ready,
                        rx.text(
                            "OpenAI Realtime needs an OpenAI key: add one on the ",
                            rx.link("API keys", href="/settings/keys"),
                            " page.",
                            size="1",
                            color=theme.MIST,
                        ),
                    ),
                    spacing="1",
                ),
                rx.vstack(
                    _label("Patience", "voice-patience"),
                    rx.slider(
                        default_value=[6],
                        min=2,
                        max=20,
                        step=1,
                        on_value_commit=VoiceCallState.set_patience,
                        id="voice-patience",
                        aria_label="Patience in seconds",
                    ),
                    rx.text(
                        "The buyer fills a silence after ",
                        VoiceCallState.patience.to(int).to(str),
                        " s",
                        size="1",
                        color=theme.MIST,
                        id="voice-patience-value",
                    ),
                    spacing="1",
                    width="100%",
                ),
                rx.vstack(
                    rx.hstack(
                        rx.switch(
                            checked=VoiceCallState.coaching,
                            on_change=VoiceCallState.set_coaching,
                            id="voice-coaching",
                        ),
                        _label("Script coaching: live hints beside the call", "voice-coaching"),
                        spacing="2",
                        align="center",
                    ),
                    rx.hstack(
                        rx.switch(
                            checked=VoiceCallState.keep_audio,
                            on_change=VoiceCallState.set_keep_audio,
                            id="voice-keep-audio",
                        ),
                        _label("Keep the recording with the scorecard", "voice-keep-audio"),
                        spacing="2",
                        align="center",
                    ),
                    spacing="2",
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
            ),
            _context_picker(),
            rx.button(
                rx.icon("phone", size=16),
                "Start call",
                size="3",
                color_scheme="green",
                on_click=VoiceCallState.start_call,
                id="start-call",
            ),
            spacing="3",
            width="100%",
        )
    )


@app_page("/practice/voice", "Voice practice", on_load=VoiceCallState.load_setup)
def voice_setup_page() -> rx.Component:
    """Set up a spoken role-play."""
    return rx.vstack(
        page_heading(
            "Voice practice",
            "Talk out loud with an AI buyer, see the call transcribed live, get coached while you "
            "talk and scored when you hang up.",
        ),
        rx.hstack(
            rx.spacer(),
            rx.link("Your practice history →", href="/practice", id="voice-history-link"),
            width="100%",
        ),
        error_callout(VoiceCallState.error, id="voice-error"),
        _setup(),
        spacing="4",
        width="100%",
    )


def _turn(turn: rx.Var) -> rx.Component:
    is_rep = turn["speaker"] == "rep"
    return rx.box(
        rx.text(rx.cond(is_rep, "You", VoiceCallState.buyer_name), size="1", color=theme.MIST),
        rx.text(
            turn["text"],
            rx.cond(
                turn["interrupted"],
                rx.text.span(" (cut off)", color=theme.MIST, font_style="italic"),
            ),
            color=theme.PLATINUM,
            size="2",
        ),
        background=rx.cond(is_rep, "rgba(59,130,246,0.12)", "rgba(148,163,184,0.10)"),
        border=rx.cond(
            is_rep, "1px solid rgba(59,130,246,0.35)", "1px solid rgba(148,163,184,0.25)"
        ),
        border_radius="6px",
        padding="0.6em 0.8em",
        max_width="85%",
        align_self=rx.cond(is_rep, "flex-end", "flex-start"),
        class_name=rx.cond(is_rep, "call-turn rep-turn", "call-turn buyer-turn"),
    )


def _hint(hint: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.badge(hint["kind"].to(str).replace("_", " "), variant="soft", color_scheme="amber"),
            rx.text(hint["title"], weight="bold", size="2", color=theme.PLATINUM),
            spacing="2",
            align="center",
        ),
        rx.text(hint["body"], size="2", color=theme.SILVER),
        border=f"1px solid {theme.GUNMETAL}",
        border_radius="6px",
        padding="0.6em",
        class_name="call-hint",
        width="100%",
    )


def _status_badge() -> rx.Component:
    return rx.match(
        VoiceCallState.status,
        ("connecting", rx.badge("Connecting…", color_scheme="blue", id="call-status")),
        ("live", rx.badge("Live", color_scheme="green", id="call-status")),
        ("muted", rx.badge("Muted", color_scheme="amber", id="call-status")),
        ("reconnecting", rx.badge("Reconnecting…", color_scheme="amber", id="call-status")),
        ("ended", rx.badge("Ended", color_scheme="gray", id="call-status")),
        rx.badge("Not connected", color_scheme="gray", id="call-status"),
    )


def _start_over() -> rx.Component:
    """Start over, after a confirmation: it ends the call without a scorecard."""
    return ask_first(
        rx.button(rx.icon("rotate_ccw", size=16), "Start over", variant="ghost", id="call-reset"),
        title="Start over?",
        description="This call ends now without a scorecard, and its transcript is deleted. "
        "You go back to the set-up to start a new one.",
        keep_label="Keep this call",
        confirm_label="Start over",
        on_confirm=VoiceCallState.start_over,
        confirm_id="call-reset-confirm",
    )


def _controls() -> rx.Component:
    return rx.hstack(
        _status_badge(),
        rx.text(
            "00:00",
            id="call-timer",
            color=theme.PLATINUM,
            font_family="monospace",
            size="5",
            custom_attrs={"aria-label": "Call time", "role": "timer"},
        ),
        rx.cond(
            VoiceCallState.in_call,
            # Written by voice-call.js: who has the floor (buyer, you, buyer thinking, listening).
            rx.text("", id="call-speaking", size="2", color=theme.SILVER, min_width="9em"),
        ),
        rx.box(
            rx.box(id="mic-level", height="100%", width="0%", background=theme.AUTOMATION_GREEN),
            width="80px",
            height="6px",
            background=theme.GUNMETAL,
            border_radius="3px",
            overflow="hidden",
            aria_label="Microphone level",
        ),
        rx.spacer(),
        rx.cond(
            VoiceCallState.in_call,
            rx.hstack(
                rx.button(
                    rx.icon(rx.cond(VoiceCallState.muted, "mic_off", "mic"), size=16),
                    rx.cond(VoiceCallState.muted, "Unmute", "Mute"),
                    variant="soft",
                    on_click=VoiceCallState.toggle_mute,
                    id="call-mute",
                    title="Mute or unmute (M)",
                    custom_attrs={"aria-keyshortcuts": "M"},
                ),
                rx.button(
                    rx.icon("phone_off", size=16),
                    "End call",
                    color_scheme="red",
                    on_click=VoiceCallState.hang_up,
                    id="call-end",
                ),
                spacing="2",
            ),
        ),
        rx.cond(
            VoiceCallState.status == "reconnecting",
            rx.button(
                "End and score",
                variant="soft",
                on_click=VoiceCallState.end_dropped,
                id="call-end-dropped",
            ),
        ),
        rx.cond(
            (VoiceCallState.status == "idle") & (VoiceCallState.session_id > 0),
            rx.button(
                rx.icon("phone", size=16),
                "Start call",
                color_scheme="green",
                on_click=VoiceCallState.connect,
                id="call-connect",
            ),
        ),
        rx.cond(VoiceCallState.status != "ended", _start_over()),
        spacing="3",
        align="center",
        width="100%",
        wrap="wrap",
    )


def _transcript() -> rx.Component:
    return card(
        rx.hstack(
            rx.heading("Transcript", size="3", color=theme.PLATINUM),
            rx.spacer(),
            rx.text(
                "Your talk time ",
                VoiceCallState.talk_ratio.to(str),
                "%",
                size="1",
                color=theme.MIST,
                id="talk-ratio",
            ),
            width="100%",
        ),
        rx.cond(
            VoiceCallState.turns.length() > 0,
            rx.vstack(
                rx.foreach(VoiceCallState.turns, _turn),
                spacing="2",
                width="100%",
                id="call-transcript",
                custom_attrs={"aria-live": "polite", "aria-label": "Call transcript"},
                max_height="60vh",
                overflow_y="auto",
            ),
            rx.text(
                rx.cond(
                    VoiceCallState.status == "connecting",
                    "Connecting the call…",
                    rx.cond(
                        VoiceCallState.in_call,
                        "Listening… say hello when the buyer has answered.",
                        "The transcript appears here as you talk.",
                    ),
                ),
                size="2",
                color=theme.MIST,
                id="call-transcript-empty",
            ),
        ),
    )


def _coach_panel() -> rx.Component:
    return card(
        rx.heading("Coach", size="3", color=theme.PLATINUM),
        rx.cond(
            VoiceCallState.hints.length() > 0,
            rx.vstack(
                rx.foreach(VoiceCallState.hints.reverse(), _hint),
                spacing="2",
                width="100%",
                id="call-hints",
            ),
            rx.text(
                "Hints appear here while you talk: talk ratio, objections, questions to ask and "
                "next steps to secure.",
                size="2",
                color=theme.MIST,
            ),
        ),
        width="100%",
    )


def _outcome() -> rx.Component:
    return rx.cond(
        VoiceCallState.status == "ended",
        card(
            rx.cond(
                VoiceCallState.analysis_id > 0,
                rx.vstack(
                    rx.text(
                        "Call ended. Your scorecard is being prepared.",
                        color=theme.PLATINUM,
                        id="call-ended",
                    ),
                    rx.hstack(
                        rx.button(
                            "Open your scorecard",
                            on_click=VoiceCallState.open_scorecard,
                            id="open-scorecard",
                        ),
                        rx.link("New call", href="/practice/voice"),
                        spacing="3",
                        align="center",
                    ),
                    rx.box(on_mount=VoiceCallState.open_scorecard),
                ),
                rx.vstack(
                    rx.text(
                        "Call ended before you said anything, so there is nothing to score.",
                        color=theme.SILVER,
                        id="call-ended",
                    ),
                    rx.link("Start a new call", href="/practice/voice"),
                ),
            ),
        ),
    )


@app_page("/practice/voice/[session_id]", "Voice call", on_load=VoiceCallState.load_call)
def voice_call_page() -> rx.Component:
    """A live voice call."""
    return rx.vstack(
        page_heading("Voice call"),
        rx.text(VoiceCallState.call_title, color=theme.SILVER, id="call-title"),
        error_callout(VoiceCallState.error, id="voice-error"),
        rx.cond(
            VoiceCallState.guidance != "",
            rx.callout(
                VoiceCallState.guidance,
                icon="mic_off",
                color_scheme="amber",
                id="call-guidance",
                width="100%",
            ),
        ),
        rx.foreach(
            VoiceCallState.notices,
            lambda n: rx.callout(n, icon="info", size="1", class_name="call-notice", width="100%"),
        ),
        card(_controls()),
        _outcome(),
        rx.cond(
            VoiceCallState.call_coaching,
            rx.grid(
                _transcript(),
                _coach_panel(),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="3",
                width="100%",
            ),
            _transcript(),
        ),
        *[rx.script(src=src) for src in SCRIPTS],
        spacing="4",
        width="100%",
    )
