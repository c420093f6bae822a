"""Attachment checks: a hostile corpus is refused by name, ordinary documents pass."""

import hashlib
import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from documents import uploads
from documents.uploads import (
    CSV,
    DOCX,
    JPEG,
    MAX_FILE_BYTES,
    MAX_FILES,
    ODS,
    ODT,
    PDF,
    PNG,
    TEXT,
    XLSX,
    CheckedUpload,
    check_upload,
    check_uploads,
    clean_name,
)

POLISH = "Zażółć gęślą jaźń, ZAŻÓŁĆ GĘŚLĄ JAŹŃ"
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
CONTENT_TYPES_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def image_bytes(image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, image_format, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx(**extra: bytes) -> bytes:
    return zip_bytes(
        {"[Content_Types].xml": CONTENT_TYPES_XML, "word/document.xml": b"<w:document/>", **extra}
    )


def odf(mimetype: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype, zipfile.ZIP_STORED)
        archive.writestr("content.xml", b"<office:document-content/>", zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def zip_with_bad_crc() -> bytes:
    """A stored member whose bytes were changed after packing: the headers still look fine."""
    good = zip_bytes(
        {"[Content_Types].xml": CONTENT_TYPES_XML, "payload.bin": b"A" * 200},
        zipfile.ZIP_STORED,
    )
    return good.replace(b"A" * 200, b"B" * 200)


def png_declaring(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00"))
        + png_chunk(b"IEND", b"")
    )


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# (file name as sent, content, name shown in the message, why it is refused)
HOSTILE = [
    (
        "scripted.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "scripted.svg",
        "type_not_allowed",
    ),
    (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>',
        "logo.svg",
        "type_not_allowed",
    ),
    ("page.html", HTML, "page.html", "type_not_allowed"),
    ("app.js", b"fetch('/api/me').then(r => r.json())", "app.js", "type_not_allowed"),
    ("setup.exe", EXE, "setup.exe", "type_not_allowed"),
    ("invoice.pdf\x00.exe", EXE, "invoice.pdf.exe", "type_not_allowed"),
    ("faktura\u202efdp.exe", EXE, "fakturafdp.exe", "type_not_allowed"),
    ("C:\\Users\\jan\\Desktop\\run.bat", b"@echo off", "run.bat", "type_not_allowed"),
    ("page.txt", HTML, "page.txt", "active_content"),
    ("frame.txt", b"see <IFRAME src=//evil.example>", "frame.txt", "active_content"),
    ("data.csv", b"a;b\n1;<ScRiPt>x</sCrIpT>\n", "data.csv", "active_content"),
    ("doctype.csv", b"<!DOCTYPE HTML>\n<p>hi", "doctype.csv", "active_content"),
    ("page.pdf", HTML, "page.pdf", "content_mismatch"),
    (
        "link.pdf",
        MINIMAL_PDF + b"<</S/URI/URI(JavaScript:alert(1))>>",
        "link.pdf",
        "active_content",
    ),
    (
        "polyglot.png",
        image_bytes("PNG") + b"<html><script>alert(1)</script></html>",
        "polyglot.png",
        "active_content",
    ),
    (
        "svg-tail.png",
        image_bytes("PNG") + b"<svg onload=alert(1)>",
        "svg-tail.png",
        "active_content",
    ),
    (
        "comment.jpg",
        image_bytes("JPEG", comment=b"<script>alert(1)</script>"),
        "comment.jpg",
        "active_content",
    ),
    ("invoice.pdf", EXE, "invoice.pdf", "content_mismatch"),
    ("photo.png", EXE, "photo.png", "content_mismatch"),
    ("photo.jpg", image_bytes("PNG"), "photo.jpg", "content_mismatch"),
    ("photo2.png", image_bytes("JPEG"), "photo2.png", "content_mismatch"),
    ("truncated.png", image_bytes("PNG")[:40], "truncated.png", "damaged"),
    ("gigapixel.png", png_declaring(100_000, 100_000), "gigapixel.png", "damaged"),
    (
        "bomb.docx",
        docx(**{"word/media/zeros.bin": bytes(60 * 1024 * 1024)}),
        "bomb.docx",
        "unsafe_archive",
    ),
    ("traversal.docx", docx(**{"../evil": b"x"}), "traversal.docx", "unsafe_archive"),
    ("absolute.docx", docx(**{"/etc/cron.d/evil": b"x"}), "absolute.docx", "unsafe_archive"),
    (
        "crowded.xlsx",
        zip_bytes({"[Content_Types].xml": CONTENT_TYPES_XML} | {f"m{i}": b"" for i in range(1000)}),
        "crowded.xlsx",
        "unsafe_archive",
    ),
    ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 64, "broken.xlsx", "damaged"),
    ("bad-crc.docx", zip_with_bad_crc(), "bad-crc.docx", "damaged"),
    (
        "plain.docx",
        zip_bytes({"readme.txt": b"no content types"}),
        "plain.docx",
        "content_mismatch",
    ),
    (
        "sheet.odt",
        odf(b"application/vnd.oasis.opendocument.spreadsheet"),
        "sheet.odt",
        "content_mismatch",
    ),
    ("renamed.ods", docx(), "renamed.ods", "content_mismatch"),
    ("huge.pdf", b"%PDF-1.4\n" + bytes(MAX_FILE_BYTES), "huge.pdf", "too_large"),
    ("empty.pdf", b"", "empty.pdf", "empty"),
    ("nul.txt", b"hello\x00world", "nul.txt", "not_text"),
    ("utf16.txt", "żółw".encode("utf-16"), "utf16.txt", "not_text"),
    ("binary.csv", b"\x81\x98\x81\x98", "binary.csv", "not_text"),
    (
        "split.txt",
        b"a" * (uploads.SCAN_CHUNK_BYTES - 4) + b"<script>alert(1)</script>",
        "split.txt",
        "active_content",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "shown", "code"), HOSTILE, ids=[case[2] for case in HOSTILE]
)
def test_hostile_file_is_refused_with_a_message_naming_it(name, content, shown, code):
    file = upload(name, content)

    with pytest.raises(ValidationError) as refused:
        check_upload(file)

    [error] = refused.value.error_list
    assert error.code == code
    [message] = refused.value.messages
    assert message.startswith(shown)
    assert file.tell() == 0


def test_the_hostile_corpus_is_large_and_varied():
    assert len(HOSTILE) >= 20
    assert len({case[2] for case in HOSTILE}) == len(HOSTILE)


def test_refusing_a_type_lists_the_allowed_ones():
    with pytest.raises(ValidationError) as refused:
        check_upload(upload("logo.svg", b"<svg/>"))

    [message] = refused.value.messages
    for extension in uploads.ALLOWED_EXTENSIONS:
        assert extension in message


def test_a_size_the_upload_understates_is_still_measured():
    file = upload("sneaky.pdf", b"%PDF-1.4\n" + bytes(MAX_FILE_BYTES))
    file.size = 100

    with pytest.raises(ValidationError) as refused:
        check_upload(file)

    assert refused.value.error_list[0].code == "too_large"


def test_a_file_of_exactly_the_limit_is_accepted():
    content = b"%PDF-1.4\n" + bytes(MAX_FILE_BYTES - 9)

    assert check_upload(upload("limit.pdf", content)).size == MAX_FILE_BYTES


@pytest.mark.parametrize("marker", uploads.ACTIVE_CONTENT_MARKERS)
def test_a_marker_split_across_any_chunk_boundary_is_found(monkeypatch, marker):
    monkeypatch.setattr(uploads, "SCAN_CHUNK_BYTES", 16)
    for cut in range(1, len(marker)):
        content = b"x" * (16 - cut) + marker.upper() + b" tail"

        with pytest.raises(ValidationError) as refused:
            check_upload(upload("notes.txt", content))

        assert refused.value.error_list[0].code == "active_content", cut


def test_an_archive_unpacking_past_the_total_limit_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ZIP_UNCOMPRESSED_BYTES", 1000)
    # Hash output does not compress, so only the total is over the limit.
    noise = [hashlib.sha256(bytes([i])).digest() for i in range(40)]
    content = docx(
        **{"word/media/a.bin": b"".join(noise[:20]), "word/media/b.bin": b"".join(noise[20:])}
    )

    with pytest.raises(ValidationError) as refused:
        check_upload(upload("large.docx", content))

    assert refused.value.error_list[0].code == "unsafe_archive"


VALID = [
    ("photo.png", image_bytes("PNG"), PNG),
    ("Photo.JPG", image_bytes("JPEG"), JPEG),
    ("scan.jpeg", image_bytes("JPEG", quality=50), JPEG),
    ("letter.pdf", MINIMAL_PDF, PDF),
    ("report.docx", docx(), DOCX),
    (
        "sheet.xlsx",
        zip_bytes({"[Content_Types].xml": CONTENT_TYPES_XML, "xl/workbook.xml": b"<x/>"}),
        XLSX,
    ),
    ("notes.odt", odf(ODT.encode()), ODT),
    ("sheet.ods", odf(ODS.encode()), ODS),
    ("odczyty.csv", f"licznik;odczyt\n{POLISH};12,5\n".encode(), CSV),
    ("bom.csv", f"{POLISH}\n".encode("utf-8-sig"), CSV),
    ("pismo.txt", f"{POLISH}\r\n".encode("cp1250"), TEXT),
    ("markup-free.txt", b"a < b and c > d; <b>bold</b> is fine", TEXT),
]


@pytest.mark.parametrize(("name", "content", "content_type"), VALID, ids=[v[0] for v in VALID])
def test_ordinary_documents_are_accepted_with_the_type_of_their_content(
    name, content, content_type
):
    file = upload(name, content)

    checked = check_upload(file)

    assert checked == CheckedUpload(name=name, content_type=content_type, size=len(content))
    assert file.tell() == 0
    assert file.read() == content


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\Windows\\win.ini.txt", "win.ini.txt"),
        ("raport\x00\nroczny\t\t2024.pdf", "raport roczny 2024.pdf"),
        ("  spaced   out .pdf  ", "spaced out.pdf"),
        ("fak\u202etura.pdf", "faktura.pdf"),
        ("Zaświadczenie.pdf", "Zaświadczenie.pdf"),
        ("Zas\u0301wiadczenie.pdf", "Zaświadczenie.pdf"),
        (".pdf", "attachment.pdf"),
        ("\x00\x01\x02.png", "attachment.png"),
        ("\x00\x1f", "attachment"),
        ("", "attachment"),
    ],
)
def test_names_are_reduced_to_a_safe_basename(raw, cleaned):
    assert clean_name(raw) == cleaned


def test_a_long_name_is_shortened_keeping_the_extension():
    name = clean_name("ż" * 300 + ".xlsx")

    assert len(name) == 200
    assert name.endswith("ż.xlsx")


def test_the_checked_name_is_the_cleaned_one():
    assert check_upload(upload("../../etc/passwd.txt", b"root:x:0:0")).name == "passwd.txt"
    assert check_upload(upload("..\\..\\passwd.txt", b"root:x:0:0")).name == "passwd.txt"
    assert check_upload(upload("pis\x00mo\n2024.txt", b"x")).name == "pismo 2024.txt"


def test_several_good_files_are_all_returned():
    files = [upload("a.pdf", MINIMAL_PDF), upload("b.png", image_bytes("PNG"))]

    checked = check_uploads(files)

    assert [(c.name, c.content_type) for c in checked] == [("a.pdf", PDF), ("b.png", PNG)]


def test_more_files_than_allowed_are_refused():
    files = [upload(f"{i}.pdf", MINIMAL_PDF) for i in range(MAX_FILES + 1)]

    with pytest.raises(ValidationError) as refused:
        check_uploads(files)

    assert refused.value.error_list[0].code == "too_many_files"
    assert str(MAX_FILES) in refused.value.messages[0]


def test_every_bad_file_is_reported_at_once():
    files = [
        upload("good.pdf", MINIMAL_PDF),
        upload("evil.svg", b"<svg/>"),
        upload("page.txt", HTML),
        upload("empty.csv", b""),
    ]

    with pytest.raises(ValidationError) as refused:
        check_uploads(files)

    messages = refused.value.messages
    assert len(messages) == 3
    assert [m.split(":")[0].split(" ")[0] for m in messages] == [
        "evil.svg",
        "page.txt",
        "empty.csv",
    ]
    assert [e.code for e in refused.value.error_list] == [
        "type_not_allowed",
        "active_content",
        "empty",
    ]


@pytest.mark.parametrize("text", [b"<svgz", b"<scripts", b"<html5", b"<iframes"])
def test_a_tag_name_counts_only_where_a_browser_ends_it(text):
    """Compressed image data spells these by chance; only "<svg>", "<svg " or "<svg/" is a tag."""
    assert check_upload(upload("notes.txt", b"a " + text + b" b")).content_type.startswith("text/")
