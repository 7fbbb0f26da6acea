"""The persona library on both databases: who may write personas, what a persona must hold,
who sees it, and that sessions keep the persona they were played with."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from quotahit.accounts.identity import AccountError, PermissionDenied
from quotahit.accounts.models import Role
from quotahit.ai.service import Gateway
from quotahit.practice import library, service
from quotahit.practice.library import PersonaDraft
from quotahit.practice.models import CustomPersona
from quotahit.practice.personas import BUILT_IN_PERSONAS, OBJECTION_KINDS, Objection
from tests.integration.conftest import Accounts, Member, Staff
from tests.integration.practice.conftest import say, start, transcript

DRAFT = PersonaDraft(
    name="Priya Patel",
    title="Head of Revenue Operations",
    company="Northwind Logistics",
    industry="Logistics",
    company_size="900 employees",
    difficulty="hard",
    personality="Analytical and impatient with vague claims.",
    communication_style="Short, precise questions.",
    goals=("Forecast within five percent",),
    pains=("Reps log calls days late, so the forecast is guesswork",),
    objections=(("price", "We cut tooling spend by a fifth this year."),),
    what_wins_them=("Numbers from a customer like us",),
    patience=0.3,
    opening_line="Priya here. I have ten minutes.",
    voice_hint="female, crisp",
)


@pytest.fixture
def coach(accounts: Accounts, team: Staff) -> Member:
    """Acme's enablement lead, who writes the team's personas."""
    return accounts.add_member(team.admin, "ena@acme.example", Role.ENABLEMENT.value, "Ena Able")


def create(accounts: Accounts, member: Member, draft: PersonaDraft = DRAFT) -> CustomPersona:
    return accounts.call(library.create, identity=member.identity, draft=draft)


def visible(accounts: Accounts, member: Member) -> list[str]:
    return [p.name for p in accounts.call(library.custom_personas, identity=member.identity)]


def test_enablement_and_admins_create_update_and_delete_personas(
    accounts: Accounts, team: Staff, coach: Member
) -> None:
    for author in (coach, team.admin):
        row = create(accounts, author)
        assert (row.created_by, row.organization_id, row.shared) == (
            author.user_id,
            author.organization_id,
            False,
        )
        persona = library.to_persona(row)
        assert persona.slug == f"custom-{row.id}"
        assert persona.objections == (
            Objection("price", "We cut tooling spend by a fifth this year."),
        )
        assert (persona.goals, persona.pains, persona.what_wins_them) == (
            DRAFT.goals,
            DRAFT.pains,
            DRAFT.what_wins_them,
        )
        assert (persona.patience, persona.difficulty, persona.opening_line) == (
            0.3,
            "hard",
            "Priya here. I have ten minutes.",
        )

        changed = accounts.call(
            library.update,
            identity=author.identity,
            persona_id=row.id,
            draft=replace(DRAFT, name="Priya  P.", shared=True, patience=0.9),
        )
        assert (changed.name, changed.shared, changed.patience) == ("Priya P.", True, 0.9)
        assert changed.updated_at >= row.updated_at

        accounts.call(library.delete, identity=author.identity, persona_id=row.id)
        assert accounts.rows(CustomPersona, CustomPersona.id == row.id) == []


def test_reps_and_managers_cannot_write_personas(
    accounts: Accounts, team: Staff, coach: Member
) -> None:
    shared = create(accounts, coach, replace(DRAFT, shared=True))
    for member in (team.rep, team.manager):
        assert not library.can_author(member.identity)
        with pytest.raises(PermissionDenied):
            create(accounts, member)
        with pytest.raises(PermissionDenied):
            accounts.call(
                library.update, identity=member.identity, persona_id=shared.id, draft=DRAFT
            )
        with pytest.raises(PermissionDenied):
            accounts.call(library.delete, identity=member.identity, persona_id=shared.id)
    assert [row.name for row in accounts.rows(CustomPersona)] == ["Priya Patel"]
    assert accounts.one(CustomPersona, CustomPersona.id == shared.id).shared


def test_a_persona_is_changed_only_inside_its_organisation_and_a_draft_only_by_its_author(
    accounts: Accounts, team: Staff, coach: Member, rival: Member
) -> None:
    draft = create(accounts, coach)
    shared = create(accounts, coach, replace(DRAFT, name="Shared Sam", shared=True))
    # Another author of the organisation may improve a shared persona, not someone's draft.
    accounts.call(
        library.update,
        identity=team.admin.identity,
        persona_id=shared.id,
        draft=replace(DRAFT, name="Shared Sam", title="COO", shared=True),
    )
    assert accounts.one(CustomPersona, CustomPersona.id == shared.id).title == "COO"
    for persona_id in (draft.id, shared.id):
        with pytest.raises(AccountError, match="does not exist"):
            accounts.call(
                library.update, identity=rival.identity, persona_id=persona_id, draft=DRAFT
            )
        with pytest.raises(AccountError, match="does not exist"):
            accounts.call(library.delete, identity=rival.identity, persona_id=persona_id)
    with pytest.raises(AccountError, match="does not exist"):
        accounts.call(library.delete, identity=team.admin.identity, persona_id=draft.id)
    assert len(accounts.rows(CustomPersona)) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "needs a name"),
        ({"title": ""}, "needs a title"),
        ({"company": ""}, "needs a company"),
        ({"industry": "\t"}, "needs a industry"),
        ({"name": "N" * 81}, "name can be at most 80"),
        ({"personality": "p" * 601}, "personality can be at most 600"),
        ({"opening_line": "o" * 301}, "opening line can be at most 300"),
        ({"difficulty": "extreme"}, "Difficulty is one of"),
        ({"patience": 1.5}, "Patience is a number from 0"),
        ({"patience": -0.1}, "Patience is a number from 0"),
        ({"patience": float("nan")}, "Patience is a number from 0"),
        ({"goals": tuple(f"Goal {n}" for n in range(9))}, "at most 8 goals"),
        ({"pains": ("p" * 301,)}, "pains can be at most 300"),
        ({"objections": (("price", "o" * 301),)}, "objections can be at most 300"),
        ({"objections": (("bribery", "Make it worth my while."),)}, "Unknown objection kind"),
        ({"what_wins_them": ("Win",) * 9}, "at most 8 ways to win them"),
    ],
)
def test_a_persona_that_breaks_a_rule_is_refused(
    accounts: Accounts, coach: Member, changes: dict, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        create(accounts, coach, replace(DRAFT, **changes))
    assert accounts.rows(CustomPersona) == []


def test_an_update_that_breaks_a_rule_changes_nothing(accounts: Accounts, coach: Member) -> None:
    row = create(accounts, coach)
    with pytest.raises(AccountError, match="Difficulty"):
        accounts.call(
            library.update,
            identity=coach.identity,
            persona_id=row.id,
            draft=replace(DRAFT, name="Renamed", difficulty="brutal"),
        )
    assert accounts.one(CustomPersona, CustomPersona.id == row.id).name == "Priya Patel"


def test_objection_lines_are_read_as_kind_and_words() -> None:
    parsed = library.parse_objections(
        "- price: Too expensive for us.\n\n"
        "Status quo:  We're fine with spreadsheets.\n"
        "• status-quo: Change is risky: we tried once.\n"
        "AUTHORITY: Not my call."
    )
    assert parsed == (
        ("price", "Too expensive for us."),
        ("status_quo", "We're fine with spreadsheets."),
        ("status_quo", "Change is risky: we tried once."),
        ("authority", "Not my call."),
    )
    assert library.parse_objections("  \n ") == ()
    round_trip = library.objection_lines(parsed)
    assert library.parse_objections(round_trip) == parsed
    for line in ("bribery: Pay me", "We have no budget", "price:", ": no kind"):
        with pytest.raises(AccountError, match="kind: what they say") as refused:
            library.parse_objections(f"price: Fine.\n{line}")
        assert ", ".join(OBJECTION_KINDS) in str(refused.value)
    assert library.parse_lines("- one\n* two\n\n  • three  \n") == ("one", "two", "three")


def test_a_built_in_persona_copied_into_a_draft_saves_as_it_is(
    accounts: Accounts, coach: Member
) -> None:
    michael = BUILT_IN_PERSONAS["michael_chen"]
    row = create(accounts, coach, library.draft_of(michael, shared=True))
    copied = library.to_persona(row)
    assert replace(copied, slug=michael.slug) == michael


def test_a_draft_is_its_authors_and_a_shared_persona_the_whole_organisations(
    accounts: Accounts, team: Staff, coach: Member, rival: Member
) -> None:
    draft = create(accounts, coach, replace(DRAFT, name="Draft Dana"))
    shared = create(accounts, coach, replace(DRAFT, name="Shared Sam", shared=True))
    create(accounts, rival, replace(DRAFT, name="Globex Gail", shared=True))

    assert visible(accounts, coach) == ["Draft Dana", "Shared Sam"]
    for member in (team.rep, team.manager, team.admin):
        assert visible(accounts, member) == ["Shared Sam"]
        with pytest.raises(AccountError, match="not shared with you"):
            accounts.call(library.resolve, identity=member.identity, key=f"custom-{draft.id}")
        assert (
            accounts.call(library.resolve, identity=member.identity, key=f"custom-{shared.id}").name
            == "Shared Sam"
        )
    assert visible(accounts, rival) == ["Globex Gail"]
    for row in (draft, shared):
        with pytest.raises(AccountError, match="does not exist"):
            accounts.call(library.resolve, identity=rival.identity, key=f"custom-{row.id}")
        with pytest.raises(AccountError):
            start(accounts, rival, persona_key=f"custom-{row.id}")

    names = [p.name for p in accounts.call(library.available, identity=team.rep.identity)]
    assert names == [p.name for p in BUILT_IN_PERSONAS.values()] + ["Shared Sam"]
    for key in (
        "custom-",
        "custom-x",
        "custom--1",
        f"custom-{shared.id}0",
        "custom-\u00b2",  # a digit to str.isdigit, not to int()
        "custom-99999999999999999999",  # beyond PostgreSQL's integer
    ):
        with pytest.raises(AccountError):
            accounts.call(library.resolve, identity=team.rep.identity, key=key)


async def test_a_session_keeps_its_persona_after_the_persona_changes_or_goes(
    accounts: Accounts, team: Staff, coach: Member, gateway: Gateway
) -> None:
    row = create(accounts, coach, replace(DRAFT, shared=True))
    session = start(accounts, team.rep, persona_key=f"custom-{row.id}")
    assert session.persona_name == "Priya Patel"
    assert transcript(accounts, team.rep, session.id)[0]["text"].startswith("Priya here.")

    accounts.call(
        library.update,
        identity=coach.identity,
        persona_id=row.id,
        draft=replace(DRAFT, name="Paula Changed", opening_line="Paula.", shared=True),
    )
    kept = accounts.call(service.get, identity=team.rep.identity, session_id=session.id)
    assert kept.persona_name == "Priya Patel"
    assert json.loads(kept.persona_json)["name"] == "Priya Patel"

    accounts.call(library.delete, identity=coach.identity, persona_id=row.id)
    _events, done = await say(gateway, team.rep, session.id, "What slows your forecast down today?")
    assert done.text
    assert not done.error
    persona = library.persona_from_json(
        accounts.call(service.get, identity=team.rep.identity, session_id=session.id).persona_json
    )
    assert (persona.name, persona.pains) == ("Priya Patel", DRAFT.pains)
    ended = accounts.call(service.end, identity=team.rep.identity, session_id=session.id)
    assert ended.analysis_id is not None
    rows, _total = accounts.call(service.history, identity=team.rep.identity)
    assert [r.persona_name for r in rows] == ["Priya Patel"]


async def test_a_minimal_custom_persona_plays_with_the_local_buyer(
    accounts: Accounts, team: Staff, coach: Member, gateway: Gateway
) -> None:
    row = create(
        accounts,
        coach,
        PersonaDraft(
            name="Olu Ade", title="CTO", company="Kestrel", industry="Fintech", shared=True
        ),
    )
    for scenario in ("discovery", "cold_call", "closing"):
        session = start(accounts, team.rep, persona_key=f"custom-{row.id}", scenario=scenario)
        opening = transcript(accounts, team.rep, session.id)[0]["text"]
        assert opening
        if scenario == "discovery":
            assert opening == "Hi, Olu Ade speaking."
        message = "What is the biggest problem your engineering team has right now?"
        _events, done = await say(gateway, team.rep, session.id, message)
        assert done.text
        assert not done.error
        assert done.model_id == "local"
        assert message not in done.text
