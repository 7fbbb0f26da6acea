"""The built-in sales playbook: frameworks the local engine answers from, with their sources.

Kept as plain passages (title, topic, text) so retrieval can quote them and cite which one it used.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Passage:
    """One self-contained piece of advice."""

    id: str
    topic: str
    title: str
    text: str


PLAYBOOK: tuple[Passage, ...] = (
    Passage(
        "price-objection",
        "objection",
        "“You're too expensive”",
        "Don't defend the number first. Acknowledge, then isolate: “Is price the only thing "
        "holding you back?” Restate the cost of the problem they told you about and compare "
        "it with the price; offer a smaller first phase before a discount, and trade any "
        "concession for something (a longer term, a case study, a faster signature).",
    ),
    Passage(
        "budget-objection",
        "objection",
        "“We don't have budget”",
        "Ask when budgets are set and who owns them. Find the line item the problem already "
        "costs (overtime, churn, lost deals) and build the business case with the champion; "
        "propose a start date aligned with the next budget cycle rather than walking away.",
    ),
    Passage(
        "timing-objection",
        "objection",
        "“Now isn't a good time”",
        "Ask what would have to be true for it to be a good time, and what happens if "
        "nothing changes for six months. Tie the timeline to an event they care about "
        "(a launch, a hiring plan, a quarter end) and agree a concrete follow-up date.",
    ),
    Passage(
        "competitor-objection",
        "objection",
        "“We already use a competitor”",
        "Be curious, not dismissive: ask what they like about it and what they would change. "
        "Map the gaps they name to your differentiators and suggest a side-by-side on the "
        "one use case that matters most to them.",
    ),
    Passage(
        "status-quo-objection",
        "objection",
        "“We're fine as we are”",
        "Quantify the status quo: how long the process takes, how often it breaks, what it "
        "costs. Share how a similar company found the hidden cost, then ask permission to "
        "explore whether the same is true for them.",
    ),
    Passage(
        "authority-objection",
        "objection",
        "“I need to run it by my boss”",
        "Offer to help them sell internally: ask what their boss will care about, what "
        "questions they expect, and propose a short call with the decision maker. Send a "
        "one-page summary in the boss's language (risk, cost, time).",
    ),
    Passage(
        "security-objection",
        "objection",
        "“Security won't approve this”",
        "Bring security in early. Offer the security pack (SOC 2 report, data flows, "
        "retention, sub-processors), ask for their questionnaire now, and propose a call "
        "between their security lead and yours so review runs in parallel with evaluation.",
    ),
    Passage(
        "send-info-objection",
        "objection",
        "“Just send me some information”",
        "Agree, then qualify: “Happy to. So I send what's relevant, what's your biggest "
        "priority this quarter?” Use the answer to earn a short follow-up meeting instead of "
        "sending a generic brochure.",
    ),
    Passage(
        "lair-framework",
        "objection",
        "LAER: listen, acknowledge, explore, respond",
        "Listen without interrupting, acknowledge the concern in their words, explore it with "
        "an open question until you know the real issue, then respond to that issue with "
        "evidence and check the answer landed.",
    ),
    Passage(
        "discovery-spin",
        "discovery",
        "SPIN discovery questions",
        "Situation (how do you handle X today?), Problem (where does that break?), "
        "Implication (what does that cost you when it happens?), Need-payoff (if that were "
        "solved, what would it change?). Spend most of the call on implication questions.",
    ),
    Passage(
        "discovery-questions",
        "discovery",
        "Discovery question bank",
        "What prompted you to take this call now? Walk me through how your team does this "
        "today. What have you tried already? What happens if you do nothing? Who else is "
        "affected? How will you measure success? What does your decision process look like?",
    ),
    Passage(
        "discovery-listening",
        "discovery",
        "Listen more than you talk",
        "Top performers talk for about 43 % of a discovery call and ask 11 to 14 questions. "
        "Ask one question at a time, pause after answers, and follow up on the last thing "
        "the buyer said before moving to your next question.",
    ),
    Passage(
        "meddpicc",
        "qualification",
        "MEDDPICC qualification",
        "Metrics, Economic buyer, Decision criteria, Decision process, Paper process, "
        "Identify pain, Champion, Competition. After each call, note which letters you can "
        "fill with evidence and plan questions for the gaps.",
    ),
    Passage(
        "demo-structure",
        "demo",
        "Run a demo around their problems",
        "Recap the pains from discovery, get agreement on them, then show only the workflow "
        "that solves the top pain. Check in after each section (“how would this work for "
        "your team?”) and finish with the next step, not a feature tour.",
    ),
    Passage(
        "closing-next-steps",
        "closing",
        "Always leave with a next step",
        "Before the call ends, agree on a specific next step with a date, an owner and the "
        "people who need to attend. Send the recap the same day with the mutual plan.",
    ),
    Passage(
        "closing-assumptive",
        "closing",
        "Trial and assumptive closes",
        "Test readiness with a trial close (“if we solved X, would you move forward this "
        "quarter?”). When signals are strong, move to logistics: start date, contract owner, "
        "onboarding plan.",
    ),
    Passage(
        "negotiation-trade",
        "negotiation",
        "Trade, don't give",
        "Never concede without getting something back. Prepare your concessions in advance, "
        "start with the least costly, and tie each one to a commitment: term length, payment "
        "terms, a reference, or a signature date.",
    ),
    Passage(
        "cold-call-opener",
        "cold_call",
        "Cold-call openers that work",
        "Say who you are and why you are calling in one sentence, mention a relevant trigger "
        "(hiring, funding, a peer company), and ask for thirty seconds. Aim for a meeting, "
        "not a sale.",
    ),
    Passage(
        "rapport",
        "rapport",
        "Build rapport without small-talk overload",
        "Mirror the buyer's pace, use their name, and reference something specific they "
        "said. Keep small talk short and move to their agenda; rapport comes from relevance.",
    ),
    Passage(
        "renewal",
        "renewal",
        "Renewal conversations",
        "Start with the value delivered against the goals set at signing, raise risks early, "
        "and bring the next year's plan so the renewal is about outcomes, not price.",
    ),
)
