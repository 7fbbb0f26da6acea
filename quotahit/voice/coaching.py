"""Script coaching: the hints a rep sees beside a live practice call, from the transcript so far.

The coach reads each final turn and the call clock and answers with at most one hint of each
kind: an objection and the playbook's way through it, a discovery question not yet asked, a
next step to secure, and warnings about talk share, monologues, unanswered questions and filler
words. It matches patterns over the words and uses the timestamps, never embeddings: embedding
one sentence takes 12-50 ms on this 2-core machine, longer than the whole budget of a hint that
must land while the buyer waits for an answer; a turn here takes well under a millisecond.
Same turns and times in, same hints out.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from quotahit.analysis.call_cues import find_next_steps, sentences, sincerely
from quotahit.analysis.local_findings import quote
from quotahit.analysis.metrics import FILLERS, PROSPECT, REP, Turn, is_question, talk_ratio
from quotahit.analysis.sales_phrases import (
    ACKNOWLEDGE,
    CONCERN,
    LEADING,
    NEEDS_CONCERN,
    OBJECTIONS,
    QUALIFYING,
    SMALL_TALK,
)
from quotahit.brain.intents import EXAMPLES
from quotahit.brain.playbook import PLAYBOOK
from quotahit.practice.buyer import tokens
from quotahit.practice.personas import OBJECTION_KINDS
from quotahit.practice.scenarios import get_focus, get_scenario
from quotahit.voice.events import Speaker

# In priority order: the order hints of one call come out in.
HINT_KINDS = (
    "objection",
    "unanswered_question",
    "next_step",
    "monologue",
    "talk_ratio",
    "discovery",
    "filler",
)
SPEAKERS = ("rep", "buyer")

# More at once is more than a rep can read while talking; the rest wait for a later call.
MAX_HINTS_AT_ONCE = 2
COOLDOWN_S = 30.0
# Warnings about habits nag when repeated: they wait longer before they come back.
KIND_COOLDOWN_S = {"talk_ratio": 90.0, "filler": 180.0}
# Gong Labs, 25,537 B2B calls: winners talk ~43 %, above 65 % converts worse (market.md §1.1).
TALK_RATIO_LIMIT = 65.0
TALK_RATIO_TARGET = 43
TALK_WINDOW_S = 120.0
TALK_MIN_S = 60.0
MONOLOGUE_S = 45.0
# A buyer who stays silent this long had the chance to speak: the rep's next words start afresh.
MONOLOGUE_GAP_S = 3.0
QUESTION_DROUGHT_S = 120.0
DISCOVERY_FOCUS_DROUGHT_S = 90.0
# A buyer telling a long story needs no question: the drought counts only when the rep talks.
DROUGHT_REP_TALK_S = 40.0
QUESTIONS_BEFORE_PITCH = 3
NEXT_STEP_SHARE = 0.7
# How long a practice call of each scenario usually runs: the next-step reminder comes at 70 %.
TYPICAL_CALL_S = {
    "discovery": 600.0,
    "product_demo": 720.0,
    "objection_handling": 480.0,
    "negotiation": 600.0,
    "closing": 480.0,
    "cold_call": 300.0,
    "renewal": 600.0,
}
FILLER_WINDOW_S = 120.0
FILLER_COUNT = 6
FILLER_PER_MINUTE = 6.0
# A reply this long has had its chance to take the question on; a shorter one ("Good
# question.") may go on in the rep's next turn.
REPLY_WORDS = 8
# An objection that waits out the cooldown is still worth a hint this long after it was raised.
PENDING_OBJECTION_S = 20.0
# Turns this far outside the talk window cannot reach into it, however they were ordered.
TURN_ORDER_SLACK_S = 60.0


@dataclass(frozen=True)
class Hint:
    """One coaching hint: `kind` is one of HINT_KINDS, `at_s` the call time it was given."""

    kind: str
    title: str
    body: str
    at_s: float


@dataclass(frozen=True)
class Framework:
    """How to meet one kind of objection: the playbook passage it comes from, and what to say."""

    passage: str
    name: str
    steps: str
    lines: tuple[str, str]


FRAMEWORKS: dict[str, Framework] = {
    "price": Framework(
        "price-objection",
        "acknowledge, isolate, reframe on value",
        "Don't defend the number yet: acknowledge it, check it is the only concern, then weigh "
        "the price against what the problem costs them.",
        (
            "I hear you. Apart from price, is anything else holding you back?",
            "What is this problem costing you today, compared with what we'd charge?",
        ),
    ),
    "budget": Framework(
        "budget-objection",
        "find the budget owner, build the case",
        "Ask when budgets are set and who owns them, then tie the cost to a line item the "
        "problem already costs them.",
        (
            "Understood. When is next year's budget set, and who owns it?",
            "Where does this problem already cost you money: overtime, churn, lost deals?",
        ),
    ),
    "price_trade": Framework(
        "negotiation-trade",
        "trade, don't give",
        "Don't discount for nothing: trade any concession for a commitment, such as a longer "
        "term, a case study or a signature date.",
        (
            "If we find room on price, could you commit to a two-year term?",
            "What could you give on your side if we moved on the number?",
        ),
    ),
    "timing": Framework(
        "timing-objection",
        "explore, tie to an event, agree a date",
        "Ask what would make it a good time and what waiting costs, then tie the timeline to an "
        "event they care about.",
        (
            "Fair enough. What would need to be true for this to be a priority?",
            "What happens if nothing changes for the next six months?",
        ),
    ),
    "competitor": Framework(
        "competitor-objection",
        "be curious, map the gaps",
        "Don't knock the other tool: ask what they like and what they would change, then map "
        "those gaps to what you do differently.",
        (
            "Makes sense. What do you like most about what you have today?",
            "If you could change one thing about it, what would it be?",
        ),
    ),
    "authority": Framework(
        "authority-objection",
        "help them sell it internally",
        "Offer to help them make the case: learn what the decision maker cares about and "
        "propose a short call with them.",
        (
            "Of course. What will your boss care about most when you bring this up?",
            "Would 20 minutes with them help, so I can answer their questions directly?",
        ),
    ),
    "security": Framework(
        "security-objection",
        "bring security in early",
        "Offer the security pack (audit report, data flows, retention), ask for their "
        "questionnaire now and propose a call between the security leads.",
        (
            "Good question. Can I send our security pack and data-flow summary today?",
            "Could your security lead and ours talk this week, so review runs alongside?",
        ),
    ),
    "status_quo": Framework(
        "status-quo-objection",
        "quantify the status quo",
        "Don't argue that their way is broken: ask what it takes in time, failures and cost, "
        "then ask permission to explore.",
        (
            "That's fair. How much of your team's week does that take today?",
            "When it does break, what does that cost you?",
        ),
    ),
    "need": Framework(
        "lair-framework",
        "listen, acknowledge, explore, respond",
        "Acknowledge the doubt in their words and ask what lies behind it before you answer.",
        (
            "That's a fair concern. What makes you feel it might not fit?",
            "What would you need to see to know it's worth it?",
        ),
    ),
    "trust": Framework(
        "lair-framework",
        "acknowledge, then offer proof",
        "Don't make a bigger promise: acknowledge the doubt, ask what proof would convince "
        "them, and offer a reference or a small pilot with agreed exit criteria.",
        (
            "I understand, you've heard big claims before. What would you need to see?",
            "Would a short pilot, with success criteria we agree up front, help?",
        ),
    ),
    "send_info": Framework(
        "send-info-objection",
        "agree, then qualify",
        "Agree, then ask one question so what you send is relevant, and earn a short follow-up.",
        (
            "Happy to. So I send what's relevant, what's your biggest priority this quarter?",
            "Could we take 15 minutes next week to go through it together?",
        ),
    ),
}
OBJECTION_LABELS = {
    "price": "Price",
    "timing": "Timing",
    "competitor": "Competitor",
    "authority": "Authority",
    "security": "Security",
    "status_quo": "Status quo",
    "need": "Need",
    "trust": "Trust",
    "send_info": "“Send me information”",
}
# The call analyzer's name for a kind, where it differs.
RECORDED_KIND = {"trust": "risk"}
# Ties between kinds go to the most specific: "your competitor offered thirty percent off" is
# about the competitor, "budgets are locked until next year" about timing.
DETECTION_ORDER = (
    "security",
    "competitor",
    "authority",
    "send_info",
    "timing",
    "price",
    "status_quo",
    "trust",
    "need",
)


def _words(alternatives: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


# What buyers say live, beyond the call analyzer's patterns (`sales_phrases.OBJECTIONS`), which
# look for the words of recorded calls; tested on every objection line the local buyer says.
_LIVE_OBJECTIONS: dict[str, re.Pattern[str]] = {
    "price": _words(
        r"budgeted|no budget|(?:tools|training|software|our \w+) budget|"
        r"budgets? (?:is|are) (?:\w+ )?(?:small|tight|limited|spent|locked|gone|frozen|flat)|"
        r"more than (?:we|i) (?:pay|paid|spend|expected)|discount|percent off|"
        r"what does (?:this|it) cost|how much (?:is|does|will|would)|"
        r"cost (?:per|question)|per (?:seat|user|rep|store|licen[cs]e|month)|"
        r"worth the (?:money|price|cost)|justify (?:new |the |this )?(?:spend|cost|price)|"
        r"(?:thin|tight) margins?|cheaper|cheap (?:to|enough)|all in(?=\s*[,.?!]|$)|"
        r"what's the total|the total cost"
    ),
    "timing": _words(
        r"mid-quarter|heads[- ]down|no time|fit this in|until (?:the )?(?:next|end)|"
        r"until (?:january|february|march|april|may|june|july|august|september|october|"
        r"november|december|after)|not the moment|next quarter|"
        r"(?:can't|cannot|can not) [^.?!]*right now"
    ),
    "competitor": _words(
        r"why would (?:i|we) (?:add|run|switch|pay for)|two tools|"
        r"beats what we|(?:current|existing|other) (?:tool|vendor|provider|platform|solution)|"
        r"offered us|switch(?:ing)? (?:from|vendors|tools)"
    ),
    "authority": _words(
        r"(?:isn't|is not|not) (?:only |just )?my (?:call|decision)|"
        r"(?:run|take) (?:this|it) (?:past|by|to) (?:my|our)|weigh in|on board|belongs to|"
        r"i don't (?:buy|sign|decide|own)|who else needs|(?:others|more than me) would need"
    ),
    "send_info": _words(
        r"send (?:me|us|over) (?:some|an?|more|the)? ?(?:info|information|email|e-mail|"
        r"material|materials|deck|brochure|something)|email me (?:some|the|more)"
    ),
    "status_quo": _words(
        r"works (?:well enough|fine|for us)|what already works|why change|"
        r"how we do it (?:now|today)|(?:has|have) a process|(?:we're|we are) fine|"
        r"build (?:something like )?(?:this|that|it) (?:on our own|ourselves|in-house)|"
        r"on our own stack|in-house|(?:every week|already) do|do [\w-]+ [^.?!]*already|"
        r"change has a cost"
    ),
    "trust": _words(
        r"every vendor|why should i (?:believe|trust)|promises|how do i know|burned|"
        r"it never is|too good to be true|these claims|(?:believe|trust) (?:this|you|it) will|"
        r"reason to believe|waiting for evidence"
    ),
    "need": _words(
        r"(?:not|still not) (?:convinced|sure) (?:we|i|this)|do we (?:even |really )?need|"
        r"(?:will|would) (?:they|my team|people|my reps|my people) (?:even |actually )?use|"
        r"hate [\w-]+|built for|show me the return|(?:shown|show) me a problem|"
        r"solves? a problem|not relevant|(?:need|needs) this at all"
    ),
}
# Words that name a topic without objecting to it ("our security team", "pricing objections")
# count only in a sentence that also sounds worried.
_WORRIED_OBJECTIONS: dict[str, re.Pattern[str]] = {
    "price": _words(r"price|pricing|budget"),
    "timing": _words(r"timing|bandwidth|stretched thin"),
    "security": _words(
        r"stored|who can access|(?:our|customer|patient) (?:data|information)|"
        r"data (?:goes|go|would live|lives)|security|protect (?:our|the) data|encrypt\w*|"
        r"privacy|breach|compliant|audit report|type ii"
    ),
}
_WORRY = _words(r"isn't|aren't|bad|needs?|until|nowhere|exactly")
# "Budget isn't an issue" names a kind without raising it.
_NOT_A_CONCERN = _words(r"(?:isn't|is not|not|no) (?:an? )?(?:issue|problem|concern)")
_BUDGET = _words(
    r"no budget|budgets?(?: are| is|'s)? (?:\w+ )?(?:locked|gone|spent|frozen|flat|small|tight)|"
    r"(?:tools|training) budget|(?:don't|do not) (?:\w+ )?have (?:the |a |any )?budget"
)
_SOCIAL_QUESTION = _words(r"you there|can you hear me|hello|sorry|really|right")
_ANSWER_OPENER = re.compile(
    r"^\W*(?:yes|yeah|yep|no|nope|sure|absolutely|definitely|of course|not yet|not really|"
    r"it depends|honestly|short answer)\b",
    re.IGNORECASE,
)
_HONEST_UNKNOWN = _words(
    r"(?:don't|do not) know|not sure|find out|get back to you|check (?:on|with)|let me check"
)
_QUANTITY_QUESTION = re.compile(r"^\W*(?:how (?:much|many|long|soon)|when)\b", re.IGNORECASE)
_PITCH = _words(
    r"our (?:platform|product|tool|solution|software|app)|we (?:offer|provide|automate|integrate)|"
    r"let me (?:show|tell) you about|(?:it|this) (?:lets|allows) you"
)
_BUYING_SIGNAL = _words(
    r"sounds (?:interesting|promising|useful|helpful)|(?:that's|that is|this is) interesting|"
    r"i like (?:that|this|it|the)|that would (?:help|be useful|be great)|"
    r"(?:what|how) (?:would|do|are) (?:the )?next steps?|next steps? (?:look|be)|"
    r"how (?:do|would|could) we (?:get started|start|move forward|try)|get started|"
    r"what does (?:a |the )?(?:pilot|trial|onboarding|rollout|implementation) look like|"
    r"(?:when|how soon) could we (?:start|begin)|can we (?:try|test|pilot)|"
    r"send (?:me|us) a proposal"
)
# Words that carry no topic: a reply sharing only these with a question does not answer it.
_STOPWORD_TEXT = (
    "about also been being could does doing done even from have having here into just like "
    "make made more most only really said should some still than that their them then there "
    "they thing things this those through very want what when where which while will with "
    "would your yours youre thats whats know think going mean tell sure okay well"
)
_CONTENT_STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Discovery topics, most specific first: a question belongs to the first it matches, so a
# paraphrase ("what made you look at this now?") counts as asking the bank's question.
DISCOVERY_TOPICS: dict[str, re.Pattern[str]] = {
    "trigger": _words(
        r"prompted|why now|what made you|brought you|take this call|looking at this now|"
        r"look at this now|reach(?:ed)? out"
    ),
    "payoff": _words(
        r"(?:were|was|is|got) solved|would (?:it|that) change|if (?:you|we) could|ideal|"
        r"magic wand|what would (?:it|that) mean"
    ),
    "cost_of_inaction": _words(
        r"do nothing|nothing changes|happens? if|stays? the same|cost(?:s|ing)? you|cost of|impact|"
        r"what does that mean for"
    ),
    "tried": _words(r"tried|attempted|what have you (?:done|looked at)|(?:other|previous) tools"),
    "timeline": _words(
        r"timeline|by when|how soon|deadline|when (?:do|would|will) you (?:need|want|decide|make)"
    ),
    "decision_process": _words(
        r"decision|decide|buying process|approve|approval|final say|sign(?:s|-off| off)|"
        r"procurement|legal review"
    ),
    "budget": _words(r"budget|set aside|spend(?:ing)?"),
    "stakeholders": _words(
        r"who else|anyone else|other (?:people|teams|departments)|affected|involved"
    ),
    "success": _words(r"success|measure|metrics?|kpis?|what does good look like|goals?"),
    "challenge": _words(
        r"challenges?|problems?|pain|struggl\w*|frustrat\w*|break|breaks|biggest|hardest"
    ),
    "current_process": _words(
        r"today|currently|right now|at the moment|current (?:process|setup|approach)|"
        r"walk me through|how (?:do|does) (?:you|your team) (?:handle|do|manage|run)"
    ),
}
# Which questions fit each scenario, best first; a cold-called buyer did not ask for the call.
_SCENARIO_TOPIC_NAMES = {
    "discovery": "trigger current_process challenge cost_of_inaction tried payoff stakeholders "
    "success decision_process timeline budget",
    "cold_call": "current_process challenge cost_of_inaction tried payoff stakeholders success",
    "product_demo": "success challenge current_process payoff stakeholders decision_process "
    "timeline",
    "objection_handling": "cost_of_inaction payoff success stakeholders decision_process "
    "timeline tried",
    "negotiation": "decision_process timeline stakeholders success budget payoff",
    "closing": "decision_process timeline stakeholders success payoff",
    "renewal": "success challenge payoff stakeholders decision_process timeline cost_of_inaction",
}
SCENARIO_TOPICS: dict[str, tuple[str, ...]] = {
    slug: tuple(names.split()) for slug, names in _SCENARIO_TOPIC_NAMES.items()
}
CHECK_IN = {
    "product_demo": "How would this work for your team?",
    "cold_call": "Is that a problem you run into at all?",
}
DEFAULT_CHECK_IN = "How does that compare with what you do today?"
NEXT_STEP_ASK = {
    "closing": "Who signs on your side, and what start date should we plan for?",
    "negotiation": "If we agree on terms today, who signs and by when?",
    "cold_call": "Could we take 20 minutes on Thursday to look at this properly?",
}
DEFAULT_NEXT_STEP_ASK = (
    "Shall we book 30 minutes on Thursday with you and whoever else should weigh in?"
)


@dataclass(frozen=True)
class BankQuestion:
    """A question from the playbook's discovery bank and the topic it explores."""

    topic: str
    text: str


def topic_of(question: str) -> str | None:
    """The discovery topic a question explores, or None."""
    return next((topic for topic, rx in DISCOVERY_TOPICS.items() if rx.search(question)), None)


def _bank() -> tuple[BankQuestion, ...]:
    """The playbook's discovery questions (including SPIN's), then the qualification ones."""
    found: list[str] = []
    for passage in PLAYBOOK:
        if passage.topic != "discovery":
            continue
        quoted = re.findall(r"\(([^()]*\?)\)", passage.text)
        for text in [*quoted, *sentences(re.sub(r"\([^()]*\)", "", passage.text))]:
            # SPIN's "how do you handle X today?" is a template, not a question to ask.
            if is_question(text) and not re.search(r"\bX\b", text):
                found.append(text[0].upper() + text[1:])
    found += EXAMPLES["qualification"]
    return tuple(
        BankQuestion(topic, text) for text in dict.fromkeys(found) if (topic := topic_of(text))
    )


DISCOVERY_BANK = _bank()


def _stems(text: str) -> set[str]:
    return {w[:5] for w in tokens(text) if len(w) > 3 and w not in _CONTENT_STOPWORDS}


def _similar(asked: str, question: str) -> bool:
    """The same question in other words: the same topic, or most of the same content words."""
    topic = topic_of(asked)
    if topic is not None and topic == topic_of(question):
        return True
    mine, theirs = _stems(asked), _stems(question)
    return bool(mine and theirs) and len(mine & theirs) / len(mine | theirs) >= 0.5


def objection_kinds(text: str, *, asked: str = "") -> tuple[str, ...]:
    """The objection kinds a buyer line raises, most specific first.

    Args:
        text: The buyer's words.
        asked: The rep's line just before: a buyer answering "what's your budget?" informs and
            does not object (`sales_phrases.QUALIFYING`).
    """
    worried = bool(CONCERN.search(text))
    found: set[str] = set()
    for sentence in sentences(text):
        if _NOT_A_CONCERN.search(sentence):
            continue
        uneasy = bool(CONCERN.search(sentence) or _WORRY.search(sentence))
        for kind in DETECTION_ORDER:
            live = _LIVE_OBJECTIONS.get(kind)
            named = _WORRIED_OBJECTIONS.get(kind)
            recorded = OBJECTIONS.get(RECORDED_KIND.get(kind, kind))
            if not (
                (live is not None and live.search(sentence))
                or (uneasy and named is not None and named.search(sentence))
                or (
                    recorded is not None
                    and recorded.search(sentence)
                    and (worried or kind not in NEEDS_CONCERN)
                )
            ):
                continue
            if kind in QUALIFYING and "?" in asked and QUALIFYING[kind].search(asked):
                continue
            found.add(kind)
    return tuple(kind for kind in DETECTION_ORDER if kind in found)


def _minutes(seconds: float) -> str:
    return f"{seconds // 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


Advice = tuple[str, str]  # a hint's title and body
Producer = Callable[[], Advice | None]


class LiveCoach:
    """Watches one practice call and says, hint by hint, what the rep could do next.

    Feed it every final turn with `observe` and the call clock about once a second with `tick`;
    `rep_speech` (optional, from the voice activity detector) tells it the rep is talking right
    now, so a monologue is flagged before the turn ends.
    """

    def __init__(
        self,
        focus: str,
        scenario: str,
        *,
        persona_objection_kinds: Sequence[str] = (),
        now: Callable[[], float] | None = None,
        typical_call_s: float | None = None,
    ) -> None:
        """Set up for one call.

        Args:
            focus: The training focus slug (`scenarios.TRAINING_FOCUSES`).
            scenario: The scenario slug (`scenarios.SCENARIOS`).
            persona_objection_kinds: The kinds this buyer raises; a line that fits several
                kinds is read as the persona's own.
            now: The call clock in seconds; hints from `observe` are stamped with it (without
                it, with the end of the turn).
            typical_call_s: How long this call should run; the next-step reminder comes at
                70 % of it (default: by scenario).

        Raises:
            KeyError: an unknown focus or scenario (the message lists the valid ones).
            ValueError: an unknown objection kind.
        """
        self.focus = get_focus(focus).slug
        self.scenario = get_scenario(scenario).slug
        unknown = sorted(set(persona_objection_kinds) - set(OBJECTION_KINDS))
        if unknown:
            raise ValueError(f"Unknown objection kinds {unknown}; valid: {OBJECTION_KINDS}")
        self._persona_kinds = tuple(persona_objection_kinds)
        self._now = now
        self._typical_call_s = typical_call_s or TYPICAL_CALL_S[self.scenario]
        discovering = self.focus == "discovery_questions"
        self._drought_s = DISCOVERY_FOCUS_DROUGHT_S if discovering else QUESTION_DROUGHT_S
        self._watch_pitch = discovering or self.scenario in ("discovery", "cold_call")
        topics = SCENARIO_TOPICS[self.scenario]
        self._bank = sorted(
            (q for q in DISCOVERY_BANK if q.topic in topics), key=lambda q: topics.index(q.topic)
        )

        self._turns: list[Turn] = []
        self._rep_questions: list[str] = []
        self._last_at: dict[str, float] = {}
        self._said: set[tuple[str, str, str]] = set()
        self._suggested: set[str] = set()
        self._last_question_s = 0.0
        self._drought_hint_s = 0.0
        self._rep_talk_since_question = 0.0
        self._stretch: tuple[float, float] | None = None  # the rep's current run of talk
        self._flagged_stretch = -math.inf  # where the last flagged monologue started
        self._speaking_since: float | None = None
        self._open_question: str | None = None
        self._reply = ""  # the rep's words since the buyer's open question
        self._objection: tuple[str, str, float] | None = None  # kind, line, when raised
        self._last_objection: tuple[str, float] | None = None  # kind, when hinted
        self._pitch_hinted = False
        self._next_step_agreed = False
        self._reminded = False

    def observe(self, speaker: Speaker, text: str, *, start_s: float, end_s: float) -> list[Hint]:
        """Take one final turn ("rep" or "buyer", seconds since the call started)."""
        if speaker not in SPEAKERS:
            raise ValueError(f"Unknown speaker {speaker!r}; valid: {', '.join(SPEAKERS)}")
        text = " ".join(text.split())
        if not text:
            return []
        turn = Turn(REP if speaker == "rep" else PROSPECT, start_s, max(start_s, end_s), text)
        asked = self._turns[-1].text if self._turns and self._turns[-1].speaker == REP else ""
        self._turns.append(turn)
        if any(step.agreed for step in find_next_steps(self._turns[-2:])):
            self._next_step_agreed = True
        found = self._rep_turn(turn) if speaker == "rep" else self._buyer_turn(turn, asked)
        return self._hints(self._now() if self._now is not None else turn.end, found)

    def tick(self, now_s: float) -> list[Hint]:
        """Time-based hints: a monologue in progress, a long wait for a question, the clock."""
        return self._hints(
            now_s,
            {
                "monologue": lambda: self._monologue(now_s, live=True),
                "talk_ratio": lambda: self._talk_ratio(now_s),
                "discovery": lambda: self._drought(now_s),
                "next_step": lambda: self._reminder(now_s),
            },
        )

    def rep_speech(self, started_s: float | None) -> None:
        """The rep started talking at `started_s` (call seconds), or stopped (None)."""
        self._speaking_since = started_s

    def _rep_turn(self, turn: Turn) -> dict[str, Producer]:
        questions = [s for s in sentences(turn.text) if is_question(s)]
        self._rep_questions += questions
        if questions:
            self._last_question_s = turn.end
            self._rep_talk_since_question = 0.0
        else:
            self._rep_talk_since_question += turn.duration
        if self._stretch is not None and turn.start - self._stretch[1] <= MONOLOGUE_GAP_S:
            self._stretch = (self._stretch[0], max(self._stretch[1], turn.end))
        else:
            self._stretch = (turn.start, turn.end)
        if sincerely(ACKNOWLEDGE, turn.text) or questions:
            self._objection = None  # met in the rep's own way: a late framework would distract
        found: dict[str, Producer] = {
            "monologue": lambda: self._monologue(turn.end, live=False),
            "talk_ratio": lambda: self._talk_ratio(turn.end),
            "filler": lambda: self._fillers(turn.end),
        }
        question = self._open_question
        if question is not None:
            self._reply = f"{self._reply} {turn.text}"
            if _addresses(self._reply, question):
                self._open_question = None
            elif len(tokens(self._reply)) >= REPLY_WORDS:
                self._open_question = None
                found["unanswered_question"] = lambda: _unanswered(question)
        if self._watch_pitch and not questions and _PITCH.search(turn.text):
            found["discovery"] = self._early_pitch
        return found

    def _buyer_turn(self, turn: Turn, asked: str) -> dict[str, Producer]:
        self._stretch = None
        line = next((s for s in sentences(turn.text) if objection_kinds(s, asked=asked)), None)
        if line is not None:
            kinds = objection_kinds(line, asked=asked)
            kind = next((k for k in kinds if k in self._persona_kinds), kinds[0])
            self._objection = (kind, line, turn.end)
        questions = [s for s in sentences(turn.text) if _real_question(s)]
        if questions:
            self._open_question = questions[-1]
        self._reply = ""
        signal = next((s for s in sentences(turn.text) if _BUYING_SIGNAL.search(s)), None)
        if signal is None or self._next_step_agreed:
            return {}
        return {"next_step": lambda: self._buying_signal(signal)}

    def _hints(self, at: float, found: dict[str, Producer]) -> list[Hint]:
        """The most important hints, one per kind, past each kind's cooldown, never twice.

        A producer runs only when its kind may speak, and commits what its hint uses (the
        question suggested, the monologue flagged) as it returns it.
        """
        found.setdefault("objection", lambda: self._pending_objection(at))
        hints: list[Hint] = []
        for kind in HINT_KINDS:
            if len(hints) == MAX_HINTS_AT_ONCE:
                break
            produce = found.get(kind)
            last = self._last_at.get(kind)
            if produce is None or (last is not None and at - last < _cooldown(kind)):
                continue
            advice = produce()
            if advice is None or (kind, *advice) in self._said:
                continue
            self._said.add((kind, *advice))
            self._last_at[kind] = at
            hints.append(Hint(kind, advice[0], advice[1], at))
        return hints

    def _pending_objection(self, at: float) -> Advice | None:
        if self._objection is None:
            return None
        kind, line, raised = self._objection
        self._objection = None
        if at - raised > PENDING_OBJECTION_S:
            return None
        if self._last_objection is not None:
            last_kind, hinted = self._last_objection
            if kind == last_kind and raised - hinted < COOLDOWN_S:
                return None  # raised again while its framework was on screen
        self._last_objection = (kind, at)
        framework = self._framework(kind, line)
        source = next(p.title for p in PLAYBOOK if p.id == framework.passage)
        first, second = framework.lines
        return (
            f"{OBJECTION_LABELS[kind]} objection: {framework.name}",
            f"They said {_quoted(line)} {framework.steps} Say: “{first}” Then ask: "
            f"“{second}” (Playbook: {source})",
        )

    def _framework(self, kind: str, line: str) -> Framework:
        if kind == "price" and "negotiation" in (self.scenario, self.focus):
            return FRAMEWORKS["price_trade"]
        if kind == "price" and _BUDGET.search(line):
            return FRAMEWORKS["budget"]
        return FRAMEWORKS[kind]

    def _buying_signal(self, signal: str) -> Advice:
        ask = NEXT_STEP_ASK.get(self.scenario, DEFAULT_NEXT_STEP_ASK)
        return (
            "Buying signal: secure the next step",
            f"They said {_quoted(signal)} Propose a specific next step now, with a day, a "
            f"time and who attends. Say: “{ask}”",
        )

    def _reminder(self, now_s: float) -> Advice | None:
        if self._reminded or self._next_step_agreed:
            return None
        if now_s < NEXT_STEP_SHARE * self._typical_call_s:
            return None
        self._reminded = True
        ask = NEXT_STEP_ASK.get(self.scenario, DEFAULT_NEXT_STEP_ASK)
        return (
            "Time to secure a next step",
            f"{_minutes(now_s)} in and no next step agreed. Before the call ends, agree one with "
            f"a date, an owner and who attends. Say: “{ask}”",
        )

    def _monologue(self, now_s: float, *, live: bool) -> Advice | None:
        if live:
            if self._speaking_since is None:
                return None
            start, end = self._speaking_since, now_s
            if self._stretch is not None and start - self._stretch[1] <= MONOLOGUE_GAP_S:
                start = self._stretch[0]
        elif self._stretch is None:
            return None
        else:
            start, end = self._stretch
        # A final turn's start can differ a little from when speech was detected.
        if end - start < MONOLOGUE_S or self._flagged_stretch >= start - MONOLOGUE_GAP_S:
            return None
        self._flagged_stretch = start
        check_in = CHECK_IN.get(self.scenario, DEFAULT_CHECK_IN)
        return (
            f"You've talked for {end - start:.0f} s straight",
            f"Finish your point in one sentence and hand over. Ask: “{check_in}” Then let "
            "them talk.",
        )

    def _talk_ratio(self, now_s: float) -> Advice | None:
        recent, talked = self._rep_share(since=now_s - TALK_WINDOW_S)
        if talked < TALK_MIN_S or recent <= TALK_RATIO_LIMIT:
            return None
        whole, _ = self._rep_share(since=0.0)
        return (
            f"You're talking {recent:.0f} % of the time",
            f"{recent:.0f} % of the last 2 minutes and {whole:.0f} % of the call is you; top "
            f"performers talk about {TALK_RATIO_TARGET} %. Ask an open question, then stay "
            "quiet through the pause.",
        )

    def _rep_share(self, *, since: float) -> tuple[float, float]:
        """The rep's share of talk after `since` (percent), and how much talk there was (s)."""
        clipped = [
            Turn(turn.speaker, max(turn.start, since), turn.end, "") for turn in self._since(since)
        ]
        rep, _ = talk_ratio(clipped)
        return rep, sum(turn.duration for turn in clipped)

    def _since(self, since: float) -> Iterator[Turn]:
        """The turns still going after `since`, newest first, without reading the whole call."""
        for turn in reversed(self._turns):
            if turn.end < since - TURN_ORDER_SLACK_S:
                return
            if turn.end > since:
                yield turn

    def _drought(self, now_s: float) -> Advice | None:
        waited = now_s - self._last_question_s
        if (
            now_s - max(self._last_question_s, self._drought_hint_s) < self._drought_s
            or self._rep_talk_since_question < DROUGHT_REP_TALK_S
        ):
            return None
        question = self._next_question()
        if question is None:
            return None
        self._drought_hint_s = now_s
        return (
            f"No question for {_minutes(waited)}",
            f"You haven't asked anything for {_minutes(waited)}. Ask: “{question}” Then "
            "follow up on their answer before moving on.",
        )

    def _early_pitch(self) -> Advice | None:
        asked = len(self._rep_questions)
        if self._pitch_hinted or asked >= QUESTIONS_BEFORE_PITCH:
            return None
        question = self._next_question()
        if question is None:
            return None
        self._pitch_hinted = True
        plural = "s" * (asked != 1)
        return (
            "Pitching before discovery",
            f"You've asked {asked} question{plural} so far: earn the pitch first. Ask: "
            f"“{question}”",
        )

    def _next_question(self) -> str | None:
        """The best question for this scenario not yet asked (in any words) nor suggested."""
        for question in self._bank:
            if question.text in self._suggested:
                continue
            if any(_similar(asked, question.text) for asked in self._rep_questions):
                continue
            self._suggested.add(question.text)
            return question.text
        return None

    def _fillers(self, now_s: float) -> Advice | None:
        recent = [t for t in self._since(now_s - FILLER_WINDOW_S) if t.speaker == REP]
        counts = Counter(_fillers_in(" ".join(t.text for t in recent)))
        seconds = sum(t.duration for t in recent)
        total = counts.total()
        if total < FILLER_COUNT or not seconds or total / seconds * 60 < FILLER_PER_MINUTE:
            return None
        named = ", ".join(f"“{word}” {n} times" for word, n in counts.most_common(3))
        return (
            "Filler words",
            f"{named} in the last 2 minutes. Swap them for a short silent pause: it sounds "
            "more confident.",
        )


def _cooldown(kind: str) -> float:
    return KIND_COOLDOWN_S.get(kind, COOLDOWN_S)


# "like" is left out: live, "I'd like to" and "would you like" outnumber the filler.
_FILLER = re.compile(
    r"(?<![a-z])(?:" + "|".join(re.escape(f) for f in FILLERS if f != "like") + r")(?![a-z])"
)


def _fillers_in(text: str) -> Iterator[str]:
    return (m.group(0) for m in _FILLER.finditer(re.sub(r"[^a-z ]", " ", text.lower())))


def _real_question(sentence: str) -> bool:
    """A buyer question that wants an answer: not "how are you?", "sorry?" or "..., right?"."""
    words = len(tokens(sentence))
    return (
        is_question(sentence)
        and words >= 3
        and not SMALL_TALK.search(sentence)
        and not LEADING.search(sentence)
        and not (words <= 4 and _SOCIAL_QUESTION.search(sentence))
    )


def _addresses(reply: str, question: str) -> bool:
    """Whether the rep's reply takes the buyer's question on rather than moving past it.

    An acknowledgement counts only with a question of the rep's own ("good question, what's
    behind it?"); "good question" followed by a pitch is the dodge this hint is for.
    """
    explores = any(is_question(s) for s in sentences(reply))
    return bool(
        _stems(reply) & _stems(question)
        or _ANSWER_OPENER.search(reply)
        or (ACKNOWLEDGE.search(reply) and explores)
        or _HONEST_UNKNOWN.search(reply)
        or (_QUANTITY_QUESTION.search(question) and re.search(r"\d", reply))
    )


def _quoted(line: str) -> str:
    """The buyer's words in quotes, as a sentence of their own."""
    said = quote(line, 90)
    return said if said[-2] in ".?!…" else f"{said}."


def _unanswered(question: str) -> Advice:
    return (
        "Their question went unanswered",
        f"They asked {quote(question, 90)} and your reply moved on. Answer it in a sentence or "
        "two, or say you'll find out, then check: “Does that answer your question?”",
    )
