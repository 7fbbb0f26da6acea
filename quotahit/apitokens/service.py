"""Creating, listing, revoking and authenticating personal API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from quotahit.accounts.identity import AccountError, Identity
from quotahit.accounts.models import Membership, User
from quotahit.accounts.tokens import hash_token, new_token
from quotahit.apitokens.models import ApiToken
from quotahit.audit import service as audit
from quotahit.db import as_utc, tenant_get, tenant_select, utcnow

TOKEN_PREFIX = "qh_"  # noqa: S105 - a marker that makes leaked tokens greppable
MAX_TOKENS_PER_USER = 20
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenView:
    """A token as the settings page lists it: its name and first characters only."""

    id: int
    name: str
    prefix: str
    created: str
    last_used: str


def _view(row: ApiToken) -> TokenView:
    return TokenView(
        id=row.id or 0,
        name=row.name,
        prefix=row.prefix,
        created=as_utc(row.created_at).strftime("%Y-%m-%d %H:%M"),
        last_used=as_utc(row.last_used_at).strftime("%Y-%m-%d %H:%M") if row.last_used_at else "",
    )


def create_token(*, db_session: Session, identity: Identity, name: str) -> tuple[str, TokenView]:
    """Make a token; the full value is returned this once and never stored."""
    label = " ".join(name.split())
    if not label or len(label) > 80:
        raise AccountError("Name the token (up to 80 characters), e.g. “CRM sync”.")
    live = db_session.exec(
        tenant_select(ApiToken, identity.organization_id).where(
            ApiToken.user_id == identity.user_id,
            ApiToken.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    if len(live) >= MAX_TOKENS_PER_USER:
        raise AccountError(f"You have {MAX_TOKENS_PER_USER} tokens: revoke one first.")
    raw = TOKEN_PREFIX + new_token()[0]
    row = ApiToken(
        organization_id=identity.organization_id,
        user_id=identity.user_id,
        name=label,
        prefix=raw[:10],
        token_hash=hash_token(raw),
    )
    db_session.add(row)
    db_session.flush()
    audit.record(
        db_session=db_session,
        action="api_token.created",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="api_token",
        target_id=row.id or "",
        details={"name": label},
    )
    db_session.commit()
    return raw, _view(row)


def list_tokens(*, db_session: Session, identity: Identity) -> list[TokenView]:
    """The caller's live tokens, newest first."""
    rows = db_session.exec(
        tenant_select(ApiToken, identity.organization_id)
        .where(
            ApiToken.user_id == identity.user_id,
            ApiToken.revoked_at.is_(None),  # type: ignore[union-attr]
        )
        .order_by(ApiToken.id.desc())  # type: ignore[union-attr]
    ).all()
    return [_view(row) for row in rows]


def revoke_token(*, db_session: Session, identity: Identity, token_id: int) -> None:
    """Revoke one of the caller's own tokens."""
    row = tenant_get(
        db_session, ApiToken, organization_id=identity.organization_id, row_id=token_id
    )
    if row is None or row.user_id != identity.user_id or row.revoked_at is not None:
        raise AccountError("That token no longer exists.")
    row.revoked_at = utcnow()
    db_session.add(row)
    audit.record(
        db_session=db_session,
        action="api_token.revoked",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="api_token",
        target_id=token_id,
    )
    db_session.commit()


def authenticate(*, db_session: Session, raw: str) -> Identity | None:
    """The identity a bearer token acts as, if it is live and its owner still active."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    row = db_session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = db_session.get(User, row.user_id)
    membership = db_session.exec(
        select(Membership).where(
            Membership.user_id == row.user_id, Membership.organization_id == row.organization_id
        )
    ).first()
    if user is None or not user.is_active or membership is None or not membership.is_active:
        return None
    now = utcnow()
    if row.last_used_at is None or as_utc(row.last_used_at) + LAST_USED_RESOLUTION < now:
        row.last_used_at = now
        db_session.add(row)
        db_session.commit()
    return Identity(
        user_id=row.user_id,
        organization_id=row.organization_id,
        role=membership.role,
        is_platform_admin=user.is_platform_admin,
        session_id=0,
    )
