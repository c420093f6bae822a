"""Invoices (with lines) and payments."""

from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from billing.models import Invoice, InvoiceLine, Payment
from billing.models.invoices import ZERO
from billing.models.payments import MONEY
from customers.models import Customer, ServicePoint

from .. import upsert
from ..columns import Column
from .base import Kind, KindWithChildren, Record


class SettlesCredit(Kind):
    """New invoices or payments: credit waiting on the customers' accounts settles them
    (billing.services.apply_credit), once per customer at the end of the import."""

    def __init__(self):
        super().__init__()
        self.to_settle: set[int] = set()

    def finish(self):
        from billing.services import apply_credit

        ids = sorted(self.to_settle)
        for start in range(0, len(ids), 5000):
            with_credit = customers_with_credit(ids[start : start + 5000])
            for customer in Customer.objects.filter(pk__in=with_credit):
                apply_credit(customer)


def customers_with_credit(customer_ids: list[int]) -> set[int]:
    """Which of these customers have a payment not yet fully allocated (one query)."""
    allocated = Coalesce(
        Sum("allocations__amount"), Value(ZERO), output_field=DecimalField(**MONEY)
    )
    return set(
        Payment.objects.filter(customer_id__in=customer_ids)
        .annotate(allocated=allocated)
        .filter(allocated__lt=F("amount"))
        .values_list("customer_id", flat=True)
        .distinct()
    )


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


class InvoiceKind(SettlesCredit, KindWithChildren):
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
        Column("pdf", field="erp_pdf", file=True, example="pdf/FV-2025-000001.pdf"),
    ]
    child_model = InvoiceLine
    child_columns = LINE_COLUMNS
    children_key = "lines"
    child_prefix = "line_"

    def no_children_message(self):
        return _("an invoice needs at least one line")

    def child_not_object_message(self):
        return _("a line is an object")

    def differs_message(self):
        return _("differs from the invoice's first row")

    def checked(self, record: Record) -> Record:
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

    fast_path = True
    # A CSV of invoices is proven valid and written set-based by PostgreSQL (staged.py).
    staged_path = True

    def write_fast(self, records):
        """Headers upserted by PostgreSQL; lines compared per invoice and replaced if changed."""
        headers = [record.values for record in records]
        created, updated = {}, set()
        shapes: dict[tuple, list[dict]] = {}
        for values in headers:
            shapes.setdefault(tuple(sorted(values)), []).append(values)
        for rows in shapes.values():
            new, changed = upsert.upsert(Invoice, rows)
            created.update(new)
            updated |= changed
        ids = dict(
            Invoice.objects.filter(external_id__in=[r.external_id for r in records]).values_list(
                "external_id", "pk"
            )
        )
        old_ids = [ids[r.external_id] for r in records if r.external_id not in created]
        stored: dict[int, list[tuple]] = {}
        for line in InvoiceLine.objects.filter(invoice_id__in=old_ids).values_list(
            "invoice_id", *LINE_FIELDS
        ):
            stored.setdefault(line[0], []).append(line[1:])
        rewrite, lines_changed = [], set()
        for record in records:
            invoice_id = ids[record.external_id]
            lines = sorted(tuple(line[f] for f in LINE_FIELDS) for line in record.lines)
            if record.external_id in created:
                rewrite.append((invoice_id, lines))
            elif sorted(stored.get(invoice_id, [])) != lines:
                rewrite.append((invoice_id, lines))
                lines_changed.add(record.external_id)
        stale = [ids[key] for key in lines_changed]
        if stale:
            InvoiceLine.objects.filter(invoice_id__in=stale).delete()
        fields = [InvoiceLine._meta.get_field(name) for name in LINE_FIELDS]
        upsert.copy_rows(
            InvoiceLine._meta.db_table,
            ["invoice_id", *(field.column for field in fields)],
            ((invoice_id, *line) for invoice_id, lines in rewrite for line in lines),
        )
        changed = updated | lines_changed
        self.to_settle.update(r.values["customer_id"] for r in records if r.external_id in created)
        return len(created), len(changed), len(records) - len(created) - len(changed)

    def after_write(self, records, existing, created):
        self.to_settle.update(invoice.customer_id for invoice in created)
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


class PaymentKind(SettlesCredit):
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

    fast_path = True

    def after_write(self, records, existing, created):
        self.to_settle.update(payment.customer_id for payment in created)

    def after_upsert(self, records, created):
        self.to_settle.update(
            record.values["customer_id"] for record in records if record.external_id in created
        )


KINDS_HERE = (InvoiceKind, PaymentKind)
