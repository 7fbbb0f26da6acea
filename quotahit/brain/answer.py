"""How the local engine answers a question without a language model: it quotes what it found.

The answer is the best-matching playbook passages (and the user's documents, when given), each
with its title and source, so the user sees exactly what the advice rests on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quotahit.brain.retrieval import DocumentIndex, Hit, search_playbook

INTRO = "From the built-in sales playbook (Local, offline):"


@dataclass(frozen=True)
class LocalAnswer:
    """The composed answer and the passages it quotes."""

    text: str
    sources: list[Hit]


def answer(
    question: str, *, documents: Sequence[tuple[str, str]] = (), top_k: int = 2
) -> LocalAnswer:
    """Quote the passages that best answer the question, documents first when they match."""
    hits: list[Hit] = []
    if documents:
        hits += DocumentIndex.build(documents).search(question, top_k=top_k)
    hits += search_playbook(question, top_k=top_k)
    hits = sorted(hits, key=lambda hit: hit.score, reverse=True)[:top_k]
    if not hits:
        return LocalAnswer(
            "Ask a question about selling, and I will find the playbook's advice.", []
        )
    parts = [INTRO if all(hit.source == "playbook" for hit in hits) else "From what I found:"]
    for hit in hits:
        where = "playbook" if hit.source == "playbook" else f"your document “{hit.source}”"
        parts.append(f"{hit.title} ({where}): {hit.text}")
    return LocalAnswer("\n\n".join(parts), hits)
