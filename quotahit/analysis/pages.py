"""The call analyzer's pages: upload and history, one analysis, two calls compared."""

from __future__ import annotations

from typing import Any

import reflex as rx

from quotahit.analysis.state import ACCEPT, AnalyzerState, CompareState, ResultState
from quotahit.ui import theme
from quotahit.ui.components import (
    ask_first,
    card,
    dropzone_refusals,
    empty_state,
    error_callout,
    page_heading,
    pager,
    wide_table,
)
from quotahit.ui.shell import app_page

UPLOAD_ID = "call_audio"
# Audio types the picker offers; video is accepted too, so it can be refused with the offer to
# take its audio track (the type is decided by content on the server either way).
REP_CHOICES = (("auto", "Decide for me"), ("first", "First voice"), ("second", "Second voice"))


def _select(
    options: rx.Var | list[list[str]],
    value: rx.Var[str],
    on_change: Any,
    name: str,
    *,
    label_key: str | None = None,
) -> rx.Component:
    def item(option: Any) -> rx.Component:
        if label_key is None:
            return rx.select.item(option[1], value=option[0])
        return rx.select.item(option[label_key], value=option["id"])

    return rx.select.root(
        rx.select.trigger(width="100%", id=f"{name}-select", aria_label=name),
        rx.select.content(rx.foreach(options, item)),
        value=value,
        on_change=on_change,
        size="2",
    )


def _labelled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", color=theme.SILVER), control, spacing="1", width="100%"
    )


def _upload_card() -> rx.Component:
    files = rx.selected_files(UPLOAD_ID)
    return card(
        rx.heading("Analyse a recording", size="4", color=theme.PLATINUM),
        rx.text(
            "mp3, m4a, wav, ogg, webm or flac, up to ",
            AnalyzerState.max_megabytes,
            " MB and ",
            AnalyzerState.max_minutes,
            " minutes. Dual-channel recordings are split by channel.",
            size="2",
            color=theme.MIST,
        ),
        rx.upload.root(
            rx.vstack(
                rx.icon("upload", size=24, color=theme.MIST),
                rx.cond(
                    files.length() > 0,
                    rx.text(files[0], color=theme.PLATINUM, id="chosen-file"),
                    rx.text(
                        "Drop a call recording here, or click to choose one",
                        color=theme.SILVER,
                        size="2",
                    ),
                ),
                align="center",
                spacing="2",
                padding="1.5em",
            ),
            id=UPLOAD_ID,
            accept=ACCEPT,
            max_files=1,
            multiple=False,
            on_drop_rejected=lambda rejected: AnalyzerState.reject_files(
                dropzone_refusals(rejected)
            ),
            border=f"1px dashed {theme.GUNMETAL}",
            border_radius="6px",
            width="100%",
            cursor="pointer",
            class_name="call-dropzone",
        ),
        rx.grid(
            _labelled(
                "Training focus",
                _select(
                    AnalyzerState.focus_options,
                    AnalyzerState.focus,
                    AnalyzerState.set_focus,
                    "focus",
                ),
            ),
            _labelled(
                "Scored by",
                _select(
                    AnalyzerState.scoring_options,
                    AnalyzerState.model_id,
                    AnalyzerState.set_model,
                    "scoring-model",
                    label_key="label",
                ),
            ),
            _labelled(
                "Transcribed by",
                _select(
                    AnalyzerState.speech_options,
                    AnalyzerState.speech_model_id,
                    AnalyzerState.set_speech_model,
                    "speech-model",
                    label_key="label",
                ),
            ),
            _labelled(
                "The rep is",
                _select(
                    [list(choice) for choice in REP_CHOICES],
                    AnalyzerState.rep_hint,
                    AnalyzerState.set_rep_hint,
                    "rep",
                ),
            ),
            columns=rx.breakpoints(initial="1", sm="2", lg="4"),
            spacing="3",
            width="100%",
        ),
        rx.vstack(
            rx.checkbox(
                "Keep the recording after analysis (for playback), deleted after the "
                "retention period",
                checked=AnalyzerState.keep_audio,
                on_change=AnalyzerState.set_keep_audio,
                id="keep-audio",
            ),
            rx.cond(
                AnalyzerState.keep_audio,
                rx.checkbox(
                    "Everyone on this call agreed to be recorded",
                    checked=AnalyzerState.consent,
                    on_change=AnalyzerState.set_consent,
                    id="consent",
                ),
            ),
            rx.text(
                "By default the audio is processed and discarded: only the transcript and "
                "the analysis are kept.",
                size="1",
                color=theme.MIST,
            ),
            spacing="2",
            width="100%",
        ),
        error_callout(AnalyzerState.upload_error, id="upload-error"),
        rx.cond(
            AnalyzerState.uploading,
            rx.vstack(
                rx.text("Uploading… ", AnalyzerState.upload_percent, "%", size="2"),
                rx.progress(value=AnalyzerState.upload_percent, max=100, width="100%"),
                width="100%",
                id="upload-progress",
            ),
        ),
        rx.button(
            rx.icon("audio_lines", size=16),
            "Analyse call",
            type="button",
            size="3",
            id="analyse-upload",
            loading=AnalyzerState.uploading,
            disabled=files.length() == 0,
            on_click=[
                AnalyzerState.start_upload,
                AnalyzerState.receive_upload(
                    rx.upload_files_chunk(
                        upload_id=UPLOAD_ID, on_upload_progress=AnalyzerState.upload_progress
                    )
                ),
            ],
        ),
        spacing="3",
    )


def _mock_card(mock: rx.Var) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(mock["title"], weight="medium", color=theme.PLATINUM),
                rx.spacer(),
                rx.badge(mock["focus"], variant="soft"),
                width="100%",
            ),
            rx.text(mock["description"], size="2", color=theme.SILVER),
            rx.button(
                "Analyse",
                size="1",
                variant="soft",
                on_click=AnalyzerState.analyse_mock(mock["slug"]),
                id="mock-" + mock["slug"].to(str),
            ),
            spacing="2",
            align="start",
        ),
        padding="1em",
        border=f"1px solid {theme.GUNMETAL}",
        border_radius="6px",
    )


def _mocks() -> rx.Component:
    return card(
        rx.heading("Try a mock training call", size="4", color=theme.PLATINUM),
        rx.text("Six realistic transcripts, analysed without audio.", size="2", color=theme.MIST),
        rx.grid(
            rx.foreach(AnalyzerState.mock_calls, _mock_card),
            columns=rx.breakpoints(initial="1", md="2", lg="3"),
            spacing="3",
            width="100%",
            padding_top="0.5em",
        ),
    )


def status_badge(status: rx.Var[str], label: rx.Var[str]) -> rx.Component:
    """A coloured badge for a job's status."""
    return rx.badge(
        label,
        color_scheme=rx.match(
            status,
            ("done", "green"),
            ("failed", "red"),
            ("cancelled", "gray"),
            "blue",
        ),
        variant="soft",
    )


def confirm_delete(trigger: rx.Component, on_confirm: Any, what: rx.Var | str) -> rx.Component:
    """A delete that asks first: an analysis and its recording cannot be brought back."""
    return ask_first(
        trigger,
        title="Delete this analysis?",
        description=rx.text(
            "“", what, "”, its transcript and its recording will be deleted for good."
        ),
        keep_label="Keep it",
        confirm_label="Delete",
        on_confirm=on_confirm,
        confirm_id="confirm-delete",
    )


def _history_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["title"], href="/analyze/" + row["id"].to(str))),
        rx.table.cell(row["when"]),
        rx.table.cell(row["focus"]),
        rx.table.cell(row["duration"]),
        rx.table.cell(status_badge(row["status"], row["status_label"])),
        rx.table.cell(row["score"]),
        rx.table.cell(
            confirm_delete(
                rx.icon_button(
                    rx.icon("trash_2", size=14),
                    size="1",
                    variant="ghost",
                    color_scheme="red",
                    aria_label="Delete analysis",
                ),
                AnalyzerState.delete(row["id"]),
                row["title"],
            )
        ),
        class_name="history-row",
    )


def _history() -> rx.Component:
    return card(
        rx.hstack(
            rx.heading("Your analyses", size="4", color=theme.PLATINUM),
            rx.spacer(),
            rx.link("Compare two calls", href="/analyze/compare", size="2"),
            width="100%",
            align="center",
        ),
        rx.input(
            placeholder="Search by title",
            value=AnalyzerState.query,
            on_change=AnalyzerState.search.debounce(300),
            name="history-search",
            width="100%",
        ),
        error_callout(AnalyzerState.action_error),
        rx.cond(
            AnalyzerState.rows.length() > 0,
            rx.vstack(
                wide_table(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(name)
                                for name in (
                                    "Call",
                                    "When",
                                    "Focus",
                                    "Length",
                                    "Status",
                                    "Score",
                                    "",
                                )
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(AnalyzerState.rows, _history_row)),
                    min_width="720px",
                ),
                pager(
                    AnalyzerState.page,
                    AnalyzerState.page_count,
                    AnalyzerState.total,
                    AnalyzerState.previous_page,
                    AnalyzerState.next_page,
                    "history",
                ),
                width="100%",
            ),
            empty_state(
                "audio_lines",
                "No analyses yet",
                "Upload a recorded call, or analyse one of the mock calls above.",
            ),
        ),
        spacing="3",
    )


@app_page("/analyze", "Call analyzer", on_load=AnalyzerState.load)
def analyzer_page() -> rx.Component:
    """Upload a call, try a mock, find past analyses."""
    return rx.vstack(
        page_heading(
            "Call analyzer",
            "Upload a recorded call: a timed transcript, measured metrics against published "
            "benchmarks, and coaching scores.",
        ),
        _upload_card(),
        _mocks(),
        _history(),
        spacing="4",
        width="100%",
    )


# --- one analysis --------------------------------------------------------------------------

STAGES = (
    ("decoding", "Decoding the audio"),
    ("transcribing", "Transcribing"),
    ("speakers", "Finding the speakers"),
    ("analysing", "Measuring and scoring"),
)


def _progress() -> rx.Component:
    return card(
        rx.hstack(
            rx.spinner(size="2"),
            rx.text(ResultState.stage_label, weight="medium", id="stage-label"),
            rx.spacer(),
            rx.text(ResultState.progress_percent, "%", id="progress-percent"),
            width="100%",
            align="center",
        ),
        rx.progress(value=ResultState.progress_percent, max=100, width="100%"),
        rx.hstack(
            *[
                rx.badge(
                    label,
                    variant=rx.cond(ResultState.stage == key, "solid", "soft"),
                    color_scheme="blue",
                )
                for key, label in STAGES
            ],
            wrap="wrap",
            spacing="2",
        ),
        rx.text(
            "You can leave this page: the analysis keeps running and appears in your history.",
            size="1",
            color=theme.MIST,
        ),
        rx.cond(
            ResultState.can_change,
            rx.button("Cancel", variant="soft", color_scheme="red", on_click=ResultState.cancel),
        ),
        spacing="3",
        id="analysis-progress",
    )


def _failed() -> rx.Component:
    return card(
        rx.callout(
            rx.cond(
                ResultState.status == "cancelled",
                "This analysis was cancelled.",
                ResultState.error,
            ),
            icon="triangle_alert",
            color_scheme=rx.cond(ResultState.status == "cancelled", "gray", "red"),
            id="analysis-error",
        ),
        rx.cond(
            ResultState.can_change,
            rx.hstack(
                rx.cond(
                    ResultState.error_kind == "video",
                    rx.button(
                        rx.icon("audio_lines", size=16),
                        "Extract the audio and analyse it",
                        on_click=ResultState.extract_audio,
                        id="extract-audio",
                    ),
                ),
                rx.button("Try again", variant="soft", on_click=ResultState.retry, id="retry"),
                rx.link(rx.button("Upload another file", variant="ghost"), href="/analyze"),
                spacing="2",
                wrap="wrap",
            ),
        ),
        spacing="3",
    )


def _score_card(score: rx.Var) -> rx.Component:
    return rx.box(
        rx.text(score["label"], size="2", color=theme.SILVER),
        rx.text(score["value"], size="7", weight="bold", color=theme.PLATINUM),
        padding="1em",
        border=f"1px solid {theme.GUNMETAL}",
        border_radius="6px",
        class_name="score-card",
        id="score-" + score["key"].to(str),
    )


def _timeline() -> rx.Component:
    def lane(speaker: str, label: str, color: str) -> rx.Component:
        return rx.hstack(
            rx.text(label, size="1", color=theme.SILVER, width="5em"),
            rx.box(
                rx.foreach(
                    ResultState.timeline,
                    lambda bar: rx.cond(
                        bar["speaker"] == speaker,
                        rx.box(
                            position="absolute",
                            left=bar["left"],
                            width=bar["width"],
                            top="0",
                            bottom="0",
                            background=color,
                            border_radius="2px",
                            custom_attrs={"data-seek": bar["start"]},
                            title=bar["at"],
                            cursor="pointer",
                        ),
                    ),
                ),
                position="relative",
                height="14px",
                flex="1",
                background=theme.ONYX,
                border_radius="3px",
            ),
            width="100%",
            align="center",
        )

    return rx.vstack(
        rx.hstack(
            rx.text(
                "Rep ",
                ResultState.talk_rep,
                "% · Prospect ",
                ResultState.talk_prospect,
                "%",
                size="2",
                id="talk-ratio",
            ),
            rx.spacer(),
            rx.text(ResultState.duration, size="2", color=theme.MIST),
            width="100%",
        ),
        lane("rep", "Rep", theme.NEON_BLUE),
        lane("prospect", "Prospect", theme.AUTOMATION_GREEN),
        width="100%",
        spacing="2",
        id="talk-timeline",
    )


def _metrics_table() -> rx.Component:
    return wide_table(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(name)
                    for name in ("Metric", "This call", "Good range", "", "Source")
                ]
            )
        ),
        rx.table.body(
            rx.foreach(
                ResultState.metric_rows,
                lambda row: rx.table.row(
                    rx.table.cell(row["label"]),
                    rx.table.cell(row["value"], class_name="metric-value"),
                    rx.table.cell(row["benchmark"]),
                    rx.table.cell(
                        rx.badge(
                            row["verdict"],
                            color_scheme=rx.match(
                                row["verdict"], ("good", "green"), ("info", "gray"), "amber"
                            ),
                            variant="soft",
                        )
                    ),
                    rx.table.cell(rx.text(row["source"], size="1", color=theme.MIST)),
                    class_name="metric-row",
                ),
            )
        ),
        min_width="640px",
        class_name="metrics-table",
    )


def _bullets(title: str, items: rx.Var, element_id: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="3", color=theme.PLATINUM),
        rx.cond(
            items.length() > 0,
            rx.unordered_list(rx.foreach(items, lambda item: rx.list_item(item))),
            rx.text("None.", size="2", color=theme.MIST),
        ),
        spacing="1",
        width="100%",
        id=element_id,
    )


def _key_moments() -> rx.Component:
    return rx.vstack(
        rx.heading("Key moments", size="3", color=theme.PLATINUM),
        rx.foreach(
            ResultState.key_moments,
            lambda moment: rx.hstack(
                rx.badge(
                    moment["at"],
                    variant="soft",
                    cursor="pointer",
                    custom_attrs={"data-seek": moment["start"]},
                ),
                rx.cond(
                    moment["type"] == "positive",
                    rx.icon("thumbs_up", size=14, color=theme.AUTOMATION_GREEN),
                    rx.icon("lightbulb", size=14, color=theme.WARNING_AMBER),
                ),
                rx.text(moment["text"], size="2"),
                align="start",
                class_name="key-moment",
            ),
        ),
        spacing="2",
        width="100%",
        id="key-moments",
    )


def _transcript() -> rx.Component:
    return rx.vstack(
        rx.heading("Transcript", size="3", color=theme.PLATINUM),
        rx.text("Click a line to play it.", size="1", color=theme.MIST),
        rx.box(
            rx.foreach(
                ResultState.transcript,
                lambda line: rx.hstack(
                    rx.text(line["at"], size="1", color=theme.MIST, width="4.5em", flex_shrink="0"),
                    rx.text(
                        line["speaker"],
                        size="1",
                        weight="bold",
                        width="5.5em",
                        flex_shrink="0",
                        color=rx.cond(
                            line["speaker"] == "rep", theme.NEON_BLUE, theme.AUTOMATION_GREEN
                        ),
                    ),
                    rx.text(line["text"], size="2"),
                    align="start",
                    class_name="transcript-line",
                    custom_attrs={"data-seek": line["start"], "data-start": line["start"]},
                    cursor="pointer",
                    padding="0.25em 0.4em",
                    border_radius="4px",
                ),
            ),
            max_height="480px",
            overflow_y="auto",
            width="100%",
            id="transcript",
        ),
        spacing="2",
        width="100%",
    )


def _actions() -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("file_down", size=16),
            "PDF",
            variant="soft",
            on_click=ResultState.download("pdf"),
            id="export-pdf",
        ),
        rx.button(
            rx.icon("file_text", size=16),
            "Markdown",
            variant="soft",
            on_click=ResultState.download("md"),
            id="export-md",
        ),
        rx.link(
            rx.button(rx.icon("git_compare", size=16), "Compare", variant="soft"),
            href="/analyze/compare?b=" + ResultState.analysis_id.to(str),
        ),
        rx.cond(
            ResultState.can_change,
            rx.hstack(
                rx.button(
                    rx.icon("arrow_left_right", size=16),
                    "Swap rep and prospect",
                    variant="soft",
                    on_click=ResultState.swap_speakers,
                    id="swap-speakers",
                ),
                confirm_delete(
                    rx.button(
                        rx.icon("trash_2", size=16),
                        "Delete",
                        variant="soft",
                        color_scheme="red",
                        id="delete-analysis",
                    ),
                    ResultState.delete,
                    ResultState.title,
                ),
                spacing="2",
            ),
        ),
        wrap="wrap",
        spacing="2",
    )


def _rerun() -> rx.Component:
    return rx.cond(
        ResultState.can_change,
        rx.hstack(
            rx.box(
                _select(
                    ResultState.scoring_options,
                    ResultState.rerun_model,
                    ResultState.set_rerun_model,
                    "rerun-model",
                    label_key="label",
                ),
                min_width="14em",
            ),
            rx.box(
                _select(
                    ResultState.focus_options,
                    ResultState.rerun_focus,
                    ResultState.set_rerun_focus,
                    "rerun-focus",
                ),
                min_width="12em",
            ),
            rx.button("Re-run scoring", on_click=ResultState.rerun, id="rerun"),
            wrap="wrap",
            spacing="2",
            align="center",
        ),
    )


def _results() -> rx.Component:
    return rx.vstack(
        rx.foreach(
            ResultState.notices,
            lambda notice: rx.callout(notice, icon="info", color_scheme="blue", width="100%"),
        ),
        card(
            rx.text(ResultState.summary, color=theme.PLATINUM, id="summary"),
            rx.grid(
                rx.foreach(ResultState.scores, _score_card),
                columns=rx.breakpoints(initial="2", sm="3", lg="5"),
                spacing="3",
                width="100%",
            ),
            rx.text(
                "Scored by ",
                ResultState.scored_by,
                " · transcribed by ",
                ResultState.transcribed_by,
                " · ",
                ResultState.focus_label,
                size="1",
                color=theme.MIST,
                id="scored-by",
            ),
            rx.cond(
                ResultState.rep_reason != "",
                rx.text("Rep: ", ResultState.rep_reason, size="1", color=theme.MIST),
            ),
            spacing="3",
        ),
        card(
            rx.heading("Talk time", size="3", color=theme.PLATINUM),
            _timeline(),
            rx.cond(
                ResultState.audio_url != "",
                rx.el.audio(
                    src=ResultState.audio_url,
                    controls=True,
                    preload="metadata",
                    id="call-audio",
                    style={"width": "100%"},
                ),
                rx.text(ResultState.audio_note, size="1", color=theme.MIST),
            ),
            spacing="3",
        ),
        card(
            rx.heading("Measured against benchmarks", size="3", color=theme.PLATINUM),
            rx.text(
                "Measured from the timed transcript, never estimated by a model.",
                size="1",
                color=theme.MIST,
            ),
            _metrics_table(),
            spacing="2",
        ),
        rx.grid(
            card(_bullets("Strengths", ResultState.strengths, "strengths")),
            card(_bullets("To improve", ResultState.improvements, "improvements")),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
        ),
        card(_key_moments()),
        rx.grid(
            card(_bullets("Questions the rep asked", ResultState.questions, "questions")),
            card(_bullets("Suggested next steps", ResultState.next_steps, "next-steps")),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
        ),
        card(_transcript()),
        card(
            rx.heading("Export, re-run, compare", size="3", color=theme.PLATINUM),
            _actions(),
            _rerun(),
            error_callout(ResultState.action_error),
            spacing="3",
        ),
        spacing="4",
        width="100%",
    )


@app_page("/analyze/[analysis_id]", "Call analysis", on_load=ResultState.load)
def result_page() -> rx.Component:
    """One analysis: progress while it runs, results when done."""
    return rx.vstack(
        rx.script(src="/transcript_sync.js"),
        rx.cond(
            ResultState.found,
            rx.vstack(
                rx.hstack(
                    rx.link("← All analyses", href="/analyze", size="2"),
                    width="100%",
                ),
                rx.hstack(
                    rx.heading(ResultState.title, size="6", color=theme.PLATINUM, id="title"),
                    status_badge(ResultState.status, ResultState.status_label),
                    align="center",
                    spacing="3",
                    wrap="wrap",
                ),
                rx.match(
                    ResultState.status,
                    ("queued", _progress()),
                    ("running", _progress()),
                    ("done", _results()),
                    _failed(),
                ),
                error_callout(ResultState.action_error),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                ResultState.not_found_reason != "",
                empty_state(
                    "search_x",
                    "Analysis not found",
                    ResultState.not_found_reason,
                    rx.link("Back to the analyzer", href="/analyze"),
                ),
                rx.spinner(),
            ),
        ),
        width="100%",
    )


@app_page("/analyze/compare", "Compare calls", on_load=CompareState.load)
def compare_page() -> rx.Component:
    """Two finished analyses side by side."""
    return rx.vstack(
        page_heading("Compare two calls", "Scores and measured metrics side by side."),
        rx.cond(
            CompareState.choices.length() > 0,
            card(
                rx.grid(
                    _select(
                        CompareState.choices,
                        CompareState.left_id,
                        CompareState.set_left,
                        "left-call",
                        label_key="label",
                    ),
                    _select(
                        CompareState.choices,
                        CompareState.right_id,
                        CompareState.set_right,
                        "right-call",
                        label_key="label",
                    ),
                    columns="2",
                    spacing="3",
                    width="100%",
                ),
                error_callout(CompareState.error),
                wide_table(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(""),
                            rx.table.column_header_cell(CompareState.left_title),
                            rx.table.column_header_cell(CompareState.right_title),
                            rx.table.column_header_cell("Change"),
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            CompareState.rows,
                            lambda row: rx.table.row(
                                rx.table.cell(row["label"]),
                                rx.table.cell(row["left"]),
                                rx.table.cell(row["right"]),
                                rx.table.cell(row["delta"]),
                                class_name="compare-row",
                            ),
                        )
                    ),
                    min_width="520px",
                ),
                spacing="3",
            ),
            empty_state(
                "git_compare",
                "Nothing to compare yet",
                "Analyse at least one call first; a finished analysis can be compared.",
                rx.link("Go to the analyzer", href="/analyze"),
            ),
        ),
        spacing="4",
        width="100%",
    )
