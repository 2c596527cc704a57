"""Uploads are judged by their bytes, never by their name or claimed content type."""

import hashlib
import io
import re
import struct
import zipfile
import zlib
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from fpdf import FPDF

from secportal import uploads
from secportal.uploads import MB, CheckedUpload, UploadRejected, check_upload, stored_name

EVERYTHING = (
    "This file is not a PDF, PowerPoint (PPTX), Word (DOCX), Excel (XLSX), PNG or JPEG file, whatever its name says."
)


def make_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="MP084 Modification Report")
    return bytes(pdf.output())


def make_png() -> bytes:
    """A 1x1 red RGB image, chunk by chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # width, height, depth, RGB, defaults
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte, then R G B
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def make_zip(*names: str, comment: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, "<x/>")
        archive.comment = comment
    return buffer.getvalue()


def make_office(folder: str, main: str) -> bytes:
    return make_zip("[Content_Types].xml", "_rels/.rels", f"{folder}/{main}", f"{folder}/_rels/{main}.rels")


DOCX = make_office("word", "document.xml")
XLSX = make_office("xl", "workbook.xml")
PPTX = make_office("ppt", "presentation.xml")


def with_zip64_end_records(data: bytes, *, entries: int | None = None) -> bytes:
    """The same archive with ZIP64 end records (claiming `entries` members) before its end record."""
    at = data.rindex(b"PK\x05\x06")
    _, _, _, _, count, size, offset, _ = struct.unpack_from("<4s4H2LH", data, at)
    entries = count if entries is None else entries
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, size, offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, at, 1)
    return data[:at] + record + locator + data[at:]


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "content", "kind", "content_type", "extension"),
    [
        ("report.pdf", make_pdf(), "pdf", "application/pdf", ".pdf"),
        ("chart.png", make_png(), "png", "image/png", ".png"),
        ("photo.jpeg", JPEG, "jpeg", "image/jpeg", ".jpg"),
        (
            "legal-text.docx",
            DOCX,
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".docx",
        ),
        ("votes.xlsx", XLSX, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
        (
            "slides.pptx",
            PPTX,
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ".pptx",
        ),
    ],
)
def test_accepted_types(name, content, kind, content_type, extension):
    file = upload(name, content)

    checked = check_upload(file, max_bytes=MB)

    assert checked == CheckedUpload(
        kind=kind,
        content_type=content_type,
        extension=extension,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    assert file.tell() == 0


def test_name_and_claimed_type_are_ignored():
    checked = check_upload(upload("notes.txt", make_pdf(), "text/plain"))
    assert checked.kind == "pdf"


def test_html_named_pdf_is_rejected():
    file = upload("report.pdf", b"<!doctype html><html><body>%PDF-</body></html>", "application/pdf")

    with pytest.raises(UploadRejected) as excinfo:
        check_upload(file)

    assert excinfo.value.message == EVERYTHING
    assert file.tell() == 0


@pytest.mark.parametrize(
    "content",
    [
        make_zip("readme.txt", "data/values.csv"),  # a plain ZIP
        make_zip("[Content_Types].xml", "other/part.xml"),  # no Word, Excel or PowerPoint parts
        make_zip("word/document.xml"),  # Office-like parts but no [Content_Types].xml
        b"PK\x03\x04 not really a zip",
    ],
)
def test_zip_that_is_not_office_is_rejected(content):
    with pytest.raises(UploadRejected) as excinfo:
        check_upload(upload("legal-text.docx", content))
    assert excinfo.value.message == EVERYTHING


def test_office_file_with_a_comment_is_accepted():
    content = make_zip("[Content_Types].xml", "word/document.xml", comment=b"PK made by a tool " * 100)
    assert check_upload(upload("legal-text.docx", content)).kind == "docx"


def test_macro_enabled_office_file_is_rejected():
    content = make_zip("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin")
    with pytest.raises(UploadRejected, match="macros"):
        check_upload(upload("legal-text.docx", content))


def test_zip_with_too_many_members_is_rejected_before_it_is_opened(monkeypatch):
    content = make_zip("[Content_Types].xml", *(f"word/media/image{i}.png" for i in range(5)))
    monkeypatch.setattr(uploads, "MAX_ZIP_MEMBERS", 5)
    opened = []
    monkeypatch.setattr(zipfile, "ZipFile", lambda *args, **kwargs: opened.append(args))

    with pytest.raises(UploadRejected):
        check_upload(upload("legal-text.docx", content))
    assert opened == []


def test_zip64_end_records_are_read():
    assert check_upload(upload("legal-text.docx", with_zip64_end_records(DOCX))).kind == "docx"
    with pytest.raises(UploadRejected):
        check_upload(upload("legal-text.docx", with_zip64_end_records(DOCX, entries=10**9)))


def test_empty_file_is_rejected():
    with pytest.raises(UploadRejected) as excinfo:
        check_upload(upload("report.pdf", b""))
    assert excinfo.value.message == "This file is empty."


def test_oversize_file_is_rejected_naming_the_limit():
    file = upload("report.pdf", b"%PDF-" + b"x" * MB)

    with pytest.raises(UploadRejected) as excinfo:
        check_upload(file, max_bytes=MB)

    assert excinfo.value.message == "This file is larger than the 1 MB limit."
    assert file.tell() == 0


def test_file_exactly_at_the_limit_is_accepted():
    content = b"%PDF-" + b"x" * (MB - 5)
    assert check_upload(upload("report.pdf", content), max_bytes=MB).size == MB


def test_limit_defaults_to_the_setting(settings):
    settings.SECPORTAL_UPLOAD_MAX_BYTES = MB // 2

    with pytest.raises(UploadRejected) as excinfo:
        check_upload(upload("report.pdf", b"%PDF-" + b"x" * (MB // 2)))

    assert excinfo.value.message == "This file is larger than the 0.5 MB limit."


@pytest.mark.parametrize(
    ("allowed", "message"),
    [
        ({"pdf"}, "This file is not a PDF file, whatever its name says."),
        ({"xlsx"}, "This file is not an Excel (XLSX) file, whatever its name says."),
        ({"jpeg", "pdf"}, "This file is not a PDF or JPEG file, whatever its name says."),
    ],
)
def test_type_outside_allowed_is_rejected(allowed, message):
    with pytest.raises(UploadRejected) as excinfo:
        check_upload(upload("chart.png", make_png()), allowed=allowed)
    assert excinfo.value.message == message


@pytest.mark.parametrize("allowed", [{"pdf", "exe"}, set()])
def test_unknown_or_no_allowed_kinds_are_a_programming_error(allowed):
    with pytest.raises(ValueError, match="allowed"):
        check_upload(upload("report.pdf", make_pdf()), allowed=allowed)


def test_plain_file_objects_work_too():
    content = make_png()
    file = io.BytesIO(content)
    file.seek(3)

    checked = check_upload(file)

    assert (checked.kind, checked.size, checked.sha256) == ("png", len(content), hashlib.sha256(content).hexdigest())
    assert file.tell() == 0


def test_stored_name_is_generated(monkeypatch):
    # 23:30 UTC on 30 June is already July in London (BST).
    monkeypatch.setattr(uploads.timezone, "now", lambda: datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    checked = check_upload(upload("../../etc/passwd.pdf", make_pdf()))

    first = stored_name(checked, prefix="papers")
    second = stored_name(checked, prefix="papers/")

    assert re.fullmatch(r"papers/2026/07/[0-9a-f]{32}\.pdf", first)
    assert re.fullmatch(r"papers/2026/07/[0-9a-f]{32}\.pdf", second)
    assert first != second
