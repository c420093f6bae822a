"""The cost report of a request: staff price the work, the customer reads it and its PDF.

Amounts are worked out per line the way an invoice does: net = quantity × unit price
and VAT = net × rate, each rounded half up to the grosz, gross = net + VAT; the totals
are sums of the rounded lines. The PDF is printed on the house pages of the PDF kit,
always in Polish, like the invoices and the statement.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import transaction
from django.utils import dateformat, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, TableStyle

from documents.pdf import (
    CONTENT_WIDTH,
    Company,
    data_table,
    format_money,
    format_number,
    get_styles,
    highlight_box,
    label_value_table,
    paragraph,
    priced_line_headings,
    render_document,
)

from .models import CostItem, Event, Request
from .services import locked

GROSZ = Decimal("0.01")
HUNDRED = Decimal(100)
# Amounts never break across lines: "1 234,56 zł" wraps as one word.


@dataclass(frozen=True)
class CostLine:
    item: CostItem
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class CostReport:
    lines: list[CostLine]
    net: Decimal
    vat: Decimal
    gross: Decimal

    def __bool__(self) -> bool:
        return bool(self.lines)


def line_amounts(
    quantity: Decimal, unit_price: Decimal, vat_rate: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """Net, VAT and gross of one line, each rounded half up to the grosz."""
    net = (Decimal(quantity) * Decimal(unit_price)).quantize(GROSZ, rounding=ROUND_HALF_UP)
    vat = (net * Decimal(vat_rate) / HUNDRED).quantize(GROSZ, rounding=ROUND_HALF_UP)
    return net, vat, net + vat


def cost_report(request: Request) -> CostReport:
    """The priced lines of the request and their totals (one query)."""
    lines = [
        CostLine(item, *line_amounts(item.quantity, item.unit_price, item.vat_rate))
        for item in request.cost_items.all()
    ]
    return CostReport(
        lines=lines,
        net=sum((line.net for line in lines), Decimal("0.00")),
        vat=sum((line.vat for line in lines), Decimal("0.00")),
        gross=sum((line.gross for line in lines), Decimal("0.00")),
    )


class CostItemForm(forms.ModelForm):
    vat_rate = forms.DecimalField(
        label=CostItem._meta.get_field("vat_rate").verbose_name,
        max_digits=5,
        decimal_places=2,
        initial=Decimal("23"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(HUNDRED)],
    )

    class Meta:
        model = CostItem
        fields = ["kind", "description", "quantity", "unit", "unit_price", "vat_rate"]


@transaction.atomic
def add_cost_item(request: Request, *, actor, **fields) -> CostItem:
    """A new line of the report; the customer sees the change in the request's history."""
    request = locked(request)
    _check_open(request)
    item = CostItem(request=request, **fields)
    item.full_clean()
    item.save()
    _record(request, actor, _("Added: %(line)s") % {"line": _describe(item)})
    return item


@transaction.atomic
def remove_cost_item(item: CostItem, *, actor) -> None:
    request = locked(item.request)
    _check_open(request)
    item = CostItem.objects.get(pk=item.pk, request=request)
    item.delete()
    _record(request, actor, _("Removed: %(line)s") % {"line": _describe(item)})


def _check_open(request: Request) -> None:
    if not request.is_open:
        raise ValidationError(_("The request is closed; its cost report can no longer change."))


def _describe(item: CostItem) -> str:
    net, _vat, _gross = line_amounts(item.quantity, item.unit_price, item.vat_rate)
    return f"{item.description}, {format_money(net)} {_('net')}"


def _record(request: Request, actor, text: str) -> None:
    Event.objects.create(request=request, kind=Event.Kind.COST, actor=actor, public=True, text=text)
    Request.objects.filter(pk=request.pk).update(updated_at=timezone.now())


def format_rate(rate: Decimal) -> str:
    return f"{format_number(rate, 0, 2)}%"


# No., description, quantity, unit, net unit price, VAT rate, net, VAT, gross.
_COLUMNS_MM = (8, None, 16, 11, 19, 12, 19, 17, 19)
_NUMERIC_COLUMNS = (0, 2, 4, 5, 6, 7, 8)


def render_cost_report_pdf(request: Request, company: Company) -> bytes:
    """The cost report in Polish, whatever the reader's language."""
    with translation.override("pl"):
        title = _("Cost report %(reference)s") % {"reference": request.reference}
        return render_document(company, _story(request, title), title=title)


def _story(request: Request, title: str) -> list[Flowable]:
    styles = get_styles()
    report = cost_report(request)
    customer = request.customer
    details = [
        (_("Customer"), customer.name),
        (_("Customer number"), customer.number),
        (_("Request"), request.reference),
        (_("Subject"), request.subject),
    ]
    if request.service_point_id:
        point = request.service_point
        details.append((_("Service point"), f"{point.code}, {point.address}"))
    details.append((_("Issue date"), dateformat.format(timezone.localdate(), "d.m.Y")))
    rows = [
        [
            str(number),
            f"{capfirst(line.item.get_kind_display())}: {line.item.description}",
            format_number(line.item.quantity, 0, 2),
            line.item.unit,
            format_number(line.item.unit_price),
            format_rate(line.item.vat_rate),
            format_number(line.net),
            format_number(line.vat),
            format_number(line.gross),
        ]
        for number, line in enumerate(report.lines, start=1)
    ]
    rows.append(
        [
            "",
            _("Total"),
            "",
            "",
            "",
            "",
            format_number(report.net),
            format_number(report.vat),
            format_number(report.gross),
        ]
    )
    header = priced_line_headings()
    fixed = sum(width for width in _COLUMNS_MM if width) * mm
    widths = [width * mm if width else CONTENT_WIDTH - fixed for width in _COLUMNS_MM]
    table = data_table(header, rows, col_widths=widths, numeric_columns=_NUMERIC_COLUMNS)
    # Nine columns: the house padding of 6 pt a side would leave the description no room.
    table.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
            ]
        )
    )
    return [
        paragraph(title, styles.heading),
        label_value_table(details),
        Spacer(0, 5 * mm),
        paragraph(_("Amounts in %(currency)s.") % {"currency": "PLN"}, styles.small),
        Spacer(0, 2 * mm),
        table,
        Spacer(0, 6 * mm),
        highlight_box(
            [
                (_("Net"), format_money(report.net)),
                (_("VAT"), format_money(report.vat)),
                (_("Gross"), format_money(report.gross)),
            ]
        ),
    ]
