"""The tenant-scoping helpers every service builds its queries with."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from quotahit.accounts.models import Invitation, Membership, Organization, Team, User
from quotahit.audit.models import AuditLog
from quotahit.db import (
    TenantScopeError,
    as_utc,
    tenant_get,
    tenant_select,
    utcnow,
)


@pytest.fixture
def two_organizations(db_session: Session) -> tuple[int, int]:
    acme, globex = Organization(name="Acme"), Organization(name="Globex")
    db_session.add_all([acme, globex])
    db_session.flush()
    assert acme.id is not None
    assert globex.id is not None
    db_session.add_all(
        [
            Team(organization_id=acme.id, name="Acme East"),
            Team(organization_id=acme.id, name="Acme West"),
            Team(organization_id=globex.id, name="Globex North"),
        ]
    )
    db_session.commit()
    return acme.id, globex.id


@pytest.mark.parametrize("model", [User, Organization, AuditLog])
def test_tenant_select_refuses_models_that_are_not_tenant_scoped(model: type) -> None:
    with pytest.raises(TenantScopeError, match="is not tenant-scoped"):
        tenant_select(model, 1)


@pytest.mark.parametrize("model", [Team, Membership, Invitation])
def test_tenant_select_refuses_a_missing_organisation(model: type) -> None:
    with pytest.raises(TenantScopeError, match="without an organisation"):
        tenant_select(model, None)


def test_tenant_select_returns_only_the_organisations_rows(
    db_session: Session, two_organizations: tuple[int, int]
) -> None:
    acme, globex = two_organizations
    names = db_session.exec(tenant_select(Team, acme)).all()
    assert sorted(team.name for team in names) == ["Acme East", "Acme West"]
    assert [team.name for team in db_session.exec(tenant_select(Team, globex)).all()] == [
        "Globex North"
    ]
    # Extra conditions narrow it further but cannot widen it.
    narrowed = db_session.exec(tenant_select(Team, globex).where(Team.name == "Acme East")).all()
    assert narrowed == []


def test_tenant_get_does_not_fetch_another_organisations_row(
    db_session: Session, two_organizations: tuple[int, int]
) -> None:
    acme, globex = two_organizations
    globex_team = db_session.exec(select(Team).where(Team.organization_id == globex)).one()
    assert globex_team.id is not None
    assert tenant_get(db_session, Team, organization_id=acme, row_id=globex_team.id) is None
    found = tenant_get(db_session, Team, organization_id=globex, row_id=globex_team.id)
    assert found is not None
    assert found.name == "Globex North"


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    # make_engine turns foreign keys on for SQLite: an orphan row is refused on both databases.
    with Session(engine) as db_session:
        db_session.add(Team(organization_id=424_242, name="Orphan"))
        with pytest.raises(IntegrityError):
            db_session.commit()


def test_timestamps_come_back_as_utc(db_session: Session) -> None:
    organization = Organization(name="Acme")
    db_session.add(organization)
    db_session.commit()
    db_session.expire_all()
    stored = db_session.exec(select(Organization)).one()
    moment = as_utc(stored.created_at)
    assert moment.utcoffset() == timedelta(0)
    assert abs((utcnow() - moment).total_seconds()) < 60
