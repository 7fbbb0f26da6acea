"""What the rep's context documents (a web page, a PDF, notes) tell the local buyer.

A model-played buyer reads the documents in its instructions. The local buyer is not a language
model, so it uses them the way a prepared buyer would, sentence by sentence:

- the rep states a figure (a price, a percentage, a count of seats or weeks) that a document
  states differently for the same thing: the buyer calls it out, quoting the document;
- the rep asks something a document answers: the buyer answers with the document's sentence;
- the rep claims something a document speaks to: the buyer quotes it back and probes.

Matching is lexical (shared content words weighted by how rare they are in the documents), so
it is instant for 24,000 characters of context, explainable, and the same every run. A sentence
is quoted at most once a call; questions and claims get a document line at most every other
turn, a contradicted figure every time.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from quotahit.practice.buyer import tokens

MAX_SENTENCES = 600
MIN_WORDS, MAX_WORDS = 4, 45
MIN_SHARED = 2  # content words a rep turn shares with a sentence before it is quoted
COMMON_SHARE = 1 / 3  # a word in more of the sentences than this (the company's name) is no match

_STOPWORD_TEXT = (
    "the and for with that this from have has had they their them our your you are was were "
    "about into than then what when where which while would could should there here just some "
    "more most very been being also only even still since does doing done make made will can "
    "how who why its it's yours ours per each every any all much many tell know like want "
    "need does did get got really think well sure okay yeah right thing things way going"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SUFFIX = re.compile(r"(?<=\w{3})(?:ing|ed|s)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\s*\n+\s*|\s+[•·▪]\s+")
_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_MONEY = re.compile(
    rf"[$€£]\s?(?P<a>{_NUMBER})\s?(?P<am>k|m|thousand|million)?\b"
    rf"|(?P<b>{_NUMBER})\s?(?P<bm>k|m|thousand|million)?\s?(?:dollars|euros|pounds|usd|eur|gbp)\b",
    re.I,
)
_PERCENT = re.compile(rf"(?P<v>{_NUMBER})\s?(?:%|percent\b|per cent\b)", re.I)
_COUNT = re.compile(rf"(?<![$€£\d.,])(?P<v>{_NUMBER})(?:\s|-)(?P<unit>[a-z]{{3,}})", re.I)
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}
_QUESTION_START = re.compile(
    r"^\s*(?:so\s+|and\s+|but\s+)?(?:what|how|who|why|when|where|which|do|does|did|is|are|can|"
    r"could|would|will|have|has|tell me)\b",
    re.I,
)

CHALLENGES = (
    "Hold on. {Source} says: {sentence} That's not what you just told me.",
    "Wait, that doesn't match {source}. It says: {sentence}",
)
ANSWERS = (
    "As {source} puts it: {sentence}",
    "Well, {source} covers that: {sentence}",
)
PROBES = (
    "I read {where}: {sentence} What does that look like for a team like ours?",
    "{source} says: {sentence} Can you show me that in practice?",
)


@dataclass(frozen=True)
class Figure:
    """A number the text states: its kind ("money", "percent", or a unit like "seat"), value."""

    kind: str
    value: float


@dataclass(frozen=True)
class Sentence:
    """One sentence of a context document, ready to match."""

    text: str
    source: str  # how the buyer names the document aloud: "the acme.com website"
    where: str  # and where something is read: "on the acme.com website"
    stems: frozenset[str]
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class ContextLine:
    """What the buyer says from the documents: `kind` is challenge, answer or probe."""

    kind: str
    text: str
    sentence: int  # index of the quoted sentence, remembered so it is never quoted twice


def stems(text: str) -> frozenset[str]:
    """Content-word stems: words over three letters, no stopwords, a plural or -ing/-ed ending
    dropped, cut to five letters ("takes" and "take", "onboarding" and "onboard" meet)."""
    return frozenset(
        _SUFFIX.sub("", word)[:5]
        for word in tokens(text)
        if len(word) > 3 and word not in _STOPWORDS and not word.isdigit()
    )


def figures(text: str) -> tuple[Figure, ...]:
    """The prices, percentages and counted things a sentence states."""
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []
    for match in _MONEY.finditer(text):
        number = match.group("a") or match.group("b")
        scale = (match.group("am") or match.group("bm") or "").lower()
        found.append(Figure("money", _value(number) * _MULTIPLIERS.get(scale, 1.0)))
        taken.append(match.span())
    for match in _PERCENT.finditer(text):
        found.append(Figure("percent", _value(match.group("v"))))
        taken.append(match.span())
    for match in _COUNT.finditer(text):
        if any(start <= match.start() < end for start, end in taken):
            continue
        unit = match.group("unit").lower()
        if unit in ("percent", "per", "dollars", "euros", "pounds"):
            continue
        found.append(Figure(unit.rstrip("s")[:5], _value(match.group("v"))))
    return tuple(found)


def _value(number: str) -> float:
    return float(number.replace(",", ""))


def spoken_name(kind: str, name: str) -> str:
    """How the buyer refers to a document aloud: "the acme.com website", "the Pricing page",
    "the Q3 board deck document"."""
    if name.startswith(("http://", "https://")):
        host = (urlsplit(name).hostname or name).removeprefix("www.")
        return f"the {host} website"
    if kind == "url":  # named by its title: "Pricing | Acme Sales Cloud"
        title = re.split(r"\s[|\-\u2013\u2014:]\s", name)[0].strip()[:60]
        return f"the {title} page" if title else "that web page"
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name)
    words = re.sub(r"[_\-\s]+", " ", stem).strip()
    return f"the {words} document" if words else "your document"


def split_sentences(text: str) -> list[str]:
    """Sentences of a document that are worth quoting (4 to 45 words)."""
    kept = []
    for piece in _SENTENCE_END.split(text):
        sentence = re.sub(r"\s+", " ", piece).strip(" -*#\t")
        if MIN_WORDS <= len(sentence.split()) <= MAX_WORDS:
            kept.append(sentence if sentence[-1] in ".!?" else sentence + ".")
    return kept


def is_question(text: str) -> bool:
    """Whether the rep asked something (speech-to-text often drops the question mark)."""
    return "?" in text or bool(_QUESTION_START.match(text))


class ContextKnowledge:
    """The sentences of the rep's context documents, indexed for the buyer."""

    def __init__(self, documents: Sequence[tuple[str, str, str]]) -> None:
        """`documents`: (kind, name, text) of each text document; images are left out."""
        self.sentences: list[Sentence] = []
        for kind, name, text in documents:
            if kind == "image" or not text.strip():
                continue
            source = spoken_name(kind, name)
            where = f"on {source}" if source.endswith((" website", " page")) else f"in {source}"
            for sentence in split_sentences(text):
                if len(self.sentences) >= MAX_SENTENCES:
                    break
                self.sentences.append(
                    Sentence(sentence, source, where, stems(sentence), figures(sentence))
                )
        frequency = Counter(stem for sentence in self.sentences for stem in sentence.stems)
        total = max(1, len(self.sentences))
        self._weight = {
            stem: math.log(1 + total / count) + 0.5 for stem, count in frequency.items()
        }
        self._common = {
            stem for stem, count in frequency.items() if count > max(2, total * COMMON_SHARE)
        }

    def __bool__(self) -> bool:
        return bool(self.sentences)

    def react(
        self, rep_text: str, *, cited: Sequence[int], quiet: bool, rng: random.Random
    ) -> ContextLine | None:
        """The buyer's line from the documents for this rep turn, if one fits.

        `cited`: sentences already quoted; `quiet`: a document line was said last turn (only a
        contradicted figure is called out then).
        """
        if not self.sentences or not rep_text.strip():
            return None
        words = stems(rep_text)
        ranked = self._ranked(words, set(cited))
        challenge = self._challenge(rep_text, ranked)
        if challenge is not None:
            index, sentence = challenge
            line = rng.choice(CHALLENGES)
            return ContextLine("challenge", _fill(line, sentence), index)
        if quiet or not ranked:
            return None
        index = ranked[0][1]
        sentence = self.sentences[index]
        if len((words & sentence.stems) - self._common) < MIN_SHARED:
            return None
        if is_question(rep_text):
            return ContextLine("answer", _fill(rng.choice(ANSWERS), sentence), index)
        return ContextLine("probe", _fill(rng.choice(PROBES), sentence), index)

    def _ranked(self, words: frozenset[str], cited: set[int]) -> list[tuple[float, int]]:
        scored = [
            (sum(self._weight[stem] for stem in words & sentence.stems), index)
            for index, sentence in enumerate(self.sentences)
            if index not in cited and words & sentence.stems
        ]
        return sorted(scored, key=lambda pair: (-pair[0], pair[1]))

    def _challenge(
        self, rep_text: str, ranked: list[tuple[float, int]]
    ) -> tuple[int, Sentence] | None:
        """A document sentence about the same thing that states the rep's figure differently."""
        said = figures(rep_text)
        if not said:
            return None
        related = [self.sentences[index] for _score, index in ranked]
        if any(_states(sentence, figure) for sentence in related for figure in said):
            return None  # a document says the same (one plan's price, not another's)
        for _score, index in ranked[:5]:
            sentence = self.sentences[index]
            for figure in said:
                same_kind = [known for known in sentence.figures if known.kind == figure.kind]
                if same_kind and all(
                    not math.isclose(known.value, figure.value) for known in same_kind
                ):
                    return index, sentence
        return None


def _states(sentence: Sentence, figure: Figure) -> bool:
    return any(
        known.kind == figure.kind and math.isclose(known.value, figure.value)
        for known in sentence.figures
    )


def _fill(line: str, sentence: Sentence) -> str:
    source = sentence.source
    text = line.format(
        source=source,
        Source=source[0].upper() + source[1:],
        where=sentence.where,
        sentence=sentence.text,
    )
    return text[0].upper() + text[1:]
