"""Pages of the accounts module: sign-up, confirmation, log-in, password reset, join, settings."""

from __future__ import annotations

import reflex as rx

from quotahit.accounts.service import time_zone_names
from quotahit.accounts.state import (
    ConfirmState,
    ForgotPasswordState,
    JoinState,
    LoginState,
    ProfileState,
    ResetPasswordState,
    SessionState,
    SignupState,
)
from quotahit.apitokens.pages import api_tokens_card
from quotahit.apitokens.state import ApiTokensState
from quotahit.ui import theme
from quotahit.ui.components import (
    brand_mark,
    card,
    error_callout,
    field,
    page_heading,
    submit_button,
    success_callout,
)
from quotahit.ui.shell import app_page


def auth_layout(title: str, subtitle: str, *children: rx.Component) -> rx.Component:
    """A centred card on the dark page, used by every signed-out form."""
    return rx.center(
        rx.vstack(
            rx.link(
                brand_mark(large=True),
                href="/",
                underline="none",
            ),
            card(
                rx.vstack(
                    rx.heading(title, size="5", color=theme.PLATINUM),
                    rx.text(subtitle, color=theme.SILVER, size="2"),
                    # Forms appear once the page's state is loaded, so nothing typed is lost
                    # to a re-render and no stale message from an earlier visit flashes.
                    rx.cond(
                        rx.State.is_hydrated,
                        rx.vstack(*children, spacing="4", width="100%"),
                        rx.center(rx.spinner(), width="100%", padding="1em"),
                    ),
                    spacing="4",
                    width="100%",
                ),
            ),
            spacing="5",
            align="center",
            width="100%",
            max_width="420px",
        ),
        min_height="100vh",
        padding="1em",
        background=theme.OBSIDIAN,
    )


@rx.page(
    route="/login",
    title="Log in · QuotaHit",
    on_load=[SessionState.redirect_if_signed_in, LoginState.load],
)
def login_page() -> rx.Component:
    """Log in with e-mail and password."""
    return auth_layout(
        "Log in",
        "Welcome back. Pick up where you left off.",
        error_callout(LoginState.error, id="login-error"),
        success_callout(LoginState.notice),
        rx.cond(
            LoginState.show_resend,
            rx.button(
                "Send a new confirmation link",
                on_click=LoginState.resend_confirmation,
                variant="soft",
                id="resend-confirmation",
            ),
        ),
        rx.form(
            rx.vstack(
                field("E-mail", "email", type="email", auto_complete="email", required=True),
                field(
                    "Password",
                    "password",
                    type="password",
                    auto_complete="current-password",
                    required=True,
                ),
                submit_button("Log in", id="login-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=LoginState.submit,
            width="100%",
        ),
        rx.hstack(
            rx.link("Forgot your password?", href="/forgot-password", size="2"),
            rx.spacer(),
            rx.link("Create an account", href="/signup", size="2"),
            width="100%",
        ),
        rx.cond(
            SessionState.local_mode,
            rx.text(
                "Local mode: e-mails land in the ",
                rx.link("outbox", href="/outbox"),
                ".",
                size="1",
                color=theme.MIST,
            ),
        ),
    )


@rx.page(
    route="/signup",
    title="Sign up · QuotaHit",
    on_load=[SessionState.redirect_if_signed_in, SignupState.load],
)
def signup_page() -> rx.Component:
    """Create an account and an organisation."""
    return auth_layout(
        "Create your account",
        "Start a workspace for your team. You'll be its admin.",
        rx.cond(
            SignupState.done_email != "",
            rx.vstack(
                rx.callout(
                    rx.text(
                        "Check ",
                        rx.text.strong(SignupState.done_email),
                        " for a confirmation link, then log in.",
                    ),
                    icon="mail_check",
                    color_scheme="green",
                    id="signup-done",
                ),
                rx.cond(
                    SessionState.local_mode,
                    rx.link("Open the local outbox", href="/outbox", id="open-outbox"),
                ),
                rx.link("Go to log in", href="/login"),
                spacing="3",
                width="100%",
            ),
            rx.vstack(
                error_callout(SignupState.error, id="signup-error"),
                rx.form(
                    rx.vstack(
                        field("Your name", "name", auto_complete="name", required=True),
                        field(
                            "Work e-mail",
                            "email",
                            type="email",
                            auto_complete="email",
                            required=True,
                        ),
                        field(
                            "Company", "organization", auto_complete="organization", required=True
                        ),
                        field(
                            "Password",
                            "password",
                            type="password",
                            auto_complete="new-password",
                            required=True,
                            min_length=8,
                        ),
                        rx.text(
                            "At least 8 characters. A short sentence works well.",
                            size="1",
                            color=theme.MIST,
                        ),
                        submit_button("Create account", id="signup-submit", color_scheme="green"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=SignupState.submit,
                    width="100%",
                ),
                rx.text("Already have an account? ", rx.link("Log in", href="/login"), size="2"),
                spacing="3",
                width="100%",
            ),
        ),
    )


@rx.page(route="/confirm", title="Confirm e-mail · QuotaHit", on_load=ConfirmState.load)
def confirm_page() -> rx.Component:
    """Where the confirmation link lands."""
    return auth_layout(
        "E-mail confirmation",
        "",
        rx.match(
            ConfirmState.status,
            (
                "confirmed",
                rx.vstack(
                    success_callout(ConfirmState.message, id="confirm-ok"),
                    rx.link(rx.button("Log in", size="3"), href="/login", id="confirm-login"),
                    width="100%",
                ),
            ),
            (
                "failed",
                rx.vstack(
                    error_callout(ConfirmState.message, id="confirm-error"),
                    rx.link("Back to log in (you can ask for a new link there)", href="/login"),
                    width="100%",
                ),
            ),
            rx.center(rx.spinner(), width="100%"),
        ),
    )


@rx.page(
    route="/forgot-password", title="Forgot password · QuotaHit", on_load=ForgotPasswordState.load
)
def forgot_password_page() -> rx.Component:
    """Ask for a reset link."""
    return auth_layout(
        "Reset your password",
        "We'll e-mail you a link to choose a new one.",
        rx.cond(
            ForgotPasswordState.sent,
            rx.callout(
                "If an account uses that address, a reset link is on its way. "
                "It expires in an hour.",
                icon="mail",
                color_scheme="green",
                id="forgot-sent",
            ),
            rx.form(
                rx.vstack(
                    error_callout(ForgotPasswordState.error, id="forgot-error"),
                    field("E-mail", "email", type="email", auto_complete="email", required=True),
                    submit_button("Send reset link", id="forgot-submit"),
                    width="100%",
                ),
                on_submit=ForgotPasswordState.submit,
                width="100%",
            ),
        ),
        rx.link("Back to log in", href="/login", size="2"),
    )


@rx.page(
    route="/reset-password", title="Choose a password · QuotaHit", on_load=ResetPasswordState.load
)
def reset_password_page() -> rx.Component:
    """Choose a new password from an e-mailed link."""
    return auth_layout(
        "Choose a new password",
        "Every device signed in to your account will be signed out.",
        rx.cond(
            ResetPasswordState.done,
            rx.vstack(
                rx.callout(
                    "Your password is changed.",
                    icon="circle_check",
                    color_scheme="green",
                    id="reset-done",
                ),
                rx.link(rx.button("Log in"), href="/login"),
            ),
            rx.vstack(
                error_callout(ResetPasswordState.error, id="reset-error"),
                rx.form(
                    rx.vstack(
                        field(
                            "New password",
                            "password",
                            type="password",
                            auto_complete="new-password",
                            required=True,
                        ),
                        field(
                            "Repeat it",
                            "confirm",
                            type="password",
                            auto_complete="new-password",
                            required=True,
                        ),
                        submit_button("Set password", id="reset-submit"),
                        width="100%",
                    ),
                    on_submit=ResetPasswordState.submit,
                    width="100%",
                ),
                width="100%",
            ),
        ),
    )


@rx.page(route="/join", title="Join your team · QuotaHit", on_load=JoinState.load)
def join_page() -> rx.Component:
    """Accept an invitation."""
    return auth_layout(
        "Join your team",
        "",
        error_callout(JoinState.error, id="join-error"),
        rx.cond(
            JoinState.valid,
            rx.vstack(
                rx.text(
                    rx.text.strong(JoinState.inviter_name),
                    " invited ",
                    rx.text.strong(JoinState.email),
                    " to ",
                    rx.text.strong(JoinState.organization_name),
                    " as a ",
                    JoinState.role,
                    ".",
                    color=theme.SILVER,
                    id="join-summary",
                ),
                rx.form(
                    rx.vstack(
                        rx.cond(
                            JoinState.has_account,
                            rx.text(
                                "You already have a QuotaHit account: enter its password to join.",
                                size="2",
                                color=theme.MIST,
                            ),
                            field("Your name", "name", auto_complete="name", required=True),
                        ),
                        field(
                            "Password",
                            "password",
                            type="password",
                            auto_complete=rx.cond(
                                JoinState.has_account, "current-password", "new-password"
                            ),
                            required=True,
                        ),
                        submit_button("Join", id="join-submit", color_scheme="green"),
                        width="100%",
                    ),
                    on_submit=JoinState.submit,
                    width="100%",
                ),
                width="100%",
            ),
        ),
    )


def _time_zone_input() -> rx.Component:
    return rx.vstack(
        rx.el.label(
            "Time zone", html_for="time_zone", style={"color": theme.SILVER, "fontSize": "14px"}
        ),
        rx.input(
            name="time_zone",
            id="time_zone",
            list="time-zones",
            default_value=ProfileState.time_zone,
            key=ProfileState.time_zone,
            width="100%",
            size="3",
        ),
        rx.el.datalist(*[rx.el.option(value=zone) for zone in time_zone_names()], id="time-zones"),
        spacing="1",
        width="100%",
        align="start",
    )


def _session_row(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon("monitor_smartphone", size=16, color=theme.MIST),
        rx.vstack(
            rx.text(row["device"], size="2", color=theme.PLATINUM),
            rx.text(row["ip"], " · last active ", row["last_seen"], size="1", color=theme.MIST),
            spacing="0",
        ),
        rx.spacer(),
        rx.cond(
            row["current"] == "yes",
            rx.badge("This device", color_scheme="green", variant="soft"),
            rx.button(
                "Sign out",
                on_click=ProfileState.revoke_session(row["id"]),
                size="1",
                variant="soft",
                color_scheme="red",
            ),
        ),
        width="100%",
        align="center",
        class_name="session-row",
    )


@app_page("/settings", "Settings", on_load=[ProfileState.load, ApiTokensState.load])
def settings_page() -> rx.Component:
    """Profile, password and sessions."""
    return rx.vstack(
        page_heading("Settings", "Your profile and account security."),
        card(
            rx.heading("Profile", size="4", color=theme.PLATINUM),
            rx.form(
                rx.vstack(
                    error_callout(ProfileState.profile_error, id="profile-error"),
                    rx.text("E-mail: ", ProfileState.email, size="2", color=theme.MIST),
                    field(
                        "Name",
                        "name",
                        default_value=ProfileState.name,
                        key=ProfileState.name,
                        required=True,
                    ),
                    field(
                        "Title",
                        "title",
                        default_value=ProfileState.title,
                        key=ProfileState.title,
                        placeholder="e.g. Account Executive",
                    ),
                    _time_zone_input(),
                    rx.button("Save profile", type="submit", id="profile-save"),
                    spacing="3",
                    width="100%",
                    max_width="480px",
                ),
                on_submit=ProfileState.save_profile,
                padding_top="0.75em",
            ),
        ),
        card(
            rx.heading("Password", size="4", color=theme.PLATINUM),
            rx.form(
                rx.vstack(
                    error_callout(ProfileState.password_error, id="password-error"),
                    field(
                        "Current password",
                        "current_password",
                        type="password",
                        auto_complete="current-password",
                        required=True,
                    ),
                    field(
                        "New password",
                        "new_password",
                        type="password",
                        auto_complete="new-password",
                        required=True,
                    ),
                    field(
                        "Repeat new password",
                        "confirm_password",
                        type="password",
                        auto_complete="new-password",
                        required=True,
                    ),
                    rx.button("Change password", type="submit", id="password-save"),
                    spacing="3",
                    width="100%",
                    max_width="480px",
                ),
                on_submit=ProfileState.change_password,
                reset_on_submit=True,
                padding_top="0.75em",
            ),
        ),
        card(
            rx.heading("Sessions", size="4", color=theme.PLATINUM),
            rx.text(
                "Devices signed in to your account. End any you don't recognise, or all of them.",
                color=theme.SILVER,
                size="2",
            ),
            rx.vstack(
                rx.foreach(ProfileState.sessions, _session_row),
                spacing="2",
                width="100%",
                padding_top="0.75em",
            ),
            rx.button(
                "Log out everywhere",
                on_click=SessionState.log_out_everywhere,
                color_scheme="red",
                variant="soft",
                margin_top="0.75em",
                id="logout-everywhere",
            ),
        ),
        api_tokens_card(),
        spacing="4",
        width="100%",
    )
