"""The SSRF-safe fetcher: every private form is refused before any connection is attempted."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from quotahit.web.safe_fetch import (
    FetchRefused,
    fetch_readable,
    html_to_text,
    pinned_connector,
)

PUBLIC_IP = "93.184.216.34"
PAGE = (
    "<html><head><title> Acme  pricing </title><style>p{}</style></head><body>"
    "<nav>Home | About</nav><script>steal()</script>"
    "<h1>Plans</h1><p>Starter   costs $10.</p><ul><li>One seat</li><li>Email</li></ul>"
    "<footer>Copyright</footer></body></html>"
)


def fake_resolver(table: dict[str, list[str]]):
    """A getaddrinfo stand-in answering from a table, never from DNS."""

    def resolve(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        if host not in table:
            raise socket.gaierror(f"unknown host {host}")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in table[host]]

    return resolve


@dataclass
class RecordingConnector:
    """Records each pinned attempt and plays back canned responses, opening no socket."""

    responses: list[httpx.Response] = field(default_factory=list)
    attempts: list[tuple[str, int, httpx.Request]] = field(default_factory=list)

    def __call__(self, ip: str, port: int, request: httpx.Request) -> httpx.Response:
        self.attempts.append((ip, port, request))
        return self.responses.pop(0)


def html_response(body: str = PAGE, content_type: str = "text/html; charset=utf-8"):
    return httpx.Response(200, headers={"content-type": content_type}, content=body.encode())


RESOLVER = fake_resolver(
    {
        "example.com": [PUBLIC_IP],
        "localhost": ["127.0.0.1"],
        "innocent.example": ["10.0.0.5"],
        "mixed.example": [PUBLIC_IP, "192.168.1.7"],
        "internal.example": ["172.16.0.9"],
    }
)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://0x7f000001/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::127.0.0.1]/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://0.0.0.0/",
        "http://240.0.0.1/",
        "http://localhost:8080/",
        "http://LOCALHOST./",
        "http://innocent.example/",
        "http://mixed.example/",
        "ftp://example.com/file.txt",
        "file:///etc/passwd",
        "http://user:pass@example.com/",
        "http://example.com@127.0.0.1/",
        "http://nowhere.example/",
        "http://1.2.3.999/",
    ],
)
def test_refused_before_any_connection(url: str) -> None:
    connector = RecordingConnector([html_response()])
    with pytest.raises(FetchRefused):
        fetch_readable(url, resolver=RESOLVER, connector=connector)
    assert connector.attempts == []


def test_public_page_is_fetched_pinned_to_the_checked_address() -> None:
    connector = RecordingConnector([html_response()])
    fetched = fetch_readable(
        "https://Example.com/pricing?x=1", resolver=RESOLVER, connector=connector
    )
    [(ip, port, request)] = connector.attempts
    assert (ip, port) == (PUBLIC_IP, 443)
    assert request.headers["host"] == "example.com"
    assert fetched.url == "https://Example.com/pricing?x=1"
    assert fetched.title == "Acme pricing"
    assert fetched.text == "Plans\nStarter costs $10.\nOne seat\nEmail"
    assert fetched.content_type == "text/html"
    assert fetched.bytes_read == len(PAGE.encode())


def test_redirect_to_a_private_address_is_refused_after_one_attempt() -> None:
    for location in ("http://internal.example/admin", "http://169.254.169.254/"):
        redirect = httpx.Response(302, headers={"location": location})
        connector = RecordingConnector([redirect, html_response()])
        with pytest.raises(FetchRefused, match="private network"):
            fetch_readable("http://example.com/", resolver=RESOLVER, connector=connector)
        assert len(connector.attempts) == 1


def test_relative_redirect_is_followed_against_the_current_url() -> None:
    redirect = httpx.Response(301, headers={"location": "/new"})
    connector = RecordingConnector([redirect, html_response()])
    fetched = fetch_readable("http://example.com/old", resolver=RESOLVER, connector=connector)
    assert fetched.url == "http://example.com/new"
    assert [str(request.url) for _, _, request in connector.attempts] == [
        "http://example.com/old",
        "http://example.com/new",
    ]


def test_too_many_redirects_are_refused() -> None:
    loop = [httpx.Response(302, headers={"location": "/again"}) for _ in range(3)]
    connector = RecordingConnector(loop)
    with pytest.raises(FetchRefused, match="redirects more than 2"):
        fetch_readable(
            "http://example.com/", resolver=RESOLVER, connector=connector, max_redirects=2
        )
    assert len(connector.attempts) == 3


def streamed(chunks: list[bytes]) -> Iterator[bytes]:
    yield from chunks


def test_oversize_body_is_refused_while_streaming() -> None:
    body = httpx.Response(
        200, headers={"content-type": "text/plain"}, content=streamed([b"x" * 600] * 5)
    )
    connector = RecordingConnector([body])
    with pytest.raises(FetchRefused, match="larger than 1,000 bytes"):
        fetch_readable(
            "http://example.com/", resolver=RESOLVER, connector=connector, max_bytes=1000
        )


def test_non_text_content_is_refused() -> None:
    pdf = httpx.Response(200, headers={"content-type": "application/pdf"}, content=b"%PDF")
    connector = RecordingConnector([pdf])
    with pytest.raises(FetchRefused, match="not a web page or text: application/pdf"):
        fetch_readable("http://example.com/a.pdf", resolver=RESOLVER, connector=connector)


def test_error_status_is_refused() -> None:
    connector = RecordingConnector([httpx.Response(404, headers={"content-type": "text/html"})])
    with pytest.raises(FetchRefused, match="HTTP 404"):
        fetch_readable("http://example.com/", resolver=RESOLVER, connector=connector)


def test_plain_text_is_tidied_without_a_title() -> None:
    text = html_response("  Line one  \n\n\n line   two ", content_type="text/plain")
    fetched = fetch_readable(
        "http://example.com/", resolver=RESOLVER, connector=RecordingConnector([text])
    )
    assert (fetched.title, fetched.text) == ("", "Line one\nline two")


def test_html_extraction_drops_scripts_and_furniture_and_keeps_paragraphs() -> None:
    title, text = html_to_text(
        "<title>T &amp; C</title><header>Logo</header><p>First&nbsp;point.</p>"
        "<form><input/>Subscribe</form><aside>Ad</aside><svg><text>icon</text></svg>"
        "<noscript>Enable JS</noscript><p>Second<br>line</p><script>var a = '<p>x</p>';</script>"
    )
    assert title == "T & C"
    assert text == "First point.\nSecond\nline"


class _EchoHost(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"host={self.headers['Host']} path={self.path}".encode()
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


def test_default_connector_dials_the_pinned_ip_and_keeps_the_host_name() -> None:
    server = HTTPServer(("127.0.0.1", 0), _EchoHost)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with httpx.Client(trust_env=False, timeout=5) as client:
            request = httpx.Request("GET", f"http://site.invalid:{port}/page?q=1")
            response = pinned_connector(client)("127.0.0.1", port, request)
            response.read()
        assert response.text == f"host=site.invalid:{port} path=/page?q=1"
    finally:
        server.shutdown()
        server.server_close()
