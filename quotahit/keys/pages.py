"""The API-keys page: bring your own keys, grouped AI / Web search / Voice, shown masked."""

from __future__ import annotations

import reflex as rx

from quotahit.accounts.state import SessionState
from quotahit.ai.state import ModelTestState
from quotahit.keys.state import KeysState
from quotahit.providers.catalogue import KEY_GROUPS
from quotahit.ui import theme
from quotahit.ui.components import card, error_callout, page_heading
from quotahit.ui.model_picker import model_picker
from quotahit.ui.shell import app_page

STATUS_COLORS = (
    ("valid", "green"),
    ("invalid", "red"),
    ("no_model_access", "amber"),
    ("rate_limited", "amber"),
    ("unreachable", "amber"),
)
STATUS_WORDS = (
    ("valid", "Valid"),
    ("invalid", "Wrong key"),
    ("no_model_access", "No model access"),
    ("rate_limited", "Unverified: rate limited"),
    ("unreachable", "Unverified: unreachable"),
)


def _stored(row: rx.Var, scope: str) -> rx.Component:
    prefix = "user" if scope == "user" else "org"
    status = row[f"{prefix}_status"]
    return rx.vstack(
        rx.hstack(
            rx.code("•••• ", row[f"{prefix}_last4"], class_name="key-mask"),
            rx.badge(
                rx.match(status, *STATUS_WORDS, "Unverified"),
                color_scheme=rx.match(status, *STATUS_COLORS, "gray"),
                variant="soft",
                class_name="key-status",
            ),
            rx.text(row[f"{prefix}_cap"], size="1", color=theme.MIST),
            align="center",
            wrap="wrap",
        ),
        rx.text(row[f"{prefix}_message"], size="1", color=theme.MIST),
        rx.hstack(
            rx.cond(
                status != "valid",
                rx.button(
                    "Check again",
                    on_click=KeysState.recheck(row["provider"], scope),
                    size="1",
                    variant="soft",
                    loading=KeysState.working == row["provider"],
                    class_name="key-recheck",
                ),
            ),
            rx.button(
                "Delete",
                on_click=KeysState.delete(row["provider"], scope),
                size="1",
                variant="ghost",
                color_scheme="red",
                class_name="key-delete",
            ),
        ),
        spacing="1",
        align="start",
    )


def _key_form(row: rx.Var, scope: str) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="provider", value=row["provider"]),
            rx.el.input(type="hidden", name="scope", value=scope),
            rx.input(
                name="key",
                type="password",
                placeholder=row["prefix"] + "…",
                auto_complete="off",
                required=True,
                flex="1",
                min_width="200px",
                aria_label=row["label"] + " API key",
                class_name=f"key-input-{scope}",
            ),
            rx.input(
                name="monthly_cap",
                placeholder="Cap $/month",
                width="120px",
                aria_label="Monthly spend cap in dollars (optional)",
                class_name=f"key-cap-{scope}",
            ),
            rx.button(
                "Save",
                type="submit",
                loading=KeysState.working == row["provider"],
                class_name=f"key-save-{scope}",
            ),
            wrap="wrap",
            width="100%",
        ),
        on_submit=KeysState.save,
        reset_on_submit=True,
        width="100%",
    )


def _slot(row: rx.Var, scope: str, title: str) -> rx.Component:
    prefix = "user" if scope == "user" else "org"
    return rx.vstack(
        rx.text(title, size="1", color=theme.SILVER, weight="medium"),
        rx.cond(row[f"{prefix}_last4"] != "", _stored(row, scope)),
        _key_form(row, scope),
        spacing="2",
        width="100%",
        align="start",
    )


def _provider(row: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(row["label"], weight="bold", color=theme.PLATINUM),
            rx.spacer(),
            rx.text("In use: ", row["in_use"], size="1", color=theme.MIST, class_name="key-in-use"),
            width="100%",
            wrap="wrap",
        ),
        rx.cond(
            (KeysState.error != "") & (KeysState.error_provider == row["provider"]),
            rx.callout(
                KeysState.error,
                icon="triangle_alert",
                color_scheme="red",
                role="alert",
                size="1",
                class_name="key-error",
            ),
        ),
        rx.grid(
            _slot(row, "user", "Your key"),
            rx.cond(
                SessionState.is_admin,
                _slot(row, "organization", "Organisation key (used by every member without one)"),
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        border_top=f"1px solid {theme.GUNMETAL}",
        padding_y="1em",
        width="100%",
        class_name="key-provider",
        data_provider=row["provider"],
    )


def _group(group: str) -> rx.Component:
    return card(
        rx.heading(group, size="4", color=theme.PLATINUM),
        rx.foreach(
            KeysState.rows,
            lambda row: rx.cond(row["group"] == group, _provider(row)),
        ),
    )


def _server_row(server: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon("server", size=16, color=theme.MIST),
        rx.text(
            rx.cond(server["scope"] == "user", "Yours: ", "Organisation's: "),
            rx.code(server["base_url"]),
            " · ",
            server["model"],
            " · ",
            server["key"],
            size="2",
        ),
        rx.spacer(),
        rx.button(
            "Remove",
            on_click=KeysState.remove_server(server["scope"]),
            size="1",
            variant="ghost",
            color_scheme="red",
        ),
        width="100%",
        align="center",
        class_name="server-row",
    )


def _custom_server() -> rx.Component:
    return card(
        rx.heading("Your own model server", size="4", color=theme.PLATINUM),
        rx.text(
            "Any OpenAI-compatible server: Ollama (http://localhost:11434/v1), vLLM, LM Studio. "
            "It appears as “Your own server” in every model picker.",
            size="2",
            color=theme.SILVER,
        ),
        rx.vstack(
            rx.foreach(KeysState.servers, _server_row),
            width="100%",
            spacing="2",
            padding_top="0.5em",
        ),
        error_callout(KeysState.server_error, id="server-error", margin_top="0.5em"),
        rx.form(
            rx.flex(
                rx.input(
                    name="base_url",
                    placeholder="http://localhost:11434/v1",
                    required=True,
                    flex="2",
                    min_width="220px",
                    id="server-url",
                    aria_label="Server address",
                ),
                rx.input(
                    name="model",
                    placeholder="Model, e.g. llama3.1:8b",
                    required=True,
                    flex="1",
                    min_width="160px",
                    id="server-model",
                    aria_label="Model name",
                ),
                rx.input(
                    name="key",
                    type="password",
                    placeholder="Key (optional)",
                    flex="1",
                    min_width="140px",
                    aria_label="Server key (optional)",
                ),
                rx.cond(
                    SessionState.is_admin,
                    rx.select(
                        ["user", "organization"],
                        name="scope",
                        default_value="user",
                        aria_label="For whom",
                    ),
                    rx.el.input(type="hidden", name="scope", value="user"),
                ),
                rx.button("Save server", type="submit", id="server-save"),
                spacing="2",
                wrap="wrap",
                width="100%",
            ),
            on_submit=KeysState.save_server,
            reset_on_submit=True,
            padding_top="0.75em",
        ),
    )


def _local_engine() -> rx.Component:
    return card(
        rx.heading("Built-in local engine", size="4", color=theme.PLATINUM),
        rx.text(
            "What QuotaHit does with no key at all, on this machine, offline:",
            size="2",
            color=theme.SILVER,
        ),
        rx.vstack(
            rx.foreach(
                KeysState.local_engine,
                lambda capability: rx.hstack(
                    rx.cond(
                        capability["available"] == "yes",
                        rx.icon("circle_check", size=16, color=theme.AUTOMATION_GREEN),
                        rx.icon("circle_x", size=16, color=theme.MIST),
                    ),
                    rx.vstack(
                        rx.text(
                            capability["label"],
                            " ",
                            rx.text.span(capability["engine"], color=theme.MIST),
                            size="2",
                            color=theme.PLATINUM,
                        ),
                        rx.text(capability["note"], size="1", color=theme.MIST),
                        spacing="0",
                    ),
                    align="start",
                    class_name="local-capability",
                ),
            ),
            spacing="2",
            padding_top="0.75em",
        ),
    )


def _playground() -> rx.Component:
    return card(
        rx.heading("Try a model", size="4", color=theme.PLATINUM),
        rx.text(
            "Ask any model a question through the same path every feature uses: your key, "
            "failover, metering.",
            size="2",
            color=theme.SILVER,
        ),
        rx.form(
            rx.vstack(
                model_picker(
                    ModelTestState.options, ModelTestState.model_id, ModelTestState.set_model
                ),
                rx.text_area(
                    name="prompt",
                    placeholder="e.g. Give me two questions to open a discovery call.",
                    rows="3",
                    width="100%",
                    id="playground-prompt",
                ),
                rx.button(
                    "Ask", type="submit", loading=ModelTestState.running, id="playground-ask"
                ),
                spacing="2",
                width="100%",
                align="start",
            ),
            on_submit=ModelTestState.ask,
            padding_top="0.75em",
        ),
        rx.cond(
            ModelTestState.notice != "",
            rx.callout(
                ModelTestState.notice,
                icon="info",
                color_scheme="amber",
                size="1",
                margin_top="0.75em",
                id="playground-notice",
            ),
        ),
        rx.cond(
            ModelTestState.answer != "",
            rx.box(
                rx.text(ModelTestState.answer, white_space="pre-wrap", size="2"),
                padding_top="0.75em",
                id="playground-answer",
            ),
        ),
        error_callout(ModelTestState.error, id="playground-error", margin_top="0.75em"),
        rx.cond(
            ModelTestState.footer != "",
            rx.text(ModelTestState.footer, size="1", color=theme.MIST, id="playground-footer"),
        ),
    )


@app_page("/settings/keys", "API keys", on_load=[KeysState.load, ModelTestState.load])
def keys_page() -> rx.Component:
    """Bring your own provider keys."""
    return rx.vstack(
        page_heading(
            "API keys",
            "Bring your own keys: you pay the providers directly, with no markup. Keys are "
            "encrypted, checked with the provider when saved, and only their last four "
            "characters are ever shown. Without a key, QuotaHit uses its built-in local engine.",
        ),
        *[_group(group) for group in KEY_GROUPS],
        _custom_server(),
        _local_engine(),
        _playground(),
        spacing="4",
        width="100%",
    )
