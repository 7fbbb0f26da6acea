"""The dashboard home: this week's activity, recent items and what to do next."""

from __future__ import annotations

import reflex as rx

from quotahit.dashboard.service import ACTIVITY_ICONS, STAT_ICONS
from quotahit.dashboard.state import DashboardState
from quotahit.ui import theme
from quotahit.ui.components import card, empty_state, named_icon
from quotahit.ui.shell import app_page


def _stat(stat: rx.Var) -> rx.Component:
    return card(
        rx.hstack(
            rx.text(stat["label"], size="2", color=theme.SILVER),
            rx.spacer(),
            named_icon(stat["icon"], STAT_ICONS, size=18, color=theme.NEON_BLUE),
        ),
        rx.text(stat["value"], size="7", weight="bold", color=theme.PLATINUM),
        rx.text(stat["hint"], size="1", color=theme.MIST),
        class_name="dashboard-stat",
    )


def _activity(item: rx.Var) -> rx.Component:
    return rx.hstack(
        named_icon(item["icon"], ACTIVITY_ICONS, size=16, color=theme.NEON_BLUE),
        rx.text(item["text"], size="2", color=theme.SILVER),
        rx.spacer(),
        rx.text(item["when"], size="1", color=theme.MIST, white_space="nowrap"),
        width="100%",
        align="center",
        class_name="activity-item",
    )


def _next_step(step: rx.Var) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon("circle_arrow_right", size=18, color=theme.AUTOMATION_GREEN),
            rx.vstack(
                rx.text(step["title"], size="2", weight="medium", color=theme.PLATINUM),
                rx.text(step["hint"], size="1", color=theme.MIST),
                spacing="0",
            ),
            align="center",
        ),
        href=step["route"],
        underline="none",
        class_name="next-step",
    )


@app_page("/dashboard", "Dashboard", on_load=DashboardState.load)
def dashboard_page() -> rx.Component:
    """The signed-in home."""
    return rx.cond(
        DashboardState.loaded,
        rx.vstack(
            rx.heading(
                "Welcome back, ",
                DashboardState.first_name,
                size="6",
                color=theme.PLATINUM,
                id="dashboard-welcome",
            ),
            rx.grid(
                rx.foreach(DashboardState.stats, _stat),
                columns=rx.breakpoints(initial="1", xs="2", md="4"),
                spacing="3",
                width="100%",
            ),
            rx.grid(
                card(
                    rx.heading("Recent activity", size="4", color=theme.PLATINUM),
                    rx.cond(
                        DashboardState.recent.length() > 0,
                        rx.vstack(
                            rx.foreach(DashboardState.recent, _activity),
                            spacing="3",
                            padding_top="0.75em",
                            width="100%",
                        ),
                        empty_state("inbox", "Nothing yet", "Your team's activity shows up here."),
                    ),
                ),
                card(
                    rx.heading("What to do next", size="4", color=theme.PLATINUM),
                    rx.cond(
                        DashboardState.next_steps.length() > 0,
                        rx.vstack(
                            rx.foreach(DashboardState.next_steps, _next_step),
                            spacing="3",
                            padding_top="0.75em",
                            width="100%",
                        ),
                        empty_state(
                            "circle_check",
                            "You're all set",
                            "Nothing needs your attention right now.",
                        ),
                    ),
                    id="next-steps",
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        rx.center(rx.spinner(size="3"), padding="4em", width="100%"),
    )
