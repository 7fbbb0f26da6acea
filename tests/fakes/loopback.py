"""A threaded HTTP server on 127.0.0.1 that the provider fakes build on.

It keeps the open connections so `stop()` can end held requests and streams at once, records the
fake's own crashes in `errors` (a bug in the fake, not in the code under test), and disables
Nagle so small SSE writes leave immediately.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LoopbackServer(ThreadingHTTPServer):
    """Binds a free port on loopback only; client hang-ups are not errors."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # read by listen(): benchmarks open many connections at once

    def __init__(self, handler: type[BaseHTTPRequestHandler], errors: list[BaseException]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.errors = errors

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Keep the fake's own bugs; ignore clients that hung up."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return  # a client hung up (idle keep-alive reset, a time-out), or stop() closed it
        if error is not None:
            self.errors.append(error)
        super().handle_error(request, client_address)  # a bug in the fake: print it


class LoopbackFake:
    """Start/stop life cycle of a fake; subclasses answer requests in `_handle`."""

    server_name = "LoopbackFake"

    def __init__(self) -> None:
        self.errors: list[BaseException] = []  # exceptions the fake itself raised (its bugs)
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where the fake listens."""
        assert self._server is not None, "the fake is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        """Listen on a free loopback port, in a background thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive and chunked SSE, like the real APIs
            server_version = f"{fake.server_name}/1.0"
            sys_version = ""

            def setup(self) -> None:
                super().setup()
                # Small SSE writes must leave at once (Nagle + delayed ACK would add ~40 ms).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with fake._lock:
                    fake._connections.add(self.connection)

            def finish(self) -> None:
                with fake._lock:
                    fake._connections.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def do_DELETE(self) -> None:
                fake._handle(self)

        self._release.clear()
        self._server = LoopbackServer(Handler, self.errors)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=self.server_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release held requests, stop accepting, and close the open connections."""
        self._release.set()
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
