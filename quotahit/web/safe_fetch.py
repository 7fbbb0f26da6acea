"""Fetch a user-supplied URL as readable text without letting it reach private networks (SSRF).

Every hop is checked before any connection: the host is parsed strictly (legacy numeric IPv4
forms such as `0x7f000001` or `127.1` are what `inet_aton` says they are), names are resolved
once, every resolved address must be public, and the request is then pinned to the checked
address with the original Host header and TLS SNI, so a second DNS answer cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

# One address rule for the whole app: the one custom model servers are checked with.
from quotahit.web.addresses import address_blocked

Resolver = Callable[..., list[tuple]]
Connector = Callable[[str, int, httpx.Request], httpx.Response]

READABLE_TYPES = frozenset({"text/html", "text/plain", "application/xhtml+xml"})
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
HOST_CHARACTERS = re.compile(r"^[a-z0-9.-]+$")
NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


class FetchRefused(Exception):
    """A URL QuotaHit will not fetch, with a message the user can act on."""


@dataclass(frozen=True)
class Fetched:
    """A fetched page reduced to its readable text."""

    url: str
    content_type: str
    text: str
    title: str
    bytes_read: int


@dataclass(frozen=True)
class _Target:
    url: str
    host: str
    address: str
    port: int


def _literal_address(host: str) -> str | None:
    """The IP a host names literally, in canonical form, or None for a DNS name."""
    if ":" in host:
        if "%" in host:
            raise FetchRefused("Addresses with a network zone are not allowed.")
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError as error:
            raise FetchRefused(f"{host} is not a valid address.") from error
    if not HOST_CHARACTERS.match(host):
        raise FetchRefused(f"{host} is not a valid web address.")
    # Browsers and libc both read a host whose last label is a number as IPv4, in any legacy form.
    if NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError as error:
            raise FetchRefused(f"{host} is not a valid address.") from error
    return None


def _check(url: str, resolver: Resolver) -> _Target:
    """The pinned target of a URL, refused unless every address it reaches is public."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"}:
        raise FetchRefused("Only http:// and https:// addresses can be attached.")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused("Addresses with a user name or password cannot be attached.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise FetchRefused("That address has an invalid port.") from error
    raw_host = (parts.hostname or "").rstrip(".")
    if not raw_host:
        raise FetchRefused("That address has no host name.")
    try:
        host = raw_host if ":" in raw_host else raw_host.encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise FetchRefused(f"{raw_host} is not a valid web address.") from error
    literal = _literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = resolver(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise FetchRefused(f"{host} does not resolve.") from error
        addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise FetchRefused(f"{host} does not resolve.")
    try:
        blocked = any(address_blocked(address) for address in addresses)
    except ValueError as error:
        raise FetchRefused(f"{host} resolves to an invalid address.") from error
    if blocked:
        raise FetchRefused(
            f"{host} points into a private network. QuotaHit can only read public web pages."
        )
    return _Target(url=parts.geturl(), host=host, address=addresses[0], port=port)


def _same_host(parsed: str, checked: str) -> bool:
    """Whether httpx reads the same host as the check did, so Host and SNI name what was checked."""
    parsed = parsed.rstrip(".").lower()
    if ":" in parsed and ":" in checked:
        return ipaddress.IPv6Address(parsed) == ipaddress.IPv6Address(checked)
    return parsed == checked


def pinned_connector(client: httpx.Client) -> Connector:
    """Send a request to the checked IP, keeping the name in Host and SNI for the certificate."""

    def connect(address: str, port: int, request: httpx.Request) -> httpx.Response:
        pinned = request.url.copy_with(host=address, port=port)
        extensions = dict(request.extensions)
        extensions["sni_hostname"] = request.url.host
        send = httpx.Request(request.method, pinned, headers=request.headers, extensions=extensions)
        return client.send(send, stream=True, follow_redirects=False)

    return connect


def _read_capped(chunks: Iterator[bytes], *, max_bytes: int, deadline: float) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body.extend(chunk)
        if len(body) > max_bytes:
            raise FetchRefused(f"This page is larger than {max_bytes:,} bytes, too big to read.")
        if time.monotonic() > deadline:
            raise FetchRefused("This page took too long to load.")
    return bytes(body)


def _decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def fetch_readable(
    url: str,
    *,
    resolver: Resolver = socket.getaddrinfo,
    connector: Connector | None = None,
    max_bytes: int = 2_000_000,
    timeout: float = 10.0,
    max_redirects: int = 3,
) -> Fetched:
    """Fetch a public web page and return its readable text, or raise FetchRefused.

    Args:
        url: The address the user gave.
        resolver: `getaddrinfo`-compatible name lookup; tests inject a fake.
        connector: Sends a request to `(ip, port)`; the default pins a real httpx request.
        max_bytes: The most decoded body bytes read before refusing.
        timeout: Seconds for the whole fetch, redirects included.
        max_redirects: Redirects followed, each checked like the first address.
    """
    deadline = time.monotonic() + timeout
    client = None
    if connector is None:
        client = httpx.Client(trust_env=False, timeout=timeout, follow_redirects=False)
        connector = pinned_connector(client)
    try:
        return _follow(
            url,
            resolver=resolver,
            connector=connector,
            max_bytes=max_bytes,
            deadline=deadline,
            max_redirects=max_redirects,
        )
    except httpx.TimeoutException as error:
        raise FetchRefused("This page took too long to load.") from error
    except httpx.HTTPError as error:
        raise FetchRefused(f"This page could not be loaded ({type(error).__name__}).") from error
    finally:
        if client is not None:
            client.close()


def _follow(
    url: str,
    *,
    resolver: Resolver,
    connector: Connector,
    max_bytes: int,
    deadline: float,
    max_redirects: int,
) -> Fetched:
    current = url
    for _ in range(max_redirects + 1):
        target = _check(current, resolver)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchRefused("This page took too long to load.")
        request = httpx.Request(
            "GET",
            target.url,
            headers={"Accept": "text/html, text/plain;q=0.9", "User-Agent": "QuotaHit/1.0"},
            extensions={"timeout": httpx.Timeout(remaining).as_dict()},
        )
        if not _same_host(request.url.raw_host.decode("ascii"), target.host):
            raise FetchRefused("That address could not be read unambiguously.")
        response = connector(target.address, target.port, request)
        try:
            if response.status_code in REDIRECT_CODES and "location" in response.headers:
                current = urljoin(target.url, response.headers["location"])
                continue
            return _readable(target.url, response, max_bytes=max_bytes, deadline=deadline)
        finally:
            response.close()
    raise FetchRefused(f"This page redirects more than {max_redirects} times.")


def _readable(url: str, response: httpx.Response, *, max_bytes: int, deadline: float) -> Fetched:
    if not response.is_success:
        raise FetchRefused(f"This page answered with HTTP {response.status_code}.")
    raw_type = response.headers.get("content-type", "")
    content_type = raw_type.split(";", 1)[0].strip().lower()
    if content_type not in READABLE_TYPES:
        raise FetchRefused(f"This page is not a web page or text: {content_type or 'unknown'}.")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused(f"This page is larger than {max_bytes:,} bytes, too big to read.")
    body = _read_capped(response.iter_bytes(), max_bytes=max_bytes, deadline=deadline)
    decoded = _decode(body, response.charset_encoding)
    if content_type == "text/plain":
        title, text = "", _tidy(decoded)
    else:
        title, text = html_to_text(decoded)
    return Fetched(url=url, content_type=content_type, text=text, title=title, bytes_read=len(body))


SKIPPED_TAGS = frozenset(
    {"script", "style", "noscript", "svg", "nav", "footer", "header", "form", "aside", "template"}
)
BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table", "section", "article"}
    | {"main", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "figcaption"}
)


class _ReadableText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        self.in_title = False
        self.title: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        elif tag == "title":
            self.in_title = True
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "title":
            self.in_title = False
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.parts.append(data)


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def html_to_text(html: str) -> tuple[str, str]:
    """The (title, readable text) of an HTML page, without scripts, menus and page furniture."""
    parser = _ReadableText()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.title).split()), _tidy("".join(parser.parts))
