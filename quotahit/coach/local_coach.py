"""The coach on the built-in local engine: the playbook and the user's documents, quoted.

It never writes advice of its own. It retrieves the passages that best match the question from
the attachments and from the sales playbook, quotes them with where they came from, and says
plainly what it cannot do (see images, search the web without a key).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from quotahit.brain.retrieval import DocumentIndex, Hit, search_playbook
from quotahit.coach.prompts import Material
from quotahit.providers.web_search import SearchResult

DOCUMENT_HITS = 2
PLAYBOOK_HITS = 2
QUOTE_CHARS = 600


@dataclass(frozen=True)
class LocalCoachAnswer:
    """The composed Markdown and the materials it quoted."""

    text: str
    used: list[Material]


@functools.lru_cache(maxsize=16)
def _index(documents: tuple[tuple[str, str, str], ...]) -> DocumentIndex:
    return DocumentIndex.build([(ref, text) for ref, _digest, text in documents])


def document_hits(question: str, documents: Sequence[Material], *, top_k: int) -> list[Hit]:
    """The document chunks nearest the question (hit.source is the document's ref)."""
    if not documents:
        return []
    key = tuple(
        (doc.ref, hashlib.sha256(doc.text.encode()).hexdigest(), doc.text) for doc in documents
    )
    return _index(key).search(question, top_k=top_k)


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
    return "> " + text


def answer(
    question: str,
    *,
    documents: Sequence[Material] = (),
    web: Sequence[tuple[str, SearchResult]] = (),
    image_names: Sequence[str] = (),
) -> LocalCoachAnswer:
    """Quote the best document passages, playbook advice and web results for the question."""
    parts: list[str] = []
    used: list[Material] = []
    if image_names:
        names = ", ".join(f"“{name}”" for name in image_names)
        parts.append(
            f"*I can't see images: the built-in local engine reads text only, so {names} "
            "was not looked at. Pick a vision model (GPT-4.1 or Claude, for example) in the "
            "model menu to discuss it.*"
        )
    by_ref = {doc.ref: doc for doc in documents}
    hits = document_hits(question, documents, top_k=DOCUMENT_HITS)
    if hits:
        parts.append("**From your documents**")
        for hit in hits:
            doc = by_ref[hit.source]
            parts.append(f"{_quote(hit.text)}\n\n— {doc.title} [{doc.ref}]")
            if doc not in used:
                used.append(doc)
    advice = search_playbook(question, top_k=PLAYBOOK_HITS) if question.strip() else []
    if advice:
        parts.append("**From the built-in sales playbook**")
        for hit in advice:
            parts.append(f"*{hit.title}*: {hit.text}")
            used.append(Material(ref="", title=hit.title, text="", kind="playbook"))
    if web:
        parts.append("**From the web**")
        for ref, result in web:
            snippet = f": {' '.join(result.snippet.split())[:300]}" if result.snippet else ""
            parts.append(f"- [{result.title}]({result.url}){snippet} [{ref}]")
            used.append(Material(ref, result.title, result.snippet, url=result.url, kind="web"))
    if not hits and not advice and not web:
        parts.append("Ask a question about selling, and I will find the playbook's advice.")
    parts.append(
        "_Local engine (offline): these are quoted passages, not generated advice. Add an AI "
        "key on the API keys page for a written answer._"
    )
    return LocalCoachAnswer("\n\n".join(parts), used)
