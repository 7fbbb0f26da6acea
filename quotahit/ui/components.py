"""Small shared UI pieces: cards, form fields, callouts, empty states, pagers, badges."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventHandler
from reflex.vars import ArrayVar, ObjectVar

from quotahit.ui import theme


def card(*children: rx.Component, **props: Any) -> rx.Component:
    """A Graphite card with a Gunmetal border."""
    extra_class = props.pop("class_name", "")
    props.setdefault("width", "100%")
    return rx.box(
        *children,
        class_name=f"qh-card {extra_class}".strip(),
        padding="1.25em",
        **props,
    )


def page_heading(title: str, subtitle: str = "") -> rx.Component:
    """The title block at the top of a page."""
    return rx.vstack(
        rx.heading(title, size="6", color=theme.PLATINUM),
        rx.cond(subtitle != "", rx.text(subtitle, color=theme.SILVER, size="2")),
        spacing="1",
        width="100%",
    )


def field(label: str, name: str, **props: Any) -> rx.Component:
    """A labelled input that a form submits by name."""
    input_id = props.pop("id", name)
    return rx.vstack(
        rx.el.label(label, html_for=input_id, style={"color": theme.SILVER, "fontSize": "14px"}),
        rx.input(name=name, id=input_id, width="100%", size="3", **props),
        spacing="1",
        width="100%",
        align="start",
    )


def error_callout(message: rx.Var[str] | str, **props: Any) -> rx.Component:
    """A red callout, shown only when there is a message."""
    return rx.cond(
        message != "",
        rx.callout(
            message,
            icon="triangle_alert",
            color_scheme="red",
            role="alert",
            width="100%",
            **props,
        ),
    )


def success_callout(message: rx.Var[str] | str, **props: Any) -> rx.Component:
    """A green callout, shown only when there is a message."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="circle_check", color_scheme="green", width="100%", **props),
    )


def empty_state(icon: str, title: str, hint: str, *actions: rx.Component) -> rx.Component:
    """What a list shows before it has anything: say why, and what to do."""
    return rx.vstack(
        rx.icon(icon, size=28, color=theme.MIST),
        rx.text(title, color=theme.PLATINUM, weight="medium"),
        rx.text(hint, color=theme.MIST, size="2", text_align="center"),
        *actions,
        align="center",
        spacing="2",
        padding="2em",
        width="100%",
    )


def role_badge(role: rx.Var[str] | str) -> rx.Component:
    """A coloured badge for a membership role."""
    return rx.badge(
        role,
        color_scheme=rx.match(
            role,
            ("admin", "amber"),
            ("manager", "blue"),
            ("enablement", "green"),
            "gray",
        ),
        variant="soft",
    )


def pager(
    page: rx.Var[int],
    page_count: rx.Var[int],
    total: rx.Var[int],
    on_previous: Any,
    on_next: Any,
    id_prefix: str,
) -> rx.Component:
    """Previous / next with the position and total."""
    return rx.hstack(
        rx.text(
            "Page ", page, " of ", page_count, " · ", total, " in all", color=theme.MIST, size="2"
        ),
        rx.spacer(),
        rx.button(
            rx.icon("chevron_left", size=16),
            "Previous",
            on_click=on_previous,
            disabled=page <= 1,
            variant="soft",
            size="1",
            id=f"{id_prefix}-prev",
        ),
        rx.button(
            "Next",
            rx.icon("chevron_right", size=16),
            on_click=on_next,
            disabled=page >= page_count,
            variant="soft",
            size="1",
            id=f"{id_prefix}-next",
        ),
        width="100%",
        align="center",
    )


def wide_table(*children: rx.Component, min_width: str, **props: Any) -> rx.Component:
    """A table that scrolls sideways inside its card when the card is narrower than `min_width`.

    Squeezed below it, a table shrinks its columns to a word each and Radix's own scroll area
    hides the rest behind a scrollbar that only shows on hover; this box keeps the columns
    readable and shows a scrollbar. `props` go to the box.
    """
    return rx.box(
        rx.table.root(*children, size="1", width="100%", min_width=min_width),
        overflow_x="auto",
        width="100%",
        **props,
    )


def submit_button(label: str, **props: Any) -> rx.Component:
    """The primary submit button of a form; shows a spinner while the form's event runs."""
    return rx.button(label, type="submit", size="3", width="100%", **props)


def brand_mark(*, show_name: rx.Var[bool] | bool = True, large: bool = False) -> rx.Component:
    """The QuotaHit logo: a target on Neon Blue, and the name unless the sidebar is collapsed."""
    return rx.hstack(
        rx.box(
            rx.icon("target", size=20 if large else 18, color="white"),
            background=theme.NEON_BLUE,
            border_radius=theme.RADIUS,
            padding="6px" if large else "5px",
            display="flex",
        ),
        rx.cond(
            show_name,
            rx.text("QuotaHit", weight="bold", color=theme.PLATINUM, size="5" if large else "4"),
            rx.fragment(),
        ),
        align="center",
        spacing="2",
    )


def named_icon(name: rx.Var[str], names: tuple[str, ...], **props: Any) -> rx.Component:
    """An icon chosen at run time from a fixed set.

    `rx.icon` with a Var name makes Reflex bundle every Lucide icon (~700 KB of JavaScript);
    matching against a known set keeps the page to the icons it can show.
    """
    return rx.match(
        name,
        *[(icon, rx.icon(icon, **props)) for icon in names],
        rx.icon(names[0], **props),
    )


def _confirm_content(
    *,
    title: str,
    description: rx.Component | str,
    keep_label: str,
    confirm_label: str,
    on_confirm: Any,
    confirm_id: str,
    on_cancel: Any = None,
) -> rx.Component:
    cancel = {} if on_cancel is None else {"on_click": on_cancel}
    keep = rx.button(keep_label, variant="soft", color_scheme="gray", **cancel)
    return rx.alert_dialog.content(
        rx.alert_dialog.title(title),
        rx.alert_dialog.description(description),
        rx.hstack(
            rx.alert_dialog.cancel(keep),
            rx.alert_dialog.action(
                rx.button(confirm_label, color_scheme="red", on_click=on_confirm, id=confirm_id)
            ),
            spacing="3",
            justify="end",
            padding_top="1em",
        ),
    )


def confirm_dialog(
    *,
    title: str,
    description: str,
    is_open: rx.Var[bool],
    on_cancel: Any,
    on_confirm: Any,
    confirm_id: str,
) -> rx.Component:
    """A delete that asks first, opened by state (so a list row needs no dialog of its own)."""
    return rx.alert_dialog.root(
        _confirm_content(
            title=title,
            description=description,
            keep_label="Keep it",
            confirm_label="Delete",
            on_confirm=on_confirm,
            confirm_id=confirm_id,
            on_cancel=on_cancel,
        ),
        open=is_open,
    )


def ask_first(
    trigger: rx.Component,
    *,
    title: str,
    description: rx.Component | str,
    keep_label: str,
    confirm_label: str,
    on_confirm: Any,
    confirm_id: str,
) -> rx.Component:
    """Something that cannot be undone, behind its own button and a question."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        _confirm_content(
            title=title,
            description=description,
            keep_label=keep_label,
            confirm_label=confirm_label,
            on_confirm=on_confirm,
            confirm_id=confirm_id,
        ),
    )


def labelled_select(
    label: str, options: rx.Var, value: rx.Var, on_change: Any, *, key: str, id_: str
) -> rx.Component:
    """A labelled drop-down over a list of {"label", key} dicts; the id goes on the trigger."""
    return rx.vstack(
        rx.el.label(label, html_for=id_, style={"color": theme.SILVER, "fontSize": "14px"}),
        rx.select.root(
            rx.select.trigger(id=id_, aria_label=label, width="100%"),
            rx.select.content(
                rx.foreach(options, lambda o: rx.select.item(o["label"], value=o[key].to(str)))
            ),
            value=value,
            on_change=on_change,
        ),
        spacing="1",
        width="100%",
    )


def dropzone_refusals(rejected: rx.Var) -> rx.Var:
    """react-dropzone's rejections cut to each file's name and error codes.

    Each rejection holds the browser's File object, which socket.io would send whole.
    """
    records = rejected.to(ArrayVar, list[dict[str, Any]])
    return records.map(
        lambda record: {
            "name": record["file"].to(ObjectVar, dict[str, Any])["name"],
            "codes": record["errors"].to(ArrayVar, list[dict[str, Any]]).map(lambda e: e["code"]),
        }
    )


def attach_controls(
    *,
    upload_id: str,
    accepted: dict[str, list[str]],
    button_label: str,
    attaching: rx.Var,
    on_start: Any,
    on_receive: Any,
    url: rx.Var,
    on_url_change: Any,
    on_url_submit: Any,
    url_placeholder: str,
    url_id: str,
    url_button_id: str,
    on_rejected: EventHandler,
) -> rx.Component:
    """A file button (streamed, chunked upload) and a web-address form, side by side.

    `on_receive` is the background handler that takes the upload's chunks (none when the picker
    refused the file); `on_rejected` is told which files the picker refused, as
    `[{"name": ..., "codes": [...]}]`, and replaces Reflex's "Files not Accepted" toast.
    `on_url_submit` reads the typed address.
    """
    return rx.hstack(
        rx.upload.root(
            rx.button(
                rx.icon("paperclip", size=14),
                button_label,
                variant="soft",
                size="1",
                type="button",
                loading=attaching,
            ),
            id=upload_id,
            accept=accepted,
            max_files=1,
            multiple=False,
            no_drag=False,
            on_drop=[on_start, on_receive(rx.upload_files_chunk(upload_id=upload_id))],
            on_drop_rejected=lambda rejected: on_rejected(dropzone_refusals(rejected)),
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    placeholder=url_placeholder,
                    value=url,
                    on_change=on_url_change,
                    size="1",
                    aria_label="Web page address",
                    id=url_id,
                    width="260px",
                ),
                rx.button(
                    rx.icon("link", size=14),
                    "Read page",
                    size="1",
                    variant="soft",
                    type="submit",
                    id=url_button_id,
                    loading=attaching,
                ),
                spacing="1",
            ),
            on_submit=lambda _data: on_url_submit,
        ),
        spacing="2",
        wrap="wrap",
        align="center",
    )
