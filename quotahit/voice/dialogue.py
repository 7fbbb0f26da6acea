"""The local buyer behind a voice call: the text role-play's dialogue manager, turn by turn.

Answers may be worked out speculatively (while the rep's pause is still being confirmed), so a
reply is computed on a copy of the buyer's memory and only committed when it is spoken.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from quotahit.practice import library
from quotahit.practice.buyer import BuyerMemory, LocalBuyer
from quotahit.practice.scenarios import get_scenario


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
    ) -> None:
        self._persona = library.persona_from_json(persona_json)
        self._scenario = get_scenario(scenario)
        self._difficulty = difficulty
        self._seed = seed
        self._memory = dict(memory) if memory else None

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
        return BuyerLine(turn.text, turn.ended, buyer.memory.to_dict())

    def commit(self, line: BuyerLine) -> None:
        """The line was spoken: the buyer now remembers it."""
        self._memory = line.memory

    @property
    def memory(self) -> dict | None:
        """The buyer's memory to store with the session (None before the first line)."""
        return self._memory
