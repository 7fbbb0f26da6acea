"""Reflex states of the accounts module: thin, they resolve the caller and call the service."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import reflex as rx
from sqlmodel import Session

from quotahit import wiring
from quotahit.accounts import invitations, service, sessions
from quotahit.accounts.service import AccountError, Identity
from quotahit.db import in_session, session_scope
from quotahit.settings import get_settings


def _login_redirect(path: str) -> rx.event.EventSpec:
    """Back to the login page, remembering where the user was going."""
    return rx.redirect(f"/login?next={quote(path.rstrip('/') or '/', safe='/')}")


def _safe_next(target: str) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/dashboard"


class SessionState(rx.State):
    """The signed-in user as the shell shows them; the token itself is checked on every call."""

    session_token: str = rx.LocalStorage("", name="qh_session", sync=True)
    signed_in: bool = False
    user_name: str = ""
    user_email: str = ""
    org_name: str = ""
    role: str = ""
    is_admin: bool = False
    is_platform_admin: bool = False
    can_invite: bool = False
    local_mode: bool = False

    def _resolve(self, db_session: Session) -> Identity | None:
        return sessions.resolve_session(
            db_session=db_session,
            token=self.session_token,
            idle_timeout=timedelta(hours=get_settings().session_idle_hours),
        )

    def _identity(self) -> Identity | None:
        """Resolve the token against the session table (expiry, revocation, deactivation)."""
        with session_scope() as db_session:
            return self._resolve(db_session)

    def _client_ip(self) -> str:
        return self.router.session.client_ip or ""

    def _user_agent(self) -> str:
        return (self.router.headers.user_agent or "")[:300]

    def _identity_and_profile(self) -> tuple[Identity, service.Profile] | None:
        """One database session for the guard of every page: who is calling, and their profile."""
        with session_scope() as db_session:
            identity = self._resolve(db_session)
            if identity is None:
                return None
            return identity, service.get_profile(db_session=db_session, identity=identity)

    def _show(self, identity: Identity, profile: service.Profile) -> None:
        self.signed_in = True
        self.user_name, self.user_email = profile.name, profile.email
        self.org_name, self.role = profile.organization_name, identity.role
        self.is_admin = identity.is_admin
        self.is_platform_admin = identity.is_platform_admin
        self.can_invite = identity.can_invite
        self.local_mode = get_settings().outbox_visible

    def _forget(self) -> None:
        self.session_token = ""
        self.signed_in = False
        self.user_name = self.user_email = self.org_name = self.role = ""
        self.is_admin = self.is_platform_admin = self.can_invite = False

    @rx.var
    def user_initials(self) -> str:
        """Two letters for the avatar."""
        parts = self.user_name.split()
        return "".join(part[0] for part in parts[:2]).upper() or "?"

    @rx.event
    def load_public(self) -> None:
        """On public pages: show who is signed in, if anyone, without redirecting."""
        self.local_mode = get_settings().outbox_visible
        found = self._identity_and_profile()
        if found is None:
            self._forget()
        else:
            self._show(*found)

    @rx.event
    def require_login(self) -> rx.event.EventSpec | None:
        """Guard of every signed-in page: back to login when the session is not live."""
        found = self._identity_and_profile()
        if found is None:
            self._forget()
            return _login_redirect(self.router.url.path)
        self._show(*found)
        return None

    @rx.event
    def require_admin(self) -> rx.event.EventSpec | None:
        """Guard of admin pages (the handlers behind them check again)."""
        found = self._identity_and_profile()
        if found is None:
            self._forget()
            return _login_redirect(self.router.url.path)
        self._show(*found)
        if not found[0].is_admin:
            return rx.redirect("/dashboard")
        return None

    @rx.event
    def redirect_if_signed_in(self) -> rx.event.EventSpec | None:
        """Login and sign-up pages send a signed-in user straight to the dashboard."""
        self.local_mode = get_settings().outbox_visible
        if self._identity() is not None:
            return rx.redirect("/dashboard")
        return None

    @rx.event
    def log_out(self) -> rx.event.EventSpec:
        """End this session server-side and forget the token."""
        if self.session_token:
            with session_scope() as db_session:
                sessions.log_out(db_session=db_session, token=self.session_token)
        self._forget()
        return rx.redirect("/login")

    @rx.event
    def log_out_everywhere(self) -> rx.event.EventSpec:
        """End every session of this user, on every device."""
        identity = self._identity()
        if identity is not None:
            with session_scope() as db_session:
                sessions.log_out_everywhere(db_session=db_session, identity=identity)
        self._forget()
        return rx.redirect("/login")


async def identity_of(state: rx.State) -> Identity | None:
    """The caller of a handler on any state, resolved from the server-side session."""
    session = await state.get_state(SessionState)
    return session._identity()


class LoginState(rx.State):
    """The login form."""

    error: str = ""
    busy: bool = False
    show_resend: bool = False
    last_email: str = ""
    notice: str = ""

    @rx.event
    def load(self) -> None:
        """Reset the form when the page opens."""
        self.error, self.notice, self.show_resend, self.busy = "", "", False, False

    @rx.event
    async def submit(self, form_data: dict) -> rx.event.EventSpec | None:
        """Check the credentials and open a session."""
        email = str(form_data.get("email", ""))
        password = str(form_data.get("password", ""))
        session = await self.get_state(SessionState)
        settings = get_settings()
        self.error, self.notice, self.show_resend = "", "", False
        try:
            token = await in_session(
                lambda db_session: service.log_in(
                    db_session=db_session,
                    throttle=wiring.login_throttle(),
                    email=email,
                    password=password,
                    ip_address=session._client_ip(),
                    user_agent=session._user_agent(),
                    session_max=timedelta(days=settings.session_max_days),
                    platform_admins=settings.platform_admin_emails,
                )
            )
        except AccountError as error:
            self.error = str(error)
            self.show_resend = "Confirm your e-mail" in self.error
            self.last_email = email
            return None
        session.session_token = token
        target = _safe_next(self.router.url.query_parameters.get("next", "/dashboard"))
        return rx.redirect(target)

    @rx.event
    def resend_confirmation(self) -> None:
        """Send a fresh confirmation link to the address just tried."""
        try:
            with session_scope() as db_session:
                service.resend_confirmation(
                    db_session=db_session,
                    mailer=wiring.mailer(),
                    links=wiring.links(),
                    email=self.last_email,
                    action_throttle=wiring.action_throttle(),
                )
        except AccountError as error:
            self.error = str(error)
            return
        self.show_resend = False
        self.error = ""
        self.notice = "If that account is waiting for confirmation, a new link is on its way."


class SignupState(rx.State):
    """The sign-up form: creates an organisation and its admin."""

    error: str = ""
    done_email: str = ""

    @rx.event
    def load(self) -> None:
        """Reset the form when the page opens."""
        self.error, self.done_email = "", ""

    @rx.event
    async def submit(self, form_data: dict) -> None:
        """Create the account and e-mail the confirmation link."""
        session = await self.get_state(SessionState)
        self.error = ""
        try:
            with session_scope() as db_session:
                user = service.sign_up(
                    db_session=db_session,
                    mailer=wiring.mailer(),
                    links=wiring.links(),
                    email=str(form_data.get("email", "")),
                    password=str(form_data.get("password", "")),
                    name=str(form_data.get("name", "")),
                    organization_name=str(form_data.get("organization", "")),
                    platform_admins=get_settings().platform_admin_emails,
                    ip_address=session._client_ip(),
                    action_throttle=wiring.action_throttle(),
                )
                self.done_email = user.email
        except AccountError as error:
            self.error = str(error)


class ConfirmState(rx.State):
    """The page an e-mailed confirmation link opens."""

    status: str = "checking"
    message: str = ""

    @rx.event
    def load(self) -> None:
        """Consume the token from the link."""
        token = self.router.url.query_parameters.get("token", "")
        try:
            with session_scope() as db_session:
                service.confirm_email(db_session=db_session, token=token)
        except AccountError as error:
            self.status, self.message = "failed", str(error)
            return
        self.status, self.message = "confirmed", "Your e-mail address is confirmed. Log in now."


class ForgotPasswordState(rx.State):
    """Asks for a reset link; the answer is the same whether or not the account exists."""

    sent: bool = False
    error: str = ""

    @rx.event
    def load(self) -> None:
        """Reset the form."""
        self.sent, self.error = False, ""

    @rx.event
    async def submit(self, form_data: dict) -> None:
        """E-mail a reset link when the account exists."""
        session = await self.get_state(SessionState)
        try:
            with session_scope() as db_session:
                service.request_password_reset(
                    db_session=db_session,
                    mailer=wiring.mailer(),
                    links=wiring.links(),
                    email=str(form_data.get("email", "")),
                    ip_address=session._client_ip(),
                    action_throttle=wiring.action_throttle(),
                )
        except AccountError as error:
            self.error = str(error)
            return
        self.error, self.sent = "", True


class ResetPasswordState(rx.State):
    """Chooses a new password from an e-mailed link."""

    error: str = ""
    done: bool = False

    @rx.event
    def load(self) -> None:
        """Reset the form."""
        self.error, self.done = "", False

    @rx.event
    async def submit(self, form_data: dict) -> None:
        """Set the new password and end every session."""
        password = str(form_data.get("password", ""))
        if password != str(form_data.get("confirm", "")):
            self.error = "The two passwords don't match."
            return
        try:
            await in_session(
                lambda db_session: service.reset_password(
                    db_session=db_session,
                    token=self.router.url.query_parameters.get("token", ""),
                    new_password=password,
                    throttle=wiring.login_throttle(),
                )
            )
        except AccountError as error:
            self.error = str(error)
            return
        self.error, self.done = "", True


class JoinState(rx.State):
    """Accepting an invitation: a new account, or an existing one joining another organisation."""

    valid: bool = False
    error: str = ""
    email: str = ""
    role: str = ""
    organization_name: str = ""
    inviter_name: str = ""
    has_account: bool = False

    @rx.event
    def load(self) -> None:
        """Describe the invitation in the link."""
        self.error, self.valid = "", False
        try:
            with session_scope() as db_session:
                preview = invitations.preview_invitation(
                    db_session=db_session, token=self.router.url.query_parameters.get("token", "")
                )
        except AccountError as error:
            self.error = str(error)
            return
        self.valid = True
        self.email, self.role = preview.email, preview.role
        self.organization_name, self.inviter_name = preview.organization_name, preview.inviter_name
        self.has_account = preview.has_account

    @rx.event
    async def submit(self, form_data: dict) -> rx.event.EventSpec | None:
        """Join and sign in."""
        session = await self.get_state(SessionState)
        try:
            token = await in_session(
                lambda db_session: invitations.accept_invitation(
                    db_session=db_session,
                    token=self.router.url.query_parameters.get("token", ""),
                    password=str(form_data.get("password", "")),
                    name=str(form_data.get("name", "")),
                    ip_address=session._client_ip(),
                    user_agent=session._user_agent(),
                    session_max=timedelta(days=get_settings().session_max_days),
                    throttle=wiring.login_throttle(),
                )
            )
        except AccountError as error:
            self.error = str(error)
            return None
        session.session_token = token
        return rx.redirect("/dashboard")


class ProfileState(rx.State):
    """The settings page: profile, password and sessions."""

    name: str = ""
    email: str = ""
    title: str = ""
    time_zone: str = "UTC"
    profile_error: str = ""
    password_error: str = ""
    sessions: list[dict[str, str]] = []

    @rx.event
    async def load(self) -> None:
        """Fill the form from the database."""
        identity = await identity_of(self)
        if identity is None:
            return
        with session_scope() as db_session:
            profile = service.get_profile(db_session=db_session, identity=identity)
        self.name, self.email = profile.name, profile.email
        self.title, self.time_zone = profile.title, profile.time_zone
        self.profile_error = self.password_error = ""
        self._load_sessions(identity)

    def _load_sessions(self, identity: Identity) -> None:
        with session_scope() as db_session:
            rows = sessions.list_sessions(
                db_session=db_session,
                identity=identity,
                idle_timeout=timedelta(hours=get_settings().session_idle_hours),
            )
        self.sessions = [
            {
                "id": str(row.id),
                "device": row.device,
                "ip": row.ip_address or "unknown address",
                "last_seen": row.last_seen,
                "current": "yes" if row.current else "no",
            }
            for row in rows
        ]

    @rx.event
    async def revoke_session(self, session_id: str) -> rx.event.EventSpec | None:
        """Sign out one other device."""
        identity = await identity_of(self)
        if identity is None:
            return rx.redirect("/login")
        try:
            with session_scope() as db_session:
                sessions.revoke_session(
                    db_session=db_session, identity=identity, session_id=int(session_id)
                )
        except (AccountError, ValueError) as error:
            return rx.toast.error(str(error))
        self._load_sessions(identity)
        return rx.toast.success("That device is signed out.")

    @rx.event
    async def save_profile(self, form_data: dict) -> rx.event.EventSpec | None:
        """Save name, title and time zone."""
        identity = await identity_of(self)
        if identity is None:
            return rx.redirect("/login")
        try:
            with session_scope() as db_session:
                profile = service.update_profile(
                    db_session=db_session,
                    identity=identity,
                    name=str(form_data.get("name", "")),
                    title=str(form_data.get("title", "")),
                    time_zone=str(form_data.get("time_zone", "")),
                )
        except AccountError as error:
            self.profile_error = str(error)
            return None
        self.profile_error = ""
        self.name, self.title, self.time_zone = profile.name, profile.title, profile.time_zone
        session = await self.get_state(SessionState)
        session.user_name = profile.name
        return rx.toast.success("Profile saved.")

    @rx.event
    async def change_password(self, form_data: dict) -> rx.event.EventSpec | None:
        """Change the password; other sessions end."""
        identity = await identity_of(self)
        if identity is None:
            return rx.redirect("/login")
        new_password = str(form_data.get("new_password", ""))
        if new_password != str(form_data.get("confirm_password", "")):
            self.password_error = "The two new passwords don't match."  # noqa: S105
            return None
        try:
            ended = await in_session(
                lambda db_session: service.change_password(
                    db_session=db_session,
                    identity=identity,
                    current_password=str(form_data.get("current_password", "")),
                    new_password=new_password,
                )
            )
        except AccountError as error:
            self.password_error = str(error)
            return None
        self.password_error = ""
        self._load_sessions(identity)
        return rx.toast.success(f"Password changed. {ended} other session(s) were signed out.")
