"""The import itself: read, validate per chunk, write per chunk, all or nothing."""

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path, PurePosixPath

from django.db import connection, transaction
from django.utils.translation import gettext as _

from . import staged, upsert
from .files import AttachedFiles, FolderFiles, ZipFiles, data_member, is_zip
from .kinds import KINDS, Record
from .reading import ImportRefused, as_dicts, open_binary, read_values

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
    columns, rows, is_csv = read_values(binary, name)
    problems = spec.check_columns(columns)
    if problems:
        raise ImportRefused("; ".join(problems))
    seen = StoredSeenKeys() if upsert.available() else SeenKeys()

    def counted(rows):
        for number, row in rows:
            report.rows = number
            yield number, row

    set_based = staged.for_kind(spec, columns) if is_csv else None
    if set_based is not None:
        _run_staged(set_based, spec, rows, report, partial, progress, chunk_size, seen, counted)
    else:
        dicts = as_dicts(columns, rows) if is_csv else rows
        for chunk in _chunks(spec.records(counted(dicts)), chunk_size):
            _python_chunk(spec, chunk, seen, report, partial)
            if progress is not None:
                progress(report.rows)
    if partial or not report.errors:
        spec.finish()


def _run_staged(set_based, spec, rows, report, partial, progress, chunk_size, seen, counted):
    """Chunks proven valid by PostgreSQL are written from staging; the others are checked
    (and, with `partial`, their valid records written) by the Python path."""
    pending = None
    size = chunk_size * staged.STAGED_ROWS_PER_PYTHON_RECORD
    while True:
        staged_rows, last_row, pending, refusal = set_based.copy_chunk(rows, size, pending)
        report.rows = max(report.rows, last_row)
        if refusal is not None:
            raise refusal
        if staged_rows:
            if set_based.proven(seen.table):
                report.records += set_based.records
                if partial or not report.errors:
                    created, updated, unchanged, customers = set_based.write()
                    report.created += created
                    report.updated += updated
                    report.unchanged += unchanged
                    spec.to_settle.update(customers)
            else:
                records = spec.records(counted(set_based.staged_rows()))
                for chunk in _chunks(records, chunk_size):
                    _python_chunk(spec, chunk, seen, report, partial)
            if progress is not None:
                progress(report.rows)
        if pending is None:
            return


def _python_chunk(spec, chunk: list[Record], seen, report: Report, partial: bool) -> None:
    """Check one chunk of records in Python, naming each problem; write the valid ones
    unless an error (without `partial`) already rules the import out."""
    seen.check(chunk)
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


class SeenKeys:
    """The external ids met so far in the file: a second record with one is refused."""

    table = ""

    def __init__(self):
        self.keys: set[str] = set()

    def check(self, chunk: list[Record]) -> None:
        self._refuse_repeats(chunk, self.keys)

    @staticmethod
    def _refuse_repeats(chunk: list[Record], met: set[str]) -> None:
        for record in chunk:
            if not record.external_id:
                continue
            if record.external_id in met:
                record.fail("external_id", _("%s appears twice in the file") % record.external_id)
            met.add(record.external_id)


class StoredSeenKeys(SeenKeys):
    """PostgreSQL keeps the ids in a temporary table, so memory does not grow with the file."""

    table = '"import_seen_keys"'

    def __init__(self):
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {self.table} "
                "(external_id text PRIMARY KEY) ON COMMIT DROP"
            )
            cursor.execute(f"TRUNCATE {self.table}")

    def check(self, chunk: list[Record]) -> None:
        keys = list({record.external_id for record in chunk if record.external_id})
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT external_id FROM {self.table} WHERE external_id = ANY(%s)",  # noqa: S608
                [keys],
            )
            met = {row[0] for row in cursor.fetchall()}
            self._refuse_repeats(chunk, met)
            cursor.execute(
                f"INSERT INTO {self.table} (external_id) "  # noqa: S608
                "SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
                [keys],
            )
