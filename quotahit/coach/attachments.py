"""Turn what a user attaches to a coach chat into safe inputs: readable text or a prepared image.

Every upload is treated as hostile. Its kind is decided from the content, never the file name;
PDFs are parsed under tight pypdf decompression limits, images are size- and pixel-checked from
their header before a pixel is decoded and are re-encoded without metadata, and web pages go
through the SSRF-safe fetcher. A refusal is an `AttachmentError` whose text the user can act on.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import re
import socket
import zlib
from collections.abc import AsyncIterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import pypdf
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf.errors import LimitReachedError

from quotahit.web.safe_fetch import Connector, FetchRefused, Resolver, fetch_readable

logger = logging.getLogger(__name__)

MEGABYTE = 1_000_000
MAX_ATTACHMENT_BYTES = 20 * MEGABYTE
# Anthropic refuses an image whose base64 text exceeds 5 MiB; decimal megabytes stay under it.
MAX_IMAGE_BYTES = 5 * MEGABYTE
# Pillow only warns from 89 million pixels; 40 million (~160 MB as RGBA) is refused before decoding.
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_LONG_SIDE = 2048
MAX_PDF_PAGES = 200
MAX_DOCUMENT_CHARS = 200_000
# The most one PDF stream may inflate to, and the most all pages' content may add up to: pypdf
# caches every decoded stream on its reader, so the per-stream cap alone does not bound memory.
MAX_PDF_STREAM_BYTES = 16 * MEGABYTE
MAX_PDF_CONTENT_BYTES = 64 * MEGABYTE

IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
# What the browser's file picker offers (MIME type: extensions); the content still decides the kind.
PICKER_TYPES = {
    "application/pdf": [".pdf"],
    "image/png": [".png"],
    "image/jpeg": [".jpg", ".jpeg"],
    "image/webp": [".webp"],
    "image/gif": [".gif"],
    "text/plain": [".txt", ".md", ".csv"],
}
PICKER_TYPES_TEXT = "a PDF, an image (PNG, JPEG, WebP, GIF) or a text file (.txt, .md, .csv)"
JPEG_QUALITY = 85

# pypdf 7 reads its limits from a context-local Configuration; assigning the old module constants
# in pypdf.filters makes every later PdfReader raise DeprecationError.
PDF_LIMITS = {
    "maximum_declared_stream_length": MAX_ATTACHMENT_BYTES,
    "zlib_maximum_output_length": MAX_PDF_STREAM_BYTES,
    "lzw_maximum_output_length": MAX_PDF_STREAM_BYTES,
    "run_length_maximum_output_length": MAX_PDF_STREAM_BYTES,
    "brotli_maximum_output_length": MAX_PDF_STREAM_BYTES,
    "array_based_stream_maximum_output_length": MAX_PDF_STREAM_BYTES,
    # pypdf retries a broken Flate stream byte by byte in Python: ~13 s of CPU for 5 MB.
    "zlib_maximum_recovery_input_length": 0,
}

PDF_BOMB = "This PDF expands to far more data than a document should; it was not read."
PDF_DAMAGED = (
    "This PDF is damaged or incomplete and could not be read. "
    "Save or print it to a new PDF and attach that."
)
PDF_LOCKED = (
    "This PDF is password-protected. "
    "Remove the password (print it to a new PDF) and attach it again."
)
PDF_NO_TEXT = (
    "This PDF has no text layer; it looks like a scanned image. "
    "Attach its pages as images (PNG or JPEG) instead."
)
IMAGE_TOO_MANY_PIXELS = (
    f"This image has more than {MAX_IMAGE_PIXELS // 1_000_000} million pixels, "
    "too many to open safely. Make it smaller and attach it again."
)
IMAGE_DAMAGED = "This image is damaged or incomplete and could not be read."
NOT_AN_IMAGE = "This file is not a PNG, JPEG, WebP or GIF image."
NOT_READABLE = "This file is not a PDF, image or text file, so it cannot be attached."
EMPTY_FILE = "This file is empty."
ONE_FILE_AT_A_TIME = "Add one file at a time."
NO_TEXT = "This file has no readable text."
PAGE_NO_TEXT = "This page has no readable text."

_OFFICE_HINT = "Save it as a PDF and attach that."
_IMAGE_HINT = "Convert it to PNG or JPEG and attach that."
# (offset, magic bytes, what the file seems to be, what to do instead); first match wins.
_SIGNATURES: tuple[tuple[int, bytes, str, str], ...] = (
    (0, b"PK\x03\x04", "a ZIP archive", ""),
    (0, b"PK\x05\x06", "a ZIP archive", ""),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document", _OFFICE_HINT),
    (0, b"\x1f\x8b", "a gzip archive", ""),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", ""),
    (0, b"Rar!\x1a\x07", "a RAR archive", ""),
    (8, b"WAVE", "a WAV audio file", ""),
    (8, b"AVI ", "an AVI video", ""),
    (4, b"ftypheic", "a HEIC photo", _IMAGE_HINT),
    (4, b"ftypmif1", "a HEIC photo", _IMAGE_HINT),
    (4, b"ftypavif", "an AVIF image", _IMAGE_HINT),
    (4, b"ftyp", "an MP4 or QuickTime video", ""),
    (0, b"\x1a\x45\xdf\xa3", "a WebM or Matroska video", ""),
    (0, b"ID3", "an MP3 audio file", ""),
    (0, b"OggS", "an Ogg audio file", ""),
    (0, b"fLaC", "a FLAC audio file", ""),
    (0, b"MZ", "a Windows program", ""),
    (0, b"\x7fELF", "a program", ""),
    (0, b"II*\x00", "a TIFF image", _IMAGE_HINT),
    (0, b"MM\x00*", "a TIFF image", _IMAGE_HINT),
    (0, b"BM", "a BMP image", _IMAGE_HINT),
)
# An Office Open XML file is a ZIP whose first entries name its part folder.
_OFFICE_PARTS = (
    (b"word/", "a Word document"),
    (b"xl/", "an Excel workbook"),
    (b"ppt/", "a PowerPoint presentation"),
)

# NUL and lone surrogates cannot be stored in PostgreSQL text; other control codes are noise.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BLANK_LINES = re.compile(r"\n{3,}")


class AttachmentError(Exception):
    """Refused attachment; str(error) is a clear message for the user."""


@dataclass(frozen=True)
class ExtractedDocument:
    """Readable text taken from a PDF, a text file or a web page.

    Attributes:
        kind: "pdf", "url" or "text".
        name: The file name, or the page title (the URL when it has none).
        text: Tidied text, at most MAX_DOCUMENT_CHARS long.
        pages: PDF pages read, 0 for other kinds.
        notice: "" or what the user should know about how it was read (pages skipped, text cut).
    """

    kind: str
    name: str
    text: str
    pages: int
    notice: str


@dataclass(frozen=True)
class PreparedImage:
    """An image re-encoded for a vision model: at most IMAGE_LONG_SIDE, no metadata."""

    name: str
    mime: str
    data: bytes
    width: int
    height: int


def read_upload(data: bytes, name: str) -> ExtractedDocument | PreparedImage:
    """Read an uploaded file as a PDF, an image or text, judged by its content.

    The name is only a label: a video renamed to `.pdf` must be refused as a video, and a PDF
    saved without an extension must still be read.
    """
    _check_file_size(data)
    # Readers accept the header anywhere in the first 1024 bytes (PDF 1.7, Annex H).
    if b"%PDF-" in data[:1024]:
        return read_pdf(data, name)
    if _is_supported_image(data):
        return read_image(data, name)
    return read_text_file(data, name)


class UploadChunk(Protocol):
    """One piece of a file streamed in by the browser (Reflex's upload chunks are these)."""

    filename: str
    data: bytes


async def read_streamed_upload(
    chunks: AsyncIterable[UploadChunk], *, drain_only: bool = False
) -> ExtractedDocument | PreparedImage | None:
    """Receive an upload capped at MAX_ATTACHMENT_BYTES as it streams in, then read it.

    The iterator is always drained (an upload left half-read stalls the browser's next one);
    with `drain_only` (a caller who is no longer signed in) nothing is kept and None returned.
    None is also the answer when no file came at all: the picker sends an empty upload when it
    refused the only file dropped (see `picker_refusal`). A real empty file arrives as one
    chunk of no bytes and is refused.

    Raises:
        AttachmentError: too large, or not a file this reads (see `read_upload`).
    """
    data, name, too_big, received = bytearray(), "", False, False
    async for chunk in chunks:
        name, received = name or chunk.filename, True
        if too_big or drain_only:
            continue
        data.extend(chunk.data)
        if len(data) > MAX_ATTACHMENT_BYTES:
            too_big, data = True, bytearray()
    if drain_only or not received:
        return None
    if too_big:
        limit = MAX_ATTACHMENT_BYTES / 1e6
        raise AttachmentError(f"“{name}” is larger than the {limit:g} MB an attachment may be.")
    return await asyncio.to_thread(read_upload, bytes(data), name or "file")


def picker_refusal(refused: object, accepted: str = PICKER_TYPES_TEXT) -> str:
    """What to tell the user about files the browser's picker refused, naming the first one.

    Args:
        refused: `[{"name": file name, "codes": [react-dropzone error codes]}, ...]`, as
            `ui.components.dropzone_refusals` cuts it; it comes from the browser, so anything
            else is tolerated.
        accepted: What the picker takes, in words ("a PDF, an image … or a text file").
    """
    records = [r for r in refused if isinstance(r, dict)] if isinstance(refused, list) else []
    codes = {c for r in records if isinstance(r.get("codes"), list) for c in r["codes"]}
    if "too-many-files" in codes:
        return ONE_FILE_AT_A_TIME
    names = (_shown_name(r.get("name")) for r in records)
    name = next((n for n in names if n), "")
    what = f"“{name}”" if name else "This file"
    return f"{what} can't be added: use {accepted}."


def _shown_name(name: object) -> str:
    """A client-sent file name fit to show: its last part, printable, at most 80 characters."""
    if not isinstance(name, str):
        return ""
    base = _UNSTORABLE.sub("", name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base if len(base) <= 80 else base[:79] + "…"


def read_pdf(data: bytes, name: str) -> ExtractedDocument:
    """The text of up to MAX_PDF_PAGES pages of a PDF, refused when it is unsafe or unreadable."""
    _check_file_size(data)
    with pypdf.apply_configuration(**PDF_LIMITS), _unreadable_as(PDF_DAMAGED, name):
        try:
            return _read_pdf_text(data, name)
        except LimitReachedError as error:
            # With recovery turned off a broken Flate stream also ends here, from a zlib error.
            if isinstance(error.__cause__, zlib.error):
                raise
            logger.warning("Refused PDF %r over pypdf limits: %s", name, error)
            raise AttachmentError(PDF_BOMB) from error


def read_text_file(data: bytes, name: str) -> ExtractedDocument:
    """A .txt, .md or .csv file read as UTF-8 (bad bytes replaced); binary content is refused."""
    _check_file_size(data)
    return _document("text", name, _decode_text(data), empty_message=NO_TEXT)


def read_image(data: bytes, name: str) -> PreparedImage:
    """A PNG, JPEG, WebP or GIF (first frame) scaled down, re-encoded and stripped of metadata.

    PNG stays PNG so screenshots keep sharp text; everything else becomes JPEG, as does a PNG
    too large to send once re-encoded.
    """
    if not data:
        raise AttachmentError(EMPTY_FILE)
    if len(data) > MAX_IMAGE_BYTES:
        raise _too_big("image", len(data), MAX_IMAGE_BYTES)
    with _unreadable_as(IMAGE_DAMAGED, name):
        image = _open_image(data)
        source_format = image.format
        image = _scaled_down(image)
        if source_format == "PNG":
            encoded = _encode(image, "PNG")
            # The API measures the base64 text: 4 characters for every 3 bytes.
            if math.ceil(len(encoded) / 3) * 4 <= MAX_IMAGE_BYTES:
                return PreparedImage(name, "image/png", encoded, image.width, image.height)
        encoded = _encode(_flattened(image), "JPEG", quality=JPEG_QUALITY)
        return PreparedImage(name, "image/jpeg", encoded, image.width, image.height)


def read_url(
    url: str, *, resolver: Resolver = socket.getaddrinfo, connector: Connector | None = None
) -> ExtractedDocument:
    """The readable text of a public web page, named by its title.

    Args:
        url: The address the user pasted.
        resolver: `getaddrinfo`-compatible name lookup; tests inject a fake.
        connector: Sends a pinned request; tests inject one that opens no socket.
    """
    try:
        fetched = fetch_readable(url, resolver=resolver, connector=connector)
    except FetchRefused as error:
        raise AttachmentError(str(error)) from error
    return _document("url", fetched.title or fetched.url, fetched.text, empty_message=PAGE_NO_TEXT)


def tidy_text(text: str) -> str:
    """Collapse runs of spaces inside lines and of blank lines, keeping paragraph breaks."""
    lines = (" ".join(line.split()) for line in _UNSTORABLE.sub("", text).splitlines())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _read_pdf_text(data: bytes, name: str) -> ExtractedDocument:
    reader = pypdf.PdfReader(io.BytesIO(data))
    # pypdf has already tried the empty password; many "protected" PDFs only restrict printing.
    if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
        raise AttachmentError(PDF_LOCKED)
    total = len(reader.pages)
    texts: list[str] = []
    characters = content_bytes = 0
    for page in reader.pages[:MAX_PDF_PAGES]:
        contents = page.get_contents()
        content_bytes += len(contents.get_data()) if contents is not None else 0
        if content_bytes > MAX_PDF_CONTENT_BYTES:
            raise LimitReachedError(f"Page content exceeds {MAX_PDF_CONTENT_BYTES} bytes.")
        texts.append(tidy_text(page.extract_text()))
        characters += len(texts[-1])
        if characters >= MAX_DOCUMENT_CHARS:
            break
    notices = []
    if len(texts) < total:
        notices.append(f"Only the first {len(texts)} of {total} pages were read.")
    return _document(
        "pdf",
        name,
        "\n\n".join(texts),
        pages=len(texts),
        notices=notices,
        empty_message=PDF_NO_TEXT,
    )


def _document(
    kind: str,
    name: str,
    text: str,
    *,
    empty_message: str,
    pages: int = 0,
    notices: list[str] | None = None,
) -> ExtractedDocument:
    text = tidy_text(text)
    if not text:
        raise AttachmentError(empty_message)
    notices = list(notices or [])
    if len(text) > MAX_DOCUMENT_CHARS:
        text = text[:MAX_DOCUMENT_CHARS]
        notices.append(f"The text was cut at {MAX_DOCUMENT_CHARS:,} characters.")
    return ExtractedDocument(kind, name, text, pages, " ".join(notices))


@contextmanager
def _unreadable_as(message: str, name: str) -> Iterator[None]:
    """Refuse with `message` when a parser fails on a broken or hostile file.

    Parsers raise all sorts on malformed input (KeyError, struct.error, RecursionError, ...), so
    anything but our own refusal is logged with the file name and becomes `message`.
    """
    try:
        yield
    except AttachmentError:
        raise
    except Exception as error:
        logger.warning("Could not read attachment %r: %s: %s", name, type(error).__name__, error)
        raise AttachmentError(message) from error


def _check_file_size(data: bytes) -> None:
    if not data:
        raise AttachmentError(EMPTY_FILE)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise _too_big("file", len(data), MAX_ATTACHMENT_BYTES)


def _too_big(what: str, size: int, limit: int) -> AttachmentError:
    return AttachmentError(f"This {what} is {_megabytes(size)}; the limit is {_megabytes(limit)}.")


def _megabytes(size: int) -> str:
    """A size in MB, rounded up so a file just over a limit never reads as equal to it."""
    tenths = -(-size * 10 // MEGABYTE)
    return f"{tenths / 10:g} MB"


def _decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data:
        raise AttachmentError(_not_readable_message(data))
    return data.decode("utf-8-sig", errors="replace")


def _not_readable_message(data: bytes) -> str:
    """Name what a refused binary file seems to be, so the user knows what to do instead."""
    seems = _office_document(data) or _signature(data)
    if seems is None:
        return NOT_READABLE
    what, hint = seems
    return f"This looks like {what}, not a PDF, image or text file. {hint}".strip()


def _signature(data: bytes) -> tuple[str, str] | None:
    for offset, magic, what, hint in _SIGNATURES:
        if data.startswith(magic, offset):
            return what, hint
    return None


def _office_document(data: bytes) -> tuple[str, str] | None:
    if not data.startswith(b"PK\x03\x04"):
        return None
    head = data[:65536]
    return next(((kind, _OFFICE_HINT) for part, kind in _OFFICE_PARTS if part in head), None)


def _is_supported_image(data: bytes) -> bool:
    """Whether Pillow recognises the content as an image format we accept (header only)."""
    try:
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS):
            return True
    except Image.DecompressionBombError:
        return True
    except UnidentifiedImageError:
        return False


def _open_image(data: bytes) -> Image.Image:
    """Open an image lazily, refusing it from its header when it has too many pixels."""
    try:
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except Image.DecompressionBombError as error:
        raise AttachmentError(IMAGE_TOO_MANY_PIXELS) from error
    except UnidentifiedImageError as error:
        raise AttachmentError(_not_image_message(data)) from error
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise AttachmentError(IMAGE_TOO_MANY_PIXELS)
    return image


def _not_image_message(data: bytes) -> str:
    message = _not_readable_message(data)
    return NOT_AN_IMAGE if message == NOT_READABLE else message


def _scaled_down(image: Image.Image) -> Image.Image:
    """The first frame, at most IMAGE_LONG_SIDE on its long side and turned upright."""
    # Pillow resizes palette and 1-bit images with nearest neighbour, which shreds text.
    if image.mode in {"P", "PA", "1"} and max(image.size) > IMAGE_LONG_SIDE:
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    # In place and before the transpose, so a large JPEG is decoded at a reduced scale.
    image.thumbnail((IMAGE_LONG_SIDE, IMAGE_LONG_SIDE), Image.Resampling.LANCZOS)
    return ImageOps.exif_transpose(image)


def _flattened(image: Image.Image) -> Image.Image:
    """An RGB image for JPEG: transparent areas become white."""
    if not image.has_transparency_data:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _encode(image: Image.Image, image_format: str, **options: int) -> bytes:
    """Encode the pixels only: EXIF (GPS, camera), XMP, ICC, comments and text chunks go."""
    image.info = {key: value for key, value in image.info.items() if key == "transparency"}
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()
