"""The API-tokens card shown on the settings page."""

from __future__ import annotations

import reflex as rx

from quotahit.apitokens.state import ApiTokensState
from quotahit.ui import theme
from quotahit.ui.components import card, error_callout


def _token_row(token: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon("key_round", size=16, color=theme.MIST),
        rx.vstack(
            rx.text(token["name"], size="2", color=theme.PLATINUM),
            rx.text(
                rx.code(token["prefix"], "…"),
                " · created ",
                token["created"],
                " · last used ",
                token["last_used"],
                size="1",
                color=theme.MIST,
            ),
            spacing="0",
        ),
        rx.spacer(),
        rx.button(
            "Revoke",
            on_click=ApiTokensState.revoke(token["id"]),
            size="1",
            variant="soft",
            color_scheme="red",
        ),
        width="100%",
        align="center",
        class_name="api-token-row",
    )


def api_tokens_card() -> rx.Component:
    """Create and revoke personal tokens for `GET /api/usage` and the other API routes."""
    return card(
        rx.heading("API tokens", size="4", color=theme.PLATINUM),
        rx.text(
            "For scripts and integrations: send ",
            rx.code("Authorization: Bearer <token>"),
            " to the QuotaHit API, e.g. ",
            rx.code("GET /api/usage"),
            ".",
            size="2",
            color=theme.SILVER,
        ),
        rx.cond(
            ApiTokensState.new_token != "",
            rx.callout(
                rx.vstack(
                    rx.text("Copy this token now: it will not be shown again."),
                    rx.code(ApiTokensState.new_token, id="new-api-token"),
                    rx.hstack(
                        rx.button(
                            "Copy", size="1", on_click=rx.set_clipboard(ApiTokensState.new_token)
                        ),
                        rx.button(
                            "Done", size="1", variant="soft", on_click=ApiTokensState.dismiss
                        ),
                    ),
                    spacing="2",
                ),
                icon="key_round",
                color_scheme="green",
                margin_top="0.75em",
            ),
        ),
        error_callout(ApiTokensState.error, id="api-token-error", margin_top="0.75em"),
        rx.form(
            rx.hstack(
                rx.input(
                    name="name",
                    placeholder="Token name, e.g. CRM sync",
                    required=True,
                    flex="1",
                    id="api-token-name",
                    aria_label="Token name",
                ),
                rx.button("Create token", type="submit", id="api-token-create"),
                width="100%",
            ),
            on_submit=ApiTokensState.create,
            reset_on_submit=True,
            padding_top="0.75em",
        ),
        rx.vstack(
            rx.foreach(ApiTokensState.tokens, _token_row),
            spacing="2",
            width="100%",
            padding_top="0.75em",
        ),
    )
