"""Custom OpenAI-compatible endpoints (Ollama, vLLM, LM Studio), with their optional key sealed.

The server calls the address the user gives, so in production an address that resolves to a
private, loopback, link-local or metadata range is refused (SSRF); a local install may point at
its own machine, which is what Ollama on localhost needs.
"""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import Session

from quotahit.accounts.identity import AccountError, Identity
from quotahit.audit import service as audit
from quotahit.db import tenant_select
from quotahit.keys.crypto import Keyring, associated_data
from quotahit.keys.models import CustomEndpoint
from quotahit.keys.service import Scope, owner_of, require_scope
from quotahit.web.addresses import address_blocked

Resolver = type(socket.getaddrinfo)


@dataclass(frozen=True)
class EndpointView:
    """A custom endpoint as the settings page shows it."""

    scope: str
    base_url: str
    api_model: str
    key_last4: str


@dataclass(frozen=True)
class ResolvedEndpoint:
    """Where and how to call the user's own server."""

    source: str  # user | organization
    base_url: str
    api_model: str
    secret: str

    def __repr__(self) -> str:
        """Never print the key."""
        return f"ResolvedEndpoint(source={self.source}, base_url={self.base_url})"


def check_base_url(
    raw: str, *, allow_private: bool, resolver: Resolver = socket.getaddrinfo
) -> str:
    """A clean `http(s)://host[:port]/path` base URL, refused if it reaches a private address."""
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise AccountError("Enter the server's address, e.g. http://localhost:11434/v1")
    if parts.username or parts.password or len(url) > 300:
        raise AccountError("Put the key in the key field, not in the address.")
    if allow_private:
        return url
    try:
        infos = resolver(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError as error:
        raise AccountError(f"{parts.hostname} does not resolve.") from error
    if any(address_blocked(str(info[4][0])) for info in infos):
        raise AccountError(
            "That address points into a private network. QuotaHit can only reach public servers."
        )
    return url


SERVER_REFUSAL = "Only admins can set your organisation's model server."


def _find(db_session: Session, identity: Identity, scope: Scope) -> CustomEndpoint | None:
    statement = tenant_select(CustomEndpoint, identity.organization_id)
    if scope is Scope.ORGANIZATION:
        statement = statement.where(CustomEndpoint.user_id.is_(None))  # type: ignore[union-attr]
    else:
        statement = statement.where(CustomEndpoint.user_id == identity.user_id)
    return db_session.exec(statement).first()


def _aad(row: CustomEndpoint) -> bytes:
    return associated_data(key_uid=row.uid, owner=owner_of(row), provider="custom")


def save_endpoint(
    *,
    db_session: Session,
    identity: Identity,
    keyring: Keyring,
    base_url: str,
    api_model: str,
    raw_key: str = "",
    scope: Scope = Scope.USER,
    allow_private: bool = False,
    resolver: Resolver = socket.getaddrinfo,
) -> EndpointView:
    """Store (or replace) the caller's or the organisation's model server."""
    require_scope(identity, scope, SERVER_REFUSAL)
    url = check_base_url(base_url, allow_private=allow_private, resolver=resolver)
    model = api_model.strip()
    if not model or len(model) > 120:
        raise AccountError("Name the model the server should run, e.g. llama3.1:8b")
    key = "".join(raw_key.split())
    row = _find(db_session, identity, scope) or CustomEndpoint(
        organization_id=identity.organization_id,
        user_id=identity.user_id if scope is Scope.USER else None,
        uid=secrets.token_hex(16),
        base_url=url,
        api_model=model,
        created_by_id=identity.user_id,
    )
    row.base_url, row.api_model = url, model
    row.key_ciphertext = keyring.encrypt(key, aad=_aad(row)) if key else ""
    row.last4 = key[-4:] if key else ""
    db_session.add(row)
    audit.record(
        db_session=db_session,
        action="custom_endpoint.saved",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="custom_endpoint",
        target_id=scope.value,
        details={"base_url": url, "model": model},
    )
    db_session.commit()
    return EndpointView(scope.value, url, model, row.last4)


def list_endpoints(*, db_session: Session, identity: Identity) -> list[EndpointView]:
    """The caller's and the organisation's servers."""
    views = []
    for scope in (Scope.USER, Scope.ORGANIZATION):
        row = _find(db_session, identity, scope)
        if row is not None:
            views.append(EndpointView(scope.value, row.base_url, row.api_model, row.last4))
    return views


def delete_endpoint(*, db_session: Session, identity: Identity, scope: Scope) -> None:
    """Forget a model server."""
    require_scope(identity, scope, SERVER_REFUSAL)
    row = _find(db_session, identity, scope)
    if row is None:
        raise AccountError("There is no such server to remove.")
    db_session.delete(row)
    db_session.commit()


def resolve_endpoints(
    *, db_session: Session, identity: Identity, keyring: Keyring
) -> list[ResolvedEndpoint]:
    """The caller's server, then the organisation's, with their keys opened."""
    resolved = []
    for scope in (Scope.USER, Scope.ORGANIZATION):
        row = _find(db_session, identity, scope)
        if row is not None:
            secret = (
                keyring.decrypt(row.key_ciphertext, aad=_aad(row)) if row.key_ciphertext else ""
            )
            resolved.append(ResolvedEndpoint(scope.value, row.base_url, row.api_model, secret))
    return resolved
