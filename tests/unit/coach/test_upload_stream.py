"""Streamed uploads and picker refusals: no file at all is not an empty file, and says why."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from quotahit.coach import attachments
from quotahit.coach.attachments import (
    EMPTY_FILE,
    ONE_FILE_AT_A_TIME,
    PICKER_TYPES,
    AttachmentError,
    ExtractedDocument,
    picker_refusal,
    read_streamed_upload,
)


@dataclass(frozen=True)
class Chunk:
    filename: str
    data: bytes


async def stream(*chunks: Chunk) -> AsyncIterator[Chunk]:
    for chunk in chunks:
        yield chunk


async def test_an_upload_without_any_file_reads_as_nothing_not_as_an_empty_file() -> None:
    assert await read_streamed_upload(stream()) is None


async def test_a_real_empty_file_is_refused_as_empty() -> None:
    # Reflex sends a 0-byte file as one chunk of no bytes.
    with pytest.raises(AttachmentError, match=re.escape(EMPTY_FILE)):
        await read_streamed_upload(stream(Chunk("notes.txt", b"")))


async def test_a_streamed_text_file_is_read_from_its_chunks() -> None:
    item = await read_streamed_upload(
        stream(Chunk("notes.txt", b"Renewal is "), Chunk("notes.txt", b"on March 31."))
    )
    assert item == ExtractedDocument("text", "notes.txt", "Renewal is on March 31.", 0, "")


async def test_a_caller_no_longer_signed_in_gets_nothing_but_the_stream_is_drained() -> None:
    taken: list[Chunk] = []

    async def watched() -> AsyncIterator[Chunk]:
        for chunk in (Chunk("a.txt", b"one"), Chunk("a.txt", b"two")):
            taken.append(chunk)
            yield chunk

    assert await read_streamed_upload(watched(), drain_only=True) is None
    assert len(taken) == 2


async def test_an_upload_over_the_cap_is_refused_with_its_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(attachments, "MAX_ATTACHMENT_BYTES", 10)
    with pytest.raises(AttachmentError, match=re.escape("“big.txt” is larger")):
        await read_streamed_upload(stream(Chunk("big.txt", b"x" * 6), Chunk("big.txt", b"x" * 6)))


def test_a_refused_file_is_named_with_what_the_picker_accepts() -> None:
    message = picker_refusal([{"name": "call.mp3", "codes": ["file-invalid-type"]}])
    assert message == (
        "“call.mp3” can't be added: use a PDF, an image (PNG, JPEG, WebP, GIF) "
        "or a text file (.txt, .md, .csv)."
    )


def test_the_message_names_every_kind_the_picker_offers() -> None:
    message = picker_refusal([{"name": "deck.docx", "codes": ["file-invalid-type"]}])
    for extension in (e for extensions in PICKER_TYPES.values() for e in extensions):
        named = "jpeg" if extension == ".jpg" else extension.removeprefix(".")
        assert named in message.lower(), extension


def test_more_than_one_file_at_once_asks_for_one_at_a_time() -> None:
    refused = [
        {"name": "a.pdf", "codes": ["too-many-files"]},
        {"name": "b.pdf", "codes": ["too-many-files"]},
    ]
    assert picker_refusal(refused) == ONE_FILE_AT_A_TIME


def test_a_path_is_cut_to_the_file_name_and_a_long_name_shortened() -> None:
    assert picker_refusal([{"name": "./calls/q3\\call.mp3", "codes": []}]).startswith(
        "“call.mp3” can't"
    )
    long_name = "a" * 200 + ".mp3"
    shown = picker_refusal([{"name": long_name, "codes": []}]).split("”")[0].removeprefix("“")
    assert len(shown) == 80
    assert shown.endswith("…")


@pytest.mark.parametrize(
    "refused",
    [None, "call.mp3", [], [42], [{"name": 7, "codes": "x"}], [{"name": "\x00\x07"}]],
)
def test_whatever_the_browser_sends_the_message_stays_clear(refused: object) -> None:
    assert picker_refusal(refused).startswith("This file can't be added: use a PDF")
