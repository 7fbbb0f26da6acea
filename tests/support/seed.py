"""Creates confirmed users straight through the services, for tests that start signed up."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from quotahit.accounts import invitations, members, service, sessions
from quotahit.accounts.identity import Identity
from quotahit.accounts.models import Membership, User
from quotahit.accounts.throttle import LoginThrottle
from quotahit.db import make_engine, utcnow
from quotahit.providers.email import OutgoingEmail


@dataclass
class RecordingMailer:
    """An EmailSender that keeps what it was asked to send."""

    sent: list[OutgoingEmail] = field(default_factory=list)

    def send(self, email: OutgoingEmail) -> str:
        """Record instead of sending."""
        self.sent.append(email)
        return f"recorded-{len(self.sent)}"


@dataclass(frozen=True)
class SeededUser:
    """A confirmed user and their membership."""

    user_id: int
    organization_id: int
    membership_id: int
    email: str
    password: str


def signed_in(db_session: Session, user: SeededUser) -> Identity:
    """Log the user in and resolve their session, as a request of theirs would."""
    token = service.log_in(
        db_session=db_session, throttle=LoginThrottle(), email=user.email, password=user.password
    )
    identity = sessions.resolve_session(db_session=db_session, token=token)
    assert identity is not None
    return identity


class Seeder:
    """Adds organisations and members to the database of a running app."""

    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)
        self.mailer = RecordingMailer()
        self.links = service.AccountLinks("http://127.0.0.1")

    def organization(self, *, name: str, email: str, password: str, person: str) -> SeededUser:
        """A new organisation whose confirmed admin is this person."""
        with Session(self.engine, expire_on_commit=False) as db_session:
            user = service.sign_up(
                db_session=db_session,
                mailer=self.mailer,
                links=self.links,
                email=email,
                password=password,
                name=person,
                organization_name=name,
            )
            user.email_confirmed_at = utcnow()
            db_session.add(user)
            db_session.commit()
            membership = db_session.exec(
                select(Membership).where(Membership.user_id == user.id)
            ).one()
            assert user.id is not None
            assert membership.id is not None
            return SeededUser(user.id, membership.organization_id, membership.id, email, password)

    def member(
        self, admin: SeededUser, *, email: str, password: str, person: str, role: str
    ) -> SeededUser:
        """Invite and accept in one go: a confirmed member of the admin's organisation."""
        with Session(self.engine, expire_on_commit=False) as db_session:
            identity = signed_in(db_session, admin)
            invitations.invite(
                db_session=db_session,
                identity=identity,
                mailer=self.mailer,
                links=self.links,
                email=email,
                role=role,
            )
            link = self.mailer.sent[-1].text_body.split("/join?token=", 1)[1].split()[0]
            invitations.accept_invitation(
                db_session=db_session, token=link, password=password, name=person
            )
            user = db_session.exec(select(User).where(User.email == email)).one()
            membership = db_session.exec(
                select(Membership).where(
                    Membership.user_id == user.id,
                    Membership.organization_id == admin.organization_id,
                )
            ).one()
            assert user.id is not None
            assert membership.id is not None
            return SeededUser(user.id, admin.organization_id, membership.id, email, password)

    def deactivate(self, admin: SeededUser, member: SeededUser) -> None:
        """The admin deactivates the member (as the admin page does)."""
        with Session(self.engine, expire_on_commit=False) as db_session:
            identity = signed_in(db_session, admin)
            members.set_member_active(
                db_session=db_session,
                identity=identity,
                membership_id=member.membership_id,
                active=False,
            )
