"""A fake Resend HTTP API: a real HTTP server on 127.0.0.1 speaking the `POST /emails` protocol.

It checks the Bearer key, validates the JSON body like the real API (from, to, subject required),
answers `{"id": ...}` and records every request it received. `mode` switches it into the failure
answers the real service gives: 401 (bad key), 429 (rate limited), 500 (outage) and "slow"
(answers only after `delay_seconds`, to exercise client time-outs).
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Mode = Literal["ok", "401", "429", "500", "slow"]


@dataclass
class ReceivedRequest:
    """One request as the fake saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int


@dataclass
class FakeResendAPI:
    """Start with `with FakeResendAPI(api_key=...) as api:`; `api.url` is the base URL."""

    api_key: str = "re_test_key"
    mode: Mode = "ok"
    delay_seconds: float = 3.0
    requests: list[ReceivedRequest] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._release = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeResendAPI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._reply(self, 405, {"statusCode": 405, "name": "method_not_allowed"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeResendAPI:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # The protocol.

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        status, payload = self._answer(request, body)
        with self._lock:
            self.requests.append(
                ReceivedRequest(
                    method=request.command,
                    path=request.path,
                    headers={key.lower(): value for key, value in request.headers.items()},
                    body=body,
                    status=status,
                )
            )
            if status == 200:
                self.sent.append(body)
        if self.mode == "slow":
            self._release.wait(self.delay_seconds)
        headers = {"retry-after": "1"} if status == 429 else {}
        # The client may have given up waiting (the time-out test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._reply(request, status, payload, headers)

    def _answer(self, request: BaseHTTPRequestHandler, body: Any) -> tuple[int, dict[str, Any]]:
        if request.path.rstrip("/") != "/emails":
            return 404, {"statusCode": 404, "name": "not_found", "message": "Route not found"}
        if request.headers.get("Authorization") != f"Bearer {self.api_key}" or self.mode == "401":
            return 401, {
                "statusCode": 401,
                "name": "validation_error",
                "message": "API key is invalid",
            }
        if self.mode == "429":
            return 429, {
                "statusCode": 429,
                "name": "rate_limit_exceeded",
                "message": "Too many requests. You can only make 2 requests per second.",
            }
        if self.mode == "500":
            return 500, {
                "statusCode": 500,
                "name": "internal_server_error",
                "message": "An unexpected error occurred.",
            }
        if not isinstance(body, dict):
            return 422, {"statusCode": 422, "name": "validation_error", "message": "Invalid JSON"}
        missing = [key for key in ("from", "to", "subject") if not body.get(key)]
        if missing or not (body.get("text") or body.get("html")):
            return 422, {
                "statusCode": 422,
                "name": "validation_error",
                "message": f"Missing required fields: {', '.join(missing) or 'text or html'}",
            }
        return 200, {"id": str(uuid.uuid4())}

    @staticmethod
    def _reply(
        request: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(data)
