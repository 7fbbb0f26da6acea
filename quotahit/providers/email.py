"""The e-mail capability: one interface, with Resend, SMTP and the local outbox behind it."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from quotahit.outbox import service as outbox_service
from quotahit.settings import Settings

logger = logging.getLogger(__name__)


class EmailDeliveryError(RuntimeError):
    """The provider refused or could not be reached; the message was not sent."""


@dataclass(frozen=True)
class OutgoingEmail:
    """A plain-text e-mail (links stay clickable and nothing needs sanitising)."""

    to_address: str
    subject: str
    text_body: str


class EmailSender(Protocol):
    """Anything that can deliver an e-mail and say whether it did."""

    def send(self, email: OutgoingEmail) -> str:
        """Deliver the message and return the provider's id for it."""
        ...


class OutboxEmailSender:
    """Local mode: the message is stored in the database and shown on the outbox page."""

    def __init__(self, engine: Engine, from_address: str) -> None:
        self._engine = engine
        self._from = from_address

    def send(self, email: OutgoingEmail) -> str:
        """Store the message in its own transaction, so it survives the caller's rollback."""
        with Session(self._engine) as db_session:
            stored = outbox_service.store(
                db_session=db_session,
                to_address=email.to_address,
                from_address=self._from,
                subject=email.subject,
                text_body=email.text_body,
            )
            db_session.commit()
            return f"outbox-{stored.id}"


class ResendEmailSender:
    """Resend through its official SDK, with a configurable API base URL."""

    def __init__(
        self, api_key: str, api_url: str, from_address: str, timeout: float = 15.0
    ) -> None:
        self._api_key = api_key
        self._api_url = api_url.rstrip("/")
        self._from = from_address
        self._timeout = timeout

    def send(self, email: OutgoingEmail) -> str:
        """Send one message; the SDK reads its key and URL from module globals."""
        import resend  # imported lazily: the SDK sets globals at import
        from resend.http_client_requests import RequestsClient

        resend.api_key = self._api_key
        resend.api_url = self._api_url
        # The SDK waits 30 s by default; a sign-up should not hang that long on a slow provider.
        resend.default_http_client = RequestsClient(timeout=self._timeout)  # type: ignore[arg-type]
        try:
            response = resend.Emails.send(
                {
                    "from": self._from,
                    "to": [email.to_address],
                    "subject": email.subject,
                    "text": email.text_body,
                }
            )
        except Exception as error:
            logger.warning("resend delivery failed: %s", type(error).__name__)
            raise EmailDeliveryError(f"Resend refused the message: {error}") from error
        return str(response.get("id", ""))


class SmtpEmailSender:
    """Any SMTP relay, with STARTTLS when configured."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        password: str,
        starttls: bool,
        from_address: str,
        timeout: float = 15.0,
    ) -> None:
        self._host, self._port = host, port
        self._username, self._password = username, password
        self._starttls = starttls
        self._from = from_address
        self._timeout = timeout

    def send(self, email: OutgoingEmail) -> str:
        """Send one message over SMTP."""
        message = MimeMessage()
        message["From"] = self._from
        message["To"] = email.to_address
        message["Subject"] = email.subject
        message["Date"] = formatdate(usegmt=True)
        sender_domain = parseaddr(self._from)[1].rpartition("@")[2] or "quotahit.local"
        message["Message-ID"] = make_msgid(domain=sender_domain)
        message.set_content(email.text_body)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as client:
                if self._starttls:
                    client.starttls(context=ssl.create_default_context())
                if self._username:
                    client.login(self._username, self._password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            logger.warning("smtp delivery failed: %s", type(error).__name__)
            raise EmailDeliveryError(f"The SMTP server refused the message: {error}") from error
        return str(message.get("Message-ID", ""))


def email_sender_from_settings(settings: Settings, engine: Engine) -> EmailSender:
    """The configured sender; local mode defaults to the outbox."""
    if settings.email_provider == "resend":
        return ResendEmailSender(
            settings.resend_api_key, settings.resend_api_url, settings.email_from
        )
    if settings.email_provider == "smtp":
        return SmtpEmailSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_username,
            settings.smtp_password,
            settings.smtp_starttls,
            settings.email_from,
        )
    return OutboxEmailSender(engine, settings.email_from)
