"""The invoice on paper: a Polish PDF on the house pages of the PDF kit.

Always in Polish, whatever the reader's language: the invoice is a Polish tax
document, so its labels, amounts and the amount in words follow Polish practice.
"""

from collections.abc import Sequence
from functools import cache
from types import SimpleNamespace

from django.utils import dateformat, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from documents.pdf import (
    CONTENT_WIDTH,
    FONT,
    FONT_BOLD,
    NBSP,
    Company,
    data_table,
    escape_text,
    format_money,
    format_number,
    get_styles,
    highlight_box,
    label_value_table,
    paragraph,
    render_document,
)
from documents.pdf.styles import MUTED

from .models import Invoice
from .words import amount_in_words

# Amounts never break across lines: "1 234,56 zł" wraps as one word.
DATE_FORMAT = "d.m.Y"

# No., description, quantity, unit, net unit price, VAT rate, net, VAT, gross.
_LINE_COLUMNS_MM = (8, None, 16, 11, 19, 12, 19, 17, 19)
_LINE_NUMERIC_COLUMNS = (0, 2, 4, 5, 6, 7, 8)


def format_vat_rate(rate: str) -> str:
    """ "23%" for a percentage; "zw", "np" and "oo" print as the codes they are."""
    return f"{rate}%" if rate.isdigit() else rate


def invoice_title(invoice: Invoice) -> str:
    """ "Faktura VAT FV/2026/000123", in the active language."""
    return f"{capfirst(invoice.get_kind_display())} {invoice.number}"


def render_invoice(invoice: Invoice, company: Company) -> bytes:
    """The invoice as a Polish PDF, numbered pages with the lines' header repeated."""
    with translation.override("pl"):
        title = invoice_title(invoice)
        return render_document(company, _story(invoice, company, title), title=title)


@cache
def _styles() -> SimpleNamespace:
    house = get_styles()
    return SimpleNamespace(
        house=house,
        label=ParagraphStyle(
            "invoice_label", parent=house.small, fontName=FONT_BOLD, textColor=MUTED, spaceAfter=2
        ),
        name=ParagraphStyle("invoice_party_name", parent=house.address, fontName=FONT_BOLD),
        note=ParagraphStyle("invoice_note", parent=house.body, fontName=FONT_BOLD),
        section=ParagraphStyle(
            "invoice_section", parent=house.subject, spaceBefore=8, spaceAfter=4
        ),
    )


def _story(invoice: Invoice, company: Company, title: str) -> list[Flowable]:
    styles = _styles()
    story: list[Flowable] = [paragraph(title, styles.house.heading)]
    if invoice.kind == Invoice.Kind.CORRECTIVE and invoice.corrected_invoice:
        corrected = invoice.corrected_invoice
        story.append(
            paragraph(
                _("Corrects invoice %(number)s of %(date)s")
                % {"number": corrected.number, "date": _date(corrected.issue_date)},
                styles.note,
            )
        )
    if invoice.kind == Invoice.Kind.PRO_FORMA:
        story.append(paragraph(_("This pro-forma invoice is not a VAT invoice."), styles.note))
    dates = [
        (_("Issue date"), _date(invoice.issue_date)),
        (_("Sale date"), _date(invoice.sale_date)),
        (_("Due date"), _date(invoice.due_date)),
    ]
    if invoice.ksef_number:
        dates.append((_("KSeF number"), invoice.ksef_number))
    story += [label_value_table(dates), Spacer(0, 5 * mm), _parties(invoice, company)]
    if invoice.service_point:
        story += _service_point(invoice)
    story += [
        Spacer(0, 5 * mm),
        _lines_table(invoice),
        KeepTogether(_vat_summary(invoice)),
        KeepTogether(_payment(invoice, company)),
    ]
    return story


def _unbroken(text: str) -> str:
    """An account number wraps as a whole, never with its last group on a line alone."""
    return text.replace(" ", NBSP)


def _date(value) -> str:
    return dateformat.format(value, DATE_FORMAT)


def _party(label: str, name: str, lines: Sequence[str]) -> list[Flowable]:
    styles = _styles()
    return [
        paragraph(label, styles.label),
        paragraph(name, styles.name),
        *(paragraph(line, styles.house.address) for line in lines if line),
    ]


def _parties(invoice: Invoice, company: Company) -> Table:
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
    half = CONTENT_WIDTH / 2
    table = Table(
        [[_party(_("Seller"), company.name, seller), _party(_("Buyer"), customer.name, buyer)]],
        colWidths=[half, half],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ]
        )
    )
    return table


def _service_point(invoice: Invoice) -> list[Flowable]:
    point = invoice.service_point
    heading = " — ".join(filter(None, [point.code, point.name]))
    lines = [f"{point.street}, {point.postal_code} {point.city}"]
    if point.tariff:
        lines.append(f"{_('Tariff')}: {point.tariff}")
    return [Spacer(0, 3 * mm), *_party(_("Service point"), heading, lines)]


def _lines_table(invoice: Invoice) -> Table:
    header = [
        pgettext("invoice line number", "No."),
        _("Description"),
        _("Quantity"),
        _("Unit"),
        _("Net unit price"),
        _("VAT rate"),
        _("Net"),
        _("VAT"),
        _("Gross"),
    ]
    rows = [
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
        for line in invoice.lines.all()
    ]
    fixed = sum(width for width in _LINE_COLUMNS_MM if width) * mm
    widths = [width * mm if width else CONTENT_WIDTH - fixed for width in _LINE_COLUMNS_MM]
    table = data_table(header, rows, col_widths=widths, numeric_columns=_LINE_NUMERIC_COLUMNS)
    # Nine columns: the house padding of 6 pt a side would leave the description no room.
    table.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _vat_summary(invoice: Invoice) -> list[Flowable]:
    rows = [
        [
            format_vat_rate(row["rate"]),
            format_number(row["net"]),
            format_number(row["vat"]),
            format_number(row["gross"]),
        ]
        for row in invoice.vat_summary()
    ]
    rows.append(
        [
            _("Total"),
            format_number(invoice.net_total),
            format_number(invoice.vat_total),
            format_number(invoice.gross_total),
        ]
    )
    table = data_table(
        [_("VAT rate"), _("Net"), _("VAT"), _("Gross")],
        rows,
        col_widths=[25 * mm, 30 * mm, 30 * mm, 30 * mm],
        numeric_columns=(1, 2, 3),
    )
    table.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black)]))
    table.hAlign = "RIGHT"
    return [paragraph(_("VAT summary"), _styles().section), table, Spacer(0, 6 * mm)]


def _payment(invoice: Invoice, company: Company) -> list[Flowable]:
    """What is owed, in figures and in words, and how to pay it."""
    styles = _styles()
    words = amount_in_words(invoice.gross_total, invoice.currency)
    story: list[Flowable] = [
        highlight_box([(_("Amount due"), format_money(invoice.gross_total, invoice.currency))]),
        Spacer(0, 2 * mm),
        Paragraph(f"<b>{escape_text(_('In words'))}:</b> {escape_text(words)}", styles.house.body),
    ]
    details = [(_("Due date"), _date(invoice.due_date))]
    # A correction that gives money back, or a zero one, asks for no transfer.
    if invoice.gross_total > 0:
        account = invoice.customer.formatted_bank_account or company.bank_account
        details += [(_("Pay to account"), account), (_("Transfer title"), invoice.number)]
    story.append(label_value_table(details))
    if invoice.split_payment:
        story += [Spacer(0, 2 * mm), paragraph(_("Split payment mechanism"), styles.note)]
    return story
