"""The key vault: save (checked and validated), list masked, delete, resolve, rotate.

A stored key is decrypted only inside `resolve_all` (and `resolve_key`, its first result),
`revalidate` and `rotate_all`, into a local value that is
handed straight to the provider call; it never goes back to the browser or into a log.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, select

from quotahit.accounts.identity import AccountError, Identity, PermissionDenied
from quotahit.accounts.service import check_action_cap
from quotahit.accounts.throttle import ActionThrottle
from quotahit.audit import service as audit
from quotahit.db import tenant_select, utcnow
from quotahit.keys.crypto import Keyring, KeyringError, associated_data
from quotahit.keys.models import CustomEndpoint, ProviderKey
from quotahit.providers.catalogue import KEY_PROVIDERS_BY_ID, provider_for_prefix
from quotahit.providers.key_check import KeyStatus, Verdict

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 512


KeyValidator = Callable[[str, str], Verdict]
"""(provider id, secret) -> verdict, by a lightweight call to the provider."""


class Scope(StrEnum):
    """Whose key: the caller's own, or their organisation's (set by admins, used by members)."""

    USER = "user"
    ORGANIZATION = "organization"


class KeySource(StrEnum):
    """Where a resolved key came from, in resolution order."""

    USER = "user"
    ORGANIZATION = "organization"
    PLATFORM = "platform"
    LOCAL = "local"


@dataclass(frozen=True)
class KeyView:
    """A stored key as the settings page shows it: never more than its last four characters."""

    provider: str
    scope: str
    last4: str
    status: str
    message: str
    monthly_cap_usd: float | None
    updated: str


@dataclass(frozen=True)
class ResolvedKey:
    """The key a provider call will use, and whose it is (the local engine needs none)."""

    source: KeySource
    provider: str
    secret: str | None = None
    key_id: int | None = None
    monthly_cap_usd: float | None = None
    base_url: str | None = None  # set for a custom server: where to call it
    api_model: str | None = None  # set for a custom server: the model it runs

    def __repr__(self) -> str:
        """Never print the secret, even in a traceback."""
        return f"ResolvedKey(source={self.source.value}, provider={self.provider})"


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


def clean_key(provider: str, raw_key: str) -> str:
    """Trim the key and check it has the provider's shape, with advice when it does not."""
    if provider not in KEY_PROVIDERS_BY_ID:
        raise AccountError(f"Unknown provider “{provider}”.")
    expected = KEY_PROVIDERS_BY_ID[provider]
    key = "".join(raw_key.split())
    if not key:
        raise AccountError(f"Paste your {expected.label} API key.")
    if len(key) > MAX_KEY_LENGTH:
        raise AccountError("That is too long to be an API key.")
    if not key.isascii() or not key.isprintable():
        raise AccountError("API keys contain only plain letters, digits and dashes.")
    looks_like = provider_for_prefix(key)
    if looks_like is not None and looks_like.id != provider:
        raise AccountError(
            f"This looks like {_article(looks_like.label)} {looks_like.label} key "
            f"(it starts with {looks_like.prefix}). "
            f"Save it under {looks_like.label}, or paste your {expected.label} key here."
        )
    if expected.prefix and not key.startswith(expected.prefix):
        raise AccountError(
            f"{expected.label} keys start with {expected.prefix}. "
            f"Copy the whole key from {expected.console_url}"
        )
    if len(key) < len(expected.prefix) + 16:
        raise AccountError(f"That {expected.label} key looks cut short. Copy the whole key.")
    return key


def _find(
    db_session: Session, identity: Identity, provider: str, scope: Scope
) -> ProviderKey | None:
    statement = tenant_select(ProviderKey, identity.organization_id).where(
        ProviderKey.provider == provider
    )
    if scope is Scope.ORGANIZATION:
        statement = statement.where(ProviderKey.user_id.is_(None))  # type: ignore[union-attr]
    else:
        statement = statement.where(ProviderKey.user_id == identity.user_id)
    return db_session.exec(statement).first()


def require_scope(
    identity: Identity,
    scope: Scope,
    refusal: str = "Only admins can manage your organisation's keys.",
) -> None:
    """Organisation-wide settings are for admins; a user's own are theirs."""
    if scope is Scope.ORGANIZATION and not identity.is_admin:
        raise PermissionDenied(refusal)


def _view(row: ProviderKey) -> KeyView:
    return KeyView(
        provider=row.provider,
        scope=Scope.USER.value if row.user_id is not None else Scope.ORGANIZATION.value,
        last4=row.last4,
        status=row.status,
        message=row.status_message,
        monthly_cap_usd=row.monthly_cap_usd,
        updated=row.updated_at.strftime("%Y-%m-%d %H:%M"),
    )


def _parse_cap(monthly_cap_usd: float | None) -> float | None:
    if monthly_cap_usd is None:
        return None
    if not 0 < monthly_cap_usd <= 1_000_000:
        raise AccountError("A monthly cap is an amount in dollars above zero.")
    return round(float(monthly_cap_usd), 2)


def save_key(
    *,
    db_session: Session,
    identity: Identity,
    keyring: Keyring,
    validator: KeyValidator,
    provider: str,
    raw_key: str,
    scope: Scope = Scope.USER,
    monthly_cap_usd: float | None = None,
    action_throttle: ActionThrottle | None = None,
) -> KeyView:
    """Check, validate with the provider, seal and store a key (replacing the previous one)."""
    require_scope(identity, scope)
    check_action_cap(action_throttle, "key_check", f"user:{identity.user_id}")
    secret = clean_key(provider, raw_key)
    cap = _parse_cap(monthly_cap_usd)
    verdict = validator(provider, secret)
    if not verdict.usable:
        raise AccountError(verdict.message)
    row = _find(db_session, identity, provider, scope)
    if row is None:
        row = ProviderKey(
            organization_id=identity.organization_id,
            user_id=identity.user_id if scope is Scope.USER else None,
            uid=secrets.token_hex(16),
            provider=provider,
            ciphertext="",
            key_version=keyring.newest,
            last4="",
            created_by_id=identity.user_id,
        )
    row.ciphertext = keyring.encrypt(secret, aad=_aad(row))
    row.key_version = keyring.newest
    row.last4 = secret[-4:]
    row.status, row.status_message = verdict.status.value, verdict.message[:300]
    row.monthly_cap_usd = cap
    row.verified_at = utcnow() if verdict.status is KeyStatus.VALID else None
    row.updated_at = utcnow()
    db_session.add(row)
    audit.record(
        db_session=db_session,
        action="key.saved",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="provider_key",
        target_id=provider,
        details={"scope": scope.value, "status": verdict.status.value, "last4": row.last4},
    )
    db_session.commit()
    logger.info(
        "saved %s key ending %s for %s (%s)", provider, row.last4, scope.value, verdict.status
    )
    return _view(row)


def list_keys(*, db_session: Session, identity: Identity) -> list[KeyView]:
    """The caller's own keys and their organisation's keys, masked."""
    rows = db_session.exec(
        tenant_select(ProviderKey, identity.organization_id).where(
            (ProviderKey.user_id == identity.user_id) | ProviderKey.user_id.is_(None)  # type: ignore[union-attr]
        )
    ).all()
    return [_view(row) for row in sorted(rows, key=lambda row: (row.provider, row.user_id is None))]


def delete_key(*, db_session: Session, identity: Identity, provider: str, scope: Scope) -> None:
    """Remove a stored key for good."""
    require_scope(identity, scope)
    row = _find(db_session, identity, provider, scope)
    if row is None:
        raise AccountError("There is no such key to delete.")
    db_session.delete(row)
    audit.record(
        db_session=db_session,
        action="key.deleted",
        organization_id=identity.organization_id,
        actor_id=identity.user_id,
        target_type="provider_key",
        target_id=provider,
        details={"scope": scope.value},
    )
    db_session.commit()


def owner_of(row: ProviderKey | CustomEndpoint) -> str:
    """Whose a sealed row is, as bound into its ciphertext."""
    return f"user:{row.user_id}" if row.user_id is not None else f"org:{row.organization_id}"


def _aad(row: ProviderKey) -> bytes:
    return associated_data(key_uid=row.uid, owner=owner_of(row), provider=row.provider)


def _open(keyring: Keyring, row: ProviderKey) -> str:
    return keyring.decrypt(row.ciphertext, aad=_aad(row))


def revalidate(
    *,
    db_session: Session,
    identity: Identity,
    keyring: Keyring,
    validator: KeyValidator,
    provider: str,
    scope: Scope,
    action_throttle: ActionThrottle | None = None,
) -> KeyView:
    """Ask the provider again about a key saved as unverified (the retry button)."""
    require_scope(identity, scope)
    check_action_cap(action_throttle, "key_check", f"user:{identity.user_id}")
    row = _find(db_session, identity, provider, scope)
    if row is None:
        raise AccountError("There is no such key to check.")
    verdict = validator(provider, _open(keyring, row))
    row.status, row.status_message = verdict.status.value, verdict.message[:300]
    row.verified_at = utcnow() if verdict.status is KeyStatus.VALID else row.verified_at
    row.updated_at = utcnow()
    db_session.add(row)
    db_session.commit()
    return _view(row)


def resolve_key(
    *,
    db_session: Session,
    identity: Identity,
    keyring: Keyring,
    provider: str,
    platform_keys: dict[str, str],
) -> ResolvedKey:
    """User key, then organisation key, then the platform's, else the local engine."""
    resolved = resolve_all(
        db_session=db_session,
        identity=identity,
        keyring=keyring,
        provider=provider,
        platform_keys=platform_keys,
    )
    return resolved[0] if resolved else ResolvedKey(KeySource.LOCAL, provider)


def resolve_all(
    *,
    db_session: Session,
    identity: Identity,
    keyring: Keyring,
    provider: str,
    platform_keys: dict[str, str],
) -> list[ResolvedKey]:
    """Every usable key for the provider in resolution order, for failover between keys."""
    keys: list[ResolvedKey] = []
    rows = db_session.exec(
        tenant_select(ProviderKey, identity.organization_id).where(
            ProviderKey.provider == provider,
            (ProviderKey.user_id == identity.user_id) | ProviderKey.user_id.is_(None),  # type: ignore[union-attr]
            ProviderKey.status != KeyStatus.INVALID.value,
        )
    ).all()
    for row in sorted(rows, key=lambda row: row.user_id is None):
        try:
            secret = _open(keyring, row)
        except KeyringError:
            logger.warning("stored %s key %s does not decrypt; skipped", provider, row.uid)
            continue
        source = KeySource.USER if row.user_id is not None else KeySource.ORGANIZATION
        logger.debug("resolved the %s key ending %s for %s", provider, row.last4, source.value)
        keys.append(ResolvedKey(source, provider, secret, row.id, row.monthly_cap_usd))
    if platform_keys.get(provider):
        keys.append(ResolvedKey(KeySource.PLATFORM, provider, platform_keys[provider]))
    return keys


def rotate_all(*, db_session: Session, keyring: Keyring, batch_size: int = 100) -> int:
    """Re-seal every key not under the newest keyring version; returns how many.

    Each batch commits on its own and old versions stay readable, so the app keeps serving
    while this runs (no downtime), and a second run finds nothing left to do.
    """
    rotated = 0
    while True:
        rows = db_session.exec(
            select(ProviderKey)
            .where(ProviderKey.key_version != keyring.newest)
            .order_by(ProviderKey.id)  # type: ignore[arg-type]
            .limit(batch_size)
        ).all()
        if not rows:
            return rotated
        for row in rows:
            row.ciphertext = keyring.encrypt(_open(keyring, row), aad=_aad(row))
            row.key_version = keyring.newest
            db_session.add(row)
            rotated += 1
        db_session.commit()


def sources_in_use(
    *, db_session: Session, identity: Identity, platform_keys: dict[str, str]
) -> dict[str, KeySource]:
    """For each provider, whose key a call by this user would use now (nothing is decrypted)."""
    rows = db_session.exec(
        tenant_select(ProviderKey, identity.organization_id).where(
            (ProviderKey.user_id == identity.user_id) | ProviderKey.user_id.is_(None),  # type: ignore[union-attr]
            ProviderKey.status != KeyStatus.INVALID.value,
        )
    ).all()
    sources: dict[str, KeySource] = {}
    for provider in KEY_PROVIDERS_BY_ID:
        mine = [row for row in rows if row.provider == provider]
        if any(row.user_id is not None for row in mine):
            sources[provider] = KeySource.USER
        elif mine:
            sources[provider] = KeySource.ORGANIZATION
        elif platform_keys.get(provider):
            sources[provider] = KeySource.PLATFORM
        else:
            sources[provider] = KeySource.LOCAL
    return sources
