"""E-mail senders against loopback fakes: a fake Resend API, a fake SMTP relay, the outbox table."""

from __future__ import annotations

import email.utils
import shutil
import socket
import ssl
import subprocess
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
import resend
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from quotahit.accounts.models import Organization
from quotahit.outbox import service as outbox_service
from quotahit.outbox.models import OutboxMessage
from quotahit.providers import email as email_module
from quotahit.providers.email import (
    EmailDeliveryError,
    OutboxEmailSender,
    OutgoingEmail,
    ResendEmailSender,
    SmtpEmailSender,
    email_sender_from_settings,
)
from quotahit.settings import Settings
from tests.fakes.resend_api import FakeResendAPI
from tests.fakes.smtp_server import FakeSmtpServer

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

FROM = "QuotaHit <no-reply@quotahit.test>"
API_KEY = "re_live_0123456789abcdef"
MESSAGE = OutgoingEmail(
    to_address="dana@example.com",
    subject="Confirm your QuotaHit e-mail address",
    text_body="Hi Dana,\n\nhttps://app.example.com/confirm?token=abc\n\nÇa marche: ünïcode.",
)


# The fake Resend API.


@pytest.fixture
def resend_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeResendAPI]:
    # The SDK keeps its key and URL in module globals: put them back after each test.
    monkeypatch.setattr(resend, "api_key", resend.api_key)
    monkeypatch.setattr(resend, "api_url", resend.api_url)
    with FakeResendAPI(api_key=API_KEY) as api:
        yield api


def test_resend_posts_the_message_with_the_bearer_key(resend_api: FakeResendAPI) -> None:
    sender = ResendEmailSender(API_KEY, resend_api.url + "/", FROM)
    message_id = sender.send(MESSAGE)

    assert len(resend_api.requests) == 1
    request = resend_api.requests[0]
    assert (request.method, request.path, request.status) == ("POST", "/emails", 200)
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"].startswith("application/json")
    assert request.body == {
        "from": FROM,
        "to": ["dana@example.com"],
        "subject": MESSAGE.subject,
        "text": MESSAGE.text_body,
    }
    # The id is the one the API answered with.
    assert message_id
    assert resend_api.sent == [request.body]


def test_resend_returns_a_distinct_provider_id_per_message(resend_api: FakeResendAPI) -> None:
    sender = ResendEmailSender(API_KEY, resend_api.url, FROM)
    ids = {sender.send(MESSAGE) for _ in range(3)}
    assert len(ids) == 3
    assert "" not in ids


def test_resend_with_a_wrong_key_raises_delivery_error(resend_api: FakeResendAPI) -> None:
    sender = ResendEmailSender("re_wrong", resend_api.url, FROM)
    with pytest.raises(EmailDeliveryError, match="API key is invalid"):
        sender.send(MESSAGE)
    assert [request.status for request in resend_api.requests] == [401]
    assert resend_api.sent == []


@pytest.mark.parametrize(
    ("mode", "status", "text"),
    [
        ("401", 401, "API key is invalid"),
        ("429", 429, "Too many requests"),
        ("500", 500, "unexpected error"),
    ],
)
def test_resend_failures_raise_delivery_error(
    resend_api: FakeResendAPI, mode: str, status: int, text: str
) -> None:
    resend_api.mode = mode  # type: ignore[assignment]
    sender = ResendEmailSender(API_KEY, resend_api.url, FROM)
    with pytest.raises(EmailDeliveryError, match=text) as raised:
        sender.send(MESSAGE)
    assert raised.value.__cause__ is not None
    assert [request.status for request in resend_api.requests] == [status]
    assert resend_api.sent == []


def test_resend_unreachable_raises_delivery_error(resend_api: FakeResendAPI) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    sender = ResendEmailSender(API_KEY, f"http://127.0.0.1:{closed_port}", FROM)
    with pytest.raises(EmailDeliveryError):
        sender.send(MESSAGE)


def test_resend_time_out_raises_delivery_error(resend_api: FakeResendAPI) -> None:
    # The SDK would wait 30 s; the sender sets its own, shorter time-out.
    resend_api.mode, resend_api.delay_seconds = "slow", 5.0
    sender = ResendEmailSender(API_KEY, resend_api.url, FROM, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(EmailDeliveryError, match="timed out"):
        sender.send(MESSAGE)
    assert time.monotonic() - started < 3


def test_settings_choose_resend_and_its_url(resend_api: FakeResendAPI) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        EMAIL_PROVIDER="resend",
        RESEND_API_KEY=API_KEY,
        RESEND_API_URL=resend_api.url,
        EMAIL_FROM=FROM,
    )
    sender = email_sender_from_settings(settings, engine=None)  # type: ignore[arg-type]
    assert isinstance(sender, ResendEmailSender)
    sender.send(MESSAGE)
    assert resend_api.sent[0]["from"] == FROM


# The fake SMTP relay.


def smtp_sender(server: FakeSmtpServer, **overrides: object) -> SmtpEmailSender:
    options: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "username": "",
        "password": "",
        "starttls": False,
        "from_address": FROM,
        "timeout": 5.0,
    }
    options.update(overrides)
    return SmtpEmailSender(**options)  # type: ignore[arg-type]


def test_smtp_delivers_a_plain_text_message() -> None:
    with FakeSmtpServer() as server:
        smtp_sender(server).send(MESSAGE)
        [received] = server.messages
    assert received.mail_from == "no-reply@quotahit.test"
    assert received.rcpt_tos == ["dana@example.com"]
    assert received.message["From"] == FROM
    assert received.message["To"] == "dana@example.com"
    assert received.message["Subject"] == MESSAGE.subject
    assert received.message.get_content_type() == "text/plain"
    body = received.message.get_content().replace("\r\n", "\n")
    assert body.rstrip("\n") == MESSAGE.text_body
    assert not received.over_tls
    assert received.authenticated_as is None


def test_smtp_message_has_date_and_message_id_and_returns_it() -> None:
    with FakeSmtpServer() as server:
        message_id = smtp_sender(server).send(MESSAGE)
        [received] = server.messages
    assert received.message["Date"]
    assert email.utils.parsedate_to_datetime(received.message["Date"]) is not None
    assert received.message["Message-ID"]
    assert message_id == received.message["Message-ID"]


def test_smtp_logs_in_when_credentials_are_set() -> None:
    with FakeSmtpServer(username="mailer", password="s3cret-relay") as server:
        smtp_sender(server, username="mailer", password="s3cret-relay").send(MESSAGE)
        [received] = server.messages
    assert received.authenticated_as == "mailer"


def test_smtp_wrong_password_raises_delivery_error() -> None:
    with FakeSmtpServer(username="mailer", password="s3cret-relay") as server:
        with pytest.raises(EmailDeliveryError, match="SMTP server refused"):
            smtp_sender(server, username="mailer", password="guess").send(MESSAGE)
        assert server.messages == []


def test_smtp_without_credentials_on_a_relay_that_needs_them_fails() -> None:
    with FakeSmtpServer(username="mailer", password="s3cret-relay") as server:
        with pytest.raises(EmailDeliveryError):
            smtp_sender(server).send(MESSAGE)
        assert server.messages == []


@pytest.mark.parametrize("refusal", ["refuse_recipients", "refuse_data"])
def test_smtp_refusals_raise_delivery_error(refusal: str) -> None:
    with FakeSmtpServer(**{refusal: True}) as server:  # type: ignore[arg-type]
        with pytest.raises(EmailDeliveryError):
            smtp_sender(server).send(MESSAGE)
        assert server.messages == []


def test_smtp_starttls_is_not_silently_skipped() -> None:
    # STARTTLS configured but not offered: refuse rather than send the message in clear text.
    with FakeSmtpServer() as server:
        with pytest.raises(EmailDeliveryError, match="STARTTLS"):
            smtp_sender(server, starttls=True).send(MESSAGE)
        assert server.messages == []


def test_smtp_unreachable_raises_delivery_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    sender = SmtpEmailSender("127.0.0.1", closed_port, "", "", False, FROM, timeout=2)
    with pytest.raises(EmailDeliveryError):
        sender.send(MESSAGE)


def test_smtp_silent_server_times_out_into_delivery_error() -> None:
    # A server that accepts the connection but never greets.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        sender = SmtpEmailSender("127.0.0.1", port, "", "", False, FROM, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(EmailDeliveryError):
            sender.send(MESSAGE)
        assert time.monotonic() - started < 3
    finally:
        thread.join(timeout=2)
        for connection in accepted:
            connection.close()
        listener.close()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_smtp_starttls_checks_the_certificate(tls_files: tuple[Path, Path]) -> None:
    # A self-signed certificate the system does not trust: no delivery.
    with FakeSmtpServer(tls_context=_server_context(*tls_files)) as server:
        with pytest.raises(EmailDeliveryError):
            smtp_sender(server, starttls=True).send(MESSAGE)
        assert server.messages == []


def test_smtp_starttls_delivers_over_tls_to_a_trusted_server(
    tls_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, _key = tls_files
    trusting = types.SimpleNamespace(
        create_default_context=lambda: ssl.create_default_context(cafile=str(cert))
    )
    monkeypatch.setattr(email_module, "ssl", trusting)
    with FakeSmtpServer(
        tls_context=_server_context(*tls_files), username="mailer", password="s3cret-relay"
    ) as server:
        smtp_sender(server, starttls=True, username="mailer", password="s3cret-relay").send(MESSAGE)
        [received] = server.messages
    assert received.over_tls
    assert received.authenticated_as == "mailer"


def test_settings_choose_smtp() -> None:
    with FakeSmtpServer() as server:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            EMAIL_PROVIDER="smtp",
            SMTP_HOST=server.host,
            SMTP_PORT=server.port,
            SMTP_STARTTLS=False,
            EMAIL_FROM=FROM,
        )
        sender = email_sender_from_settings(settings, engine=None)  # type: ignore[arg-type]
        assert isinstance(sender, SmtpEmailSender)
        sender.send(MESSAGE)
        assert len(server.messages) == 1


# The local outbox.


def test_outbox_stores_the_message(engine: Engine) -> None:
    sender = OutboxEmailSender(engine, FROM)
    first = sender.send(MESSAGE)
    second = sender.send(OutgoingEmail("eli@example.com", "Hello", "Body"))
    assert first.startswith("outbox-")
    assert first != second
    with Session(engine) as db_session:
        stored = db_session.get(OutboxMessage, int(first.removeprefix("outbox-")))
        assert stored is not None
        assert (stored.to_address, stored.from_address) == (MESSAGE.to_address, FROM)
        assert (stored.subject, stored.text_body) == (MESSAGE.subject, MESSAGE.text_body)
        messages, total = outbox_service.list_messages(db_session=db_session)
        assert total == 2
        assert [message.to_address for message in messages] == [
            "eli@example.com",
            "dana@example.com",
        ]
        only_dana, count = outbox_service.list_messages(db_session=db_session, to_address="DANA")
        assert count == 1
        assert only_dana[0].subject == MESSAGE.subject


def test_outbox_message_survives_the_callers_rollback(engine: Engine) -> None:
    sender = OutboxEmailSender(engine, FROM)
    with Session(engine) as caller:
        caller.add(Organization(name="Rolled back"))
        if engine.dialect.name == "postgresql":
            # The caller's row is really written; SQLite allows only one writer at a time, so
            # there the services send their e-mail after committing.
            caller.flush()
        sender.send(MESSAGE)
        caller.rollback()
    with Session(engine) as db_session:
        assert db_session.exec(select(Organization)).all() == []
        assert len(db_session.exec(select(OutboxMessage)).all()) == 1


def test_settings_default_to_the_outbox(engine: Engine) -> None:
    settings = Settings(_env_file=None, EMAIL_PROVIDER="outbox", EMAIL_FROM=FROM)  # type: ignore[call-arg]
    sender = email_sender_from_settings(settings, engine)
    assert isinstance(sender, OutboxEmailSender)
    sender.send(MESSAGE)
    with Session(engine) as db_session:
        assert db_session.exec(select(OutboxMessage.from_address)).all() == [FROM]
