"""The team page: who is in the organisation, and inviting teammates."""

from __future__ import annotations

import reflex as rx

from quotahit.accounts.state import SessionState
from quotahit.team.state import TeamState
from quotahit.ui import theme
from quotahit.ui.components import card, empty_state, error_callout, page_heading, pager, role_badge
from quotahit.ui.shell import app_page


def _invite_form() -> rx.Component:
    return card(
        rx.heading("Invite a teammate", size="4", color=theme.PLATINUM),
        rx.form(
            rx.flex(
                rx.input(
                    name="email",
                    type="email",
                    placeholder="name@company.com",
                    required=True,
                    size="3",
                    flex="1",
                    min_width="220px",
                    id="invite-email",
                    aria_label="E-mail to invite",
                ),
                rx.select.root(
                    rx.select.trigger(id="invite-role", aria_label="Role"),
                    rx.select.content(
                        rx.select.item("Rep", value="rep"),
                        rx.select.item("Manager", value="manager"),
                        rx.cond(
                            SessionState.is_admin,
                            rx.fragment(
                                rx.select.item("Enablement", value="enablement"),
                                rx.select.item("Admin", value="admin"),
                            ),
                        ),
                    ),
                    name="role",
                    default_value="rep",
                    size="3",
                ),
                rx.button("Send invitation", type="submit", size="3", id="invite-submit"),
                spacing="2",
                wrap="wrap",
                width="100%",
            ),
            on_submit=TeamState.send_invite,
            reset_on_submit=True,
            padding_top="0.75em",
        ),
        error_callout(TeamState.invite_error, id="invite-error", margin_top="0.75em"),
        rx.cond(
            TeamState.invitations.length() > 0,
            rx.vstack(
                rx.text("Pending invitations", weight="medium", color=theme.PLATINUM, size="2"),
                rx.foreach(
                    TeamState.invitations,
                    lambda invitation: rx.hstack(
                        rx.text(invitation["email"], color=theme.SILVER, size="2"),
                        role_badge(invitation["role"]),
                        rx.text("expires ", invitation["expires"], size="1", color=theme.MIST),
                        rx.spacer(),
                        rx.button(
                            "Revoke",
                            on_click=TeamState.revoke(invitation["id"]),
                            variant="ghost",
                            color_scheme="red",
                            size="1",
                        ),
                        width="100%",
                        align="center",
                        wrap="wrap",
                        class_name="pending-invitation",
                    ),
                ),
                spacing="2",
                padding_top="1em",
                width="100%",
            ),
        ),
    )


def _member_row(member: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(member["name"], color=theme.PLATINUM, size="2"),
                rx.text(member["email"], color=theme.MIST, size="1"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(member["title"], size="2")),
        rx.table.cell(role_badge(member["role"])),
        rx.table.cell(
            rx.badge(
                member["status"],
                color_scheme=rx.cond(member["status"] == "active", "green", "red"),
                variant="soft",
            )
        ),
        class_name="member-row",
    )


@app_page("/team", "Team", on_load=TeamState.load)
def team_page() -> rx.Component:
    """Members of the organisation and, for managers and admins, invitations."""
    return rx.vstack(
        page_heading("Team", "Everyone in your organisation."),
        rx.cond(SessionState.can_invite, _invite_form()),
        card(
            rx.hstack(
                rx.heading("Members", size="4", color=theme.PLATINUM),
                rx.spacer(),
                rx.input(
                    placeholder="Search name or e-mail",
                    on_change=TeamState.set_search.debounce(300),
                    id="member-search",
                    width="260px",
                    max_width="100%",
                ),
                width="100%",
                wrap="wrap",
            ),
            rx.cond(
                TeamState.members.length() > 0,
                rx.box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("Name"),
                                rx.table.column_header_cell("Title"),
                                rx.table.column_header_cell("Role"),
                                rx.table.column_header_cell("Status"),
                            )
                        ),
                        rx.table.body(rx.foreach(TeamState.members, _member_row)),
                        width="100%",
                    ),
                    overflow_x="auto",
                    width="100%",
                    padding_top="0.75em",
                ),
                empty_state("users", "No one matches", "Try another name or e-mail."),
            ),
            pager(
                TeamState.page,
                TeamState.page_count,
                TeamState.total,
                TeamState.previous_page,
                TeamState.next_page,
                "members",
            ),
        ),
        spacing="4",
        width="100%",
    )
