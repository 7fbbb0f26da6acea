"""The signed-in shell: collapsible sidebar, header with the profile menu, and the page decorator.

Every signed-in page goes through `app_page`, which adds the shell and the server-side login check.
A module appears in the sidebar only by adding a `NavItem` here when its page works.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx

from quotahit.accounts.state import SessionState
from quotahit.ui import theme
from quotahit.ui.components import brand_mark, role_badge


@dataclass(frozen=True)
class NavItem:
    """One sidebar entry; `audience` limits who sees it (the page checks again on the server)."""

    label: str
    icon: str
    route: str
    audience: str = "member"  # member | admin | local


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("Dashboard", "layout_dashboard", "/dashboard"),
    NavItem("AI Coach", "message_square_text", "/coach"),
    NavItem("Voice practice", "mic", "/practice/voice"),
    NavItem("Text practice", "messages_square", "/practice"),
    NavItem("Call analyzer", "audio_lines", "/analyze"),
    NavItem("Team", "users", "/team"),
    NavItem("Usage", "chart_no_axes_column", "/usage"),
    NavItem("API keys", "key_round", "/settings/keys"),
    NavItem("Settings", "settings", "/settings"),
    NavItem("Admin", "shield", "/admin", audience="admin"),
    NavItem("Outbox", "mail", "/outbox", audience="local"),
)


class ShellState(rx.State):
    """Purely visual shell state, remembered per browser."""

    sidebar_collapsed: str = rx.LocalStorage("0", name="qh_sidebar_collapsed", sync=True)
    mobile_menu_open: bool = False

    @rx.event
    def toggle_sidebar(self) -> None:
        """Collapse or expand the desktop sidebar."""
        self.sidebar_collapsed = "0" if self.sidebar_collapsed == "1" else "1"

    @rx.event
    def toggle_mobile_menu(self) -> None:
        """Open or close the navigation on narrow screens."""
        self.mobile_menu_open = not self.mobile_menu_open

    @rx.event
    def close_mobile_menu(self) -> None:
        """Close the narrow-screen navigation after a choice."""
        self.mobile_menu_open = False


def _visible(item: NavItem, child: rx.Component) -> rx.Component:
    if item.audience == "admin":
        return rx.cond(SessionState.is_admin, child)
    if item.audience == "local":
        return rx.cond(SessionState.local_mode, child)
    return child


def _nav_link(item: NavItem, collapsed: rx.Var[bool]) -> rx.Component:
    active = rx.State.router.page.path == item.route
    return _visible(
        item,
        rx.link(
            rx.hstack(
                rx.icon(item.icon, size=18),
                rx.cond(collapsed, rx.fragment(), rx.text(item.label, size="2")),
                align="center",
                spacing="3",
            ),
            href=item.route,
            class_name="qh-nav-link",
            data_active=rx.cond(active, "true", "false"),
            padding="0.55em 0.75em",
            width="100%",
            title=item.label,
            id=f"nav-{item.label.lower().replace(' ', '-')}",
            on_click=ShellState.close_mobile_menu,
        ),
    )


def _brand(collapsed: rx.Var[bool] | bool = False) -> rx.Component:
    return rx.link(
        brand_mark(show_name=~collapsed if isinstance(collapsed, rx.Var) else not collapsed),
        href="/dashboard",
        underline="none",
    )


def sidebar() -> rx.Component:
    """The collapsible desktop sidebar (hidden below 768 px, where the header menu takes over)."""
    collapsed = ShellState.sidebar_collapsed == "1"
    return rx.box(
        rx.vstack(
            _brand(collapsed),
            rx.divider(color=theme.GUNMETAL),
            *[_nav_link(item, collapsed) for item in NAV_ITEMS],
            rx.spacer(),
            rx.button(
                rx.cond(
                    collapsed,
                    rx.icon("chevrons_right", size=16),
                    rx.icon("chevrons_left", size=16),
                ),
                on_click=ShellState.toggle_sidebar,
                variant="ghost",
                size="1",
                aria_label="Collapse or expand the sidebar",
                id="sidebar-toggle",
            ),
            spacing="2",
            height="100%",
            align="stretch",
        ),
        width=rx.cond(collapsed, "64px", "220px"),
        min_width=rx.cond(collapsed, "64px", "220px"),
        height="100vh",
        position="sticky",
        top="0",
        padding="1em 0.6em",
        background=theme.ONYX,
        border_right=f"1px solid {theme.GUNMETAL}",
        display=["none", "none", "block"],
        id="sidebar",
    )


def _mobile_menu() -> rx.Component:
    return rx.cond(
        ShellState.mobile_menu_open,
        rx.vstack(
            *[_nav_link(item, rx.Var.create(False)) for item in NAV_ITEMS],
            background=theme.ONYX,
            border_bottom=f"1px solid {theme.GUNMETAL}",
            padding="0.5em",
            width="100%",
            spacing="1",
            display=["flex", "flex", "none"],
            id="mobile-menu",
        ),
    )


def profile_menu() -> rx.Component:
    """Avatar dropdown with the admin badge (admins only), settings and the log-out actions."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.avatar(fallback=SessionState.user_initials, size="2", radius="full"),
                rx.cond(
                    SessionState.is_admin,
                    rx.badge("Admin", color_scheme="amber", variant="solid", id="admin-badge-mini"),
                ),
                variant="ghost",
                id="profile-menu",
                aria_label="Profile menu",
            )
        ),
        rx.menu.content(
            rx.vstack(
                rx.text(SessionState.user_name, weight="bold", color=theme.PLATINUM),
                rx.text(SessionState.user_email, size="1", color=theme.MIST),
                rx.hstack(
                    role_badge(SessionState.role),
                    rx.cond(
                        SessionState.is_admin,
                        rx.badge("Admin", color_scheme="amber", variant="solid", id="admin-badge"),
                    ),
                    rx.cond(
                        SessionState.is_platform_admin,
                        rx.badge("Platform", color_scheme="amber", variant="outline"),
                    ),
                    spacing="1",
                ),
                rx.text(SessionState.org_name, size="1", color=theme.SILVER),
                spacing="1",
                padding="0.5em",
            ),
            rx.menu.separator(),
            rx.menu.item(
                "Profile & security", on_click=rx.redirect("/settings"), id="menu-settings"
            ),
            rx.cond(
                SessionState.is_admin,
                rx.menu.item("Admin", on_click=rx.redirect("/admin"), id="menu-admin"),
            ),
            rx.menu.separator(),
            rx.menu.item("Log out", on_click=SessionState.log_out, id="menu-logout"),
            rx.menu.item(
                "Log out everywhere",
                on_click=SessionState.log_out_everywhere,
                color="red",
                id="menu-logout-everywhere",
            ),
        ),
    )


def header(title: str) -> rx.Component:
    """Page title, the Admin link for admins, and the profile menu."""
    return rx.hstack(
        rx.button(
            rx.icon("menu", size=18),
            on_click=ShellState.toggle_mobile_menu,
            variant="ghost",
            display=["flex", "flex", "none"],
            aria_label="Open navigation",
            id="mobile-menu-button",
        ),
        rx.box(_brand(), display=["block", "block", "none"]),
        rx.text(title, color=theme.PLATINUM, weight="medium", display=["none", "block"]),
        rx.spacer(),
        rx.cond(
            SessionState.is_admin,
            rx.link(
                rx.hstack(rx.icon("shield", size=16), rx.text("Admin", size="2"), spacing="1"),
                href="/admin",
                color=theme.WARNING_AMBER,
                id="header-admin-link",
            ),
        ),
        profile_menu(),
        align="center",
        spacing="3",
        padding="0.6em 1.2em",
        border_bottom=f"1px solid {theme.GUNMETAL}",
        background=theme.ONYX,
        width="100%",
        position="sticky",
        top="0",
        z_index="10",
    )


def _shell(title: str, content: rx.Component) -> rx.Component:
    return rx.hstack(
        sidebar(),
        rx.vstack(
            header(title),
            _mobile_menu(),
            rx.cond(
                SessionState.signed_in & rx.State.is_hydrated,
                rx.box(content, padding=["1em", "1.5em", "2em"], width="100%", max_width="1200px"),
                rx.center(rx.spinner(size="3"), padding="4em", width="100%", id="page-loading"),
            ),
            spacing="0",
            width="100%",
            min_height="100vh",
            align="stretch",
        ),
        spacing="0",
        width="100%",
        background=theme.OBSIDIAN,
        align="start",
    )


def app_page(
    route: str,
    title: str,
    on_load: Any = None,
    *,
    admin_only: bool = False,
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Register a signed-in page: the shell around it and the login (or admin) check first."""
    guard = SessionState.require_admin if admin_only else SessionState.require_login
    extra = on_load if isinstance(on_load, list) else ([on_load] if on_load else [])

    def decorator(page: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        def wrapped() -> rx.Component:
            return _shell(title, page())

        wrapped.__name__ = page.__name__
        return rx.page(route=route, title=f"{title} · QuotaHit", on_load=[guard, *extra])(wrapped)

    return decorator
