"""Reflex event handlers of the accounts module, called directly with stand-in collaborators."""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from quotahit.accounts import state
from quotahit.accounts.service import AccountLinks
from quotahit.accounts.throttle import ACTION_LIMITS, ActionThrottle
from tests.fakes.mailer import RecordingMailer


@contextmanager
def no_database() -> Iterator[None]:
    # The cap is checked before the service reads anything.
    yield None


def test_resend_confirmation_over_the_cap_shows_a_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caps = ActionThrottle(limits={**ACTION_LIMITS, "confirmation_resend": "1/hour"})
    assert caps.allow("confirmation_resend", "ada@acme.example").allowed
    mailer = RecordingMailer()
    monkeypatch.setattr(state, "session_scope", no_database)
    monkeypatch.setattr(
        state,
        "wiring",
        types.SimpleNamespace(
            mailer=lambda: mailer,
            links=lambda: AccountLinks("https://app.quotahit.example"),
            action_throttle=lambda: caps,
        ),
    )
    form = types.SimpleNamespace(
        last_email="ada@acme.example", show_resend=True, error="", notice=""
    )
    state.LoginState.resend_confirmation.fn(form)
    assert "Too many requests" in form.error + form.notice
    assert mailer.sent == []
