"""Personal API tokens and `GET /api/usage` on both databases, through the real Starlette route."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from quotahit import db, settings
from quotahit.accounts import members
from quotahit.accounts.identity import AccountError
from quotahit.apitokens import service as tokens
from quotahit.usage import service as usage
from quotahit.usage.api import usage_endpoint
from tests.integration.conftest import Accounts, Member, Staff


@pytest.fixture
def client(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Iterator[TestClient]:
    """The route as the app mounts it, on the test database."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("QUOTAHIT_DATA_DIR", str(tmp_path))
    settings.get_settings.cache_clear()
    db._engine_for.cache_clear()
    app = Starlette(routes=[Route("/api/usage", usage_endpoint, methods=["GET"])])
    with TestClient(app) as test_client:
        yield test_client
    settings.get_settings.cache_clear()
    db._engine_for.cache_clear()


def make_token(accounts: Accounts, member: Member, name: str = "CRM sync") -> str:
    raw, view = accounts.call(tokens.create_token, identity=member.identity, name=name)
    assert raw.startswith("qh_")
    assert view.prefix == raw[:10]
    return raw


def meter(accounts: Accounts, member: Member, module: str, cost: float) -> None:
    accounts.call(
        usage.record,
        call=usage.CallRecord(
            organization_id=member.organization_id,
            user_id=member.user_id,
            module=module,
            provider="openai",
            model="gpt-4.1",
            key_source="user",
            tokens_in=100,
            tokens_out=50,
            cost_usd=cost,
        ),
    )


def test_a_token_reads_its_owners_usage(
    accounts: Accounts, team: Staff, client: TestClient
) -> None:
    meter(accounts, team.rep, "coach", 0.01)
    meter(accounts, team.admin, "analysis", 0.02)
    token = make_token(accounts, team.rep)
    response = client.get("/api/usage", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["total"]["calls"] == 1
    assert [group["label"] for group in body["by_module"]] == ["coach"]
    assert body["total"]["cost_usd"] == pytest.approx(0.01)


def test_admins_may_read_the_organisation_and_reps_may_not(
    accounts: Accounts, team: Staff, client: TestClient
) -> None:
    meter(accounts, team.rep, "coach", 0.01)
    meter(accounts, team.admin, "analysis", 0.02)
    admin_token, rep_token = make_token(accounts, team.admin), make_token(accounts, team.rep)
    whole = client.get(
        "/api/usage?scope=organization", headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert whole.json()["total"]["calls"] == 2
    refused = client.get(
        "/api/usage?scope=organization", headers={"Authorization": f"Bearer {rep_token}"}
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("headers", "query", "status"),
    [
        ({}, "", 401),
        ({"Authorization": "Basic abc"}, "", 401),
        ({"Authorization": "Bearer qh_forged-token"}, "", 401),
        ({"Authorization": "Bearer sk-not-ours"}, "", 401),
        (None, "?days=0", 400),
        (None, "?days=abc", 400),
        (None, "?scope=everyone", 400),
    ],
)
def test_bad_requests_are_refused_clearly(
    accounts: Accounts,
    admin: Member,
    client: TestClient,
    headers: dict | None,
    query: str,
    status: int,
) -> None:
    if headers is None:
        headers = {"Authorization": f"Bearer {make_token(accounts, admin)}"}
    response = client.get(f"/api/usage{query}", headers=headers)
    assert response.status_code == status
    assert response.json()["error"]
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_revoked_tokens_and_deactivated_owners_stop_working(
    accounts: Accounts, team: Staff, client: TestClient
) -> None:
    revoked, kept = make_token(accounts, team.rep, "old"), make_token(accounts, team.rep, "new")
    [_new, old] = accounts.call(tokens.list_tokens, identity=team.rep.identity)
    accounts.call(tokens.revoke_token, identity=team.rep.identity, token_id=old.id)
    assert (
        client.get("/api/usage", headers={"Authorization": f"Bearer {revoked}"}).status_code == 401
    )
    assert client.get("/api/usage", headers={"Authorization": f"Bearer {kept}"}).status_code == 200
    accounts.call(
        members.set_member_active,
        identity=team.admin.identity,
        membership_id=team.rep.membership_id,
        active=False,
    )
    assert client.get("/api/usage", headers={"Authorization": f"Bearer {kept}"}).status_code == 401


def test_tokens_are_private_to_their_owner(accounts: Accounts, team: Staff, rival: Member) -> None:
    make_token(accounts, team.rep)
    [view] = accounts.call(tokens.list_tokens, identity=team.rep.identity)
    assert accounts.call(tokens.list_tokens, identity=team.admin.identity) == []
    for other in (team.admin, rival):
        with pytest.raises(AccountError):
            accounts.call(tokens.revoke_token, identity=other.identity, token_id=view.id)
    with pytest.raises(AccountError, match="Name the token"):
        accounts.call(tokens.create_token, identity=team.rep.identity, name="  ")
