"""Assembles the Reflex app: every module's pages, the 404 page and the theme."""

import reflex as rx

from quotahit.accounts import pages as accounts_pages
from quotahit.admin import pages as admin_pages
from quotahit.dashboard import pages as dashboard_pages
from quotahit.home import pages as home_pages
from quotahit.keys import pages as keys_pages
from quotahit.outbox import pages as outbox_pages
from quotahit.settings import get_settings
from quotahit.team import pages as team_pages
from quotahit.ui import theme

# Pages register themselves with @rx.page when their module is imported.
PAGE_MODULES = (
    accounts_pages,
    admin_pages,
    dashboard_pages,
    home_pages,
    keys_pages,
    outbox_pages,
    team_pages,
)

get_settings()  # fail at start-up, with the list of what is missing, in production mode

app = rx.App(
    stylesheets=["/quotahit.css"],
    style={"font_family": theme.FONT, "background_color": theme.OBSIDIAN},
    toaster=rx.toast.provider(theme="dark", position="bottom-right"),
)
app.add_page(home_pages.not_found_page, route="404", title="Page not found · QuotaHit")
