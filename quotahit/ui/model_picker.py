"""The model picker: every model, and whether the user's, the organisation's or the platform's key
(or the built-in local engine) will serve it."""

from __future__ import annotations

from typing import Any

import reflex as rx


def model_picker(
    options: rx.Var, value: rx.Var[str], on_change: Any, *, id: str | None = None, **props: Any
) -> rx.Component:
    """A select of `options` (dicts with id, label, served_by, source) bound to `value`.

    `id` goes on the trigger: a Radix select's root renders no element to carry it.
    """
    return rx.select.root(
        rx.select.trigger(
            placeholder="Choose a model", aria_label="Model", class_name="model-picker", id=id
        ),
        rx.select.content(
            rx.foreach(
                options,
                lambda option: rx.select.item(
                    option["label"] + " — " + option["served_by"],
                    value=option["id"],
                    disabled=option["source"] == "none",
                ),
            )
        ),
        value=value,
        on_change=on_change,
        **props,
    )
