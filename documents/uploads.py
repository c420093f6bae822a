"""Checks on files that customers and staff upload: request attachments, replies,
photos of meters, files of messages to customers.

A file is accepted only when its extension is on the allow-list, its content is what
the extension claims, nothing in it could run as a page in a browser, and, when a
ClamAV daemon is configured (documents.virus_scan), clamd finds nothing in it. The
content type we report is decided here from the content, never taken from the browser.

Accepted files are kept under generated names in the private storage and served only as
downloads (`Content-Disposition: attachment`, this content type, `nosniff`). PDFs may
carry JavaScript, often inside compressed object streams no byte scan can read: they are
accepted, never shown inline, and left to clamd's PDF signatures when it is configured.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
import warnings
import weakref
import zipfile
from dataclasses import dataclass
from typing import IO, NoReturn

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image

from . import virus_scan

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
MAX_NAME_LENGTH = 200
FALLBACK_STEM = "attachment"

# What a ZIP-based document (docx, xlsx, odt, ods) may unpack to.
MAX_ZIP_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_ZIP_MEMBERS = 1000
# Deflate never grows data by more than a few bytes per 16 kB block: a member packed
# larger than this declares a size smaller than its data (a zip bomb hiding its size).
MAX_ZIP_PACKED_OVERHEAD = 1024

SCAN_CHUNK_BYTES = 64 * 1024

# Markers of content a browser would run, searched case-insensitively in every file:
# they catch HTML renamed to .txt and images with a page appended (polyglots).
ACTIVE_CONTENT_MARKERS = (
    b"<script",
    b"<html",
    b"<svg",
    b"<iframe",
    b"javascript:",
    b"<!doctype html",
)
# A tag name counts only where a browser ends it (space, "/" or ">"): random bytes of a
# compressed photo spell "<svg" about once in 500 MB, "<svg " 35 times less often.
ACTIVE_CONTENT = re.compile(
    rb"<(?:script|html|svg|iframe)[\s/>]|javascript:|<!doctype\s+html", re.IGNORECASE
)

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TEXT = "text/plain"
CSV = "text/csv"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"

CONTENT_TYPES = {
    ".pdf": PDF,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".png": PNG,
    ".txt": TEXT,
    ".csv": CSV,
    ".docx": DOCX,
    ".xlsx": XLSX,
    ".odt": ODT,
    ".ods": ODS,
}
ALLOWED_EXTENSIONS = tuple(CONTENT_TYPES)

MAGIC = {
    PDF: b"%PDF-",
    PNG: b"\x89PNG\r\n\x1a\n",
    JPEG: b"\xff\xd8\xff",
    DOCX: b"PK\x03\x04",
    XLSX: b"PK\x03\x04",
    ODT: b"PK\x03\x04",
    ODS: b"PK\x03\x04",
}
PILLOW_FORMATS = {PNG: "PNG", JPEG: "JPEG"}
OOXML = {DOCX, XLSX}
ODF = {ODT, ODS}
TEXTS = {TEXT, CSV}
TEXT_ENCODINGS = ("utf-8-sig", "cp1250")


@dataclass(frozen=True)
class CheckedUpload:
    """An attachment that passed every check, with a name that is safe to show."""

    name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class _Scan:
    size: int
    head: bytes
    has_active_content: bool
    is_text: bool


# Uploads already accepted in this process: a form checks its files and the service it
# hands them to checks them again; the second time must not stream them to clamd again.
_accepted: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def check_upload(upload) -> CheckedUpload:
    """Accept one uploaded file or raise ValidationError naming it.

    The upload is left at position 0 so the caller can save it.
    """
    if isinstance(upload, UploadedFile) and upload in _accepted:
        return _accepted[upload]
    checked = _check_upload(upload)
    if isinstance(upload, UploadedFile):
        _accepted[upload] = checked
    return checked


def _check_upload(upload) -> CheckedUpload:
    name = clean_name(upload.name or "")
    content_type = CONTENT_TYPES.get(_extension(name).lower())
    if content_type is None:
        _refuse(
            _("%(name)s: files of this type cannot be attached. Allowed: %(allowed)s."),
            "type_not_allowed",
            name,
            allowed=", ".join(ALLOWED_EXTENSIONS),
        )
    try:
        if upload.size is not None and upload.size > MAX_FILE_BYTES:
            _refuse_too_large(name)
        scan = _scan(upload, content_type)
        if scan.size == 0:
            _refuse(_("%(name)s: the file is empty."), "empty", name)
        if scan.size > MAX_FILE_BYTES:
            _refuse_too_large(name)
        magic = MAGIC.get(content_type)
        if magic is not None and not scan.head.startswith(magic):
            _refuse_mismatch(name)
        if scan.has_active_content:
            _refuse(
                _("%(name)s: the file contains web page code and cannot be attached."),
                "active_content",
                name,
            )
        if content_type in TEXTS and not scan.is_text:
            _refuse(
                _("%(name)s: the file is not plain text in UTF-8 or Windows-1250 encoding."),
                "not_text",
                name,
            )
        if content_type in PILLOW_FORMATS:
            _check_image(upload, name, PILLOW_FORMATS[content_type])
        if content_type in OOXML or content_type in ODF:
            _check_zip(upload, name, content_type)
        if virus_scan.is_enabled():
            _check_viruses(upload, name)
    finally:
        upload.seek(0)
    return CheckedUpload(name=name, content_type=content_type, size=scan.size)


def check_uploads(uploads: list) -> list[CheckedUpload]:
    """Accept all the files of one request, or raise one ValidationError listing every refusal."""
    if len(uploads) > MAX_FILES:
        raise ValidationError(
            ngettext(
                "You can attach at most %(max)d file.",
                "You can attach at most %(max)d files.",
                MAX_FILES,
            ),
            code="too_many_files",
            params={"max": MAX_FILES},
        )
    checked = []
    errors = []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return checked


def clean_name(raw: str) -> str:
    """The original file name reduced to something safe to show and store as a label.

    Only the last path component is kept (either separator), control and formatting
    characters (including bidirectional overrides that disguise extensions) are dropped,
    whitespace is collapsed, and the stem is shortened so the whole fits the limit.
    """
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    kept = "".join(
        " " if char.isspace() else char
        for char in base
        if char.isspace() or unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )
    name = " ".join(kept.split())
    extension = _extension(name)
    stem = name[: len(name) - len(extension)].strip()
    stem = stem[: max(MAX_NAME_LENGTH - len(extension), 0)].rstrip()
    return ((stem or FALLBACK_STEM) + extension)[:MAX_NAME_LENGTH]


def _extension(name: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    return dot + suffix if dot else ""


def _scan(upload: IO[bytes], content_type: str) -> _Scan:
    """Read the file once, in chunks: its size, first bytes, markers and text encoding."""
    overlap = max(len(marker) for marker in ACTIVE_CONTENT_MARKERS)
    check_text = content_type in TEXTS
    decoders = [codecs.getincrementaldecoder(encoding)() for encoding in TEXT_ENCODINGS]
    decodable = [True] * len(decoders)
    has_nul = False
    head = b""
    tail = b""
    size = 0
    upload.seek(0)
    while chunk := upload.read(SCAN_CHUNK_BYTES):
        if not head:
            head = chunk[:16]
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            break
        window = tail + chunk.lower()
        if ACTIVE_CONTENT.search(window):
            return _Scan(size=size, head=head, has_active_content=True, is_text=False)
        tail = window[-overlap:]
        if check_text:
            has_nul = has_nul or b"\x00" in chunk
            for index, decoder in enumerate(decoders):
                decodable[index] = decodable[index] and _decodes(decoder, chunk)
    if check_text:
        for index, decoder in enumerate(decoders):
            decodable[index] = decodable[index] and _decodes(decoder, b"", final=True)
    is_text = check_text and not has_nul and any(decodable)
    return _Scan(size=size, head=head, has_active_content=False, is_text=is_text)


def _decodes(decoder: codecs.IncrementalDecoder, chunk: bytes, final: bool = False) -> bool:
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError:
        return False
    return True


def _check_image(upload: IO[bytes], name: str, expected_format: str) -> None:
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                actual_format = image.format
                image.verify()
    except Exception:  # Pillow reports damage through many exception types.
        _refuse_damaged(name)
    if actual_format != expected_format:
        _refuse_mismatch(name)


def _check_zip(upload: IO[bytes], name: str, content_type: str) -> None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
            _check_zip_members(members, name)
            _check_zip_document(archive, name, content_type)
            _check_zip_integrity(archive, members)
    except ValidationError:
        raise
    except Exception:  # broken, encrypted or oddly compressed: zipfile and zlib raise many types
        _refuse_damaged(name)


def _check_zip_members(members: list[zipfile.ZipInfo], name: str) -> None:
    """Refuse archives that would unpack out of place or out of proportion (zip bombs)."""
    if len(members) > MAX_ZIP_MEMBERS:
        _refuse_unsafe_archive(name)
    total = 0
    for member in members:
        path = member.filename.replace("\\", "/")
        if path.startswith("/") or ".." in path.split("/") or path[1:2] == ":":
            _refuse_unsafe_archive(name)
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > MAX_ZIP_UNCOMPRESSED_BYTES or ratio > MAX_ZIP_RATIO:
            _refuse_unsafe_archive(name)
        if member.compress_size > member.file_size * 1.01 + MAX_ZIP_PACKED_OVERHEAD:
            _refuse_unsafe_archive(name)


def _check_zip_document(archive: zipfile.ZipFile, name: str, content_type: str) -> None:
    names = set(archive.namelist())
    if content_type in OOXML:
        if "[Content_Types].xml" not in names:
            _refuse_mismatch(name)
        return
    if "mimetype" not in names:
        _refuse_mismatch(name)
    with archive.open("mimetype") as member:
        declared = member.read(len(content_type) + 1)
    if declared.strip() != content_type.encode("ascii"):
        _refuse_mismatch(name)


def _check_zip_integrity(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    """Unpack every member, discarding the data, so damage and lying headers come out here.

    zipfile stops each member at its declared size and checks its CRC, so the work is
    bounded by the sizes already checked.
    """
    for member in members:
        with archive.open(member) as stream:
            while stream.read(SCAN_CHUNK_BYTES):
                pass


def _check_viruses(upload: IO[bytes], name: str) -> None:
    """Refuse what clamd finds harmful, and, failing closed, what it could not scan."""
    try:
        verdict = virus_scan.scan(upload)
    except virus_scan.ScannerUnavailable as error:
        logger.warning("Upload %r refused: the virus scanner is unavailable (%s)", name, error)
        _refuse(
            _(
                "%(name)s: the file could not be checked for viruses just now. "
                "Please try again later."
            ),
            "scan_unavailable",
            name,
        )
    if not verdict.clean:
        logger.warning("Upload %r refused: clamd found %s", name, verdict.signature)
        _refuse(
            _("%(name)s: the virus scanner found harmful content in the file."),
            "infected",
            name,
        )


def _refuse(message: str, code: str, name: str, **params) -> NoReturn:
    raise ValidationError(message, code=code, params={"name": name, **params})


def _refuse_too_large(name: str) -> NoReturn:
    _refuse(
        _("%(name)s is larger than %(limit)d MB."),
        "too_large",
        name,
        limit=MAX_FILE_BYTES // (1024 * 1024),
    )


def _refuse_mismatch(name: str) -> NoReturn:
    _refuse(
        _("%(name)s: the content of the file does not match its extension."),
        "content_mismatch",
        name,
    )


def _refuse_damaged(name: str) -> NoReturn:
    _refuse(_("%(name)s: the file is damaged and cannot be read."), "damaged", name)


def _refuse_unsafe_archive(name: str) -> NoReturn:
    _refuse(
        _("%(name)s: the document is packed in a way we cannot safely open."),
        "unsafe_archive",
        name,
    )
