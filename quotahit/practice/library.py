"""The persona library: the five built-in buyers plus an organisation's own.

Enablement users (and admins) write custom personas; a persona is private to its author until
shared, then every member of the organisation can practise against it. Custom personas become
the same `Persona` the prompt builder and the local buyer use, so nothing downstream differs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import or_
from sqlmodel import Session, col

from quotahit.accounts.identity import AccountError, Identity, PermissionDenied
from quotahit.accounts.models import Role
from quotahit.db import row_id, tenant_select, utcnow
from quotahit.practice.models import CustomPersona
from quotahit.practice.personas import BUILT_IN_PERSONAS, OBJECTION_KINDS, Objection, Persona
from quotahit.practice.scenarios import DIFFICULTIES

CUSTOM_PREFIX = "custom-"
MAX_ITEMS = 8
MAX_ITEM_CHARS = 300
TEXT_LIMITS = {
    "name": 80,
    "title": 80,
    "company": 80,
    "industry": 60,
    "company_size": 120,
    "personality": 600,
    "communication_style": 300,
    "opening_line": 300,
    "voice_hint": 80,
}
REQUIRED = ("name", "title", "company", "industry")


def can_author(identity: Identity) -> bool:
    """Enablement users and admins write the organisation's personas."""
    return identity.is_admin or identity.role == Role.ENABLEMENT.value


@dataclass(frozen=True)
class PersonaDraft:
    """What the persona form sends, already split into lists."""

    name: str
    title: str
    company: str
    industry: str
    company_size: str = ""
    difficulty: str = "medium"
    personality: str = ""
    communication_style: str = ""
    goals: tuple[str, ...] = ()
    pains: tuple[str, ...] = ()
    objections: tuple[tuple[str, str], ...] = ()  # (kind, line)
    what_wins_them: tuple[str, ...] = ()
    patience: float = 0.5
    opening_line: str = ""
    voice_hint: str = ""
    shared: bool = False


def parse_lines(text: str) -> tuple[str, ...]:
    """One item per non-empty line, bullets stripped."""
    items = [line.strip().lstrip("-•*").strip() for line in text.splitlines()]
    return tuple(item for item in items if item)


def parse_objections(text: str) -> tuple[tuple[str, str], ...]:
    """Objection lines written `kind: what the buyer says`.

    Raises:
        AccountError: a line without a known kind; the message lists the kinds.
    """
    found = []
    for line in parse_lines(text):
        kind, sep, said = line.partition(":")
        kind = kind.strip().lower().replace(" ", "_").replace("-", "_")
        if not sep or kind not in OBJECTION_KINDS or not said.strip():
            raise AccountError(
                f"Write each objection as “kind: what they say”, with a kind from: "
                f"{', '.join(OBJECTION_KINDS)} (this line is not: “{line[:80]}”)."
            )
        found.append((kind, said.strip()))
    return tuple(found)


def _checked(draft: PersonaDraft) -> PersonaDraft:
    for name in REQUIRED:
        if not str(getattr(draft, name)).strip():
            raise AccountError(f"A persona needs a {name.replace('_', ' ')}.")
    for name, limit in TEXT_LIMITS.items():
        if len(str(getattr(draft, name))) > limit:
            raise AccountError(f"The {name.replace('_', ' ')} can be at most {limit} characters.")
    if draft.difficulty not in DIFFICULTIES:
        raise AccountError(f"Difficulty is one of: {', '.join(DIFFICULTIES)}.")
    if not 0.0 <= draft.patience <= 1.0:
        raise AccountError("Patience is a number from 0 (none) to 1 (endless).")
    for label, items in (
        ("goals", draft.goals),
        ("pains", draft.pains),
        ("objections", draft.objections),
        ("ways to win them", draft.what_wins_them),
    ):
        if len(items) > MAX_ITEMS:
            raise AccountError(f"A persona can have at most {MAX_ITEMS} {label}.")
        for item in items:
            text = item[1] if isinstance(item, tuple) else item
            if len(text) > MAX_ITEM_CHARS:
                raise AccountError(
                    f"Each of the {label} can be at most {MAX_ITEM_CHARS} characters."
                )
    for kind, _line in draft.objections:
        if kind not in OBJECTION_KINDS:
            raise AccountError(f"Unknown objection kind “{kind}”.")
    return draft


def to_persona(row: CustomPersona) -> Persona:
    """A stored custom persona as the `Persona` everything else uses."""
    objections = tuple(
        Objection(item["kind"], item["line"])
        for item in json.loads(row.objections_json or "[]")
        if isinstance(item, dict) and item.get("kind") in OBJECTION_KINDS
    )
    return Persona(
        slug=f"{CUSTOM_PREFIX}{row.id}",
        name=row.name,
        title=row.title,
        company=row.company,
        industry=row.industry,
        company_size=row.company_size,
        difficulty=row.difficulty,
        personality=row.personality,
        communication_style=row.communication_style,
        goals=tuple(json.loads(row.goals_json or "[]")),
        pains=tuple(json.loads(row.pains_json or "[]")),
        objections=objections,
        patience=row.patience,
        what_wins_them=tuple(json.loads(row.wins_json or "[]")),
        opening_line=row.opening_line or f"Hi, {row.name} speaking.",
        voice_hint=row.voice_hint,
    )


def persona_json(persona: Persona) -> str:
    """A persona as JSON (the snapshot a session keeps)."""
    return json.dumps(asdict(persona))


def persona_from_json(text: str) -> Persona:
    """The persona a session was played with."""
    data = json.loads(text)
    data["objections"] = tuple(Objection(o["kind"], o["line"]) for o in data["objections"])
    for name in ("goals", "pains", "what_wins_them"):
        data[name] = tuple(data[name])
    return Persona(**data)


def _visible(identity: Identity):
    return or_(col(CustomPersona.shared).is_(True), CustomPersona.created_by == identity.user_id)


def custom_personas(*, db_session: Session, identity: Identity) -> list[CustomPersona]:
    """The organisation's shared personas and the caller's own drafts, by name."""
    return list(
        db_session.exec(
            tenant_select(CustomPersona, identity.organization_id)
            .where(_visible(identity))
            .order_by(col(CustomPersona.name))
        ).all()
    )


def available(*, db_session: Session, identity: Identity) -> list[Persona]:
    """Every persona the caller can practise against: built-ins first."""
    return list(BUILT_IN_PERSONAS.values()) + [
        to_persona(row) for row in custom_personas(db_session=db_session, identity=identity)
    ]


def resolve(*, db_session: Session, identity: Identity, key: str) -> Persona:
    """A persona by its key (a built-in slug or `custom-<id>`), if the caller may use it."""
    if key in BUILT_IN_PERSONAS:
        return BUILT_IN_PERSONAS[key]
    persona_id = row_id(key.removeprefix(CUSTOM_PREFIX)) if key.startswith(CUSTOM_PREFIX) else None
    if persona_id is not None:
        row = db_session.exec(
            tenant_select(CustomPersona, identity.organization_id)
            .where(CustomPersona.id == persona_id)
            .where(_visible(identity))
        ).first()
        if row is not None:
            return to_persona(row)
    raise AccountError("This persona does not exist, or is not shared with you.")


def get_editable(*, db_session: Session, identity: Identity, persona_id: int) -> CustomPersona:
    """A custom persona the caller may change: enablement or admin, same organisation."""
    if not can_author(identity):
        raise PermissionDenied("Only enablement users and admins can change personas.")
    row = db_session.exec(
        tenant_select(CustomPersona, identity.organization_id).where(CustomPersona.id == persona_id)
    ).first()
    if row is None or (not row.shared and row.created_by != identity.user_id):
        raise AccountError("This persona does not exist.")
    return row


def _apply(row: CustomPersona, draft: PersonaDraft) -> None:
    for name in TEXT_LIMITS:
        setattr(row, name, " ".join(str(getattr(draft, name)).split()))
    row.difficulty, row.patience, row.shared = draft.difficulty, draft.patience, draft.shared
    row.goals_json = json.dumps(list(draft.goals))
    row.pains_json = json.dumps(list(draft.pains))
    row.wins_json = json.dumps(list(draft.what_wins_them))
    row.objections_json = json.dumps([{"kind": k, "line": line} for k, line in draft.objections])
    row.updated_at = utcnow()


def create(*, db_session: Session, identity: Identity, draft: PersonaDraft) -> CustomPersona:
    """Save a new custom persona (enablement and admins only)."""
    if not can_author(identity):
        raise PermissionDenied("Only enablement users and admins can create personas.")
    row = CustomPersona(
        organization_id=identity.organization_id,
        created_by=identity.user_id,
        name="",
        title="",
        company="",
        industry="",
    )
    _apply(row, _checked(draft))
    db_session.add(row)
    db_session.commit()
    db_session.refresh(row)
    return row


def update(
    *, db_session: Session, identity: Identity, persona_id: int, draft: PersonaDraft
) -> CustomPersona:
    """Change a custom persona; sessions already played keep their snapshot."""
    row = get_editable(db_session=db_session, identity=identity, persona_id=persona_id)
    _apply(row, _checked(draft))
    db_session.add(row)
    db_session.commit()
    db_session.refresh(row)
    return row


def delete(*, db_session: Session, identity: Identity, persona_id: int) -> None:
    """Remove a custom persona from the library."""
    row = get_editable(db_session=db_session, identity=identity, persona_id=persona_id)
    db_session.delete(row)
    db_session.commit()


def draft_of(persona: Persona, *, shared: bool = False) -> PersonaDraft:
    """A persona as a form draft (to copy a built-in into a custom one)."""
    return PersonaDraft(
        name=persona.name,
        title=persona.title,
        company=persona.company,
        industry=persona.industry,
        company_size=persona.company_size,
        difficulty=persona.difficulty,
        personality=persona.personality,
        communication_style=persona.communication_style,
        goals=persona.goals,
        pains=persona.pains,
        objections=tuple((o.kind, o.line) for o in persona.objections),
        what_wins_them=persona.what_wins_them,
        patience=persona.patience,
        opening_line=persona.opening_line,
        voice_hint=persona.voice_hint,
        shared=shared,
    )


def objection_lines(objections: Sequence[Objection] | Sequence[tuple[str, str]]) -> str:
    """Objections as the form's `kind: line` text."""
    lines = []
    for item in objections:
        kind, line = (item.kind, item.line) if isinstance(item, Objection) else item
        lines.append(f"{kind}: {line}")
    return "\n".join(lines)
