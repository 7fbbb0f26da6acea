"""Short-lived signed tickets that let a browser open a voice call's websocket.

A websocket cannot carry the login cookie's meaning on its own (the backend port may differ
from the page's), so an event handler that has already checked the user signs a ticket naming
the login session, the practice session and the tab. Tickets expire in a minute and each one
opens one connection; a live call hands the browser a resume ticket, valid a few minutes, so a
dropped socket can come back to the same call without a page event.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CALL_TICKET_SECONDS = 60
RESUME_TICKET_SECONDS = 300
_SALT = "quotahit.voice.ticket.v1"


class TicketError(Exception):
    """The ticket is forged, expired, already used or names someone else."""


@dataclass(frozen=True)
class Ticket:
    """Who may open which call from which tab."""

    auth_session_id: int
    user_id: int
    organization_id: int
    practice_session_id: int
    client_token: str
    resume: bool
    nonce: str


class TicketBook:
    """Signs tickets and checks them once: a replayed ticket is refused.

    Used nonces are kept in memory until their ticket would have expired anyway. With several
    workers a replay could land on another worker within the minute; the ticket still names the
    same user, session and tab, so a replay gains nothing the holder did not already have.
    """

    def __init__(self, secret_key: str) -> None:
        if len(secret_key) < 16:
            raise ValueError("the ticket secret must be at least 16 characters")
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(
        self,
        *,
        auth_session_id: int,
        user_id: int,
        organization_id: int,
        practice_session_id: int,
        client_token: str,
        resume: bool = False,
    ) -> str:
        """A signed ticket (URL-safe) for one connection."""
        return self._serializer.dumps(
            {
                "a": auth_session_id,
                "u": user_id,
                "o": organization_id,
                "p": practice_session_id,
                "c": client_token[:128],
                "r": resume,
                "n": secrets.token_urlsafe(12),
            }
        )

    def redeem(self, raw: str) -> Ticket:
        """The ticket's claims, once; raises TicketError otherwise."""
        if not raw or len(raw) > 1_000:
            raise TicketError("missing ticket")
        try:
            claims, signed_at = self._serializer.loads(
                raw, max_age=RESUME_TICKET_SECONDS, return_timestamp=True
            )
        except SignatureExpired as error:
            raise TicketError("expired ticket") from error
        except BadSignature as error:
            raise TicketError("bad ticket") from error
        try:
            ticket = Ticket(
                auth_session_id=int(claims["a"]),
                user_id=int(claims["u"]),
                organization_id=int(claims["o"]),
                practice_session_id=int(claims["p"]),
                client_token=str(claims["c"]),
                resume=bool(claims["r"]),
                nonce=str(claims["n"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise TicketError("bad ticket") from error
        lifetime = RESUME_TICKET_SECONDS if ticket.resume else CALL_TICKET_SECONDS
        age = time.time() - signed_at.timestamp()
        if age > lifetime:
            raise TicketError("expired ticket")
        self._spend(ticket.nonce, signed_at.timestamp() + lifetime)
        return ticket

    def _spend(self, nonce: str, valid_until: float) -> None:
        now = time.time()
        with self._lock:
            for old in [n for n, until in self._used.items() if until < now]:
                del self._used[old]
            if nonce in self._used:
                raise TicketError("ticket already used")
            self._used[nonce] = valid_until
