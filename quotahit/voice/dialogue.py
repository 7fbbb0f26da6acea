"""The local buyer behind a voice call: the text role-play's dialogue manager, turn by turn,
knowing what the rep's context documents say (`practice/buyer_context.py`).

Answers may be worked out speculatively (while the rep's pause is still being confirmed), so a
reply is computed on a copy of the buyer's memory and only committed when it is spoken.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass

from quotahit.practice import library
from quotahit.practice.buyer import BuyerMemory, LocalBuyer
from quotahit.practice.buyer_context import ContextKnowledge
from quotahit.practice.scenarios import get_scenario

CITED_KEY = "context_cited"  # kept in the buyer's memory: document sentences already quoted
LAST_CITED_KEY = "context_turn"  # and the turn that last quoted one
MISMATCH_COST = 0.05  # warmth a rep loses when a figure contradicts their own documents


@dataclass(frozen=True)
class BuyerLine:
    """What the buyer says next, whether that ends the call, and the memory after it."""

    text: str
    ended: bool
    memory: dict


class BuyerBrain:
    """One persona in one scenario, remembering the call so far."""

    def __init__(
        self,
        *,
        persona_json: str,
        scenario: str,
        difficulty: str,
        seed: int,
        memory: dict | None = None,
        context: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        self._persona = library.persona_from_json(persona_json)
        self._scenario = get_scenario(scenario)
        self._difficulty = difficulty
        self._seed = seed
        self._memory = dict(memory) if memory else None
        self._documents = tuple(context)

    @functools.cached_property
    def _context(self) -> ContextKnowledge:
        """Built at the first answer, which runs off the event loop (~15 ms for 24,000 chars)."""
        return ContextKnowledge(self._documents)

    def _buyer(self) -> LocalBuyer:
        copied = json.loads(json.dumps(self._memory)) if self._memory else None
        memory = BuyerMemory.from_dict(copied) if copied else None
        return LocalBuyer(
            self._persona, self._scenario, self._difficulty, memory=memory, seed=self._seed
        )

    def opening(self) -> BuyerLine:
        """The buyer's first words (committed at once)."""
        buyer = self._buyer()
        turn = buyer.opening()
        line = BuyerLine(turn.text, turn.ended, buyer.memory.to_dict())
        self.commit(line)
        return line

    def answer(self, rep_text: str) -> BuyerLine:
        """The reply to `rep_text` ("" means the rep went quiet); nothing is committed yet."""
        buyer = self._buyer()
        turn = buyer.reply(rep_text)
        memory = buyer.memory.to_dict()
        cited = list(self._memory.get(CITED_KEY, [])) if self._memory else []
        last = self._memory.get(LAST_CITED_KEY, -9) if self._memory else -9
        memory[CITED_KEY], memory[LAST_CITED_KEY] = cited, last
        if not self._context or turn.ended:
            return BuyerLine(turn.text, turn.ended, memory)
        line = self._context.react(
            rep_text,
            cited=cited,
            quiet=buyer.memory.turns - last <= 1,
            rng=random.Random(self._seed * 7919 + buyer.memory.turns),
        )
        if line is None:
            return BuyerLine(turn.text, turn.ended, memory)
        # The document line is the buyer's whole answer: it already responds to what the rep
        # said, and the dialogue manager's reply would answer the same words a second time.
        memory[CITED_KEY], memory[LAST_CITED_KEY] = [*cited, line.sentence], buyer.memory.turns
        if line.kind == "challenge":
            memory["warmth"] = max(0.0, float(memory.get("warmth", 0.0)) - MISMATCH_COST)
        return BuyerLine(line.text, False, memory)

    def commit(self, line: BuyerLine) -> None:
        """The line was spoken: the buyer now remembers it."""
        self._memory = line.memory

    @property
    def memory(self) -> dict | None:
        """The buyer's memory to store with the session (None before the first line)."""
        return self._memory
