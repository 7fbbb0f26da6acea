"""The situations a rep can rehearse, the training focuses, and the difficulty levels.

Plain data, so the setup page, the prompt builder and the call analyzer read one catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Scenario:
    """A stage of the sale to rehearse.

    `rep_goal` is what the rep is scored on achieving; `buyer_stance` is how the AI buyer enters the
    conversation, so the same persona behaves differently on a cold call than at renewal.
    """

    slug: str
    label: str
    description: str
    rep_goal: str
    buyer_stance: str


@dataclass(frozen=True)
class TrainingFocus:
    """What the rep wants to get better at in this session.

    `analysis_focus` names the call analyzer rubric (`analysis.judgement.FOCUSES`) the practice
    transcript is scored against, so practice and real calls are judged the same way.
    """

    slug: str
    label: str
    analysis_focus: str


_SCENARIO_LIST = (
    Scenario(
        slug="discovery",
        label="Discovery call",
        description="A first meeting to learn whether the buyer has a problem worth solving.",
        rep_goal="Uncover pains, impact, decision process and timeline before pitching anything.",
        buyer_stance="Agreed to the meeting but is guarded; shares details only when asked well.",
    ),
    Scenario(
        slug="product_demo",
        label="Product demo",
        description="The buyer is interested and wants to see how the product would work for them.",
        rep_goal="Tie each part of the demo to a pain the buyer named and agree a next step.",
        buyer_stance="Curious but busy; interrupts features that do not map to their problems.",
    ),
    Scenario(
        slug="objection_handling",
        label="Objection handling",
        description="The buyer likes the idea but has concerns that will stall the deal.",
        rep_goal="Acknowledge, clarify and answer each objection without arguing or discounting.",
        buyer_stance="Leans toward no; raises objections early and presses on weak answers.",
    ),
    Scenario(
        slug="negotiation",
        label="Negotiation",
        description="The buyer wants to buy and is now working on price, terms and scope.",
        rep_goal="Protect value: trade concessions for commitments instead of giving them away.",
        buyer_stance="Wants the deal but pushes hard on price and asks for more than they expect.",
    ),
    Scenario(
        slug="closing",
        label="Closing",
        description="The evaluation is done and the buyer must decide whether to sign.",
        rep_goal="Confirm the decision criteria are met and secure a signature date and signer.",
        buyer_stance="Mostly convinced but hesitant to commit; looks for a reason to delay.",
    ),
    Scenario(
        slug="cold_call",
        label="Cold call",
        description="An unannounced call to a buyer who has never heard of the rep or the company.",
        rep_goal="Earn the next thirty seconds, find one relevant pain and book a meeting.",
        buyer_stance="Busy and interrupted; tries to end the call within the first sentences.",
    ),
    Scenario(
        slug="renewal",
        label="Renewal",
        description="An existing customer whose contract ends soon is deciding whether to renew.",
        rep_goal="Show the value delivered, surface risks to renewal and agree terms.",
        buyer_stance="A customer for a year; questions the return and mentions alternatives.",
    ),
)

SCENARIOS: dict[str, Scenario] = {scenario.slug: scenario for scenario in _SCENARIO_LIST}

_FOCUS_LIST = (
    TrainingFocus("sales_call", "Sales call", "general"),
    TrainingFocus("discovery_questions", "Discovery questions", "discovery"),
    TrainingFocus("product_demo", "Product demo", "demo"),
    TrainingFocus("objection_handling", "Objection handling", "objection_handling"),
    TrainingFocus("negotiation", "Negotiation", "negotiation"),
    TrainingFocus("closing_techniques", "Closing techniques", "closing"),
    TrainingFocus("general_training", "General training", "general"),
)

TRAINING_FOCUSES: dict[str, TrainingFocus] = {focus.slug: focus for focus in _FOCUS_LIST}

DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")

# What each level means for the AI buyer; the prompt builder quotes it verbatim.
DIFFICULTY_MEANINGS: dict[str, str] = {
    "easy": "Open and cooperative: answers questions fully and forgives small mistakes.",
    "medium": "Realistic: shares when asked well, raises objections and needs real answers.",
    "hard": "Sceptical and short on time: pushes back often and disengages at the first pitch.",
}


def lookup(catalogue: dict[str, T], kind: str, slug: str) -> T:
    """Look a slug up, naming the valid choices so a typo is obvious from the message."""
    if slug not in catalogue:
        raise KeyError(f"Unknown {kind} {slug!r}; valid: {', '.join(catalogue)}")
    return catalogue[slug]


def get_scenario(slug: str) -> Scenario:
    """Return the scenario with this slug; raises KeyError listing the valid slugs."""
    return lookup(SCENARIOS, "scenario", slug)


def get_focus(slug: str) -> TrainingFocus:
    """Return the training focus with this slug; raises KeyError listing the valid slugs."""
    return lookup(TRAINING_FOCUSES, "training focus", slug)
