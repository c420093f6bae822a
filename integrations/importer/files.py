"""The PDFs an import file names: in the ZIP it came in, or in the folder next to it.

A record names its PDF by a relative file name (`pdf` column). On the command line the name
is looked up in the import file's folder (or `--files DIR`); uploaded in the admin or the
API, the import is a ZIP holding one data file and the PDFs. Stored PDFs are named by their
SHA-256, so importing the same PDF again changes nothing.
"""

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

MAX_PDF_BYTES = 20 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
DATA_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json")


@dataclass(frozen=True)
class AttachedFile:
    """A checked PDF of a record: where it is and what it holds (by digest)."""

    name: str
    digest: str

    def stored_name(self, folder: str) -> str:
        return f"{folder}/{self.digest[:2]}/{self.digest}.pdf"


class AttachedFiles:
    """No files came with the import: a record naming one is refused."""

    def read(self, name: str) -> bytes:
        raise ValidationError(
            _(
                "%(name)s: no files came with this import; upload a ZIP with the data "
                "file and the PDFs it names."
            )
            % {"name": name}
        )

    def check_pdf(self, name: str) -> AttachedFile:
        """The PDF named `name`, read and checked (present, a PDF, not too large)."""
        safe = _safe_name(name)
        content = self.read(safe)
        if not content.startswith(PDF_MAGIC):
            raise ValidationError(_("%(name)s is not a PDF.") % {"name": name})
        return AttachedFile(safe, hashlib.sha256(content).hexdigest())

    def save_pdf(self, attached: AttachedFile, field_file, folder: str) -> bool:
        """Point `field_file` at the PDF (stored once by digest); False if it already did."""
        stored = attached.stored_name(folder)
        if field_file.name == stored:
            return False
        storage = field_file.storage
        if not storage.exists(stored):
            storage.save(stored, ContentFile(self.read(attached.name)))
        field_file.name = stored
        return True

    def _too_large(self, name: str) -> ValidationError:
        return ValidationError(
            _("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": MAX_PDF_BYTES >> 20}
        )

    def _missing(self, name: str) -> ValidationError:
        return ValidationError(_("%(name)s is not among the attached files.") % {"name": name})


def _safe_name(name: str) -> str:
    """A relative name inside the folder or ZIP; no absolute paths, `..` or NUL."""
    path = PurePosixPath(name.replace("\\", "/"))
    if "\x00" in name or path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValidationError(
            _("%(name)s: give a file name relative to the import file.") % {"name": name}
        )
    return str(path)


def _normal(name: str) -> str:
    """A member name as written by any zip tool: `./a/b.pdf`, `a\\b.pdf` and `a/b.pdf` alike."""
    return str(PurePosixPath(name.replace("\\", "/")))


class FolderFiles(AttachedFiles):
    """The PDFs lie in a folder (the import file's, or one given on the command line)."""

    def __init__(self, root):
        self.root = Path(root).resolve()

    def read(self, name: str) -> bytes:
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise self._missing(name)
        if path.stat().st_size > MAX_PDF_BYTES:
            raise self._too_large(name)
        return path.read_bytes()


class ZipFiles(AttachedFiles):
    """The PDFs came in the same ZIP as the data file."""

    def __init__(self, archive: zipfile.ZipFile, folder: str = ""):
        self.archive = archive
        self.folder = PurePosixPath(folder)
        self.members = {
            _normal(info.filename): info for info in archive.infolist() if not info.is_dir()
        }

    def read(self, name: str) -> bytes:
        """`name` is relative to the data file's folder inside the ZIP."""
        info = self.members.get(_normal(str(self.folder / name)))
        if info is None:
            raise self._missing(name)
        if info.file_size > MAX_PDF_BYTES:
            raise self._too_large(name)
        with self.archive.open(info) as member:
            content = member.read(MAX_PDF_BYTES + 1)
        if len(content) > MAX_PDF_BYTES:
            raise self._too_large(name)
        return content


def is_zip(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def data_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    """The one data file (.csv or .jsonl) of an import ZIP, or None if not exactly one."""
    found = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and info.filename.lower().endswith(DATA_SUFFIXES)
        and not PurePosixPath(info.filename).name.startswith(".")
    ]
    return found[0] if len(found) == 1 else None
