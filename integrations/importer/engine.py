"""The import itself: read, validate per chunk, write per chunk, all or nothing."""

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path, PurePosixPath

from django.db import transaction
from django.utils.translation import gettext as _

from .files import AttachedFiles, FolderFiles, ZipFiles, data_member, is_zip
from .kinds import KINDS, Record
from .reading import ImportRefused, open_binary, read_rows

CHUNK_SIZE = 2000
MAX_ERRORS = 1000


@dataclass
class Report:
    """What an import did (or, refused or dry, would have done)."""

    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    records: int = 0
    errors: list = field(default_factory=list)
    refused: str = ""
    dry_run: bool = False
    partial: bool = False

    @property
    def ok(self) -> bool:
        return not self.refused and (self.partial or not self.errors)

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def error_lines(self) -> list[str]:
        return [str(error) for error in self.errors]

    def summary(self) -> str:
        counts = _("created %(created)s, updated %(updated)s, unchanged %(unchanged)s") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
        if self.refused:
            return _("Refused: %(reason)s") % {"reason": self.refused}
        if self.errors and not self.partial:
            return _("Refused: %(count)s invalid rows; nothing was written.") % {
                "count": len(self.errors)
            }
        if self.dry_run:
            return _("Dry run (nothing written): %s") % counts
        return counts


class _RollBack(Exception):
    pass


def _chunks(iterator, size):
    while chunk := list(islice(iterator, size)):
        yield chunk


def import_file(
    kind: str,
    path_or_file,
    *,
    partial: bool = False,
    dry_run: bool = False,
    files: AttachedFiles | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Report:
    """Import one ERP file of `kind`, upserting by external_id.

    Without `partial` one invalid row writes nothing (the import is one transaction);
    with it, the valid rows are written and the report lists the others. Importing the
    same file twice changes nothing the second time: unchanged rows are not saved.
    A ZIP holds the data file and the PDFs its records name; a file given by path finds
    them in its folder unless `files` says where.
    """
    if kind not in KINDS:
        raise ImportRefused(
            _("Unknown kind %(kind)s; known: %(known)s") % {"kind": kind, "known": ", ".join(KINDS)}
        )
    spec = KINDS[kind]()
    report = Report(kind=kind, dry_run=dry_run, partial=partial)
    binary, name = open_binary(path_or_file)
    if files is None and isinstance(path_or_file, str | Path):
        files = FolderFiles(Path(path_or_file).parent)
    try:
        with transaction.atomic():
            try:
                data, name, spec.files = _unpack(binary, name, files or AttachedFiles())
                _run(spec, data, name, report, partial, progress, chunk_size)
            except ImportRefused as refusal:
                report.refused = str(refusal)
            if not report.ok or dry_run:
                raise _RollBack
    except _RollBack:
        pass
    finally:
        if isinstance(path_or_file, str) or hasattr(path_or_file, "__fspath__"):
            binary.close()
    if not report.ok and not report.refused:
        report.created = report.updated = report.unchanged = 0
    if report.refused:
        report.created = report.updated = report.unchanged = 0
    return report


def _unpack(binary, name: str, files: AttachedFiles):
    """The data stream, its name and the attached files: a ZIP brings its own."""
    head = binary.peek(4)[:4] if hasattr(binary, "peek") else b""
    if not head and hasattr(binary, "seek"):
        head = binary.read(4)
        binary.seek(0)
    if not is_zip(head):
        return binary, name, files
    try:
        archive = zipfile.ZipFile(binary)
    except zipfile.BadZipFile as error:
        raise ImportRefused(_("The ZIP file cannot be read: %s") % error) from error
    member = data_member(archive)
    if member is None:
        raise ImportRefused(
            _("The ZIP must hold exactly one data file (.csv or .jsonl) next to the PDFs.")
        )
    folder = str(PurePosixPath(member.filename.replace("\\", "/")).parent)
    return archive.open(member), member.filename, ZipFiles(archive, folder)


def _run(spec, binary, name, report, partial, progress, chunk_size) -> None:
    columns, rows = read_rows(binary, name)
    problems = spec.check_columns(columns)
    if problems:
        raise ImportRefused("; ".join(problems))
    seen: set[str] = set()

    def counted(rows):
        for number, row in rows:
            report.rows = number
            yield number, row

    for chunk in _chunks(spec.records(counted(rows)), chunk_size):
        _check_keys(chunk, seen)
        valid = [record for record in chunk if not record.errors]
        spec.resolve(valid)
        valid = [record for record in valid if not record.errors]
        fast = spec.can_write_fast(valid)
        existing = {} if fast else spec.fetch_existing([record.external_id for record in valid])
        spec.check_unique(valid, existing)
        valid = [record for record in chunk if not record.errors]
        for record in chunk:
            if record.errors and len(report.errors) < MAX_ERRORS:
                report.errors.extend(record.errors[: MAX_ERRORS - len(report.errors)])
        report.records += len(chunk)
        if valid and (partial or not report.errors):
            if fast:
                created, updated, unchanged = spec.write_fast(valid)
            else:
                created, updated, unchanged = spec.write(valid, existing)
            report.created += created
            report.updated += updated
            report.unchanged += unchanged
        if progress is not None:
            progress(report.rows)
    if partial or not report.errors:
        spec.finish()


def _check_keys(chunk: list[Record], seen: set[str]) -> None:
    for record in chunk:
        if not record.external_id:
            continue
        if record.external_id in seen:
            record.fail("external_id", _("%s appears twice in the file") % record.external_id)
        seen.add(record.external_id)
