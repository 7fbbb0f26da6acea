"""The usage page: calls, tokens and cost by day, module, provider and key."""

from __future__ import annotations

import reflex as rx

from quotahit.accounts.state import SessionState
from quotahit.ui import theme
from quotahit.ui.components import card, empty_state, page_heading
from quotahit.ui.shell import app_page
from quotahit.usage.state import UsageState


def _table(title: str, rows: rx.Var, first: str) -> rx.Component:
    return card(
        rx.heading(title, size="3", color=theme.PLATINUM),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(name)
                            for name in (first, "Calls", "Tokens", "Audio", "Cost", "Failed")
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        rows,
                        lambda row: rx.table.row(
                            rx.table.cell(row["label"]),
                            rx.table.cell(row["calls"]),
                            rx.table.cell(row["tokens"]),
                            rx.table.cell(row["audio"]),
                            rx.table.cell(row["cost"]),
                            rx.table.cell(row["failures"]),
                            class_name="usage-row",
                        ),
                    )
                ),
                size="1",
                width="100%",
            ),
            overflow_x="auto",
            width="100%",
            padding_top="0.5em",
        ),
    )


def _chart() -> rx.Component:
    return card(
        rx.heading("Calls and cost by day", size="3", color=theme.PLATINUM),
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3", stroke=theme.GUNMETAL),
            rx.recharts.x_axis(data_key="day", stroke=theme.MIST),
            rx.recharts.y_axis(y_axis_id="calls", stroke=theme.MIST, allow_decimals=False),
            rx.recharts.y_axis(y_axis_id="cost", orientation="right", stroke=theme.MIST),
            rx.recharts.graphing_tooltip(),
            rx.recharts.legend(),
            rx.recharts.bar(
                data_key="calls", y_axis_id="calls", fill=theme.NEON_BLUE, name="Calls"
            ),
            rx.recharts.bar(
                data_key="cost", y_axis_id="cost", fill=theme.AUTOMATION_GREEN, name="Cost ($)"
            ),
            data=UsageState.by_day,
            height=260,
            width="100%",
        ),
    )


@app_page("/usage", "Usage", on_load=UsageState.load)
def usage_page() -> rx.Component:
    """Every metered provider call, summarised."""
    return rx.vstack(
        rx.hstack(
            page_heading("Usage", "Every AI call is metered: who, which model, whose key, cost."),
            rx.spacer(),
            rx.cond(
                SessionState.is_admin,
                rx.segmented_control.root(
                    rx.segmented_control.item("Mine", value="me"),
                    rx.segmented_control.item("Organisation", value="organization"),
                    value=UsageState.scope,
                    on_change=UsageState.set_scope,
                    id="usage-scope",
                ),
            ),
            rx.segmented_control.root(
                rx.segmented_control.item("7 days", value="7"),
                rx.segmented_control.item("30 days", value="30"),
                rx.segmented_control.item("90 days", value="90"),
                value=UsageState.days,
                on_change=UsageState.set_days,
                id="usage-period",
            ),
            width="100%",
            wrap="wrap",
            align="end",
        ),
        rx.cond(
            UsageState.by_day.length() > 0,
            rx.vstack(
                rx.text(
                    UsageState.total["calls"],
                    " calls · ",
                    UsageState.total["tokens"],
                    " tokens · ",
                    UsageState.total["cost"],
                    " at list prices",
                    color=theme.SILVER,
                    id="usage-total",
                ),
                _chart(),
                rx.grid(
                    _table("By module", UsageState.by_module, "Module"),
                    _table("By provider", UsageState.by_provider, "Provider"),
                    _table("By key", UsageState.by_key, "Key"),
                    columns=rx.breakpoints(initial="1", lg="3"),
                    spacing="3",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            card(
                empty_state(
                    "chart_no_axes_column",
                    "No AI calls in this period",
                    "Calls appear here as you use AI features, including key checks.",
                    rx.link(rx.button("Add an API key", variant="soft"), href="/settings/keys"),
                )
            ),
        ),
        spacing="4",
        width="100%",
    )
