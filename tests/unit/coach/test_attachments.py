"""Attachments: kinds decided by content, hostile PDFs and images refused, URLs SSRF-checked."""

from __future__ import annotations

import io
import random
import struct
import wave
import zipfile
import zlib

import httpx
import pytest
from fpdf import FPDF
from PIL import ExifTags, Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter

from quotahit.coach import attachments
from quotahit.coach.attachments import (
    AttachmentError,
    ExtractedDocument,
    PreparedImage,
    read_image,
    read_pdf,
    read_text_file,
    read_upload,
    read_url,
    tidy_text,
)
from tests.unit.web.test_safe_fetch import (
    PUBLIC_IP,
    RecordingConnector,
    fake_resolver,
    html_response,
)


def fpdf_document(pages: int, *, words: str = "Marker{page:03d} closes the quarter") -> bytes:
    """A text PDF on tiny pages, one line of `words` per page, so hundreds of pages stay fast."""
    document = FPDF(unit="mm", format=(60, 20))
    document.set_font("helvetica", size=6)
    for page in range(1, pages + 1):
        document.add_page()
        document.text(2, 8, words.format(page=page))
    return bytes(document.output())


def encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def hand_built_pdf(stream: bytes, stream_filter: bytes = b"/FlateDecode") -> bytes:
    """A one-page PDF, written byte by byte, whose page content is `stream` under `stream_filter`.

    The page has a font so pypdf really decodes the content to look for text.
    """
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]"
        b" /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d /Filter %s >>\nstream\n%s\nendstream"
        % (len(stream), stream_filter, stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def deflated_zeros(megabytes: int) -> bytes:
    """A valid zlib stream of `megabytes` MiB of zeros, built without ever holding them.

    After a full flush the compressor restarts from an empty window, so every further MiB of
    zeros compresses to the same bytes: compress two, repeat the second. Compressing 2 GiB for
    real takes ~12 s. Adler-32 of n zero bytes is (n mod 65521) << 16 | 1.
    """
    mebibyte = bytes(1 << 20)
    compressor = zlib.compressobj(9)
    first = compressor.compress(mebibyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(mebibyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    final_empty_block = b"\x03\x00"
    checksum = (((megabytes << 20) % 65521) << 16) | 1
    return first + repeated * (megabytes - 1) + final_empty_block + checksum.to_bytes(4, "big")


def png_declaring(width: int, height: int) -> bytes:
    """A tiny 1-bit PNG whose header claims `width` x `height` pixels (its data is never read)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", checksum)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def noise(mode: str, size: tuple[int, int]) -> Image.Image:
    """Random pixels, which no codec can compress: the way to make a large file on purpose."""
    bands = len(mode)
    return Image.frombytes(mode, size, random.Random(7).randbytes(size[0] * size[1] * bands))


def test_a_pdf_is_read_page_by_page() -> None:
    document = read_pdf(fpdf_document(2), "pricing.pdf")
    assert document == ExtractedDocument(
        kind="pdf",
        name="pricing.pdf",
        text="Marker001 closes the quarter\n\nMarker002 closes the quarter",
        pages=2,
        notice="",
    )


def test_only_the_first_200_pages_of_a_long_pdf_are_read() -> None:
    document = read_pdf(fpdf_document(500), "handbook.pdf")
    assert document.pages == 200
    assert document.notice == "Only the first 200 of 500 pages were read."
    assert "Marker200" in document.text
    assert "Marker201" not in document.text


def test_pdf_reading_stops_once_it_has_enough_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attachments, "MAX_DOCUMENT_CHARS", 70)
    document = read_pdf(fpdf_document(10), "long.pdf")
    assert document.pages == 3
    assert document.notice == (
        "Only the first 3 of 10 pages were read. The text was cut at 70 characters."
    )
    assert len(document.text) == 70


def test_a_password_protected_pdf_is_refused() -> None:
    with pytest.raises(AttachmentError) as refused:
        read_pdf(encrypted(fpdf_document(2), user_password="s3cret"), "locked.pdf")
    assert str(refused.value) == (
        "This PDF is password-protected. "
        "Remove the password (print it to a new PDF) and attach it again."
    )


def test_a_pdf_encrypted_with_an_empty_password_is_read() -> None:
    document = read_pdf(encrypted(fpdf_document(2), user_password=""), "no-print.pdf")
    assert document.text == "Marker001 closes the quarter\n\nMarker002 closes the quarter"


@pytest.mark.parametrize(
    "mebibytes",
    [2048, 32],
    ids=["2-GiB", "32-MiB-under-pypdf-default-but-over-ours"],
)
def test_a_pdf_bomb_is_refused_without_inflating_it(mebibytes: int) -> None:
    bomb_stream = deflated_zeros(mebibytes)
    assert len(bomb_stream) < 3_000_000
    with pytest.raises(AttachmentError) as refused:
        read_pdf(hand_built_pdf(bomb_stream), "bomb.pdf")
    assert str(refused.value) == (
        "This PDF expands to far more data than a document should; it was not read."
    )


def test_the_bomb_builder_makes_a_valid_stream() -> None:
    assert zlib.decompress(deflated_zeros(3)) == bytes(3 << 20)


def test_a_small_hand_built_pdf_is_read() -> None:
    content = zlib.compress(b"BT /F1 12 Tf 10 10 Td (Hello from the stream) Tj ET")
    assert read_pdf(hand_built_pdf(content), "tiny.pdf").text == "Hello from the stream"


def test_page_content_adding_up_past_the_budget_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(attachments, "MAX_PDF_CONTENT_BYTES", 2_000)
    with pytest.raises(AttachmentError, match="expands to far more data"):
        read_pdf(fpdf_document(100), "many-pages.pdf")


def test_a_corrupt_compressed_stream_is_refused_as_damaged() -> None:
    garbage = b"x\x9c" + random.Random(3).randbytes(2_000_000)
    with pytest.raises(AttachmentError) as refused:
        read_pdf(hand_built_pdf(garbage), "broken.pdf")
    assert str(refused.value) == attachments.PDF_DAMAGED


def test_a_truncated_pdf_is_refused_as_damaged() -> None:
    pdf = fpdf_document(2)
    with pytest.raises(AttachmentError) as refused:
        read_pdf(pdf[: len(pdf) // 2], "half.pdf")
    assert str(refused.value) == (
        "This PDF is damaged or incomplete and could not be read. "
        "Save or print it to a new PDF and attach that."
    )


def test_a_scanned_pdf_without_a_text_layer_is_refused() -> None:
    document = FPDF()
    document.add_page()
    document.image(Image.new("RGB", (200, 100), "gray"), x=10, y=10, w=100)
    with pytest.raises(AttachmentError) as refused:
        read_pdf(bytes(document.output()), "scan.pdf")
    message = str(refused.value)
    assert "no text layer" in message
    assert "scanned image" in message
    assert "images" in message


def wav_file() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(bytes(1600))
    return buffer.getvalue()


def zip_file(entry: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, "<xml/>")
    return buffer.getvalue()


MP4_HEADER = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2\x00\x00\x00\x08mdat"


@pytest.mark.parametrize(
    ("data", "seems"),
    [
        (wav_file(), "a WAV audio file"),
        (MP4_HEADER + bytes(64), "an MP4 or QuickTime video"),
        (zip_file("notes/readme.txt"), "a ZIP archive"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(56), "a Windows program"),
    ],
)
def test_other_files_renamed_to_pdf_are_refused_by_content(data: bytes, seems: str) -> None:
    with pytest.raises(AttachmentError) as refused:
        read_upload(data, "report.pdf")
    assert str(refused.value) == f"This looks like {seems}, not a PDF, image or text file."


def test_a_word_document_is_named_with_what_to_do_instead() -> None:
    with pytest.raises(AttachmentError) as refused:
        read_upload(zip_file("word/document.xml"), "proposal.docx")
    assert str(refused.value) == (
        "This looks like a Word document, not a PDF, image or text file. "
        "Save it as a PDF and attach that."
    )


def test_unknown_binary_content_is_refused() -> None:
    with pytest.raises(AttachmentError) as refused:
        read_upload(b"\x00\x01\x02 unknown" * 10, "data.txt")
    assert str(refused.value) == attachments.NOT_READABLE


def test_upload_kind_follows_the_content_not_the_name() -> None:
    pdf = read_upload(fpdf_document(1), "notes.txt")
    image = read_upload(encoded(Image.new("RGB", (8, 8), "red"), "PNG"), "scan.pdf")
    text = read_upload(b"Call notes: budget approved.", "deck.pdf")
    assert isinstance(pdf, ExtractedDocument)
    assert pdf.kind == "pdf"
    assert isinstance(image, PreparedImage)
    assert image.mime == "image/png"
    assert isinstance(text, ExtractedDocument)
    assert (text.kind, text.text) == ("text", "Call notes: budget approved.")


def test_empty_and_oversized_uploads_are_refused() -> None:
    with pytest.raises(AttachmentError, match=r"^This file is empty\.$"):
        read_upload(b"", "empty.txt")
    with pytest.raises(AttachmentError) as refused:
        read_upload(b"a" * (attachments.MAX_ATTACHMENT_BYTES + 1), "huge.txt")
    assert str(refused.value) == "This file is 20.1 MB; the limit is 20 MB."


def test_text_is_tidied_keeping_paragraph_breaks() -> None:
    raw = "  Discovery   call\t notes \r\n\r\n\r\n\r\nBudget:\u00a0 $40k  \n next  step \x00\x07"
    assert tidy_text(raw) == "Discovery call notes\n\nBudget: $40k\nnext step"


def test_text_files_are_read_as_utf8_with_bad_bytes_replaced() -> None:
    document = read_text_file(b"\xef\xbb\xbfCaf\xc3\xa9 pitch \xff notes", "notes.md")
    assert document == ExtractedDocument("text", "notes.md", "Café pitch \ufffd notes", 0, "")


def test_utf16_text_with_a_byte_order_mark_is_read() -> None:
    document = read_text_file("Objection: price".encode("utf-16"), "objections.txt")
    assert document.text == "Objection: price"


def test_text_with_nul_bytes_is_refused_as_binary() -> None:
    with pytest.raises(AttachmentError, match="not a PDF, image or text file"):
        read_text_file(b"name,amount\nacme,\x00\x00\x00", "deals.csv")


def test_blank_text_file_is_refused() -> None:
    with pytest.raises(AttachmentError, match="no readable text"):
        read_text_file(b" \n\t\n ", "blank.txt")


def test_long_text_is_cut_with_a_notice() -> None:
    document = read_text_file(b"word " * 50_000, "long.txt")
    assert len(document.text) == attachments.MAX_DOCUMENT_CHARS
    assert document.notice == "The text was cut at 200,000 characters."


def test_an_image_over_5_mb_is_refused_with_its_size() -> None:
    data = encoded(noise("RGB", (1400, 1300)), "PNG")
    assert len(data) > attachments.MAX_IMAGE_BYTES
    assert 5_400_000 < len(data) < 5_500_000
    with pytest.raises(AttachmentError) as refused:
        read_image(data, "noise.png")
    assert str(refused.value) == "This image is 5.5 MB; the limit is 5 MB."


@pytest.mark.parametrize(
    "size",
    [(20_000, 20_000), (7_000, 7_000)],
    ids=["pillow-bomb-error", "over-our-40-megapixels"],
)
def test_an_image_with_too_many_pixels_is_refused_from_its_header(
    size: tuple[int, int],
) -> None:
    data = png_declaring(*size)
    assert len(data) < 100
    for read in (read_image, read_upload):
        with pytest.raises(AttachmentError) as refused:
            read(data, "bomb.png")
        assert str(refused.value) == attachments.IMAGE_TOO_MANY_PIXELS


def phone_photo() -> bytes:
    """A 4000x3000 JPEG, left half red and right half blue, shot with the phone on its side."""
    photo = Image.new("RGB", (4000, 3000), "red")
    photo.paste("blue", (2000, 0, 4000, 3000))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (52.0, 22.0, 1.0)}
    )
    return encoded(photo, "JPEG", exif=exif, comment=b"home office")


def test_a_large_photo_is_downscaled_turned_upright_and_stripped_of_metadata() -> None:
    prepared = read_image(phone_photo(), "whiteboard.jpg")
    result = Image.open(io.BytesIO(prepared.data))
    assert (prepared.mime, result.format) == ("image/jpeg", "JPEG")
    # Orientation 6 means the camera was turned: upright, the photo is portrait.
    assert (prepared.width, prepared.height) == result.size == (1536, 2048)
    red, blue = result.getpixel((768, 100)), result.getpixel((768, 1948))
    assert red[0] > 200 > red[2]
    assert blue[2] > 200 > blue[0]
    assert dict(result.getexif()) == {}
    assert "comment" not in result.info


def test_a_png_stays_png_with_transparency_and_without_text_chunks() -> None:
    screenshot = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    screenshot.paste((10, 120, 200, 255), (0, 0, 150, 200))
    text_chunks = PngImagePlugin.PngInfo()
    text_chunks.add_text("Author", "Jane Rep, jane@example.com")
    prepared = read_image(encoded(screenshot, "PNG", pnginfo=text_chunks), "screen.png")
    result = Image.open(io.BytesIO(prepared.data))
    assert (prepared.mime, result.format, result.size) == ("image/png", "PNG", (300, 200))
    assert result.getpixel((10, 10)) == (10, 120, 200, 255)
    assert result.getpixel((290, 10))[3] == 0
    assert "Author" not in result.info


def test_a_png_too_large_to_send_once_encoded_becomes_jpeg() -> None:
    data = encoded(noise("RGBA", (1050, 1050)), "PNG")
    # Under the upload limit, but its base64 text would be over Anthropic's 5 MiB.
    assert attachments.MAX_IMAGE_BYTES * 3 // 4 < len(data) < attachments.MAX_IMAGE_BYTES
    prepared = read_image(data, "dense.png")
    assert prepared.mime == "image/jpeg"
    assert len(prepared.data) * 4 / 3 <= attachments.MAX_IMAGE_BYTES


def test_a_gif_gives_its_first_frame_as_jpeg() -> None:
    frames = [Image.new("RGB", (64, 48), colour) for colour in ("red", "blue")]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    prepared = read_upload(data, "animation.gif")
    assert isinstance(prepared, PreparedImage)
    result = Image.open(io.BytesIO(prepared.data))
    assert (prepared.mime, result.size) == ("image/jpeg", (64, 48))
    red = result.getpixel((32, 24))
    assert red[0] > 200 > red[2]


def test_a_damaged_image_is_refused() -> None:
    data = encoded(noise("RGB", (400, 300)), "JPEG")
    with pytest.raises(AttachmentError) as refused:
        read_image(data[: len(data) // 3], "cut.jpg")
    assert str(refused.value) == attachments.IMAGE_DAMAGED


def test_a_non_image_given_to_read_image_is_refused() -> None:
    with pytest.raises(AttachmentError, match="ZIP archive"):
        read_image(zip_file("a.txt"), "photo.png")
    with pytest.raises(AttachmentError) as refused:
        read_image(b"just some text", "photo.png")
    assert str(refused.value) == "This file is not a PNG, JPEG, WebP or GIF image."


RESOLVER = fake_resolver(
    {
        "example.com": [PUBLIC_IP],
        "loopback.example": ["127.0.0.1"],
        "intranet.example": ["10.0.0.1"],
        "metadata.example": ["169.254.169.254"],
    }
)


@pytest.mark.parametrize(
    "url",
    [
        "http://loopback.example/",
        "http://intranet.example/wiki",
        "http://metadata.example/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0x7f000001/",
    ],
)
def test_urls_into_private_networks_are_refused_before_connecting(url: str) -> None:
    connector = RecordingConnector([html_response()])
    with pytest.raises(AttachmentError, match="points into a private network"):
        read_url(url, resolver=RESOLVER, connector=connector)
    assert connector.attempts == []


def test_a_redirect_to_cloud_metadata_is_refused_without_following_it() -> None:
    redirect = httpx.Response(302, headers={"location": "http://169.254.169.254/"})
    connector = RecordingConnector([redirect, html_response()])
    with pytest.raises(AttachmentError, match=r"169\.254\.169\.254 points into a private network"):
        read_url("http://example.com/", resolver=RESOLVER, connector=connector)
    assert [ip for ip, _, _ in connector.attempts] == [PUBLIC_IP]


def test_a_public_page_is_read_as_its_title_and_text() -> None:
    connector = RecordingConnector([html_response()])
    document = read_url("https://example.com/pricing", resolver=RESOLVER, connector=connector)
    assert document == ExtractedDocument(
        kind="url",
        name="Acme pricing",
        text="Plans\nStarter costs $10.\nOne seat\nEmail",
        pages=0,
        notice="",
    )
    assert [ip for ip, _, _ in connector.attempts] == [PUBLIC_IP]


def test_a_page_without_a_title_is_named_by_its_url() -> None:
    page = html_response("<p>Only a paragraph.</p>")
    document = read_url(
        "http://example.com/a", resolver=RESOLVER, connector=RecordingConnector([page])
    )
    assert (document.name, document.text) == ("http://example.com/a", "Only a paragraph.")


def test_a_page_without_readable_text_is_refused() -> None:
    page = html_response("<title>Empty</title><script>app()</script>")
    with pytest.raises(AttachmentError, match=r"^This page has no readable text\.$"):
        read_url("http://example.com/", resolver=RESOLVER, connector=RecordingConnector([page]))
