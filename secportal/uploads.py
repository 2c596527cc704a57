"""Checking uploads by what they contain (magic bytes), never by the name they arrive with.

`check_upload` reads the file once, hashing it and sniffing its type; `stored_name` then gives it
a generated name, so nothing the uploader chose ever reaches the storage path.
"""

import hashlib
import os
import struct
import uuid
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.utils import timezone

from secportal.exceptions import ApplicationError

CHUNK_SIZE = 64 * 1024
MB = 1024 * 1024
# Real Office files have tens to a few thousand parts; the central directory is read into memory.
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_DIRECTORY_BYTES = 2 * MB


@dataclass(frozen=True)
class _Kind:
    label: str
    content_type: str
    extension: str


# In the order the "expected" message names them.
KINDS: dict[str, _Kind] = {
    "pdf": _Kind("PDF", "application/pdf", ".pdf"),
    "pptx": _Kind(
        "PowerPoint (PPTX)", "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"
    ),
    "docx": _Kind("Word (DOCX)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xlsx": _Kind("Excel (XLSX)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "png": _Kind("PNG", "image/png", ".png"),
    "jpeg": _Kind("JPEG", "image/jpeg", ".jpg"),
}
_OFFICE_FOLDERS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
_ZIP_MAGIC = b"PK\x03\x04"
# ZIP end records (APPNOTE 4.3.14-16): signature, disks, entry counts, directory size and offset, ...
_EOCD_SIGNATURE, _EOCD = b"PK\x05\x06", struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR_SIGNATURE, _ZIP64_LOCATOR = b"PK\x06\x07", struct.Struct("<4sLQL")
_ZIP64_EOCD_SIGNATURE, _ZIP64_EOCD = b"PK\x06\x06", struct.Struct("<4sQ2H2L4Q")


class UploadRejected(ApplicationError):
    """The upload is unacceptable; `message` tells the person who sent it why."""


@dataclass(frozen=True)
class CheckedUpload:
    """What the content turned out to be: a key of `KINDS`, its MIME type and extension, size and SHA-256 (hex)."""

    kind: str
    content_type: str
    extension: str
    size: int
    sha256: str


def check_upload(
    uploaded_file: IO[bytes], *, allowed: set[str] | None = None, max_bytes: int | None = None
) -> CheckedUpload:
    """Check an uploaded file's size and content type, and hash it.

    `uploaded_file` is a Django `UploadedFile` or any binary file-like object with read and seek;
    it is read in chunks and rewound afterwards. `allowed` narrows the kinds accepted (default all
    of `KINDS`); `max_bytes` defaults to `settings.SECPORTAL_UPLOAD_MAX_BYTES`.
    Raises `UploadRejected` for an empty, oversize or unrecognised file.
    """
    allowed = set(KINDS) if allowed is None else allowed
    if not allowed or not allowed <= KINDS.keys():
        raise ValueError(f"allowed must be a non-empty subset of {sorted(KINDS)}, not {sorted(allowed)}")
    if max_bytes is None:
        max_bytes = settings.SECPORTAL_UPLOAD_MAX_BYTES

    try:
        size, sha256, head = _read(uploaded_file, max_bytes)
        kind = _sniff(uploaded_file, head)
    finally:
        uploaded_file.seek(0)

    if kind not in allowed:
        labels = [KINDS[k].label for k in KINDS if k in allowed]
        expected = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"
        article = "an" if expected[0] in "AEIOU" else "a"
        raise UploadRejected(f"This file is not {article} {expected} file, whatever its name says.")
    return CheckedUpload(
        kind=kind, content_type=KINDS[kind].content_type, extension=KINDS[kind].extension, size=size, sha256=sha256
    )


def stored_name(checked: CheckedUpload, *, prefix: str) -> str:
    """A fresh storage name such as "papers/2026/07/<32 hex digits>.pdf", never the uploaded name."""
    today = timezone.localdate()
    return f"{prefix.strip('/')}/{today:%Y}/{today:%m}/{uuid.uuid4().hex}{checked.extension}"


def _read(file: IO[bytes], max_bytes: int) -> tuple[int, str, bytes]:
    """Size, SHA-256 and the first bytes of `file`, stopping as soon as it is over `max_bytes`."""
    file.seek(0)
    digest, size, head = hashlib.sha256(), 0, b""
    while chunk := file.read(CHUNK_SIZE):
        size += len(chunk)
        if size > max_bytes:
            raise UploadRejected(f"This file is larger than the {_megabytes(max_bytes)} MB limit.")
        digest.update(chunk)
        if len(head) < 8:
            head += chunk[:8]
    if size == 0:
        raise UploadRejected("This file is empty.")
    return size, digest.hexdigest(), head[:8]


def _megabytes(n: int) -> str:
    return f"{n / MB:.1f}".removesuffix(".0")


def _sniff(file: IO[bytes], head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(_ZIP_MAGIC):
        return _sniff_office(file)
    return None


def _sniff_office(file: IO[bytes]) -> str | None:
    """ "docx", "xlsx" or "pptx" for an Office Open XML package, None for any other ZIP."""
    if not _zip_directory_is_small(file):
        return None
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        return None
    if len(names) > MAX_ZIP_MEMBERS or "[Content_Types].xml" not in names:
        return None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise UploadRejected("Office files with macros are not accepted. Save it without macros and try again.")
    for kind, folder in _OFFICE_FOLDERS.items():
        if any(name.startswith(folder) for name in names):
            return kind
    return None


def _zip_directory_is_small(file: IO[bytes]) -> bool:
    """Read the ZIP's end records before zipfile loads every directory entry into memory.

    zipfile finds them the same way: the last end-record signature in the final 64 KiB + 22 bytes,
    preceded by a ZIP64 locator and record when the archive has them (whose figures then win).
    """
    file.seek(0, os.SEEK_END)
    length = file.tell()
    file.seek(max(0, length - _EOCD.size - 0xFFFF - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size))
    tail = file.read()
    at = tail.rfind(_EOCD_SIGNATURE)
    if at < 0 or len(tail) - at < _EOCD.size:
        return False
    _, _, _, _, entries, directory_size, _, _ = _EOCD.unpack_from(tail, at)
    locator = at - _ZIP64_LOCATOR.size
    if locator >= 0 and tail.startswith(_ZIP64_LOCATOR_SIGNATURE, locator):
        record = locator - _ZIP64_EOCD.size
        if record < 0 or not tail.startswith(_ZIP64_EOCD_SIGNATURE, record):
            return False
        entries, directory_size = _ZIP64_EOCD.unpack_from(tail, record)[7:9]
    return entries <= MAX_ZIP_MEMBERS and directory_size <= MAX_ZIP_DIRECTORY_BYTES
