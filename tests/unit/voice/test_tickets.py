"""Call tickets: signed, short-lived, single-use, and bound to who asked for them."""

from __future__ import annotations

import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from quotahit.voice import tickets
from quotahit.voice.tickets import TicketBook, TicketError

SECRET = "a-test-secret-that-is-long-enough-0123"
CLAIMS = {
    "auth_session_id": 11,
    "user_id": 7,
    "organization_id": 3,
    "practice_session_id": 42,
    "client_token": "tab-token-1",
}


def test_a_ticket_names_its_caller_session_and_tab() -> None:
    book = TicketBook(SECRET)
    ticket = book.redeem(book.issue(**CLAIMS))
    assert (ticket.auth_session_id, ticket.user_id, ticket.organization_id) == (11, 7, 3)
    assert (ticket.practice_session_id, ticket.client_token, ticket.resume) == (
        42,
        "tab-token-1",
        False,
    )


def test_a_ticket_opens_one_connection_only() -> None:
    book = TicketBook(SECRET)
    raw = book.issue(**CLAIMS)
    book.redeem(raw)
    with pytest.raises(TicketError, match="already used"):
        book.redeem(raw)


def test_forged_and_tampered_tickets_are_refused() -> None:
    book = TicketBook(SECRET)
    raw = book.issue(**CLAIMS)
    other = TicketBook("another-secret-entirely-0123456789")
    with pytest.raises(TicketError, match="bad ticket"):
        other.redeem(raw)
    with pytest.raises(TicketError, match="bad ticket"):
        book.redeem(raw[:-3] + ("AAA" if not raw.endswith("AAA") else "BBB"))
    for junk in ("", "x" * 2000, "not.a.ticket"):
        with pytest.raises(TicketError):
            book.redeem(junk)
    # A well-signed payload of the wrong shape (another use of the same key) is refused too.
    wrong_shape = URLSafeTimedSerializer(SECRET, salt=tickets._SALT).dumps({"u": "seven"})
    with pytest.raises(TicketError, match="bad ticket"):
        book.redeem(wrong_shape)


def test_a_call_ticket_expires_after_a_minute_and_a_resume_ticket_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    book = TicketBook(SECRET)
    call, resume = book.issue(**CLAIMS), book.issue(**CLAIMS, resume=True)
    later = time.time() + tickets.CALL_TICKET_SECONDS + 5
    monkeypatch.setattr(tickets.time, "time", lambda: later)
    with pytest.raises(TicketError, match="expired"):
        book.redeem(call)
    assert book.redeem(resume).resume is True


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        TicketBook("short")
