"""The local buyer with the real embedding model: it reacts to selling, never echoes or loops."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import replace

import pytest

from quotahit.practice import buyer_lines
from quotahit.practice.buyer import BuyerMemory, BuyerTurn, LocalBuyer
from quotahit.practice.personas import BUILT_IN_PERSONAS, Objection, Persona, get_persona
from quotahit.practice.scenarios import SCENARIOS, get_scenario
from quotahit.providers.local import embeddings

GOOD_DISCOVERY = (
    "Hi Sarah, thanks for making the time today. How's the quarter going?",
    "What are the biggest challenges your sales team is facing right now?",
    "How has your win rate changed since the team grew?",
    "So if I heard you right, win rate dropped since the team doubled and new reps freeze on "
    "pricing. Is that fair?",
    "How do your managers spend their coaching time today?",
    "How long does it take a new hire to ramp to quota?",
)
PITCH_MONOLOGUE = (
    "Hi Michael! Our platform is the leading AI sales coaching solution. Reps practise calls "
    "against lifelike buyers, get instant scoring on talk ratio, questions and objection handling, "
    "and managers see dashboards across the whole team. We integrate with Salesforce, HubSpot, "
    "Gong and Zoom out of the box, and customers see a twenty percent lift in win rates within "
    "one quarter. Setup takes two days, there is nothing to install, and your reps will love it "
    "because it feels like a game."
)
MORE_PITCH = (
    "We also have great analytics, a mobile app and an amazing roadmap with lots of new "
    "features coming this year."
)


@pytest.fixture(scope="session", autouse=True)
def _e5() -> None:
    """Load the embedding model once, so no single test pays for it."""
    embeddings.load_model()


def buyer(slug: str, scenario: str = "discovery", difficulty: str | None = None) -> LocalBuyer:
    persona = get_persona(slug)
    return LocalBuyer(persona, get_scenario(scenario), difficulty or persona.difficulty)


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower().replace("'", "").replace("\u2019", ""))


def shares_five_words(reply: str, message: str) -> bool:
    said = words(message)
    runs = {tuple(said[i : i + 5]) for i in range(len(said) - 4)}
    answer = words(reply)
    return any(tuple(answer[i : i + 5]) in runs for i in range(len(answer) - 4))


def all_objections(persona: Persona) -> tuple[Objection, ...]:
    """The persona's objections and the generic ones added after them: what memory indexes."""
    return persona.objections + buyer_lines.fallback_objections(persona)


def objection_lines(persona: Persona) -> list[str]:
    return [objection.line for objection in all_objections(persona)]


def test_good_discovery_reveals_pains_warms_the_buyer_and_moves_the_sale_on() -> None:
    sarah = buyer("sarah_mitchell")
    sarah.opening()
    start = sarah.memory.warmth
    turns = [sarah.reply(message) for message in GOOD_DISCOVERY]

    persona = get_persona("sarah_mitchell")
    revealed = sarah.memory.pains_revealed
    assert len(set(revealed)) >= 2
    for index in revealed:
        pain = persona.pains[index]
        assert any(pain in turn.text for turn in turns), pain
    assert turns[-1].warmth > start + 0.2
    assert sarah.memory.stage not in ("opening", "discovery")
    assert not any(turn.ended for turn in turns)


def test_a_pitch_first_monologue_cools_a_hard_buyer_who_raises_an_objection() -> None:
    michael = buyer("michael_chen", difficulty="hard")
    michael.opening()
    start = michael.memory.warmth
    turn = michael.reply(PITCH_MONOLOGUE)

    assert turn.warmth < start
    assert turn.intent == "pitch"
    raised = michael.memory.open_objection
    assert raised is not None
    assert objection_lines(get_persona("michael_chen"))[raised] in turn.text


def test_an_ignored_objection_comes_back_more_firmly_until_it_is_handled() -> None:
    sarah = buyer("sarah_mitchell")
    sarah.opening()
    first = sarah.reply("Our platform lets reps practise calls and get scored instantly.")
    raised = sarah.memory.open_objection
    assert raised is not None

    again = sarah.reply(MORE_PITCH)
    assert sarah.memory.open_objection == raised
    assert again.warmth < first.warmth
    kind = all_objections(get_persona("sarah_mitchell"))[raised].kind
    assert any(line in again.text for line in buyer_lines.FIRM_RESTATEMENTS[kind]), again.text
    assert objection_lines(get_persona("sarah_mitchell"))[raised] not in again.text

    handled = sarah.reply("That's a fair concern. What would need to be true to make it worth it?")
    assert sarah.memory.open_objection is None
    assert handled.warmth > again.warmth


def test_a_warm_buyer_agrees_a_concrete_next_step_and_the_meeting_ends() -> None:
    jennifer = buyer("jennifer_rodriguez")
    jennifer.opening()
    jennifer.reply("How do you train new front-desk staff today?")
    jennifer.reply("What happens when a patient calls with a question a new hire can't answer?")
    assert jennifer.memory.warmth >= 0.6
    turn = jennifer.reply("Could we book thirty minutes on Thursday with your director?")

    assert jennifer.memory.agreed_next_step
    assert turn.stage == "closed"
    assert "Thursday" in turn.text
    assert "invite" in turn.text
    assert not turn.ended
    assert jennifer.reply("Great, thank you Jennifer!").ended


def test_a_cold_buyer_stalls_a_next_step() -> None:
    michael = buyer("michael_chen", difficulty="hard")
    michael.opening()
    turn = michael.reply("Can we book a meeting next week to show you a demo?")

    assert not michael.memory.agreed_next_step
    assert turn.stage != "closed"
    assert any(stall in turn.text for stall in buyer_lines.STALLS), turn.text
    assert turn.warmth < 0.2


def test_a_hard_buyer_left_cold_ends_the_call_politely() -> None:
    michael = buyer("michael_chen", difficulty="hard")
    michael.opening()
    turns = [michael.reply(message) for message in (PITCH_MONOLOGUE, MORE_PITCH, MORE_PITCH)]

    assert [turn.ended for turn in turns] == [False, False, True]
    assert "another meeting" in turns[-1].text
    assert turns[-1].stage == "closed"
    assert michael.reply("Wait, one more thing!").ended


def phrase_inventory() -> list[str]:
    """Every line the buyer's phrase banks hold, flattened."""
    found: list[str] = []
    for value in vars(buyer_lines).values():
        items = value.values() if isinstance(value, dict) else [value]
        for item in items:
            if isinstance(item, tuple):
                found += [text for text in item if isinstance(text, str)]
    return found


def adversarial_messages(persona: Persona, earlier: list[str]) -> list[str]:
    """Sales moves that quote the buyer's notes, its phrase banks and its own lines back at it.

    Each move carries a slice of the phrase banks, so whatever the buyer would naturally say
    next has often just been said by the rep, and the buyer must find other words.
    """
    inventory = phrase_inventory()
    last = earlier[-1] if earlier else ""
    moves = [
        f"You said: {last} Tell me more?",
        f"{' '.join(persona.pains)} How does that feel?",
        "What are the biggest challenges your team is facing right now?",
        f"{' '.join(objection_lines(persona))} Is that your concern?",
        "Our platform automates coaching and saves managers five hours a week.",
        f"{' '.join(persona.goals)} Which of those matters most?",
        f"{last} {last}",
        "It costs fifty dollars per seat per month.",
        f"I hear you. {last} What would need to be true?",
        "Who else would be involved in the decision?",
        "Can we book thirty minutes on Tuesday with your team?",
        " ".join(inventory) + " So, what do you think?",
    ]
    slice_size = len(inventory) // len(moves) + 1
    return [
        f"{move} {' '.join(inventory[i * slice_size : (i + 1) * slice_size])}"
        for i, move in enumerate(moves)
    ]


@pytest.mark.parametrize("slug", list(BUILT_IN_PERSONAS))
def test_the_buyer_never_echoes_the_rep_and_never_repeats_itself(slug: str) -> None:
    persona = get_persona(slug)
    plays = (("discovery", "medium", 0), ("objection_handling", "hard", 7))
    for scenario, difficulty, seed in plays:
        local = LocalBuyer(persona, get_scenario(scenario), difficulty, seed=seed)
        said = [local.opening().text]
        for step in range(12):
            message = adversarial_messages(persona, said)[step]
            turn = local.reply(message)
            assert turn.text.strip()
            assert not shares_five_words(turn.text, message), (message, turn.text)
            assert words(turn.text) not in [words(line) for line in said], turn.text
            assert len(buyer_lines.sentences(turn.text)) <= 3, turn.text
            said.append(turn.text)


def test_memory_round_trips_and_a_rebuilt_buyer_continues_identically() -> None:
    persona, scenario = get_persona("amanda_foster"), get_scenario("product_demo")
    original = LocalBuyer(persona, scenario, "medium", seed=3)
    original.opening()
    for message in GOOD_DISCOVERY[1:4]:
        original.reply(message)

    stored = json.loads(json.dumps(original.memory.to_dict()))
    memory = BuyerMemory.from_dict(stored)
    assert memory == original.memory
    rebuilt = LocalBuyer(persona, scenario, "medium", memory=memory, seed=3)

    later = ("Let me show you how the dashboard works.", "What would it cost us?", "Fair enough?")
    assert [original.reply(m) for m in later] == [rebuilt.reply(m) for m in later]


def test_the_same_seed_and_history_give_the_same_buyer() -> None:
    def play(seed: int) -> list[BuyerTurn]:
        david, discovery = get_persona("david_thompson"), get_scenario("discovery")
        local = LocalBuyer(david, discovery, "hard", seed=seed)
        return [local.opening(), *(local.reply(m) for m in GOOD_DISCOVERY[1:])]

    assert play(5) == play(5)
    assert [t.text for t in play(5)] != [t.text for t in play(6)]


def test_memory_refuses_an_unknown_stage() -> None:
    with pytest.raises(ValueError, match="stage"):
        BuyerMemory.from_dict({"stage": "haggling"})


def test_a_custom_persona_without_pains_or_objections_still_sells_back() -> None:
    bare = replace(
        get_persona("sarah_mitchell"),
        slug="custom_pat",
        name="Pat Lee",
        title="Head of Support",
        industry="Logistics",
        goals=(),
        pains=(),
        objections=(),
        what_wins_them=(),
        opening_line="",
    )
    local = LocalBuyer(bare, get_scenario("discovery"), "medium")
    opening = local.opening()
    assert "Pat" in opening.text

    question = local.reply("What's the hardest part of running the support team right now?")
    assert any(pain in question.text for pain in buyer_lines.GENERIC_PAINS)
    price = local.reply("It's forty dollars per seat per month.")
    raised = local.memory.open_objection
    assert raised is not None
    assert all_objections(bare)[raised].kind == "price"
    for message in ("I hear you. What are you comparing it to?", "Can we meet on Friday?"):
        turn = local.reply(message)
        assert turn.text.strip()
        assert 1 <= len(buyer_lines.sentences(turn.text)) <= 3
    assert price.text != opening.text


def test_the_buyer_stays_in_character_when_asked_if_it_is_a_bot() -> None:
    turn = buyer("amanda_foster").reply("Wait, are you an AI?")
    assert not re.search(r"\b(ai|artificial|language model|assistant|bot)\b", turn.text, re.I)


def test_the_objection_handling_scenario_opens_with_an_objection() -> None:
    local = buyer("jennifer_rodriguez", "objection_handling")
    opening = local.opening()
    assert local.memory.open_objection == 0
    assert get_persona("jennifer_rodriguez").objections[0].line in opening.text


def test_a_cold_call_opens_surprised_and_busy() -> None:
    persona = get_persona("sarah_mitchell")
    opening = buyer("sarah_mitchell", "cold_call").opening()
    assert persona.opening_line not in opening.text
    assert "Sarah" in opening.text
    assert "?" in opening.text


@pytest.mark.parametrize(
    ("slug", "scenario"), list(itertools.product(BUILT_IN_PERSONAS, SCENARIOS))
)
def test_every_persona_opens_and_replies_in_every_scenario(slug: str, scenario: str) -> None:
    local = buyer(slug, scenario)
    turns = [
        local.opening(),
        local.reply("Thanks for the time. What's the biggest challenge on your plate right now?"),
        local.reply("We help teams practise real conversations before they happen."),
    ]
    for turn in turns:
        assert turn.text.strip()
        assert 1 <= len(buyer_lines.sentences(turn.text)) <= 3, turn.text
        assert 0.0 <= turn.warmth <= 1.0
