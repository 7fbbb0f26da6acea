"""Reflex configuration, derived from QuotaHit's settings."""

import reflex as rx

from quotahit.settings import get_settings

_settings = get_settings()

config = rx.Config(
    app_name="quotahit",
    db_url=_settings.database_url,
    telemetry_enabled=False,
    frontend_port=_settings.port,
    backend_port=_settings.port,
    backend_host=_settings.host,
    cors_allowed_origins=_settings.cors_origins,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(
                appearance="dark", accent_color="blue", gray_color="slate", radius="medium"
            )
        ),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
