"""Public pages: the landing page (with the cursor glow) and the 404 page."""

from __future__ import annotations

import reflex as rx

from quotahit.accounts.pages import auth_layout
from quotahit.accounts.state import SessionState
from quotahit.ui import theme
from quotahit.ui.components import brand_mark

PILLARS = (
    ("mic", "Practise out loud", "Role-play calls by voice against AI buyers who push back."),
    (
        "chart_no_axes_combined",
        "Measure every call",
        "Talk ratio, questions, monologues and patience, measured from the transcript.",
    ),
    (
        "messages_square",
        "Coaching on demand",
        "An AI coach that knows your playbook and materials.",
    ),
    (
        "key_round",
        "Your keys, or none",
        "Bring your own AI provider keys at cost, or run on the built-in local engine.",
    ),
)


def _pillar(icon: str, title: str, text: str) -> rx.Component:
    return rx.box(
        rx.icon(icon, size=22, color=theme.NEON_BLUE),
        rx.text(title, weight="medium", color=theme.PLATINUM, margin_top="0.5em"),
        rx.text(text, size="2", color=theme.SILVER),
        class_name="qh-card",
        padding="1.25em",
        position="relative",
        z_index="1",
    )


@rx.page(
    route="/",
    title="QuotaHit · AI sales coaching",
    on_load=SessionState.load_public,
)
def landing_page() -> rx.Component:
    """What QuotaHit is, for visitors who are not signed in."""
    return rx.box(
        rx.box(id="cursor-glow", class_name="qh-glow"),
        rx.script(src="/cursor_glow.js"),
        rx.hstack(
            brand_mark(),
            rx.spacer(),
            rx.cond(
                SessionState.signed_in,
                rx.link(rx.button("Open dashboard"), href="/dashboard", id="landing-dashboard"),
                rx.hstack(
                    rx.link(
                        rx.button("Log in", variant="ghost"), href="/login", id="landing-login"
                    ),
                    rx.link(
                        rx.button("Start free", color_scheme="green"),
                        href="/signup",
                        id="landing-signup",
                    ),
                ),
            ),
            padding="1em 1.5em",
            width="100%",
            position="relative",
            z_index="1",
        ),
        rx.vstack(
            rx.heading(
                "Practise the call before it counts.",
                size=rx.breakpoints(initial="7", md="9"),
                color=theme.PLATINUM,
                text_align="center",
            ),
            rx.text(
                "QuotaHit is the AI sales coach for reps and the teams who train them: "
                "role-play, call analysis and coaching in one place.",
                color=theme.SILVER,
                size="4",
                text_align="center",
                max_width="640px",
            ),
            rx.hstack(
                rx.link(
                    rx.button("Create your team's workspace", size="3", color_scheme="green"),
                    href="/signup",
                ),
                rx.link(rx.button("Log in", size="3", variant="outline"), href="/login"),
                wrap="wrap",
                justify="center",
            ),
            align="center",
            spacing="5",
            padding="5em 1.5em 3em",
            position="relative",
            z_index="1",
        ),
        rx.grid(
            *[_pillar(*pillar) for pillar in PILLARS],
            columns=rx.breakpoints(initial="1", sm="2", lg="4"),
            spacing="4",
            padding="0 1.5em 4em",
            max_width="1100px",
            margin="0 auto",
        ),
        background=theme.OBSIDIAN,
        min_height="100vh",
        overflow="hidden",
    )


def not_found_page() -> rx.Component:
    """Shown for any unknown address."""
    return auth_layout(
        "Page not found",
        "There's nothing at this address. It may have moved, or the link may be mistyped.",
        rx.hstack(
            rx.link(rx.button("Go to the dashboard"), href="/dashboard"),
            rx.link(rx.button("Home", variant="outline"), href="/"),
        ),
    )
