"""A call analysis as a Markdown or PDF report a rep can keep, print or send to a manager.

Both formats render the same `_Report`, built once from the public analysis JSON and the details
kept beside it, so they can never disagree on what a call's report says.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fpdf import FPDF

from quotahit.analysis.report import MetricRow

SCORE_LABELS = {
    "overall": "Overall",
    "discovery": "Discovery",
    "rapport": "Rapport",
    "objectionHandling": "Objection handling",
    "nextSteps": "Next steps",
}
SPEAKER_LABELS = {"rep": "Rep", "prospect": "Prospect"}
MOMENT_LABELS = {"positive": "Positive", "improvement": "To improve"}
NOTHING = "None."

# The PDF core fonts only cover latin-1 (fpdf2 raises on anything else): typographic characters
# and letters without a decomposition get a plain equivalent here, the rest is left to
# `to_latin1`. Core fonts rather than an embedded TTF, so exports need no font file on the host.
LATIN1_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": ",",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2032": "'",
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "--",
    "\u2015": "--",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "-",
    "\u2023": "-",
    "\u2043": "-",
    "\u2190": "<-",
    "\u2192": "->",
    "\u2194": "<->",
    "\u21d2": "=>",
    "\u2248": "~",
    "\u2260": "!=",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u20ac": "EUR",
    "\u0141": "L",
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u0131": "i",
    "\u0152": "OE",
    "\u0153": "oe",
    "\u2122": "(TM)",
    "\u2009": " ",
    "\u200a": " ",
    "\u202f": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\t": "    ",
}
# Emoji and other symbols, combining marks, joiners and control characters have no latin-1
# counterpart worth printing.
DROPPED_CATEGORIES = ("So", "Sk", "Mn", "Me", "Cc", "Cf", "Cs", "Co")

PAGE_MARGIN_MM = 15
BODY_FONT_SIZE = 10
LINE_MM = 5.0
SCORE_HEADER = ("Score", "Value")
SCORE_COLUMN_WIDTHS = (60, 30)
METRIC_HEADER = ("Metric", "Value", "Benchmark", "Verdict", "Source")
METRIC_COLUMN_WIDTHS = (38, 20, 28, 16, 78)


@dataclass(frozen=True)
class _Line:
    """A timed line of the report: a key moment or a transcript turn."""

    stamp: str
    label: str
    text: str


@dataclass(frozen=True)
class _Report:
    """Everything a report shows, worded and ordered, with list items on one line each."""

    title: str
    facts: list[tuple[str, str]]
    summary: str
    scores: list[tuple[str, str]]
    talk_ratio: str
    metrics: list[tuple[str, ...]]
    strengths: list[str]
    improvements: list[str]
    key_moments: list[_Line]
    next_steps: list[str]
    transcript: list[_Line]


def timestamp(seconds: float) -> str:
    """Seconds from the start as mm:ss; minutes keep counting past an hour (125:07)."""
    whole = max(0, int(seconds))
    return f"{whole // 60:02d}:{whole % 60:02d}"


def to_latin1(text: str) -> str:
    """Text the PDF core fonts can draw, as close to the original as latin-1 allows.

    Letters outside latin-1 keep their base letter where they have one ("ő" becomes "o"), emoji
    and control characters other than newlines are removed, and the rest becomes "?", as a
    latin-1 encoder would write it.
    """
    characters = []
    for character in text.replace("\r\n", "\n").replace("\r", "\n"):
        if character in LATIN1_REPLACEMENTS:
            characters.append(LATIN1_REPLACEMENTS[character])
        elif character == "\n" or " " <= character <= "~" or "\xa0" <= character <= "\xff":
            characters.append(character)
        elif unicodedata.category(character) in DROPPED_CATEGORIES:
            continue
        else:
            base = unicodedata.normalize("NFKD", character)
            kept = "".join(c for c in base if c <= "\xff" and not unicodedata.combining(c))
            characters.append(kept or "?")
    return "".join(characters)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _date(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname() or ''}".strip()


def _report(
    document: Mapping[str, Any],
    *,
    title: str,
    analysed_at: datetime,
    scored_by: str,
    metric_rows: Sequence[MetricRow],
) -> _Report:
    scores = document.get("scores", {})
    talk = document.get("talkRatio", {})
    duration = document.get("metrics", {}).get("durationSec")
    facts = [("Date", _date(analysed_at)), ("Scored by", scored_by)]
    if duration is not None:
        facts.append(("Duration", timestamp(duration)))
    return _Report(
        title=_one_line(title),
        facts=facts,
        summary=document.get("summary") or NOTHING,
        scores=[
            (label, f"{_number(scores[key])}/100")
            for key, label in SCORE_LABELS.items()
            if key in scores
        ],
        talk_ratio=(
            f"Rep {_number(talk.get('rep', 0))} % / Prospect {_number(talk.get('prospect', 0))} %"
            if talk
            else NOTHING
        ),
        metrics=[
            tuple(
                _one_line(cell)
                for cell in (row.label, row.value, row.benchmark, row.verdict, row.source)
            )
            for row in metric_rows
        ],
        strengths=[_one_line(item) for item in document.get("strengths", [])],
        improvements=[_one_line(item) for item in document.get("improvements", [])],
        key_moments=[
            _Line(
                timestamp(moment.get("timeSec", 0)),
                MOMENT_LABELS.get(moment.get("type", ""), str(moment.get("type", ""))),
                _one_line(moment.get("text", "")),
            )
            for moment in document.get("keyMoments", [])
        ],
        next_steps=[_one_line(item) for item in document.get("nextSteps", [])],
        transcript=[
            _Line(
                timestamp(turn.get("start", 0)),
                SPEAKER_LABELS.get(turn.get("speaker", ""), str(turn.get("speaker", "")).title()),
                _one_line(turn.get("text", "")),
            )
            for turn in document.get("transcript", [])
        ],
    )


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    if not rows:
        return [f"_{NOTHING}_"]
    return [
        "| " + " | ".join(header) + " |",
        "|" + " --- |" * len(header),
        *("| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows),
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _bullets(items: Iterable[str]) -> list[str]:
    lines = [f"- {item}" for item in items]
    return lines or [f"_{NOTHING}_"]


def to_markdown(
    document: Mapping[str, Any],
    *,
    title: str,
    analysed_at: datetime,
    scored_by: str,
    metric_rows: Sequence[MetricRow],
) -> str:
    """The analysis as Markdown, for pasting into a CRM note, a wiki or an email."""
    report = _report(
        document, title=title, analysed_at=analysed_at, scored_by=scored_by, metric_rows=metric_rows
    )
    lines = [f"# {report.title}", ""]
    lines += [f"- **{label}:** {value}" for label, value in report.facts]
    lines += ["", "## Summary", "", report.summary.strip(), ""]
    lines += ["## Scores", "", *_markdown_table(SCORE_HEADER, report.scores), ""]
    lines += ["## Talk ratio", "", report.talk_ratio, ""]
    lines += ["## Metrics", "", *_markdown_table(METRIC_HEADER, report.metrics), ""]
    lines += ["## Strengths", "", *_bullets(report.strengths), ""]
    lines += ["## Improvements", "", *_bullets(report.improvements), ""]
    lines += ["## Key moments", ""]
    lines += _bullets(f"**[{m.stamp}]** {m.label}: {m.text}" for m in report.key_moments)
    lines += ["", "## Next steps", "", *_bullets(report.next_steps), ""]
    lines += ["## Transcript", ""]
    for turn in report.transcript:
        lines += [f"**[{turn.stamp}] {turn.label}:** {turn.text}", ""]
    if not report.transcript:
        lines += [f"_{NOTHING}_", ""]
    return "\n".join(lines)


class _ReportPdf(FPDF):
    """The report's page layout: headings, wrapped text, tables and numbered pages."""

    def footer(self) -> None:
        """Page numbers, so a printed report can be put back in order."""
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, f"Page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        """A section heading, moved to the next page rather than left alone at the foot of one."""
        if self.will_page_break(LINE_MM * 4):
            self.add_page()
        self.ln(3)
        self.set_font("Helvetica", "B", 13)
        self.multi_cell(0, 7, to_latin1(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", BODY_FONT_SIZE)

    def paragraph(self, text: str) -> None:
        """Wrapped body text."""
        self.set_font("Helvetica", "", BODY_FONT_SIZE)
        self.multi_cell(0, LINE_MM, to_latin1(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def labelled(self, label: str, text: str) -> None:
        """A bold label followed by wrapped text on the same line ("[01:02] Rep: ...")."""
        self.set_font("Helvetica", "B", BODY_FONT_SIZE)
        self.write(LINE_MM, to_latin1(label) + " ")
        self.set_font("Helvetica", "", BODY_FONT_SIZE)
        self.write(LINE_MM, to_latin1(text))
        self.ln(LINE_MM + 1)

    def bullets(self, items: Sequence[str]) -> None:
        """A plain list, or "None." when there is nothing to list."""
        for item in items:
            self.paragraph(f"- {item}")
        if not items:
            self.paragraph(NOTHING)

    def table_of(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> None:
        """A bordered, left-aligned table whose rows wrap and whose header repeats per page."""
        if not rows:
            self.paragraph(NOTHING)
            return
        self.set_font("Helvetica", "", BODY_FONT_SIZE - 1)
        with self.table(
            width=sum(widths),
            col_widths=widths,
            align="LEFT",
            text_align="LEFT",
            line_height=LINE_MM - 0.5,
        ) as table:
            for cells in (header, *rows):
                row = table.row()
                for cell in cells:
                    row.cell(to_latin1(cell))
        self.set_font("Helvetica", "", BODY_FONT_SIZE)


def to_pdf(
    document: Mapping[str, Any],
    *,
    title: str,
    analysed_at: datetime,
    scored_by: str,
    metric_rows: Sequence[MetricRow],
) -> bytes:
    """The analysis as a printable PDF (A4, core fonts only, so it works on any install)."""
    report = _report(
        document, title=title, analysed_at=analysed_at, scored_by=scored_by, metric_rows=metric_rows
    )
    pdf = _ReportPdf(format="A4")
    pdf.set_margins(PAGE_MARGIN_MM, PAGE_MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=PAGE_MARGIN_MM + 5)
    pdf.set_title(to_latin1(report.title))
    pdf.set_creator("QuotaHit")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, to_latin1(report.title), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    for label, value in report.facts:
        pdf.labelled(f"{label}:", value)
    pdf.heading("Summary")
    pdf.paragraph(report.summary)
    pdf.heading("Scores")
    pdf.table_of(SCORE_HEADER, report.scores, SCORE_COLUMN_WIDTHS)
    pdf.heading("Talk ratio")
    pdf.paragraph(report.talk_ratio)
    pdf.heading("Metrics")
    pdf.table_of(METRIC_HEADER, report.metrics, METRIC_COLUMN_WIDTHS)
    pdf.heading("Strengths")
    pdf.bullets(report.strengths)
    pdf.heading("Improvements")
    pdf.bullets(report.improvements)
    pdf.heading("Key moments")
    for moment in report.key_moments:
        pdf.labelled(f"[{moment.stamp}] {moment.label}:", moment.text)
    if not report.key_moments:
        pdf.paragraph(NOTHING)
    pdf.heading("Next steps")
    pdf.bullets(report.next_steps)
    pdf.heading("Transcript")
    for turn in report.transcript:
        pdf.labelled(f"[{turn.stamp}] {turn.label}:", turn.text)
    if not report.transcript:
        pdf.paragraph(NOTHING)
    return bytes(pdf.output())
