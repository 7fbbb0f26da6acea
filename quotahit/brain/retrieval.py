"""Retrieval over the built-in playbook and the user's own documents, with sentence embeddings.

The local engine answers by quoting the passages that match best and saying which it used; it
never makes up text of its own.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from quotahit.brain.playbook import PLAYBOOK, Passage
from quotahit.providers.local import embeddings

CHUNK_WORDS = 120
CHUNK_OVERLAP = 30


@dataclass(frozen=True)
class Hit:
    """A retrieved passage, where it came from, and how well it matched."""

    source: str  # "playbook" or the document's name
    title: str
    text: str
    score: float


def chunk_text(text: str, *, words: int = CHUNK_WORDS, overlap: int = CHUNK_OVERLAP) -> list[str]:
    """Overlapping windows of about `words` words, split on paragraph and sentence ends."""
    tokens = re.sub(r"\s+", " ", text).strip().split(" ")
    if not tokens or tokens == [""]:
        return []
    step = max(1, words - overlap)
    return [
        " ".join(tokens[start : start + words])
        for start in range(0, len(tokens), step)
        if tokens[start : start + words]
    ][:10_000]


@functools.lru_cache(maxsize=1)
def _playbook_vectors() -> np.ndarray:
    return embeddings.embed([f"{p.title}. {p.text}" for p in PLAYBOOK], passages=True)


def search_playbook(query: str, *, top_k: int = 3) -> list[Hit]:
    """The playbook passages that best answer the question."""
    if not query.strip():
        return []
    scores = _playbook_vectors() @ embeddings.embed([query])[0]
    order = np.argsort(-scores, kind="stable")[:top_k]
    return [_hit("playbook", PLAYBOOK[int(i)], float(scores[i])) for i in order]


def _hit(source: str, passage: Passage, score: float) -> Hit:
    return Hit(source, passage.title, passage.text, round(score, 4))


@dataclass
class DocumentIndex:
    """An in-memory index of the user's documents (attachments, context uploads)."""

    names: list[str]
    chunks: list[str]
    vectors: np.ndarray

    @classmethod
    def build(cls, documents: Sequence[tuple[str, str]]) -> DocumentIndex:
        """Chunk and embed (name, text) documents."""
        names, chunks = [], []
        for name, text in documents:
            for chunk in chunk_text(text):
                names.append(name)
                chunks.append(chunk)
        return cls(names, chunks, embeddings.embed(chunks, passages=True))

    def search(self, query: str, *, top_k: int = 3) -> list[Hit]:
        """The chunks that best match the question, with the document each came from."""
        if not self.chunks or not query.strip():
            return []
        scores = self.vectors @ embeddings.embed([query])[0]
        order = np.argsort(-scores, kind="stable")[:top_k]
        return [
            Hit(
                self.names[int(i)],
                self.names[int(i)],
                self.chunks[int(i)],
                round(float(scores[i]), 4),
            )
            for i in order
        ]
