"""The invoice on paper: a Polish PDF on the house pages of the PDF kit.

Always in Polish, whatever the reader's language: the invoice is a Polish tax
document, so its labels, amounts and the amount in words follow Polish practice.

Drawn straight on the canvas (``pdf_canvas``) rather than laid out by platypus: the
invoice has a fixed shape, and it is the document customers download most, so the
layout engine's markup parsing and size negotiation per cell were most of its cost.
"""

from collections.abc import Sequence

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import dateformat, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from documents.pdf import NBSP, Company, format_money, format_number, priced_line_headings
from documents.pdf.layout import CONTENT_WIDTH, MARGIN_LEFT
from documents.pdf.styles import TINT

from .models import Invoice, InvoiceLine
from .pdf_canvas import (
    ADDRESS,
    ADDRESS_BOLD,
    BODY,
    BODY_BOLD,
    CELL,
    CELL_BOLD,
    HEADING,
    HIGHLIGHT_LABEL,
    HIGHLIGHT_VALUE,
    LABEL,
    LEFT,
    RIGHT,
    SUBJECT,
    Column,
    Sheet,
    Table,
    wrap,
)
from .words import amount_in_words

__all__ = ["DATE_FORMAT", "format_money", "format_number", "format_vat_rate", "render_invoice"]

# Amounts never break across lines: "1 234,56 zł" wraps as one word.
DATE_FORMAT = "d.m.Y"

# No., description, quantity, unit, net unit price, VAT rate, net, VAT, gross.
_LINE_COLUMNS_MM = (8, None, 16, 11, 19, 12, 19, 17, 19)
_LINE_NUMERIC_COLUMNS = (0, 2, 4, 5, 6, 7, 8)
# Nine columns: the house padding of 6 pt a side would leave the description no room.
_LINE_PADDING = 3
_VAT_COLUMNS_MM = (25, 30, 30, 30)
_LABEL_WIDTH = 40 * mm
_HIGHLIGHT_WIDTH = 110 * mm


def format_vat_rate(rate: str) -> str:
    """ "23%" for a percentage; "zw", "np" and "oo" print as the codes they are."""
    return f"{rate}%" if rate.isdigit() else rate


def invoice_title(invoice: Invoice) -> str:
    """ "Faktura VAT FV/2026/000123", in the active language."""
    return f"{capfirst(invoice.get_kind_display())} {invoice.number}"


def render_invoice(invoice: Invoice, company: Company) -> bytes:
    """The invoice as a Polish PDF, numbered pages with the lines' header repeated."""
    # One query for the lines, shared by the table and the VAT summary; in position
    # order, which needs no join to the invoice (the model's ordering would add one).
    prefetch_related_objects(
        [invoice], Prefetch("lines", queryset=InvoiceLine.objects.order_by("position"))
    )
    with translation.override("pl"):
        title = invoice_title(invoice)
        sheet = Sheet(company, title)
        sheet.paragraph(title, HEADING)
        _notes(sheet, invoice)
        _dates(sheet, invoice)
        sheet.space(5 * mm)
        _parties(sheet, invoice, company)
        if invoice.service_point:
            _service_point(sheet, invoice)
        sheet.space(5 * mm)
        _lines(sheet, invoice)
        _vat_summary(sheet, invoice)
        _payment(sheet, invoice, company)
        return sheet.finish()


def _date(value) -> str:
    return dateformat.format(value, DATE_FORMAT)


def _unbroken(text: str) -> str:
    """An account number wraps as a whole, never with its last group on a line alone."""
    return text.replace(" ", NBSP)


def _notes(sheet: Sheet, invoice: Invoice) -> None:
    if invoice.kind == Invoice.Kind.CORRECTIVE and invoice.corrected_invoice:
        corrected = invoice.corrected_invoice
        sheet.paragraph(
            _("Corrects invoice %(number)s of %(date)s")
            % {"number": corrected.number, "date": _date(corrected.issue_date)},
            BODY_BOLD,
        )
    if invoice.kind == Invoice.Kind.PRO_FORMA:
        sheet.paragraph(_("This pro-forma invoice is not a VAT invoice."), BODY_BOLD)


def _label_values(sheet: Sheet, pairs: Sequence[tuple[str, str]]) -> None:
    """Label and value side by side, unruled, as the kit's ``label_value_table``."""
    padding, gap = 1, 6
    for label, value in pairs:
        labels = wrap(label, CELL_BOLD, _LABEL_WIDTH - gap)
        values = wrap(value, CELL, CONTENT_WIDTH - _LABEL_WIDTH - gap)
        height = max(len(labels), len(values)) * CELL.leading + 2 * padding
        sheet.make_room(height)
        sheet.draw_lines(labels, CELL_BOLD, MARGIN_LEFT, sheet.y - padding)
        sheet.draw_lines(values, CELL, MARGIN_LEFT + _LABEL_WIDTH, sheet.y - padding)
        sheet.y -= height


def _dates(sheet: Sheet, invoice: Invoice) -> None:
    dates = [
        (_("Issue date"), _date(invoice.issue_date)),
        (_("Sale date"), _date(invoice.sale_date)),
        (_("Due date"), _date(invoice.due_date)),
    ]
    if invoice.ksef_number:
        dates.append((_("KSeF number"), invoice.ksef_number))
    _label_values(sheet, dates)


def _block(label: str, name: str, lines: Sequence[str], width: float) -> list:
    """A party's label, name and address as (style, wrapped lines) pieces."""
    pieces = [(LABEL, wrap(label, LABEL, width)), (ADDRESS_BOLD, wrap(name, ADDRESS_BOLD, width))]
    pieces += [(ADDRESS, wrap(line, ADDRESS, width)) for line in lines if line]
    return pieces


def _block_height(pieces: list) -> float:
    return sum(len(lines) * style.leading + style.space_after for style, lines in pieces)


def _draw_block(sheet: Sheet, pieces: list, x: float, top: float) -> None:
    for style, lines in pieces:
        sheet.draw_lines(lines, style, x, top)
        top -= len(lines) * style.leading + style.space_after


def _parties(sheet: Sheet, invoice: Invoice, company: Company) -> None:
    """Seller on the left, buyer on the right, as Polish invoices set them."""
    customer = invoice.customer
    seller = [company.street, f"{company.postal_code} {company.city}"]
    seller.append(f"{_('NIP')}: {company.nip}")
    if company.bank_account:
        seller.append(f"{_('Bank account')}: {_unbroken(company.bank_account)}")
    buyer = list(customer.billing_address_lines)
    if customer.nip:
        buyer.append(f"{_('NIP')}: {customer.formatted_nip}")
    buyer.append(f"{_('Customer number')}: {customer.number}")
    half, padding = CONTENT_WIDTH / 2, 6
    # The seller's column is flush with the margin; the buyer's is padded both sides.
    left = _block(_("Seller"), company.name, seller, half - padding)
    right = _block(_("Buyer"), customer.name, buyer, half - 2 * padding)
    height = max(_block_height(left), _block_height(right)) + 2 * 3
    sheet.make_room(height)
    _draw_block(sheet, left, MARGIN_LEFT, sheet.y - 3)
    _draw_block(sheet, right, MARGIN_LEFT + half + padding, sheet.y - 3)
    sheet.y -= height


def _service_point(sheet: Sheet, invoice: Invoice) -> None:
    point = invoice.service_point
    heading = " — ".join(filter(None, [point.code, point.name]))
    lines = [f"{point.street}, {point.postal_code} {point.city}"]
    if point.tariff:
        lines.append(f"{_('Tariff')}: {point.tariff}")
    sheet.space(3 * mm)
    pieces = _block(_("Service point"), heading, lines, CONTENT_WIDTH)
    sheet.make_room(_block_height(pieces))
    _draw_block(sheet, pieces, MARGIN_LEFT, sheet.y)
    sheet.y -= _block_height(pieces)


def _columns(widths_mm: Sequence[float | None], numeric: Sequence[int]) -> list[Column]:
    fixed = sum(width for width in widths_mm if width) * mm
    return [
        Column(
            width * mm if width else CONTENT_WIDTH - fixed,
            RIGHT if number in numeric else LEFT,
        )
        for number, width in enumerate(widths_mm)
    ]


def _lines(sheet: Sheet, invoice: Invoice) -> None:
    table = Table(
        _columns(_LINE_COLUMNS_MM, _LINE_NUMERIC_COLUMNS),
        padding=_LINE_PADDING,
    )
    header = table.row(
        priced_line_headings(),
        CELL_BOLD,
    )
    rows = [
        table.row(
            [
                str(line.position),
                line.description,
                format_number(line.quantity, 0, 3),
                line.unit,
                format_number(line.unit_net_price, 2, 4),
                format_vat_rate(line.vat_rate),
                format_number(line.net),
                format_number(line.vat),
                format_number(line.gross),
            ]
        )
        for line in invoice.lines.all()
    ]
    table.draw(sheet, header, rows)


def _vat_summary(sheet: Sheet, invoice: Invoice) -> None:
    """Totals per rate under a heading, kept on one page with it."""
    columns = _columns(_VAT_COLUMNS_MM, (1, 2, 3))
    table = Table(columns, x=MARGIN_LEFT + CONTENT_WIDTH - sum(c.width for c in columns))
    header = table.row([_("VAT rate"), _("Net"), _("VAT"), _("Gross")], CELL_BOLD)
    rows = [
        table.row(
            [
                format_vat_rate(row["rate"]),
                format_number(row["net"]),
                format_number(row["vat"]),
                format_number(row["gross"]),
            ]
        )
        for row in invoice.vat_summary()
    ]
    rows.append(
        table.row(
            [
                _("Total"),
                format_number(invoice.net_total),
                format_number(invoice.vat_total),
                format_number(invoice.gross_total),
            ]
        )
    )
    heading = _("VAT summary")
    gap_before = 8
    height = SUBJECT.leading + SUBJECT.space_after + header.height + sum(r.height for r in rows)
    sheet.make_room(gap_before + height)
    sheet.space(gap_before)
    sheet.paragraph(heading, SUBJECT)
    table.draw(sheet, header, rows, total_line_above_last=True)
    sheet.space(6 * mm)


def _payment(sheet: Sheet, invoice: Invoice, company: Company) -> None:
    """What is owed, in figures and in words, and how to pay it; kept on one page."""
    box_padding, label_padding = 6, 8
    label_width = _HIGHLIGHT_WIDTH * 0.4
    amount = format_money(invoice.gross_total, invoice.currency)
    labels = wrap(_("Amount due"), HIGHLIGHT_LABEL, label_width - label_padding - 6)
    values = wrap(amount, HIGHLIGHT_VALUE, _HIGHLIGHT_WIDTH - label_width - label_padding - 6)
    labels_height = len(labels) * HIGHLIGHT_LABEL.leading
    values_height = len(values) * HIGHLIGHT_VALUE.leading
    box_height = max(labels_height, values_height) + 2 * box_padding

    in_words = _("In words") + ":"
    lead = stringWidth(in_words, BODY_BOLD.font, BODY.size) + stringWidth(" ", BODY.font, BODY.size)
    words = wrap(
        amount_in_words(invoice.gross_total, invoice.currency),
        BODY,
        CONTENT_WIDTH,
        first_width=CONTENT_WIDTH - lead,
    )
    details = [(_("Due date"), _date(invoice.due_date))]
    # A correction that gives money back, or a zero one, asks for no transfer.
    if invoice.gross_total > 0:
        account = invoice.customer.formatted_bank_account or company.bank_account
        details += [(_("Pay to account"), account), (_("Transfer title"), invoice.number)]
    details_height = len(details) * (CELL.leading + 2)
    note_height = 2 * mm + BODY_BOLD.leading if invoice.split_payment else 0
    sheet.make_room(
        box_height
        + 2 * mm
        + len(words) * BODY.leading
        + BODY.space_after
        + details_height
        + note_height
    )

    canvas = sheet.canvas
    top = sheet.y
    sheet.fill(TINT)
    canvas.setStrokeColor(colors.black)
    canvas.setLineWidth(1)
    canvas.rect(MARGIN_LEFT, top - box_height, _HIGHLIGHT_WIDTH, box_height, stroke=1, fill=1)
    middle = top - box_height / 2
    sheet.draw_lines(
        labels, HIGHLIGHT_LABEL, MARGIN_LEFT + label_padding, middle + labels_height / 2
    )
    sheet.draw_lines(
        values,
        HIGHLIGHT_VALUE,
        MARGIN_LEFT + label_width + label_padding,
        middle + values_height / 2,
    )
    sheet.y -= box_height + 2 * mm

    sheet.draw_lines([in_words], BODY_BOLD, MARGIN_LEFT, sheet.y)
    first, *rest = words
    sheet.draw_lines([first], BODY, MARGIN_LEFT + lead, sheet.y)
    if rest:
        sheet.draw_lines(rest, BODY, MARGIN_LEFT, sheet.y - BODY.leading)
    sheet.y -= len(words) * BODY.leading + BODY.space_after

    _label_values(sheet, details)
    if invoice.split_payment:
        sheet.space(2 * mm)
        sheet.paragraph(_("Split payment mechanism"), BODY_BOLD)
