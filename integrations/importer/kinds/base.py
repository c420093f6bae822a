"""A kind of ERP record: its columns, how its rows are checked and written (upsert by
external_id)."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import upsert
from ..columns import Column
from ..files import AttachedFiles


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        if self.column:
            return _("row %(row)s, column %(column)s: %(message)s") % self.as_dict()
        return _("row %(row)s: %(message)s") % self.as_dict()


@dataclass
class Record:
    """One ERP record: the rows it came from, its cleaned values and its problems."""

    row: int
    external_id: str
    values: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def fail(self, column: str, message: str, row: int | None = None) -> None:
        self.errors.append(RowError(row or self.row, column, str(message)))


class Kind:
    """A flat kind: one row is one record, each column one field of `model`."""

    name = ""
    model: Any = None
    columns: list[Column] = []
    unique_fields: tuple[str, ...] = ()
    touch_on_update: tuple[str, ...] = ()
    files: AttachedFiles = AttachedFiles()
    # May PostgreSQL upsert a chunk without loading it (see upsert.py)? Only where writing
    # is nothing but the record's own fields (after_upsert covers what follows).
    fast_path = False

    def __init__(self):
        for column in self.columns:
            column.model = self.model
        self.by_name = {column.name: column for column in self.columns}

    # -- the file --
    def check_columns(self, columns: list[str]) -> list[str]:
        """Problems with the header: missing required and unknown columns, named."""
        problems = []
        missing = [c.name for c in self.columns if c.required and c.name not in columns]
        unknown = [c for c in columns if c not in self.by_name and c not in self.extra_keys()]
        if missing:
            problems.append(_("missing required columns: %s") % ", ".join(missing))
        if unknown:
            problems.append(_("unknown columns: %s") % ", ".join(unknown))
        return problems

    def extra_keys(self) -> set[str]:
        return set()

    def records(self, rows: Iterable[tuple[int, dict]]) -> Iterator[Record]:
        for number, row in rows:
            yield self.clean_row(number, row)

    def clean_row(self, number: int, row: dict, columns: list[Column] | None = None) -> Record:
        record = Record(row=number, external_id=str(row.get("external_id") or "").strip())
        for column in columns or self.columns:
            raw = row.get(column.name)
            if column.required and (raw is None or str(raw).strip() == ""):
                record.fail(column.name, _("required"), number)
                continue
            if raw is None and column.name not in row:
                continue
            try:
                record.values[column.field or column.name] = column.clean(raw)
            except ValidationError as error:
                record.fail(column.name, "; ".join(error.messages), number)
        return record

    # -- one chunk --
    def resolve(self, records: list[Record]) -> None:
        """Turn external_id references into foreign keys; one query per referenced model."""
        for column in self.columns:
            if column.references is None:
                continue
            name = column.field or column.name
            wanted = {r.values[name] for r in records if r.values.get(name)}
            found = dict(
                column.references.objects.filter(external_id__in=wanted).values_list(
                    "external_id", "pk"
                )
            )
            for record in records:
                if name not in record.values:
                    continue  # the file has no such column: the stored link stays
                key = record.values.pop(name)
                if key is None:
                    record.values[f"{name}_id"] = None
                    continue
                if key not in found:
                    record.fail(column.name, _("no record with external_id %s") % key)
                else:
                    record.values[f"{name}_id"] = found[key]
        self.check_files(records)

    def stored_file_fields(self) -> list[tuple[Any, str]]:
        """(model, field) of every file field this kind stores imported PDFs in."""
        return [(self.model, c.field or c.name) for c in self.columns if c.file]

    def check_files(self, records: list[Record]) -> None:
        """Each named PDF present and a PDF: the value becomes an AttachedFile."""
        for column in self.columns:
            if not column.file:
                continue
            name = column.field or column.name
            for record in records:
                if not record.values.get(name):
                    continue
                try:
                    record.values[name] = self.files.check_pdf(record.values[name])
                except ValidationError as error:
                    record.values.pop(name)
                    record.fail(column.name, "; ".join(error.messages))

    def check_unique(self, records: list[Record], existing: dict) -> None:
        """Unique fields (a number, a code) taken by another record, stored or in the file."""
        for unique in self.unique_fields:
            values = {r.values.get(unique) for r in records if r.values.get(unique)}
            taken = self.model.objects.filter(**{f"{unique}__in": values}).values_list(
                unique, "external_id"
            )
            owner = dict(taken)
            for record in records:
                value = record.values.get(unique)
                if not value:
                    continue
                if value in owner and owner[value] != record.external_id:
                    record.fail(unique, _("%s is already used by another record") % value)
                owner.setdefault(value, record.external_id)

    def can_write_fast(self, records: list[Record]) -> bool:
        if not (self.fast_path and upsert.available()):
            return False
        files = [c.field or c.name for c in self.columns if c.file]
        return not any(record.values.get(name) for record in records for name in files)

    def write_fast(self, records: list[Record]) -> tuple[int, int, int]:
        """The PostgreSQL path of write(): one COPY and one upsert per shape of record."""
        shapes: dict[tuple, list[dict]] = {}
        for record in records:
            shapes.setdefault(tuple(sorted(record.values)), []).append(record.values)
        created, updated = {}, set()
        for rows in shapes.values():
            new, changed = upsert.upsert(self.model, rows, touch=self.touch_on_update)
            created.update(new)
            updated |= changed
        self.after_upsert(records, created)
        return len(created), len(updated), len(records) - len(created) - len(updated)

    def finish(self) -> None:
        """After the last chunk is written (and before the import commits)."""

    def after_upsert(self, records: list[Record], created: dict) -> None:
        """What follows a fast write; `created` maps new records' external_id to pk."""

    def fetch_existing(self, keys: list[str]) -> dict:
        return {obj.external_id: obj for obj in self.model.objects.filter(external_id__in=keys)}

    def write(self, records: list[Record], existing: dict) -> tuple[int, int, int]:
        """Create new, update changed, leave unchanged alone; (created, updated, unchanged)."""
        to_create, to_update, unchanged, changed_fields = [], [], 0, set()
        updated = 0
        file_fields = [c.field or c.name for c in self.columns if c.file]
        for record in records:
            attached = {
                name: record.values.pop(name) for name in file_fields if name in record.values
            }
            obj = existing.get(record.external_id)
            if obj is None:
                obj = self.model(**record.values)
                self.attach(obj, attached)
                to_create.append(obj)
                continue
            changed = [k for k, v in record.values.items() if getattr(obj, k) != v]
            changed += self.attach(obj, attached)
            other = self.other_changes(record, obj)
            if not changed and not other:
                unchanged += 1
                continue
            updated += 1
            if not changed:
                continue
            for key in changed:
                if key in record.values:
                    setattr(obj, key, record.values[key])
            for key in self.touch_on_update:
                setattr(obj, key, timezone.now())
            changed_fields.update(changed)
            to_update.append(obj)
        if to_create:
            self.model.objects.bulk_create(to_create)
        if to_update:
            self.model.objects.bulk_update(
                to_update, sorted(changed_fields | set(self.touch_on_update))
            )
        self.after_write(records, existing, to_create)
        return len(to_create), updated, unchanged

    def attach(self, obj, attached: dict) -> list[str]:
        """Point the object's file fields at their PDFs; the names of those that changed."""
        changed = []
        for name, value in attached.items():
            field_file = getattr(obj, name)
            if value is None:
                if field_file:
                    field_file.name = ""
                    changed.append(name)
                continue
            folder = str(obj._meta.get_field(name).upload_to).strip("/")
            if self.files.save_pdf(value, field_file, folder):
                changed.append(name)
        return changed

    def other_changes(self, record: Record, obj) -> bool:
        """Changes beyond the record's own fields (an invoice's lines)."""
        return False

    def after_write(self, records, existing, created) -> None:
        pass


class KindWithChildren(Kind):
    """A record with child rows in `record.lines` (an invoice's lines, a meter's registers).

    CSV repeats the record's columns on each child's row, the rows of one record following
    each other; a row whose record columns differ from the record's first row is an error.
    JSON Lines gives an array under `children_key` of objects whose keys are the child
    columns without `child_prefix`.
    """

    child_model: Any = None
    child_columns: list[Column] = []
    children_key = ""
    child_prefix = ""

    def __init__(self):
        super().__init__()
        for column in self.child_columns:
            column.model = self.child_model
        self.child_by_name = {column.name: column for column in self.child_columns}

    # Messages naming the kind ("an invoice needs at least one line").
    def no_children_message(self) -> str:
        raise NotImplementedError

    def child_not_object_message(self) -> str:
        raise NotImplementedError

    def differs_message(self) -> str:
        raise NotImplementedError

    def extra_keys(self) -> set[str]:
        return set(self.child_by_name) | {self.children_key}

    def check_columns(self, columns: list[str]) -> list[str]:
        problems = super().check_columns(columns)
        if self.children_key not in columns:
            missing = [c.name for c in self.child_columns if c.name not in columns]
            if missing:
                problems.append(_("missing required columns: %s") % ", ".join(missing))
        return problems

    def records(self, rows: Iterable[tuple[int, dict]]) -> Iterator[Record]:
        current = None
        for number, row in rows:
            if self.children_key in row:
                yield self.checked(self.json_record(number, row))
                continue
            key = str(row.get("external_id") or "").strip()
            if current is None or key != current.external_id:
                if current is not None:
                    yield self.checked(current)
                current = self.csv_record(number, row)
            else:
                for column in self.columns:
                    if row.get(column.name) != current.first_row.get(column.name):
                        current.fail(column.name, self.differs_message(), number)
            self.add_child(current, number, row)
        if current is not None:
            yield self.checked(current)

    def csv_record(self, number: int, row: dict) -> Record:
        """The record of a CSV row that starts one; its children follow."""
        record = self.clean_row(number, row)
        record.first_row = row
        return record

    def json_record(self, number: int, row: dict, record: Record | None = None) -> Record:
        """The record of a JSON line with its children (`record`: cleaned already)."""
        record = record or self.clean_row(number, row)
        children = row.get(self.children_key)
        if not isinstance(children, list) or not children:
            record.fail(self.children_key, self.no_children_message())
            return record
        for child in children:
            if not isinstance(child, dict):
                record.fail(self.children_key, self.child_not_object_message())
                continue
            self.check_child_keys(record, child)
            self.add_child(record, number, {f"{self.child_prefix}{k}": v for k, v in child.items()})
        return record

    def check_child_keys(self, record: Record, child: dict) -> None:
        """A JSON child's keys, checked where the kind asks for it."""

    def add_child(self, record: Record, number: int, row: dict) -> None:
        child = self.clean_row(number, row, self.child_columns)
        record.errors.extend(child.errors)
        if not child.errors:
            record.lines.append(self.child_values(record, child.values))

    def child_values(self, record: Record, values: dict) -> dict:
        return values

    def checked(self, record: Record) -> Record:
        """What one record with its children must satisfy, before the database is asked."""
        return record
