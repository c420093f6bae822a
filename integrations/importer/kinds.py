"""What each kind of ERP record looks like and how it is written (upsert by external_id)."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Invoice, InvoiceLine, Payment
from billing.models.invoices import ZERO
from customers.models import Customer, ServicePoint

from .columns import Column


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
                key = record.values.pop(name, None)
                if key is None:
                    if name in record.values or column.name in self.by_name:
                        record.values[f"{name}_id"] = None
                    continue
                if key not in found:
                    record.fail(column.name, _("no record with external_id %s") % key)
                else:
                    record.values[f"{name}_id"] = found[key]

    def check_unique(self, records: list[Record], existing: dict) -> None:
        """Unique fields (a number, a code) taken by another record in the database."""
        for unique in self.unique_fields:
            values = {r.values.get(unique) for r in records if r.values.get(unique)}
            taken = self.model.objects.filter(**{f"{unique}__in": values}).values_list(
                unique, "external_id"
            )
            owner = dict(taken)
            for record in records:
                value = record.values.get(unique)
                if value in owner and owner[value] != record.external_id:
                    record.fail(unique, _("%s is already used by another record") % value)

    def fetch_existing(self, keys: list[str]) -> dict:
        return {obj.external_id: obj for obj in self.model.objects.filter(external_id__in=keys)}

    def write(self, records: list[Record], existing: dict) -> tuple[int, int, int]:
        """Create new, update changed, leave unchanged alone; (created, updated, unchanged)."""
        to_create, to_update, unchanged, changed_fields = [], [], 0, set()
        updated = 0
        for record in records:
            obj = existing.get(record.external_id)
            if obj is None:
                to_create.append(self.model(**record.values))
                continue
            changed = [k for k, v in record.values.items() if getattr(obj, k) != v]
            other = self.other_changes(record, obj)
            if not changed and not other:
                unchanged += 1
                continue
            updated += 1
            if not changed:
                continue
            for key in changed:
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

    def other_changes(self, record: Record, obj) -> bool:
        """Changes beyond the record's own fields (an invoice's lines)."""
        return False

    def after_write(self, records, existing, created) -> None:
        pass


class CustomerKind(Kind):
    name = "customers"
    model = Customer
    unique_fields = ("number",)
    touch_on_update = ("updated_at",)
    columns = [
        Column("external_id", True, example="K-000123"),
        Column("number", True, example="100123"),
        Column("name", True, example="Jan Kowalski"),
        Column("kind", example="person"),
        Column("nip", example="526-000-12-46"),
        Column("regon", example="123456785"),
        Column("email", example="jan@example.com"),
        Column("phone", example="600 100 200"),
        Column("billing_street", True, example="ul. Długa 1/2"),
        Column("billing_postal_code", True, example="00-001"),
        Column("billing_city", True, example="Warszawa"),
        Column("correspondence_street", example="ul. Krótka 3"),
        Column("correspondence_postal_code", example="00-002"),
        Column("correspondence_city", example="Warszawa"),
        Column("bank_account", example="PL61109010140000071219812874"),
        Column("refund_bank_account", example="61 1090 1014 0000 0712 1981 2874"),
        Column("credit_limit", example="1 000,00"),
        Column("discount_percent", example="5,5"),
        Column("e_invoice_consent", example="1"),
    ]


class ServicePointKind(Kind):
    name = "service_points"
    model = ServicePoint
    unique_fields = ("code",)
    columns = [
        Column("external_id", True, example="PP-0001"),
        Column("customer", True, references=Customer, example="K-000123"),
        Column("code", True, example="PL0037310000123456"),
        Column("name", example="Mieszkanie"),
        Column("street", True, example="ul. Długa 1/2"),
        Column("postal_code", True, example="00-001"),
        Column("city", True, example="Warszawa"),
        Column("service_kind", example="electricity"),
        Column("tariff", example="G11"),
        Column("status", example="active"),
    ]


LINE_COLUMNS = [
    Column("line_position", True, field="position", example="1"),
    Column("line_description", True, field="description", example="Energia czynna"),
    Column("line_quantity", True, field="quantity", example="120,5"),
    Column("line_unit", True, field="unit", example="kWh"),
    Column("line_unit_net_price", True, field="unit_net_price", example="0,6500"),
    Column("line_vat_rate", True, field="vat_rate", example="23"),
    Column("line_net", True, field="net", example="78,33"),
    Column("line_vat", True, field="vat", example="18,02"),
    Column("line_gross", True, field="gross", example="96,35"),
]
LINE_FIELDS = [column.field for column in LINE_COLUMNS]


class InvoiceKind(Kind):
    """An invoice with its lines: CSV repeats the invoice columns on each line's row (the
    rows of one invoice follow each other); JSON Lines gives a `lines` array of objects
    whose keys are the line columns without the `line_` prefix."""

    name = "invoices"
    model = Invoice
    unique_fields = ("number",)
    columns = [
        Column("external_id", True, example="FV-2025-000001"),
        Column("number", True, example="FV/2025/01/0001"),
        Column("customer", True, references=Customer, example="K-000123"),
        Column("service_point", references=ServicePoint, example="PP-0001"),
        Column("kind", example="vat"),
        Column("issue_date", True, example="2025-01-31"),
        Column("sale_date", True, example="2025-01-31"),
        Column("due_date", True, example="2025-02-14"),
        Column("currency", example="PLN"),
        Column("net_total", True, example="78,33"),
        Column("vat_total", True, example="18,02"),
        Column("gross_total", True, example="96,35"),
        Column("split_payment", example="0"),
        Column("ksef_number", example=""),
    ]
    line_columns = LINE_COLUMNS

    def __init__(self):
        super().__init__()
        for column in self.line_columns:
            column.model = InvoiceLine
        self.line_by_name = {c.name: c for c in self.line_columns}

    def extra_keys(self) -> set[str]:
        return set(self.line_by_name) | {"lines"}

    def check_columns(self, columns):
        problems = super().check_columns(columns)
        if "lines" not in columns:
            missing = [c.name for c in self.line_columns if c.name not in columns]
            if missing:
                problems.append(_("missing required columns: %s") % ", ".join(missing))
        return problems

    def records(self, rows):
        current = None
        for number, row in rows:
            if "lines" in row:
                record = self.clean_row(number, row)
                lines = row.get("lines")
                if not isinstance(lines, list) or not lines:
                    record.fail("lines", _("an invoice needs at least one line"))
                else:
                    for line in lines:
                        if not isinstance(line, dict):
                            record.fail("lines", _("a line is an object"))
                            continue
                        self._add_line(record, number, {f"line_{k}": v for k, v in line.items()})
                yield self._checked(record)
                continue
            key = str(row.get("external_id") or "").strip()
            if current is None or key != current.external_id:
                if current is not None:
                    yield self._checked(current)
                current = self.clean_row(number, row)
                current.first_row = row
            else:
                header_differs = [
                    c.name for c in self.columns if row.get(c.name) != current.first_row.get(c.name)
                ]
                for name in header_differs:
                    current.fail(name, _("differs from the invoice's first row"), number)
            self._add_line(current, number, row)
        if current is not None:
            yield self._checked(current)

    def _add_line(self, record: Record, number: int, row: dict) -> None:
        line = self.clean_row(number, row, self.line_columns)
        record.errors.extend(line.errors)
        if not line.errors:
            record.lines.append(line.values)

    def _checked(self, record: Record) -> Record:
        """The lines must add up to the header; nothing is corrected silently."""
        if record.errors:
            return record
        positions = [line["position"] for line in record.lines]
        if len(set(positions)) != len(positions):
            record.fail(
                "line_position", _("invoice %s repeats a line position") % record.values["number"]
            )
        problems = []
        for line in record.lines:
            if line["net"] + line["vat"] != line["gross"]:
                problems.append(
                    f"line {line['position']}: net {line['net']} + VAT {line['vat']} "
                    f"!= gross {line['gross']}"
                )
        for name in ("net", "vat", "gross"):
            total = sum((line[name] for line in record.lines), ZERO)
            header = record.values[f"{name}_total"]
            if total != header:
                problems.append(f"{name}: lines sum to {total}, the invoice says {header}")
        if problems:
            record.fail(
                "",
                _("invoice %(number)s: the lines do not add up to the header (%(problems)s)")
                % {"number": record.values["number"], "problems": "; ".join(problems)},
            )
        return record

    def fetch_existing(self, keys):
        existing = super().fetch_existing(keys)
        lines: dict = {}
        for line in InvoiceLine.objects.filter(invoice__in=existing.values()).values(
            "invoice_id", *LINE_FIELDS
        ):
            lines.setdefault(line.pop("invoice_id"), []).append(line)
        for invoice in existing.values():
            invoice.imported_lines = sorted(
                lines.get(invoice.pk, []), key=lambda line: line["position"]
            )
        return existing

    def other_changes(self, record, obj):
        record.lines.sort(key=lambda line: line["position"])
        return obj.imported_lines != record.lines

    def after_write(self, records, existing, created):
        by_key = {obj.external_id: obj for obj in created}
        replace = []
        for record in records:
            if record.external_id in by_key:
                replace.append((by_key[record.external_id], record))
                continue
            invoice = existing[record.external_id]
            if invoice.imported_lines != record.lines:
                replace.append((invoice, record))
        stale = [invoice.pk for invoice, _record in replace if invoice.external_id in existing]
        if stale:
            InvoiceLine.objects.filter(invoice_id__in=stale).delete()
        InvoiceLine.objects.bulk_create(
            [
                InvoiceLine(invoice=invoice, **line)
                for invoice, record in replace
                for line in record.lines
            ]
        )


class PaymentKind(Kind):
    """A payment the ERP booked; the portal allocates it to open items after the import."""

    name = "payments"
    model = Payment
    columns = [
        Column("external_id", True, example="WB-2025-000001"),
        Column("customer", True, references=Customer, example="K-000123"),
        Column("amount", True, example="96,35"),
        Column("received_on", True, example="2025-02-10"),
        Column("kind", example="transfer"),
        Column("title", example="FV/2025/01/0001"),
        Column("named_invoice", references=Invoice, example="FV-2025-000001"),
    ]

    def after_write(self, records, existing, created):
        from billing.services import apply_credit

        for customer in Customer.objects.filter(pk__in={p.customer_id for p in created}):
            apply_credit(customer)


KINDS: dict[str, type[Kind]] = {
    kind.name: kind for kind in (CustomerKind, ServicePointKind, InvoiceKind, PaymentKind)
}
