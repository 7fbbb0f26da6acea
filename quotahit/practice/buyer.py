"""The local buyer: our own dialogue manager for text role-play when no AI provider key is set.

Not a language model. The buyer tracks how warm it feels, where the sale stands, what it has
revealed and which objection is still open, and answers from phrase banks and the persona's own
notes. Embeddings tell it what the rep asked about, so a good question earns the matching pain.
The memory is plain data the practice service keeps between turns; the same seed and history
always give the same buyer.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from quotahit.brain.intents import Intent, detect_intent
from quotahit.practice import buyer_lines as lines
from quotahit.practice.personas import Objection, Persona
from quotahit.practice.scenarios import DIFFICULTIES, Scenario
from quotahit.providers.local import embeddings

STAGES = ("opening", "discovery", "solution", "objections", "commitment", "closed")
START_WARMTH = {"easy": 0.5, "medium": 0.35, "hard": 0.2}
# Scenarios that begin later in the sale, and the objection kinds the buyer opens with there.
START_STAGE = {
    "objection_handling": "objections",
    "negotiation": "objections",
    "closing": "commitment",
}
OPENING_OBJECTION = {
    "objection_handling": (),
    "negotiation": ("price",),
    "closing": ("timing", "authority"),
}
MONOLOGUE_WORDS = 80
AGREE_WARMTH = 0.6
HANG_UP_WARMTH = 0.05
HANG_UP_AFTER_TURNS = {"hard": 3, "medium": 6}
OBJECTIONS_TO_HANDLE = {"easy": 1, "medium": 1, "hard": 2}
LAST_LINES_KEPT = 40
ECHO_RUN = 5
MAX_SENTENCES = 3
GIST_CHARS = 320
# multilingual-e5 puts unrelated sentences near 0.8 and close paraphrases near 0.9 (see the
# embeddings module); these sit between, measured on the built-in personas.
WIN_SIMILARITY = 0.87
ANSWER_SIMILARITY = 0.87
RELEVANCE_SIMILARITY = 0.86
# Ties between a pain and a goal go to the pain (pains move the sale), and between a persona's
# own objection and a generic one to the persona's.
PAIN_BIAS = 0.01
OWN_OBJECTION_BIAS = 0.03
BONUS_REVEAL_WARMTH = 0.45

GAINS = {
    "open_question": 0.08,
    "closed_question": 0.02,
    "qualification": 0.06,
    "summary": 0.1,
    "handled": 0.1,
    "answered": 0.05,
    "win": 0.08,
    "relevant_pitch": 0.04,
    "greeting": 0.02,
}
LOSSES = {
    "early_pitch": 0.12,
    "monologue": 0.1,
    "early_price": 0.08,
    "early_close": 0.08,
    "ignored": 0.08,
    "irrelevant_pitch": 0.04,
    "small_talk": 0.03,
    "stacked": 0.03,
}
POSITIVE_SCALE = {"easy": 1.3, "medium": 1.0, "hard": 0.75}
NEGATIVE_SCALE = {"easy": 0.7, "medium": 1.0, "hard": 1.3}

_OPEN_QUESTION = re.compile(
    r"\b(how|what|why|who|which|where|when|walk me|tell me|talk me|describe|explain)\b", re.I
)
_ACKNOWLEDGES = re.compile(
    r"\b(understand\w*|fair|hear you|hear that|makes sense|good point|valid|appreciate|get that|"
    r"get it|totally|i see|of course|reasonable|concern\w*|you're right|agree|sounds like)\b",
    re.I,
)
_SUMMARY_CUE = re.compile(
    r"\b(if i heard|so you|you mentioned|you said|what i'm hearing|sounds like|to recap|"
    r"let me make sure|in other words|if i understand)\b",
    re.I,
)
_NEXT_STEP_WORDS = re.compile(
    r"\b(book|schedule|calendar|invite|meet|meeting|set up|next step|pilot|trial|contract|"
    r"sign|get started|follow[- ]up|demo)\b",
    re.I,
)
_ASKS_IF_AI = re.compile(
    r"\b(are you (an? )?(ai|bot|robot|machine|real person|human)|chat ?gpt|language model|llm)\b",
    re.I,
)
_STOPWORD_TEXT = (
    "the and for with that this from have has had they their them our your you are was were "
    "about into than then what when where which while would could should there here just "
    "some more most very been being also only even still since does doing done make made"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WEEKDAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday)\b", re.I)
_CHATTY = re.compile(r"chatty|talkative|friendly|enthusiastic|stories|warm", re.I)
_TERSE = re.compile(r"terse|short|economical|formal|flat|reserved", re.I)


def tokens(text: str) -> list[str]:
    """Lower-case words without punctuation or apostrophes: the unit of the no-echo rule."""
    return re.findall(r"[^\W_]+", text.lower().replace("'", "").replace("\u2019", ""))


def _runs(words: Sequence[str], size: int = ECHO_RUN) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return n > 0 and any(list(haystack[i : i + n]) == list(needle) for i in range(len(haystack)))


def _gist(text: str) -> str:
    """The opening and the close of a long message: what it is about and what it asks.

    Embedding time grows with length, and a rep pasting a page should not stall the reply.
    """
    if len(text) <= GIST_CHARS:
        return text
    head = GIST_CHARS * 3 // 5
    return f"{text[:head]} ... {text[-(GIST_CHARS - head) :]}"


def _stems(text: str) -> set[str]:
    """Content-word stems, to see whether the rep played back what the buyer said."""
    return {word[:5] for word in tokens(text) if len(word) > 3 and word not in _STOPWORDS}


@dataclass
class BuyerMemory:
    """Everything the buyer remembers between turns; stored as JSON by the practice service.

    Pain, goal and objection numbers index the buyer's own lists: the persona's, followed by
    generic ones when the persona has none (pains, goals) or few (objections, see
    `buyer_lines.fallback_objections`).
    """

    stage: str = "opening"
    warmth: float = 0.35
    turns: int = 0
    pains_revealed: list[int] = field(default_factory=list)
    goals_revealed: list[int] = field(default_factory=list)
    objections_raised: list[int] = field(default_factory=list)
    open_objection: int | None = None
    last_lines: list[str] = field(default_factory=list)
    agreed_next_step: bool = False

    @classmethod
    def start(cls, scenario: Scenario, difficulty: str) -> BuyerMemory:
        """A fresh buyer: warmth set by difficulty, stage by how far into the sale it begins."""
        return cls(stage=START_STAGE.get(scenario.slug, "opening"), warmth=START_WARMTH[difficulty])

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> BuyerMemory:
        """Rebuild from `to_dict` output; unknown keys are ignored so old rows keep loading."""
        known = {item.name for item in fields(cls)}
        memory = cls(**{key: value for key, value in data.items() if key in known})
        if memory.stage not in STAGES:
            raise ValueError(f"Unknown buyer stage {memory.stage!r}; valid: {STAGES}")
        return memory

    @property
    def handled(self) -> int:
        """Objections raised and no longer open."""
        return len(self.objections_raised) - (self.open_objection is not None)


@dataclass(frozen=True)
class BuyerTurn:
    """One buyer line and the state after it; `ended` means the buyer hung up or wrapped up."""

    text: str
    stage: str
    warmth: float
    intent: str
    ended: bool


@dataclass(frozen=True)
class _Knowledge:
    """The persona's material with fallbacks, and its embeddings (computed once per persona)."""

    pains: tuple[str, ...]
    goals: tuple[str, ...]
    objections: tuple[Objection, ...]
    own_objections: int
    pain_vectors: np.ndarray
    goal_vectors: np.ndarray
    objection_vectors: np.ndarray
    win_vectors: np.ndarray


@functools.lru_cache(maxsize=32)
def _vectors(texts: tuple[str, ...]) -> np.ndarray:
    """Keyed by the texts, not the persona, so custom personas loaded from rows cache too."""
    return embeddings.embed(texts)


def _knowledge(persona: Persona) -> _Knowledge:
    """The persona's material, embedded in one call the first time this persona is played."""
    pains = tuple(persona.pains) or lines.GENERIC_PAINS
    goals = tuple(persona.goals) or lines.GENERIC_GOALS
    objections = tuple(persona.objections) + lines.fallback_objections(persona)
    wins = tuple(persona.what_wins_them)
    vectors = _vectors(pains + goals + tuple(o.line for o in objections) + wins)
    cuts = np.cumsum([len(pains), len(goals), len(objections)])
    pain_vectors, goal_vectors, objection_vectors, win_vectors = np.split(vectors, cuts)
    return _Knowledge(
        pains,
        goals,
        objections,
        len(persona.objections),
        pain_vectors,
        goal_vectors,
        objection_vectors,
        win_vectors,
    )


@dataclass(frozen=True)
class _Reading:
    """What the rep's message did, in the terms the buyer reacts to."""

    text: str
    intent: Intent
    vector: np.ndarray
    runs: set[tuple[str, ...]]
    monologue: bool
    questions: int
    open_question: bool
    acknowledges: bool
    wins: bool
    overlap: int
    summary: bool
    proposes_next_step: bool
    asks_if_ai: bool


@dataclass
class _Slot:
    """One sentence (or two) of the reply: candidates best first, and what saying it commits."""

    options: list[str]
    priority: int
    effect: Callable[[], None] | None = None


@dataclass
class _Plan:
    """One turn's reaction before it is said: the mood change and the sentences, in order."""

    gain: float = 0.0
    loss: float = 0.0
    slots: list[_Slot] = field(default_factory=list)
    pitched_relevant: bool = False
    ended: bool = False


class LocalBuyer:
    """Plays one persona in one scenario; rebuild it from `memory` each turn to continue."""

    def __init__(
        self,
        persona: Persona,
        scenario: Scenario,
        difficulty: str,
        *,
        memory: BuyerMemory | None = None,
        seed: int = 0,
    ) -> None:
        if difficulty not in DIFFICULTIES:
            raise ValueError(f"Unknown difficulty {difficulty!r}; valid: {', '.join(DIFFICULTIES)}")
        self.persona = persona
        self.scenario = scenario
        self.difficulty = difficulty
        self.seed = seed
        self.memory = memory if memory is not None else BuyerMemory.start(scenario, difficulty)
        self._known = _knowledge(persona)
        self._rng = random.Random(seed + self.memory.turns)
        style = f"{persona.communication_style} {persona.personality}"
        self._chatty = persona.patience >= 0.7 or bool(_CHATTY.search(style))
        self._terse = not self._chatty and bool(_TERSE.search(persona.communication_style))

    def opening(self) -> BuyerTurn:
        """The first line: the persona's greeting, adapted to how this scenario begins."""
        self._rng = random.Random(self.seed + self.memory.turns)
        plan = _Plan()
        said = lines.sentences(self.persona.opening_line)
        first_name = (self.persona.name.split() or ["me"])[0]
        greeting = said[0] if said else f"Hi, this is {first_name}."
        slug = self.scenario.slug
        if slug == "cold_call":
            plan.slots.append(_Slot([f"{first_name} speaking.", f"This is {first_name}."], 2))
            self._say(plan, lines.COLD_CALL_OPENERS, 2)
            self._say(plan, lines.COLD_CALL_BUSY, 2)
        elif slug in OPENING_OBJECTION:
            plan.slots.append(_Slot([greeting], 2))
            self._raise(plan, None, kinds=OPENING_OBJECTION[slug], lead=False)
        elif slug in lines.SCENARIO_OPENERS:
            plan.slots.append(_Slot([greeting], 2))
            self._say(plan, lines.SCENARIO_OPENERS[slug], 2)
        else:
            plan.slots.append(_Slot([" ".join(said) or greeting], 3))
        return self._finish(plan, set(), "none")

    def reply(self, rep_message: str) -> BuyerTurn:
        """React to one rep message: update warmth and stage, then answer in character."""
        memory = self.memory
        memory.turns += 1
        self._rng = random.Random(self.seed + memory.turns)
        plan = _Plan()
        text = rep_message.strip()
        if memory.stage == "closed":
            plan.ended = True
            self._say(plan, lines.WRAP_UPS["agreed" if memory.agreed_next_step else "ended"], 3)
            return self._finish(plan, _runs(tokens(text)), "none")
        if not text:
            self._say(plan, lines.DROPOUTS, 2)
            return self._finish(plan, set(), "none")
        reading = self._read(text)
        self._react(plan, reading)
        self._update_warmth(plan)
        self._maybe_hang_up(plan)
        return self._finish(plan, reading.runs, reading.intent.name, reading)

    def _read(self, text: str) -> _Reading:
        gist = _gist(text)
        intent = detect_intent(gist)
        words = tokens(text)
        revealed = [self._known.pains[i] for i in self.memory.pains_revealed] + [
            self._known.goals[i] for i in self.memory.goals_revealed
        ]
        vector = embeddings.embed([gist])[0]
        wins = self._known.win_vectors @ vector
        small_talk = intent.name in ("greeting", "rapport")
        stems = _stems(text)
        overlap = max((len(stems & _stems(item)) for item in revealed), default=0)
        return _Reading(
            text=text,
            intent=intent,
            vector=vector,
            runs=_runs(words),
            monologue=len(words) > MONOLOGUE_WORDS,
            questions=max(text.count("?"), int(intent.is_question)),
            open_question=intent.is_question and bool(_OPEN_QUESTION.search(text)),
            acknowledges=bool(_ACKNOWLEDGES.search(text)),
            wins=bool(wins.size) and float(wins.max()) >= WIN_SIMILARITY and not small_talk,
            overlap=overlap,
            summary=intent.name not in ("pitch", "pricing")
            and (
                (overlap >= 2 and bool(_SUMMARY_CUE.search(text)))
                or (overlap >= 3 and not intent.is_question)
            ),
            proposes_next_step=intent.name == "next_step"
            and (intent.confidence >= 0.03 or bool(_NEXT_STEP_WORDS.search(text))),
            asks_if_ai=bool(_ASKS_IF_AI.search(text)),
        )

    def _react(self, plan: _Plan, reading: _Reading) -> None:
        if reading.asks_if_ai:
            self._say(plan, lines.AI_DEFLECTIONS, 2)
        if reading.monologue:
            plan.loss += LOSSES["monologue"]
            self._say(plan, lines.INTERRUPTIONS, 2)
        if reading.questions >= 3 and not reading.monologue:
            plan.loss += LOSSES["stacked"]
            self._say(plan, lines.STACKED_QUESTIONS, 1)
        if reading.wins:
            plan.gain += GAINS["win"]
            self._say(plan, lines.WIN_ACKNOWLEDGEMENTS, 1)
        if self._answer_objection(plan, reading):
            return
        if reading.summary:
            plan.gain += GAINS["summary"]
            self._say(plan, lines.SUMMARY_CONFIRMS, 2)
            if not reading.proposes_next_step:
                # Feeling heard, a warm buyer offers the next thing on their mind unasked.
                if self.memory.warmth >= BONUS_REVEAL_WARMTH:
                    self._reveal(plan, reading, bridge=True)
                return
        self._by_intent(plan, reading)

    def _by_intent(self, plan: _Plan, reading: _Reading) -> None:
        name, memory = reading.intent.name, self.memory
        if reading.proposes_next_step:
            self._next_step(plan, reading)
        elif name == "pitch":
            self._pitch(plan, reading)
        elif name == "pricing":
            self._pricing(plan, reading)
        elif name in ("greeting", "rapport") and memory.turns <= 2:
            plan.gain += GAINS["greeting"]
            tone = "cold_call" if self.scenario.slug == "cold_call" else self._tone()
            self._say(plan, lines.GREETINGS[tone], 2)
        elif name in ("greeting", "rapport") and not reading.open_question:
            plan.loss += LOSSES["small_talk"]
            self._say(plan, lines.LATE_SMALL_TALK, 2)
        elif reading.intent.is_question:
            self._question(plan, reading)
        elif not self._maybe_raise(plan, reading):
            self._nudge(plan)

    def _question(self, plan: _Plan, reading: _Reading) -> None:
        text = reading.text.lower()
        topic = next(
            (topic for topic, rx in lines.QUALIFICATION_TOPICS.items() if rx.search(text)), None
        )
        if reading.intent.name == "qualification" and topic:
            plan.gain += GAINS["qualification"]
            self._say(plan, lines.qualification_answers(topic, self.persona), 3)
        elif reading.open_question or self.difficulty == "easy":
            plan.gain += GAINS["open_question" if reading.open_question else "closed_question"]
            self._reveal(plan, reading)
        else:
            plan.gain += GAINS["closed_question"]
            self._say(plan, lines.GUARDED_ANSWERS[self._tone()], 2)

    def _reveal(self, plan: _Plan, reading: _Reading, *, bridge: bool = False) -> None:
        """Say the unrevealed pain or goal closest to what the rep asked about."""
        memory, known = self.memory, self._known
        candidates = [
            (float(vector @ reading.vector) + PAIN_BIAS, "pain", index)
            for index, vector in enumerate(known.pain_vectors)
            if index not in memory.pains_revealed
        ] + [
            (float(vector @ reading.vector), "goal", index)
            for index, vector in enumerate(known.goal_vectors)
            if index not in memory.goals_revealed
        ]
        for _, kind, index in sorted(candidates, reverse=True):
            note = known.pains[index] if kind == "pain" else known.goals[index]
            line = lines.first_person(note, self.persona)
            if _runs(tokens(line)) & reading.runs:
                continue
            revealed = memory.pains_revealed if kind == "pain" else memory.goals_revealed
            guarded = self._tone() == "cool" or self._terse
            if bridge and kind == "pain":
                lead_ins = lines.SUMMARY_BRIDGES
            elif kind == "pain":
                lead_ins = lines.PAIN_PREFIXES["cool" if guarded else "warm"]
            else:
                lead_ins = lines.GOAL_PREFIXES
            if not reading.monologue:  # after cutting the rep off, no "good question"
                self._say(plan, lead_ins, 1)
            plan.slots.append(_Slot([line], 3, functools.partial(revealed.append, index)))
            if self._chatty and not guarded:
                suffixes = lines.PAIN_SUFFIXES if kind == "pain" else lines.GOAL_SUFFIXES
                self._say(plan, suffixes, 1)
            return
        self._say(plan, lines.ALL_SAID, 2)
        self._nudge(plan)

    def _pitch(self, plan: _Plan, reading: _Reading) -> None:
        memory = self.memory
        if not self._learned() and memory.stage in ("opening", "discovery"):
            plan.loss += LOSSES["early_pitch"]
            self._say(plan, lines.EARLY_PITCH, 2)
            self._raise(plan, reading, lead=False)
            return
        known = self._known
        # Scenarios that start late in the sale take the buyer's problems as already known.
        learned = self._learned()
        pains = memory.pains_revealed if learned else list(range(len(known.pains)))
        goals = memory.goals_revealed if learned else list(range(len(known.goals)))
        concerns = known.objection_vectors[memory.objections_raised]
        problems = np.vstack([known.pain_vectors[pains], known.goal_vectors[goals], concerns])
        similarity = float((problems @ reading.vector).max(initial=0.0))
        if similarity >= RELEVANCE_SIMILARITY or reading.overlap >= 2 or reading.wins:
            plan.gain += GAINS["relevant_pitch"]
            plan.pitched_relevant = True
            self._say(plan, lines.RELEVANT_PITCH, 2)
            self._maybe_raise(plan, reading)
        elif memory.stage in ("objections", "commitment"):
            # Late in the sale a plan the buyer cannot place yet earns a question, not a rebuke.
            self._say(plan, lines.STAGE_NUDGES["solution"], 2)
        else:
            plan.loss += LOSSES["irrelevant_pitch"]
            self._say(plan, lines.IRRELEVANT_PITCH, 2)

    def _pricing(self, plan: _Plan, reading: _Reading) -> None:
        if not self._learned() and self.memory.stage in ("opening", "discovery"):
            plan.loss += LOSSES["early_price"]
        if not self._raise(plan, reading, kinds=("price",), lead=False):
            self._say(plan, lines.PRICE_NOTED, 2)

    def _next_step(self, plan: _Plan, reading: _Reading) -> None:
        memory = self.memory
        learned = self._learned()
        if memory.warmth >= AGREE_WARMTH and (learned or memory.stage not in STAGES[:2]):
            day = _WEEKDAY.search(reading.text)
            options = lines.agreements(self.persona, day[1].capitalize() if day else None)
            self._say(plan, options, 3, effect=self._agree)
            return
        if not learned and memory.stage in STAGES[:2]:
            plan.loss += LOSSES["early_close"]
            self._say(plan, lines.NEXT_STEP_NOT_YET, 1)
        self._say(plan, lines.STALLS, 3)
        self._maybe_raise(plan, reading, lead=False)

    def _learned(self) -> bool:
        """Whether the rep has drawn out anything about the buyer's situation yet."""
        return bool(self.memory.pains_revealed or self.memory.goals_revealed)

    def _agree(self) -> None:
        self.memory.agreed_next_step = True
        self.memory.stage = "closed"

    def _answer_objection(self, plan: _Plan, reading: _Reading) -> bool:
        """Judge the rep's answer to an open objection; True when that is all the buyer says."""
        memory = self.memory
        if memory.open_objection is None:
            return False
        objection = self._known.objections[memory.open_objection]
        handles = reading.intent.name == "objection_handling" or (
            reading.acknowledges and reading.intent.is_question
        )
        vector = self._known.objection_vectors[memory.open_objection]
        if handles:
            plan.gain += GAINS["handled"]
            memory.open_objection = None
            self._say(plan, lines.OBJECTION_ACCEPTED, 2)
            self._say(plan, lines.OBJECTION_CLARIFICATIONS[objection.kind], 2)
            if memory.handled >= self._objections_needed():
                self._say(plan, lines.STAGE_NUDGES["commitment"], 1)
        elif float(vector @ reading.vector) >= ANSWER_SIMILARITY and not reading.monologue:
            plan.gain += GAINS["answered"]
            memory.open_objection = None
            self._say(plan, lines.OBJECTION_ANSWERED, 2)
            self._nudge(plan)
        else:
            plan.loss += LOSSES["ignored"]
            self._say(plan, lines.FIRM_PREFIXES, 2)
            self._say(plan, lines.FIRM_RESTATEMENTS[objection.kind], 3)
        return True

    def _maybe_raise(self, plan: _Plan, reading: _Reading, *, lead: bool = True) -> bool:
        """Raise the next objection when the sale has reached the point where buyers push back."""
        memory = self.memory
        stage = memory.stage
        if stage in ("solution", "objections", "commitment") and (
            memory.handled < self._objections_needed()
        ):
            return self._raise(plan, reading, lead=lead)
        return False

    def _raise(
        self,
        plan: _Plan,
        reading: _Reading | None,
        *,
        kinds: tuple[str, ...] = (),
        lead: bool,
    ) -> bool:
        """Raise the unraised objection (of `kinds`, if any are left) closest to the rep's words."""
        memory, known = self.memory, self._known
        unraised = [i for i in range(len(known.objections)) if i not in memory.objections_raised]
        preferred = [i for i in unraised if known.objections[i].kind in kinds] or unraised
        if not preferred or memory.open_objection is not None:
            return False

        def closeness(index: int) -> float:
            own = OWN_OBJECTION_BIAS if index < known.own_objections else 0.0
            if reading is None:
                return own - index * 0.001
            return float(known.objection_vectors[index] @ reading.vector) + own

        index = max(preferred, key=closeness)
        objection = known.objections[index]

        def raised() -> None:
            memory.objections_raised.append(index)
            memory.open_objection = index

        if lead:
            self._say(plan, lines.OBJECTION_LEADS, 1)
        generic = self._rng.sample(lines.GENERIC_OBJECTIONS[objection.kind], 2)
        options = [objection.line, *generic]
        if reading and reading.intent.name == "pricing" and objection.line.endswith("?"):
            # The rep just named a price; asking "what does it cost?" back would not follow.
            options = [*generic, objection.line]
        plan.slots.append(_Slot(options, 3, raised))
        return True

    def _objections_needed(self) -> int:
        return min(OBJECTIONS_TO_HANDLE[self.difficulty], len(self._known.objections))

    def _nudge(self, plan: _Plan) -> None:
        self._say(plan, lines.STAGE_NUDGES.get(self.memory.stage, ()), 1)

    def _say(
        self,
        plan: _Plan,
        options: Sequence[str],
        priority: int,
        effect: Callable[[], None] | None = None,
    ) -> None:
        shuffled = self._rng.sample(list(options), len(options))
        plan.slots.append(_Slot(shuffled, priority, effect))

    def _tone(self) -> str:
        if self.memory.warmth >= lines.WARM_TONE:
            return "warm"
        return "cool" if self.memory.warmth < lines.COOL_TONE else "neutral"

    def _update_warmth(self, plan: _Plan) -> None:
        impatience = 1.4 - min(max(self.persona.patience, 0.0), 1.0)
        # The warmer the buyer, the less one more good question adds.
        change = (
            plan.gain * (1.2 - self.memory.warmth) * POSITIVE_SCALE[self.difficulty]
            - plan.loss * NEGATIVE_SCALE[self.difficulty] * impatience
        )
        self.memory.warmth = round(min(max(self.memory.warmth + change, 0.0), 1.0), 4)

    def _maybe_hang_up(self, plan: _Plan) -> None:
        """A hard buyer left cold for a few turns ends the call politely, as a real one would."""
        after = HANG_UP_AFTER_TURNS.get(self.difficulty)
        if after and self.memory.turns >= after and self.memory.warmth < HANG_UP_WARMTH:
            plan.slots = []
            plan.ended = True
            self.memory.stage = "closed"
            self._say(plan, lines.HANG_UPS, 3)

    def _advance(self, reading: _Reading | None, plan: _Plan) -> None:
        """Move the sale forward on what has been said, never on the turn count alone."""
        memory, known = self.memory, self._known
        if reading is None:
            return
        if memory.stage == "opening" and (
            reading.intent.name not in ("greeting", "rapport") or memory.turns >= 2
        ):
            memory.stage = "discovery"
        pains, goals = len(memory.pains_revealed), len(memory.goals_revealed)
        if memory.stage == "discovery" and (
            pains >= min(2, len(known.pains))
            or (pains and (pains + goals >= 3 or plan.pitched_relevant))
        ):
            memory.stage = "solution"
        if memory.stage == "solution" and memory.open_objection is not None:
            memory.stage = "objections"
        if (
            memory.stage == "objections"
            and memory.open_objection is None
            and memory.handled >= self._objections_needed()
        ):
            memory.stage = "commitment"

    def _finish(
        self,
        plan: _Plan,
        rep_runs: set[tuple[str, ...]],
        intent: str,
        reading: _Reading | None = None,
    ) -> BuyerTurn:
        """Say the plan, apply what was said, move the sale on and record the line."""
        text = self._compose(plan, rep_runs)
        self._advance(reading, plan)
        memory = self.memory
        memory.last_lines = [*memory.last_lines, text][-LAST_LINES_KEPT:]
        return BuyerTurn(text, memory.stage, memory.warmth, intent, plan.ended)

    def _compose(self, plan: _Plan, rep_runs: set[tuple[str, ...]]) -> str:
        """Pick each slot's first option that is new and does not echo the rep, then check it all.

        Effects (a pain revealed, an objection raised) apply only for slots actually said, so the
        memory never claims something the buyer did not say.
        """
        said = [tokens(line) for line in self.memory.last_lines]
        chosen: list[tuple[_Slot, str]] = []
        for slot in plan.slots:
            for option in slot.options:
                words = tokens(option)
                if _runs(words) & rep_runs or any(_contains(line, words) for line in said):
                    continue
                chosen.append((slot, option))
                break
        while len(chosen) > 1 and sum(len(lines.sentences(t)) for _, t in chosen) > MAX_SENTENCES:
            lowest = min(slot.priority for slot, _ in chosen)
            del chosen[max(i for i, (slot, _) in enumerate(chosen) if slot.priority == lowest)]
        text = " ".join(option for _, option in chosen)
        if not chosen or _runs(tokens(text)) & rep_runs:
            return self._fallback(said)
        for slot, _ in chosen:
            if slot.effect is not None:
                slot.effect()
        return text

    def _fallback(self, said: list[list[str]]) -> str:
        """A reply of at most four words, so it cannot hold a five-word run of anything."""
        pairs = [
            f"{first} {second}" for first in lines.SHORT_FIRST for second in lines.SHORT_SECOND
        ]
        for pair in self._rng.sample(pairs, len(pairs)):
            if tokens(pair) not in said:
                return pair
        return pairs[0]
