"""`GET /api/usage`: the caller's usage as JSON, authenticated by a personal API token."""

from __future__ import annotations

from dataclasses import asdict

from starlette.requests import Request
from starlette.responses import JSONResponse

from quotahit.apitokens import service as tokens
from quotahit.apitokens.http import NO_STORE, bearer_token
from quotahit.apitokens.http import error_response as _error
from quotahit.db import session_scope
from quotahit.usage import service as usage


async def usage_endpoint(request: Request) -> JSONResponse:
    """Usage over `days` (1-366, default 30); `scope=organization` for admins."""
    raw = bearer_token(request)
    if raw is None:
        return _error(401, "Send a personal API token: Authorization: Bearer qh_...")
    try:
        days = int(request.query_params.get("days", "30"))
    except ValueError:
        return _error(400, "days must be a whole number from 1 to 366")
    if not 1 <= days <= 366:
        return _error(400, "days must be a whole number from 1 to 366")
    scope = request.query_params.get("scope", "me")
    if scope not in {"me", "organization"}:
        return _error(400, "scope is me or organization")
    with session_scope() as db_session:
        identity = tokens.authenticate(db_session=db_session, raw=raw)
        if identity is None:
            return _error(401, "This token is not valid, or was revoked")
        if scope == "organization" and not identity.is_admin:
            return _error(403, "Only admins can read the whole organisation's usage")
        summary = usage.summarize(
            db_session=db_session,
            organization_id=identity.organization_id,
            user_id=None if scope == "organization" else identity.user_id,
            days=days,
        )
    body = asdict(summary)
    body["since"] = summary.since.isoformat()
    body["scope"] = scope
    return JSONResponse(body, headers=NO_STORE)
