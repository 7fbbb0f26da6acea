"""What every route authenticated by a personal API token shares: reading the bearer token,
and JSON errors that are never cached (401s say how to authenticate)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from quotahit.accounts.identity import Identity
from quotahit.apitokens import service as tokens
from quotahit.db import session_scope

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


def authenticate_request(request: Request) -> Identity | None:
    """The identity a request's bearer token acts as (blocking: call it in a thread)."""
    raw = bearer_token(request)
    if raw is None:
        return None
    with session_scope() as db_session:
        return tokens.authenticate(db_session=db_session, raw=raw)


class BodyError(ValueError):
    """A request body that cannot be used; the message says why."""


async def json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    """A JSON object body, read with a size cap however it is sent (chunked included)."""
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > max_bytes:
            raise BodyError(f"The request body is larger than {max_bytes // 1000:,} kB.")
    try:
        body = json.loads(bytes(received) or b"{}")
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        raise BodyError("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BodyError("Send a JSON object.")
    return body
