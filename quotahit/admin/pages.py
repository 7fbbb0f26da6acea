"""The admin page: search users, change roles, deactivate, read the audit log."""

from __future__ import annotations

import reflex as rx

from quotahit.accounts.state import SessionState
from quotahit.admin.state import AdminState
from quotahit.ui import theme
from quotahit.ui.components import card, empty_state, page_heading, pager
from quotahit.ui.shell import app_page

ROLES = ("rep", "manager", "enablement", "admin")


def _role_picker(user: rx.Var) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(variant="soft", aria_label="Role", class_name="role-picker"),
        rx.select.content(*[rx.select.item(role.title(), value=role) for role in ROLES]),
        value=user["role"],
        on_change=lambda role: AdminState.change_role(user["membership_id"], role),
        size="1",
        disabled=user["is_self"] == "yes",
    )


def _user_row(user: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(user["name"], color=theme.PLATINUM, size="2"),
                rx.text(user["email"], color=theme.MIST, size="1"),
                spacing="0",
            )
        ),
        rx.cond(
            AdminState.all_organizations,
            rx.table.cell(rx.text(user["organization"], size="2")),
        ),
        rx.table.cell(_role_picker(user)),
        rx.table.cell(rx.text(user["last_login"], size="1", color=theme.MIST)),
        rx.table.cell(
            rx.cond(
                user["is_self"] == "yes",
                rx.text("you", size="1", color=theme.MIST),
                rx.cond(
                    user["active"] == "yes",
                    rx.button(
                        "Deactivate",
                        on_click=AdminState.set_active(user["membership_id"], False),
                        color_scheme="red",
                        variant="soft",
                        size="1",
                    ),
                    rx.button(
                        "Reactivate",
                        on_click=AdminState.set_active(user["membership_id"], True),
                        color_scheme="green",
                        variant="soft",
                        size="1",
                    ),
                ),
            )
        ),
        class_name="admin-user-row",
    )


def _users_card() -> rx.Component:
    return card(
        rx.hstack(
            rx.heading("Users", size="4", color=theme.PLATINUM),
            rx.spacer(),
            rx.cond(
                SessionState.is_platform_admin,
                rx.hstack(
                    rx.switch(
                        checked=AdminState.all_organizations,
                        on_change=AdminState.set_all_organizations,
                        id="all-organizations",
                    ),
                    rx.text("All organisations", size="2"),
                    align="center",
                ),
            ),
            rx.input(
                placeholder="Search name or e-mail",
                on_change=AdminState.set_user_search.debounce(300),
                id="admin-user-search",
                width="260px",
                max_width="100%",
            ),
            width="100%",
            wrap="wrap",
            align="center",
        ),
        rx.cond(
            AdminState.users.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("User"),
                            rx.cond(
                                AdminState.all_organizations,
                                rx.table.column_header_cell("Organisation"),
                            ),
                            rx.table.column_header_cell("Role"),
                            rx.table.column_header_cell("Last login"),
                            rx.table.column_header_cell(""),
                        )
                    ),
                    rx.table.body(rx.foreach(AdminState.users, _user_row)),
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
                padding_top="0.75em",
            ),
            empty_state("search", "No users match", "Try another name or e-mail."),
        ),
        pager(
            AdminState.user_page,
            AdminState.user_page_count,
            AdminState.user_total,
            AdminState.user_page_step(-1),
            AdminState.user_page_step(1),
            "admin-users",
        ),
    )


def _audit_row(entry: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(entry["when"], size="1", color=theme.MIST, white_space="nowrap")),
        rx.table.cell(rx.text(entry["actor"], size="2")),
        rx.table.cell(rx.code(entry["action"], size="1")),
        rx.table.cell(rx.text(entry["target"], size="1")),
        rx.table.cell(rx.text(entry["details"], size="1", color=theme.MIST)),
        rx.table.cell(rx.text(entry["ip"], size="1", color=theme.MIST)),
        class_name="audit-row",
    )


def _audit_card() -> rx.Component:
    return card(
        rx.hstack(
            rx.heading("Audit log", size="4", color=theme.PLATINUM),
            rx.spacer(),
            rx.input(
                placeholder="Filter by action or detail",
                on_change=AdminState.set_audit_search.debounce(300),
                id="audit-search",
                width="260px",
                max_width="100%",
            ),
            width="100%",
            wrap="wrap",
        ),
        rx.cond(
            AdminState.audit_rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("When (UTC)"),
                            rx.table.column_header_cell("Who"),
                            rx.table.column_header_cell("Action"),
                            rx.table.column_header_cell("Target"),
                            rx.table.column_header_cell("Details"),
                            rx.table.column_header_cell("Address"),
                        )
                    ),
                    rx.table.body(rx.foreach(AdminState.audit_rows, _audit_row)),
                    width="100%",
                    size="1",
                ),
                overflow_x="auto",
                width="100%",
                padding_top="0.75em",
            ),
            empty_state("scroll_text", "Nothing logged yet", "Sign-ins and changes appear here."),
        ),
        pager(
            AdminState.audit_page,
            AdminState.audit_page_count,
            AdminState.audit_total,
            AdminState.audit_page_step(-1),
            AdminState.audit_page_step(1),
            "audit",
        ),
    )


@app_page("/admin", "Admin", on_load=AdminState.load, admin_only=True)
def admin_page() -> rx.Component:
    """Administration of users, roles and the audit trail."""
    return rx.vstack(
        page_heading("Admin", "Manage who can do what, and see what happened."),
        _users_card(),
        _audit_card(),
        spacing="4",
        width="100%",
    )
