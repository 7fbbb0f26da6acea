"""What every route authenticated by a personal API token shares: reading the bearer token,
and JSON errors that are never cached (401s say how to authenticate)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store"}


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None without one."""
    scheme, _, raw = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return raw.strip()


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    """A JSON error; a 401 carries the WWW-Authenticate challenge."""
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="quotahit"'
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)
