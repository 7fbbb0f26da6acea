"""An in-process EmailSender that keeps what it was asked to send (or fails on demand)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from quotahit.providers.email import EmailDeliveryError, OutgoingEmail

_LINK = re.compile(
    r"(?P<base>https?://\S+?)/(?P<page>confirm|reset-password|join)\?token=(?P<token>[\w-]+)"
)


@dataclass
class RecordingMailer:
    """Satisfies `quotahit.providers.email.EmailSender`."""

    fail: bool = False
    sent: list[OutgoingEmail] = field(default_factory=list)
    attempts: int = 0

    def send(self, email: OutgoingEmail) -> str:
        self.attempts += 1
        if self.fail:
            raise EmailDeliveryError("the fake provider is down")
        self.sent.append(email)
        return f"fake-{len(self.sent)}"

    def to(self, address: str) -> list[OutgoingEmail]:
        """Messages sent to one address (compared case-insensitively), oldest first."""
        wanted = address.strip().lower()
        return [email for email in self.sent if email.to_address.lower() == wanted]

    def last_token(self, address: str, page: str) -> str:
        """The token of the newest link to `page` e-mailed to the address."""
        for email in reversed(self.to(address)):
            match = link_in(email.text_body, page)
            if match:
                return match
        raise AssertionError(f"no {page} link was e-mailed to {address}")


def link_in(text: str, page: str) -> str | None:
    """The token of the first link to `page` in a message body."""
    for match in _LINK.finditer(text):
        if match["page"] == page:
            return match["token"]
    return None
