"""The practice catalogue: personas, scenarios, focuses and the buyer prompt."""

import pytest

from quotahit.analysis.judgement import FOCUSES
from quotahit.practice.personas import (
    BUILT_IN_PERSONAS,
    OBJECTION_KINDS,
    Objection,
    get_persona,
    persona_prompt,
)
from quotahit.practice.scenarios import (
    DIFFICULTIES,
    DIFFICULTY_MEANINGS,
    SCENARIOS,
    TRAINING_FOCUSES,
    get_focus,
    get_scenario,
)

EXPECTED = [
    ("Sarah Mitchell", "VP of Sales", "SaaS", "medium"),
    ("Michael Chen", "IT Director", "Technology", "hard"),
    ("Jennifer Rodriguez", "Operations Manager", "Healthcare", "easy"),
    ("David Thompson", "CFO", "Finance", "hard"),
    ("Amanda Foster", "Marketing Director", "Retail", "medium"),
]


def test_the_five_original_personas_in_order() -> None:
    got = [(p.name, p.title, p.industry, p.difficulty) for p in BUILT_IN_PERSONAS.values()]
    assert got == EXPECTED


@pytest.mark.parametrize("persona", BUILT_IN_PERSONAS.values(), ids=lambda p: p.slug)
def test_every_persona_is_complete(persona) -> None:
    assert 3 <= len(persona.objections) <= 6
    assert all(o.kind in OBJECTION_KINDS and o.line for o in persona.objections)
    assert persona.goals
    assert persona.pains
    assert persona.what_wins_them
    assert 0 < persona.patience <= 1
    assert persona.difficulty in DIFFICULTIES
    assert persona.opening_line
    assert persona.voice_hint


def test_slugs_are_unique_and_keys_match() -> None:
    slugs = [p.slug for p in BUILT_IN_PERSONAS.values()]
    assert len(set(slugs)) == len(slugs) == 5
    assert all(key == p.slug for key, p in BUILT_IN_PERSONAS.items())


def test_get_persona_returns_and_explains_unknown_slug() -> None:
    assert get_persona("sarah_mitchell").name == "Sarah Mitchell"
    with pytest.raises(KeyError, match="sarah_mitchell"):
        get_persona("nobody")


def test_unknown_objection_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="kind"):
        Objection("weather", "It's raining.")


def test_the_seven_scenarios_and_focuses() -> None:
    assert set(SCENARIOS) == {
        "discovery",
        "product_demo",
        "objection_handling",
        "negotiation",
        "closing",
        "cold_call",
        "renewal",
    }
    assert [f.label for f in TRAINING_FOCUSES.values()] == [
        "Sales call",
        "Discovery questions",
        "Product demo",
        "Objection handling",
        "Negotiation",
        "Closing techniques",
        "General training",
    ]
    with pytest.raises(KeyError, match="discovery"):
        get_scenario("nope")


def test_every_focus_maps_to_an_analyzer_focus() -> None:
    assert all(f.analysis_focus in FOCUSES for f in TRAINING_FOCUSES.values())


def test_every_difficulty_has_a_meaning() -> None:
    assert set(DIFFICULTY_MEANINGS) == set(DIFFICULTIES)


def test_persona_prompt_plays_the_buyer_in_character() -> None:
    persona = get_persona("michael_chen")
    scenario = get_scenario("cold_call")
    prompt = persona_prompt(persona, scenario, get_focus("objection_handling"), "hard")
    assert "Michael Chen" in prompt
    assert persona.objections[0].line in prompt
    assert scenario.label in prompt
    assert "Never break character" in prompt
    assert "Never reveal" in prompt


def test_difficulty_changes_the_prompt() -> None:
    args = (get_persona("sarah_mitchell"), get_scenario("discovery"), get_focus("sales_call"))
    assert persona_prompt(*args, "easy") != persona_prompt(*args, "hard")
    with pytest.raises(ValueError, match="difficulty"):
        persona_prompt(*args, "impossible")
