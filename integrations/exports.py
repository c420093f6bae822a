"""Staff exports as CSV a Polish spreadsheet opens: invoices, payments, readings, requests.

Semicolons, decimal commas, UTF-8 with a BOM, text cells that never start a formula; the
rows are streamed from the database in chunks, so a year of readings does not sit in
memory. Each export needs the view permission of its model.
"""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import Invoice, Payment
from metering.models import Reading
from servicedesk.models import Request

CHUNK = 2000
# A spreadsheet runs a cell starting with these as a formula (see billing.statement_export).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def number_cell(value: Decimal | None, places: int = 2) -> str:
    return "" if value is None else f"{value:.{places}f}".replace(".", ",")


def date_cell(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


@dataclass(frozen=True)
class Export:
    label: str
    model: type
    date_field: str
    headers: Callable[[], list[str]]
    rows: Callable[[QuerySet], Iterator[list[str]]]
    select_related: tuple[str, ...] = ()

    @property
    def permission(self) -> str:
        meta = self.model._meta
        return f"{meta.app_label}.view_{meta.model_name}"

    def queryset(self, start: date, end: date) -> QuerySet:
        field = self.model._meta.get_field(self.date_field)
        if field.get_internal_type() == "DateTimeField":
            zone = timezone.get_current_timezone()
            since = timezone.make_aware(datetime.combine(start, time.min), zone)
            until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone)
            filters = {f"{self.date_field}__gte": since, f"{self.date_field}__lt": until}
        else:
            filters = {f"{self.date_field}__gte": start, f"{self.date_field}__lte": end}
        return (
            self.model.objects.filter(**filters)
            .select_related(*self.select_related)
            .order_by(self.date_field, "pk")
        )


def _invoice_rows(invoices):
    for invoice in invoices:
        yield [
            text_cell(invoice.number),
            invoice.get_kind_display(),
            text_cell(invoice.customer.number),
            text_cell(invoice.customer.name),
            date_cell(invoice.issue_date),
            date_cell(invoice.sale_date),
            date_cell(invoice.due_date),
            number_cell(invoice.net_total),
            number_cell(invoice.vat_total),
            number_cell(invoice.gross_total),
            invoice.currency,
            text_cell(invoice.ksef_number),
        ]


def _payment_rows(payments):
    for payment in payments:
        yield [
            date_cell(payment.received_on),
            text_cell(payment.customer.number),
            text_cell(payment.customer.name),
            payment.get_kind_display(),
            number_cell(payment.amount),
            payment.currency,
            text_cell(payment.title),
            text_cell(payment.named_invoice.number if payment.named_invoice else ""),
            text_cell(payment.external_id),
        ]


def _reading_rows(readings):
    for reading in readings:
        meter = reading.register.meter
        yield [
            date_cell(reading.read_on),
            text_cell(meter.service_point.customer.number),
            text_cell(meter.service_point.code),
            text_cell(meter.serial_number),
            text_cell(reading.register.code),
            number_cell(reading.value, 3),
            reading.get_source_display(),
            reading.get_status_display(),
            date_cell(reading.created_at),
        ]


def _request_rows(requests):
    for request in requests:
        yield [
            text_cell(request.reference),
            date_cell(request.created_at),
            text_cell(request.customer.number),
            text_cell(request.request_type.name),
            text_cell(request.subject),
            request.get_status_display(),
            request.get_priority_display(),
            date_cell(request.resolution_due),
            date_cell(request.closed_at),
        ]


EXPORTS = {
    "invoices": Export(
        gettext_lazy("Invoices"),
        Invoice,
        "issue_date",
        lambda: [
            _("Number"),
            _("Kind"),
            _("Customer number"),
            _("Customer"),
            _("Issue date"),
            _("Sale date"),
            _("Due date"),
            _("Net"),
            _("VAT"),
            _("Gross"),
            _("Currency"),
            _("KSeF number"),
        ],
        _invoice_rows,
        ("customer",),
    ),
    "payments": Export(
        gettext_lazy("Payments"),
        Payment,
        "received_on",
        lambda: [
            _("Received on"),
            _("Customer number"),
            _("Customer"),
            _("Kind"),
            _("Amount"),
            _("Currency"),
            _("Title"),
            _("Invoice"),
            _("ERP key"),
        ],
        _payment_rows,
        ("customer", "named_invoice"),
    ),
    "readings": Export(
        gettext_lazy("Meter readings"),
        Reading,
        "read_on",
        lambda: [
            _("Read on"),
            _("Customer number"),
            _("Service point"),
            _("Meter"),
            _("Register"),
            _("Value"),
            _("Source"),
            _("Status"),
            _("Submitted at"),
        ],
        _reading_rows,
        ("register__meter__service_point__customer",),
    ),
    "requests": Export(
        gettext_lazy("Requests"),
        Request,
        "created_at",
        lambda: [
            _("Reference"),
            _("Filed at"),
            _("Customer number"),
            _("Type"),
            _("Subject"),
            _("Status"),
            _("Priority"),
            _("Resolution due"),
            _("Closed at"),
        ],
        _request_rows,
        ("customer", "request_type"),
    ),
}


class _Echo:
    """A file that hands back what is written, for csv.writer in a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(export: Export, start: date, end: date) -> Iterator[str]:
    """The BOM and the header, then one line per row, read from the database in chunks."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(export.headers())
    rows = export.rows(export.queryset(start, end).iterator(chunk_size=CHUNK))
    for row in rows:
        yield writer.writerow(row)


class ExportForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date cannot be before the start date."))
        return cleaned


def available_exports(user) -> list[tuple[str, Export]]:
    return [(kind, export) for kind, export in EXPORTS.items() if user.has_perm(export.permission)]


@login_required
def export_index(request):
    exports = available_exports(request.user)
    if not exports:
        raise PermissionDenied
    return TemplateResponse(
        request,
        "integrations/exports_index.html",
        {"exports": exports, "form": ExportForm(initial=_last_month())},
    )


@login_required
def export_csv(request, kind: str):
    export = EXPORTS.get(kind)
    if export is None:
        raise Http404
    if not request.user.has_perm(export.permission):
        raise PermissionDenied
    form = ExportForm(request.GET)
    if not form.is_valid():
        return TemplateResponse(
            request,
            "integrations/exports_index.html",
            {"exports": available_exports(request.user), "form": form, "kind": kind},
            status=400,
        )
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    response = StreamingHttpResponse(
        csv_lines(export, start, end), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{kind}-{start.isoformat()}-{end.isoformat()}.csv"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _last_month() -> dict:
    first = timezone.localdate().replace(day=1)
    end = first - timedelta(days=1)
    return {"start": end.replace(day=1), "end": end}
