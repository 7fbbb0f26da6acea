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


def _teams_card() -> rx.Component:
    return card(
        rx.heading("Teams", size="4", color=theme.PLATINUM),
        rx.form(
            rx.hstack(
                rx.input(
                    name="name",
                    placeholder="New team, e.g. EMEA Mid-Market",
                    required=True,
                    size="2",
                    flex="1",
                    id="team-name",
                    aria_label="Team name",
                ),
                rx.button("Create team", type="submit", id="team-create"),
                width="100%",
            ),
            on_submit=TeamState.create_team,
            reset_on_submit=True,
            padding_top="0.75em",
        ),
        error_callout(TeamState.team_error, id="team-error", margin_top="0.75em"),
        rx.cond(
            TeamState.teams.length() > 0,
            rx.vstack(
                rx.foreach(
                    TeamState.teams,
                    lambda team: rx.hstack(
                        rx.icon("users", size=16, color=theme.NEON_BLUE),
                        rx.text(team["name"], color=theme.PLATINUM, size="2"),
                        rx.text(
                            team["size"],
                            " member(s) · ",
                            team["manager"],
                            size="1",
                            color=theme.MIST,
                        ),
                        rx.spacer(),
                        rx.button(
                            "Delete",
                            on_click=TeamState.delete_team(team["id"]),
                            variant="ghost",
                            color_scheme="red",
                            size="1",
                        ),
                        width="100%",
                        align="center",
                        class_name="team-item",
                    ),
                ),
                spacing="2",
                padding_top="0.75em",
                width="100%",
            ),
            rx.text(
                "No teams yet. Group reps under their manager to follow their progress together.",
                size="2",
                color=theme.MIST,
                padding_top="0.75em",
            ),
        ),
    )


def _team_cell(member: rx.Var) -> rx.Component:
    picker = rx.select.root(
        rx.select.trigger(variant="soft", aria_label="Team", class_name="team-picker"),
        rx.select.content(
            rx.select.item("No team", value="none"),
            rx.foreach(
                TeamState.teams, lambda team: rx.select.item(team["name"], value=team["id"])
            ),
        ),
        value=member["team_id"],
        on_change=lambda team_id: TeamState.assign_team(member["membership_id"], team_id),
        size="1",
    )
    return rx.cond(SessionState.is_admin, picker, rx.text(member["team"], size="2"))


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
        rx.table.cell(_team_cell(member)),
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
        rx.cond(SessionState.is_admin, _teams_card()),
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
                                rx.table.column_header_cell("Team"),
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
