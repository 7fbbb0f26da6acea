"""A fake SMTP relay: aiosmtpd on 127.0.0.1 (a free port), recording every message it accepts.

Options mirror what real relays do: require AUTH with one username and password, offer STARTTLS
with a given certificate, or refuse recipients / message data with a 5xx answer.
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session


@dataclass
class ReceivedMail:
    """One accepted message with its envelope."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    authenticated_as: str | None
    over_tls: bool


@dataclass
class _Handler:
    refuse_recipients: bool = False
    refuse_data: bool = False
    messages: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, rcpt_options: Any
    ) -> str:
        if self.refuse_recipients:
            return "550 5.1.1 Recipient address rejected: user unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.refuse_data:
            return "554 5.7.1 Message rejected as spam"
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        auth = session.auth_data
        with self.lock:
            self.messages.append(
                ReceivedMail(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=list(envelope.rcpt_tos),
                    message=parsed,
                    authenticated_as=auth.login.decode()
                    if isinstance(auth, LoginPassword)
                    else None,
                    over_tls=session.ssl is not None,
                )
            )
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """aiosmtpd's controller bound to port 0: learn the real port before its self-test."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class FakeSmtpServer:
    """Start with `with FakeSmtpServer() as smtp:`; connect to `smtp.host`, `smtp.port`."""

    def __init__(
        self,
        *,
        username: str = "",
        password: str = "",
        tls_context: ssl.SSLContext | None = None,
        refuse_recipients: bool = False,
        refuse_data: bool = False,
    ) -> None:
        self.host = "127.0.0.1"
        self.username, self.password = username, password
        self._handler = _Handler(refuse_recipients=refuse_recipients, refuse_data=refuse_data)
        options: dict[str, Any] = {}
        if username:
            options.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=False
            )
        if tls_context is not None:
            options.update(tls_context=tls_context, require_starttls=False)
        self._controller = _FreePortController(
            self._handler, hostname=self.host, port=0, ready_timeout=10, **options
        )

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._handler.lock:
            return list(self._handler.messages)

    def _authenticate(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        ):
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    def __enter__(self) -> FakeSmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._controller.stop()
