"""Markdown and PDF reports of a call analysis, including long calls and awkward characters."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pypdf
import pytest

from quotahit.analysis import export
from quotahit.analysis.export import MetricRow, timestamp, to_latin1, to_markdown, to_pdf

ANALYSED_AT = datetime(2025, 11, 25, 14, 30, tzinfo=UTC)
ROWS = [
    MetricRow("Rep talk share", "39.1 %", "35-50 %", "good", "Gong Labs, 25,537 B2B calls"),
    MetricRow(
        "Longest customer story", "86.5 s", "≥ 50 s", "good", "Gong: ≤50 s below-average close"
    ),
]


def _document(**changes: Any) -> dict[str, Any]:
    document = {
        "summary": "Jordan ran a focused discovery call and booked a working session.",
        "scores": {
            "overall": 82,
            "discovery": 88,
            "rapport": 79,
            "objectionHandling": 70,
            "nextSteps": 91,
        },
        "talkRatio": {"rep": 39.1, "prospect": 60.9},
        "strengths": ["Asked open questions about month-end close"],
        "improvements": ["Quantify the cost of late invoices"],
        "keyMoments": [
            {
                "type": "positive",
                "text": "Let the prospect tell the Memphis story",
                "timeSec": 95.0,
            },
            {"type": "improvement", "text": "Moved on before the number", "timeSec": 185.4},
        ],
        "nextSteps": ["Working session with Ben on Tuesday at ten"],
        "metrics": {"durationSec": 366.5, "repQuestions": 13},
        "transcript": [
            {"speaker": "rep", "start": 0.0, "end": 9.0, "text": "Hi Priya, it's Jordan."},
            {"speaker": "prospect", "start": 65.2, "end": 70.0, "text": "We use NetSuite today."},
        ],
    }
    return document | changes


def _export_kwargs(title: str = "Discovery: Northwind Logistics") -> dict[str, Any]:
    return {
        "title": title,
        "analysed_at": ANALYSED_AT,
        "scored_by": "local engine",
        "metric_rows": ROWS,
    }


def _pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_timestamps_are_minutes_and_seconds() -> None:
    assert timestamp(0) == "00:00"
    assert timestamp(65.9) == "01:05"
    assert timestamp(7325) == "122:05"
    assert timestamp(-3) == "00:00"


def test_markdown_has_every_section_and_timestamps() -> None:
    markdown = to_markdown(_document(), **_export_kwargs())
    for heading in (
        "# Discovery: Northwind Logistics",
        "## Summary",
        "## Scores",
        "## Talk ratio",
        "## Metrics",
        "## Strengths",
        "## Improvements",
        "## Key moments",
        "## Next steps",
        "## Transcript",
    ):
        assert heading in markdown
    assert "2025-11-25 14:30 UTC" in markdown
    assert "local engine" in markdown
    assert "| Objection handling | 70/100 |" in markdown
    assert "Rep 39.1 % / Prospect 60.9 %" in markdown
    assert "| Rep talk share | 39.1 % | 35-50 % | good | Gong Labs, 25,537 B2B calls |" in markdown
    assert "**[01:35]** Positive: Let the prospect tell the Memphis story" in markdown
    assert "**[03:05]** To improve: Moved on before the number" in markdown
    assert "**[01:05] Prospect:** We use NetSuite today." in markdown
    assert "Working session with Ben on Tuesday at ten" in markdown


def test_markdown_says_none_for_empty_lists_and_escapes_table_pipes() -> None:
    rows = [MetricRow("Talk | listen", "1", "2", "low", "x")]
    markdown = to_markdown(
        _document(nextSteps=[], strengths=[]), **(_export_kwargs() | {"metric_rows": rows})
    )
    assert markdown.split("## Next steps")[1].split("##")[0].strip() == "_None._"
    assert "Talk \\| listen" in markdown


def test_pdf_is_a_readable_pdf_with_title_scores_and_transcript() -> None:
    pdf = to_pdf(_document(), **_export_kwargs())
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "Discovery: Northwind Logistics" in text
    assert "82/100" in text
    assert "[01:05] Prospect: We use NetSuite today." in text
    assert ">= 50 s" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\u201cCurly\u201d \u2018quotes\u2019", "\"Curly\" 'quotes'"),
        ("em\u2014dash en\u2013dash\u2026", "em--dash en-dash..."),
        ("≤50 s → ≥4 min, 5 €", "<=50 s -> >=4 min, 5 EUR"),
        ("café naïve", "café naïve"),
        ("Łódź, Đorđe, Œuvre, ő", "Lódz, Dorde, OEuvre, o"),
        ("great 🎯 call 👍🏽", "great  call "),
        ("東京", "??"),
        ("a\tb\r\nc\x00", "a    b\nc"),
    ],
)
def test_text_is_transliterated_to_latin1(text: str, expected: str) -> None:
    assert to_latin1(text) == expected
    to_latin1(text).encode("latin-1")


def test_unicode_anywhere_in_the_document_does_not_break_the_pdf() -> None:
    odd = "“Deal” — signed ✅ by 田中 at Zürich… 🚀 \u200d\ufe0f\x07"
    document = _document(
        summary=odd,
        strengths=[odd],
        keyMoments=[{"type": "positive", "text": odd, "timeSec": 3.0}],
        transcript=[{"speaker": "rep", "start": 1.0, "end": 2.0, "text": odd}],
    )
    rows = [MetricRow(odd, odd, odd, odd, odd)]
    kwargs = _export_kwargs(title=odd) | {"metric_rows": rows}
    assert odd in to_markdown(document, **kwargs)
    text = _pdf_text(to_pdf(document, **kwargs))
    assert '"Deal" -- signed  by ?? at Zürich...' in text


def test_a_two_hour_call_with_long_lines_exports() -> None:
    turns = [
        {
            "speaker": "rep" if index % 2 else "prospect",
            "start": index * 8.0,
            "end": index * 8.0 + 7.5,
            "text": f"Line {index}: " + "word " * (index % 60),
        }
        for index in range(900)
    ]
    turns[10]["text"] = "x" * 2000  # a word wider than the page
    document = _document(transcript=turns, metrics={"durationSec": 7200.0})
    rows = [MetricRow("Source" * 40, "1", "2", "good", "y" * 600)]
    pdf = to_pdf(document, **(_export_kwargs() | {"metric_rows": rows}))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 30
    assert "[119:52] Rep: Line 899:" in reader.pages[-1].extract_text()
    assert to_markdown(document, **_export_kwargs()).count("] Rep:**") == 450


def test_a_sparse_document_still_exports() -> None:
    document: dict[str, Any] = {"summary": "", "transcript": []}
    markdown = to_markdown(document, **(_export_kwargs() | {"metric_rows": []}))
    assert "## Transcript" in markdown
    assert to_pdf(document, **(_export_kwargs() | {"metric_rows": []})).startswith(b"%PDF")
    assert export.NOTHING in markdown
