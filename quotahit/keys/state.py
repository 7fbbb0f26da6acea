"""API-keys settings state: masked keys per provider, save / check again / delete."""

from __future__ import annotations

from collections.abc import AsyncIterator

import reflex as rx

from quotahit import wiring
from quotahit.accounts.identity import AccountError, Identity
from quotahit.accounts.state import identity_of
from quotahit.ai.state import ModelTestState
from quotahit.db import in_session, session_scope
from quotahit.keys import custom, service
from quotahit.keys.service import KeySource, Scope
from quotahit.providers.catalogue import KEY_PROVIDERS
from quotahit.providers.local.status import describe_capabilities
from quotahit.settings import get_settings

SOURCE_LABELS = {
    KeySource.USER: "your key",
    KeySource.ORGANIZATION: "your organisation's key",
    KeySource.PLATFORM: "the platform's key",
    KeySource.LOCAL: "the built-in local engine",
}


def _parse_cap(raw: str) -> float | None:
    text = raw.strip().lstrip("$")
    if not text:
        return None
    try:
        return float(text)
    except ValueError as error:
        raise AccountError("Write the monthly cap as an amount, e.g. 50.") from error


class KeysState(rx.State):
    """One row per provider; secrets never enter this state, only their last four characters."""

    rows: list[dict[str, str]] = []
    servers: list[dict[str, str]] = []
    local_engine: list[dict[str, str]] = []
    server_error: str = ""
    working: str = ""
    error: str = ""
    error_provider: str = ""

    @rx.event
    async def load(self) -> None:
        """Read the masked keys and which source each provider would use."""
        identity = await identity_of(self)
        if identity is None:
            return
        self._load(identity)
        self.local_engine = [
            {
                "label": capability.label,
                "available": "yes" if capability.available else "no",
                "engine": capability.engine or "",
                "note": capability.note,
            }
            for capability in describe_capabilities().capabilities
        ]

    def _load(self, identity: Identity) -> None:
        with session_scope() as db_session:
            views = service.list_keys(db_session=db_session, identity=identity)
            sources = service.sources_in_use(
                db_session=db_session, identity=identity, platform_keys=wiring.platform_keys()
            )
            endpoints = custom.list_endpoints(db_session=db_session, identity=identity)
        rows = []
        for provider in KEY_PROVIDERS:
            row = {
                "provider": provider.id,
                "label": provider.label,
                "group": provider.group,
                "prefix": provider.prefix or "your key",
                "in_use": SOURCE_LABELS[sources[provider.id]],
                **{
                    f"{scope}_{field}": ""
                    for scope in ("user", "org")
                    for field in ("last4", "status", "message", "cap")
                },
            }
            for view in (view for view in views if view.provider == provider.id):
                prefix = "user" if view.scope == Scope.USER.value else "org"
                row[f"{prefix}_last4"] = view.last4
                row[f"{prefix}_status"] = view.status
                row[f"{prefix}_message"] = view.message
                row[f"{prefix}_cap"] = (
                    f"${view.monthly_cap_usd:,.2f} a month" if view.monthly_cap_usd else "no cap"
                )
            rows.append(row)
        self.rows = rows
        self.servers = [
            {
                "scope": view.scope,
                "base_url": view.base_url,
                "model": view.api_model,
                "key": f"•••• {view.key_last4}" if view.key_last4 else "no key",
            }
            for view in endpoints
        ]

    async def _refresh_models(self) -> None:
        models = await self.get_state(ModelTestState)
        await models.load()

    @rx.event
    async def save(self, form_data: dict) -> AsyncIterator[rx.event.EventSpec | None]:
        """Check the key with its provider, then seal and store it."""
        identity = await identity_of(self)
        if identity is None:
            yield rx.redirect("/login")
            return
        provider = str(form_data.get("provider", ""))
        self.working, self.error, self.error_provider = provider, "", ""
        yield
        try:
            cap = _parse_cap(str(form_data.get("monthly_cap", "")))
            scope = Scope(str(form_data.get("scope", "user")))
            view = await in_session(
                lambda db_session: service.save_key(
                    db_session=db_session,
                    identity=identity,
                    keyring=wiring.keyring(),
                    validator=wiring.key_validator(identity),
                    action_throttle=wiring.action_throttle(),
                    provider=provider,
                    raw_key=str(form_data.get("key", "")),
                    scope=scope,
                    monthly_cap_usd=cap,
                )
            )
        except (AccountError, ValueError) as error:
            self.working, self.error, self.error_provider = "", str(error), provider
            return
        self.working = ""
        self._load(identity)
        await self._refresh_models()
        if view.status == "valid":
            yield rx.toast.success(view.message)
        else:
            yield rx.toast.warning(view.message)

    @rx.event
    async def recheck(self, provider: str, scope: str) -> AsyncIterator[rx.event.EventSpec | None]:
        """Ask the provider again about a key saved unverified."""
        identity = await identity_of(self)
        if identity is None:
            yield rx.redirect("/login")
            return
        self.working = provider
        yield
        try:
            view = await in_session(
                lambda db_session: service.revalidate(
                    db_session=db_session,
                    identity=identity,
                    keyring=wiring.keyring(),
                    validator=wiring.key_validator(identity),
                    action_throttle=wiring.action_throttle(),
                    provider=provider,
                    scope=Scope(scope),
                )
            )
        except (AccountError, ValueError) as error:
            self.working = ""
            yield rx.toast.error(str(error))
            return
        self.working = ""
        self._load(identity)
        await self._refresh_models()
        yield rx.toast.info(view.message)

    @rx.event
    async def delete(self, provider: str, scope: str) -> rx.event.EventSpec | None:
        """Remove a stored key."""
        identity = await identity_of(self)
        if identity is None:
            return rx.redirect("/login")
        try:
            with session_scope() as db_session:
                service.delete_key(
                    db_session=db_session, identity=identity, provider=provider, scope=Scope(scope)
                )
        except (AccountError, ValueError) as error:
            return rx.toast.error(str(error))
        self._load(identity)
        await self._refresh_models()
        return rx.toast.info("Key deleted.")

    @rx.event
    async def save_server(self, form_data: dict) -> AsyncIterator[rx.event.EventSpec | None]:
        """Point QuotaHit at an OpenAI-compatible server (Ollama, vLLM, LM Studio)."""
        identity = await identity_of(self)
        if identity is None:
            yield rx.redirect("/login")
            return
        try:
            with session_scope() as db_session:
                custom.save_endpoint(
                    db_session=db_session,
                    identity=identity,
                    keyring=wiring.keyring(),
                    base_url=str(form_data.get("base_url", "")),
                    api_model=str(form_data.get("model", "")),
                    raw_key=str(form_data.get("key", "")),
                    scope=Scope(str(form_data.get("scope", "user"))),
                    allow_private=get_settings().is_local,
                )
        except (AccountError, ValueError) as error:
            self.server_error = str(error)
            return
        self.server_error = ""
        self._load(identity)
        await self._refresh_models()
        yield rx.toast.success("Model server saved. Pick “Your own server” in any model picker.")

    @rx.event
    async def remove_server(self, scope: str) -> AsyncIterator[rx.event.EventSpec | None]:
        """Forget a model server."""
        identity = await identity_of(self)
        if identity is None:
            yield rx.redirect("/login")
            return
        try:
            with session_scope() as db_session:
                custom.delete_endpoint(db_session=db_session, identity=identity, scope=Scope(scope))
        except (AccountError, ValueError) as error:
            yield rx.toast.error(str(error))
            return
        self._load(identity)
        await self._refresh_models()
