"""Personal API tokens in settings: create (shown once), list, revoke."""

from __future__ import annotations

import reflex as rx

from quotahit.accounts.identity import AccountError, Identity
from quotahit.accounts.state import identity_of
from quotahit.apitokens import service
from quotahit.db import session_scope


class ApiTokensState(rx.State):
    """The caller's tokens; a new token's full value is held only until the user dismisses it."""

    tokens: list[dict[str, str]] = []
    new_token: str = ""
    error: str = ""

    def _load(self, identity: Identity) -> None:
        with session_scope() as db_session:
            rows = service.list_tokens(db_session=db_session, identity=identity)
        self.tokens = [
            {
                "id": str(row.id),
                "name": row.name,
                "prefix": row.prefix,
                "created": row.created,
                "last_used": row.last_used or "never",
            }
            for row in rows
        ]

    @rx.event
    async def load(self) -> None:
        """List the caller's tokens."""
        identity = await identity_of(self)
        if identity is None:
            return
        self.new_token, self.error = "", ""
        self._load(identity)

    @rx.event
    async def create(self, form_data: dict) -> rx.event.EventSpec | None:
        """Make a token and show it once."""
        identity = await identity_of(self)
        if identity is None:
            return rx.redirect("/login")
        try:
            with session_scope() as db_session:
                raw, _view = service.create_token(
                    db_session=db_session, identity=identity, name=str(form_data.get("name", ""))
                )
        except AccountError as error:
            self.error = str(error)
            return None
        self.error, self.new_token = "", raw
        self._load(identity)
        return None

    @rx.event
    def dismiss(self) -> None:
        """Forget the new token's value (it cannot be shown again)."""
        self.new_token = ""

    @rx.event
    async def revoke(self, token_id: str) -> rx.event.EventSpec | None:
        """Revoke one of the caller's tokens."""
        identity = await identity_of(self)
        if identity is None:
            return rx.redirect("/login")
        try:
            with session_scope() as db_session:
                service.revoke_token(
                    db_session=db_session, identity=identity, token_id=int(token_id)
                )
        except (AccountError, ValueError) as error:
            return rx.toast.error(str(error))
        self._load(identity)
        return rx.toast.info("Token revoked.")
