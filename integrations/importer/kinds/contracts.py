"""Contracts (with their service points and PDF versions) and advance payment schedules."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from billing.models import AdvanceInstalment
from customers.models import Contract, ContractDocument, Customer, ServicePoint

from ..columns import Column
from .base import Kind, Record

POINT_SEPARATORS = re.compile(r"[\s|]+")


def _point_keys(raw) -> list[str]:
    """Service points' external_ids: a JSON array, or text separated by spaces or `|`."""
    if raw is None:
        return []
    if isinstance(raw, list):
        keys = []
        for item in raw:
            if not isinstance(item, str | int) or isinstance(item, bool):
                raise ValidationError(_("a service point is named by its external_id"))
            keys.append(str(item).strip())
        return [key for key in keys if key]
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise ValidationError(_("give the service points' external_ids"))
    return [key for key in POINT_SEPARATORS.split(str(raw)) if key]


class ContractKind(Kind):
    """A contract, the service points it covers and its PDF. A PDF the contract does not
    have yet becomes its next document version; one it has adds nothing."""

    name = "contracts"
    model = Contract
    unique_fields = ("number",)
    columns = [
        Column("external_id", True, example="UM-2025-000001"),
        Column("number", True, example="UK/2025/000001"),
        Column("customer", True, references=Customer, example="K-000123"),
        Column("kind", True, example="comprehensive"),
        Column("status", example="active"),
        Column("start_date", True, example="2025-01-01"),
        Column("end_date", example="2026-12-31"),
        Column(
            "service_points",
            example="PP-0001|PP-0002",
            note="service points' external_ids (spaces or | between; an array in JSON Lines)",
        ),
        Column("pdf", file=True, example="pdf/UM-2025-000001.pdf"),
        Column("pdf_title", field="title", example="Umowa kompleksowa"),
        Column("pdf_requires_acceptance", field="requires_acceptance", example="0"),
    ]
    document_columns = ("pdf_title", "pdf_requires_acceptance")

    def __init__(self):
        super().__init__()
        self.by_name["service_points"].model = None
        for name in self.document_columns:
            self.by_name[name].model = ContractDocument
        self.contract_columns = [
            c for c in self.columns if c.name not in ("service_points", *self.document_columns)
        ]
        self.document_folder = str(ContractDocument._meta.get_field("file").upload_to).strip("/")

    def stored_file_fields(self):
        return [(ContractDocument, "file")]

    def records(self, rows):
        for number, row in rows:
            record = self.clean_row(number, row, self.contract_columns)
            record.point_keys = self._points(record, row)
            record.point_ids = None
            record.document = None
            record.title, record.requires_acceptance = self._document_values(record, row)
            start, end = record.values.get("start_date"), record.values.get("end_date")
            if start and end and end < start:
                record.fail("end_date", _("the contract ends before it starts"))
            yield record

    def _points(self, record: Record, row: dict) -> list[str] | None:
        """None when the file says nothing of service points (they stay as they are)."""
        if "service_points" not in row:
            return None
        try:
            keys = _point_keys(row["service_points"])
        except ValidationError as error:
            record.fail("service_points", "; ".join(error.messages))
            return None
        if len(set(keys)) != len(keys):
            record.fail("service_points", _("a service point is named twice"))
        return keys

    def _document_values(self, record: Record, row: dict) -> tuple[str, bool]:
        """The title and the acceptance flag of the PDF's version; a PDF needs a title."""
        values = {"title": "", "requires_acceptance": False}
        for name in self.document_columns:
            column = self.by_name[name]
            raw = row.get(name)
            if raw is None or str(raw).strip() == "":
                continue
            try:
                values[column.field] = column.clean(raw)
            except ValidationError as error:
                record.fail(name, "; ".join(error.messages))
        if record.values.get("pdf") and not values["title"]:
            record.fail("pdf_title", _("a PDF needs a title"))
        return values["title"], values["requires_acceptance"]

    def resolve(self, records):
        super().resolve(records)
        wanted = {key for r in records if r.point_keys for key in r.point_keys}
        found = {
            key: (pk, customer_id)
            for key, pk, customer_id in ServicePoint.objects.filter(
                external_id__in=wanted
            ).values_list("external_id", "pk", "customer_id")
        }
        for record in records:
            if record.point_keys is None or record.values.get("customer_id") is None:
                continue
            ids = set()
            for key in record.point_keys:
                if key not in found:
                    record.fail("service_points", _("no record with external_id %s") % key)
                    continue
                pk, customer_id = found[key]
                if customer_id != record.values.get("customer_id"):
                    record.fail(
                        "service_points",
                        _("service point %s belongs to another customer") % key,
                    )
                    continue
                ids.add(pk)
            record.point_ids = ids

    def fetch_existing(self, keys):
        existing = super().fetch_existing(keys)
        by_pk = {contract.pk: contract for contract in existing.values()}
        for contract in by_pk.values():
            contract.imported_point_ids = set()
            contract.document_names = set()
            contract.last_version = 0
        links = Contract.service_points.through.objects.filter(contract_id__in=by_pk)
        for contract_id, point_id in links.values_list("contract_id", "servicepoint_id"):
            by_pk[contract_id].imported_point_ids.add(point_id)
        documents = ContractDocument.objects.filter(contract_id__in=by_pk)
        for contract_id, version, name in documents.values_list("contract_id", "version", "file"):
            contract = by_pk[contract_id]
            contract.document_names.add(name)
            contract.last_version = max(contract.last_version, version)
        return existing

    def write(self, records, existing):
        for record in records:
            record.document = record.values.pop("pdf", None)
        return super().write(records, existing)

    def other_changes(self, record, obj):
        return self._points_differ(record, obj) or self._new_document(record, obj)

    def _points_differ(self, record: Record, contract) -> bool:
        return record.point_ids is not None and record.point_ids != contract.imported_point_ids

    def _new_document(self, record: Record, contract) -> bool:
        if record.document is None:
            return False
        return record.document.stored_name(self.document_folder) not in contract.document_names

    def after_write(self, records, existing, created):
        """Replace the service points that differ and add the new PDFs as versions."""
        by_key = {contract.external_id: contract for contract in created}
        for contract in created:
            contract.imported_point_ids = set()
            contract.document_names = set()
            contract.last_version = 0
        through = Contract.service_points.through
        stale, links, documents = [], [], []
        for record in records:
            contract = by_key.get(record.external_id) or existing[record.external_id]
            if self._points_differ(record, contract):
                stale.append(contract.pk)
                links += [
                    through(contract_id=contract.pk, servicepoint_id=point_id)
                    for point_id in sorted(record.point_ids)
                ]
            if self._new_document(record, contract):
                document = ContractDocument(
                    contract=contract,
                    version=contract.last_version + 1,
                    title=record.title,
                    requires_acceptance=record.requires_acceptance,
                )
                self.files.save_pdf(record.document, document.file, self.document_folder)
                documents.append(document)
        if stale:
            through.objects.filter(contract_id__in=stale).delete()
        through.objects.bulk_create(links)
        ContractDocument.objects.bulk_create(documents)


class AdvanceScheduleKind(Kind):
    """Instalments of an advance payment schedule; credit waiting on the customer's account
    settles new and raised instalments as it settles new invoices."""

    name = "advance_schedules"
    model = AdvanceInstalment
    columns = [
        Column("external_id", True, example="HP-2025-000001-01"),
        Column("customer", True, references=Customer, example="K-000123"),
        Column("service_point", references=ServicePoint, example="PP-0001"),
        Column("schedule", True, example="HP/2025/000001"),
        Column("due_date", True, example="2025-02-10"),
        Column("amount", True, example="150,00"),
        Column("currency", example="PLN"),
    ]

    def records(self, rows):
        for record in super().records(rows):
            amount = record.values.get("amount")
            if amount is not None and amount <= 0:
                record.fail("amount", _("an instalment is a positive amount"))
            yield record

    def resolve(self, records):
        keys = {id(record): record.values.get("service_point") for record in records}
        super().resolve(records)
        point_ids = {r.values.get("service_point_id") for r in records} - {None}
        owners = dict(
            ServicePoint.objects.filter(pk__in=point_ids).values_list("pk", "customer_id")
        )
        for record in records:
            point_id = record.values.get("service_point_id")
            if record.values.get("customer_id") is None:
                continue
            if point_id is not None and owners[point_id] != record.values.get("customer_id"):
                record.fail(
                    "service_point",
                    _("service point %s belongs to another customer") % keys[id(record)],
                )

    def fetch_existing(self, keys):
        return {
            instalment.external_id: instalment
            for instalment in AdvanceInstalment.objects.with_paid().filter(external_id__in=keys)
        }

    def check_unique(self, records, existing):
        """Payments already settling an instalment stay valid: its amount cannot drop below
        them, nor can it move to another customer."""
        super().check_unique(records, existing)
        for record in records:
            instalment = existing.get(record.external_id)
            if instalment is None or not instalment.paid:
                continue
            if record.values.get("customer_id") != instalment.customer_id:
                record.fail(
                    "customer",
                    _("the instalment is partly paid; it cannot move to another customer"),
                )
            if record.values.get("amount") < instalment.paid:
                record.fail(
                    "amount",
                    _("%(paid)s has already been paid towards this instalment")
                    % {"paid": instalment.paid},
                )

    def write(self, records, existing):
        self.before = {key: (i.customer_id, i.amount) for key, i in existing.items()}
        return super().write(records, existing)

    def after_write(self, records, existing, created):
        from billing.services import apply_credit

        customer_ids = {instalment.customer_id for instalment in created}
        customer_ids |= {
            i.customer_id
            for key, i in existing.items()
            if (i.customer_id, i.amount) != self.before[key]
        }
        for customer in Customer.objects.filter(pk__in=customer_ids):
            apply_credit(customer)


KINDS_HERE = (ContractKind, AdvanceScheduleKind)
