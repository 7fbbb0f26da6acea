"""A harness that drives the accounts services as the app does, plus ready-made organisations.

Every service call gets its own session that commits on success and rolls back on error, exactly
like `quotahit.db.session_scope` in the Reflex states: a refused request leaves nothing behind, and
rows changed behind the service's back (expired tokens, idle sessions) are read afresh.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from quotahit.accounts import invitations, service, sessions
from quotahit.accounts.models import Membership, Role, User
from quotahit.accounts.service import AccountLinks, Identity
from quotahit.accounts.throttle import LoginThrottle
from quotahit.audit.models import AuditLog
from quotahit.db import utcnow
from tests.fakes.mailer import RecordingMailer

T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=SQLModel)

PASSWORD = "plum tractor orbit 42"
OTHER_PASSWORD = "velvet canyon lantern 7"
BASE_URL = "https://app.quotahit.example"
PER_ACCOUNT, PER_ADDRESS = 5, 8


@dataclass(frozen=True)
class Member:
    """Someone signed in: their ids, their session token and the identity it resolves to."""

    email: str
    user_id: int
    organization_id: int
    membership_id: int
    token: str
    identity: Identity


class Accounts:
    """Calls the real service functions, one session per call, with a recording mailer."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.mailer = RecordingMailer()
        self.links = AccountLinks(BASE_URL)
        self.throttle = LoginThrottle(
            storage_uri="memory://", per_account=PER_ACCOUNT, per_address=PER_ADDRESS
        )

    # Plumbing.

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as db_session:
            try:
                yield db_session
                db_session.commit()
            except Exception:
                db_session.rollback()
                raise

    def call(self, function: Callable[..., T], **kwargs: Any) -> T:
        with self.session() as db_session:
            return function(db_session=db_session, **kwargs)

    def rows(self, model: type[ModelT], *conditions: Any) -> list[ModelT]:
        with self.session() as db_session:
            return list(db_session.exec(select(model).where(*conditions)).all())

    def one(self, model: type[ModelT], *conditions: Any) -> ModelT:
        [row] = self.rows(model, *conditions)
        return row

    def set(self, model: type[SQLModel], values: dict[str, Any], *conditions: Any) -> None:
        """Change rows behind the services' back (e.g. to make a token expire)."""
        with self.session() as db_session:
            result = db_session.exec(update(model).where(*conditions).values(**values))  # type: ignore[call-overload]
            assert result.rowcount >= 1

    def audit(self, organization_id: int | None = None) -> list[tuple[str, int | None, dict]]:
        """(action, actor, details) of the audit log, oldest first."""
        conditions = (
            [] if organization_id is None else [AuditLog.organization_id == organization_id]
        )
        with self.session() as db_session:
            entries = db_session.exec(
                select(AuditLog).where(*conditions).order_by(AuditLog.id)  # type: ignore[arg-type]
            ).all()
            return [(entry.action, entry.actor_id, json.loads(entry.details)) for entry in entries]

    def actions(self, organization_id: int | None = None) -> list[str]:
        return [action for action, _actor, _details in self.audit(organization_id)]

    # The services, with sensible defaults.

    def sign_up(
        self,
        email: str,
        *,
        password: str = PASSWORD,
        name: str = "Ada Admin",
        organization_name: str = "Acme",
        **kwargs: Any,
    ) -> User:
        return self.call(
            service.sign_up,
            mailer=self.mailer,
            links=self.links,
            email=email,
            password=password,
            name=name,
            organization_name=organization_name,
            **kwargs,
        )

    def confirm(self, email: str) -> User:
        return self.call(service.confirm_email, token=self.mailer.last_token(email, "confirm"))

    def log_in(self, email: str, password: str = PASSWORD, **kwargs: Any) -> str:
        return self.call(
            service.log_in, throttle=self.throttle, email=email, password=password, **kwargs
        )

    def resolve(self, token: str, **kwargs: Any) -> Identity | None:
        return self.call(sessions.resolve_session, token=token, **kwargs)

    def identity(self, token: str) -> Identity:
        identity = self.resolve(token)
        assert identity is not None, "the session should be live"
        return identity

    def invite(self, by: Identity, email: str, role: str) -> str:
        """Invite and return the token from the e-mailed link."""
        self.call(
            invitations.invite,
            identity=by,
            mailer=self.mailer,
            links=self.links,
            email=email,
            role=role,
        )
        return self.mailer.last_token(email, "join")

    def accept(self, token: str, *, password: str = PASSWORD, name: str = "", **kwargs: Any) -> str:
        return self.call(
            invitations.accept_invitation, token=token, password=password, name=name, **kwargs
        )

    def member(self, token: str) -> Member:
        identity = self.identity(token)
        with self.session() as db_session:
            user = db_session.get(User, identity.user_id)
            membership = db_session.exec(
                select(Membership).where(
                    Membership.user_id == identity.user_id,
                    Membership.organization_id == identity.organization_id,
                )
            ).one()
        assert user is not None
        assert membership.id is not None
        return Member(
            email=user.email,
            user_id=identity.user_id,
            organization_id=identity.organization_id,
            membership_id=membership.id,
            token=token,
            identity=identity,
        )

    def found_organization(
        self, email: str, *, name: str = "Ada Admin", organization_name: str = "Acme"
    ) -> Member:
        """Sign up, confirm and log in: the organisation's first admin."""
        self.sign_up(email, name=name, organization_name=organization_name)
        self.confirm(email)
        return self.member(self.log_in(email))

    def add_member(self, admin: Member, email: str, role: str, name: str) -> Member:
        """Invite and accept: a confirmed member with a live session."""
        token = self.invite(admin.identity, email, role)
        return self.member(self.accept(token, name=name))

    def age_sessions(self, user_id: int, **moments: timedelta) -> None:
        """Move a user's session timestamps into the past (e.g. last_seen_at=timedelta(...))."""
        from quotahit.accounts.models import AuthSession

        now = utcnow()
        self.set(
            AuthSession,
            {column: now - delta for column, delta in moments.items()},
            AuthSession.user_id == user_id,
        )


@dataclass(frozen=True)
class Staff:
    """Acme's people, one of each role."""

    admin: Member
    manager: Member
    rep: Member


@pytest.fixture
def accounts(engine: Engine) -> Accounts:
    return Accounts(engine)


@pytest.fixture
def admin(accounts: Accounts) -> Member:
    """Acme's founder, confirmed and signed in."""
    return accounts.found_organization("ada@acme.example", organization_name="Acme")


@pytest.fixture
def team(accounts: Accounts, admin: Member) -> Staff:
    """Acme with an admin, a manager and a rep, each signed in."""
    manager = accounts.add_member(admin, "max@acme.example", Role.MANAGER.value, "Max Manager")
    rep = accounts.add_member(admin, "rita@acme.example", Role.REP.value, "Rita Rep")
    return Staff(admin=admin, manager=manager, rep=rep)


@pytest.fixture
def rival(accounts: Accounts) -> Member:
    """The admin of another organisation (Globex), confirmed and signed in."""
    return accounts.found_organization(
        "gus@globex.example", name="Gus Globex", organization_name="Globex"
    )
