"""A price list version on paper: the house pages of the PDF kit, like the invoices.

Always in Polish, whatever the reader's language: the items and their names are
written in Polish by the editors, and a price list is part of a Polish contract.
"""

from functools import cache
from typing import TYPE_CHECKING

from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, TableStyle

from .pdf import (
    CONTENT_WIDTH,
    NBSP,
    Company,
    data_table,
    format_money,
    format_number,
    get_styles,
    label_value_table,
    paragraph,
    render_document,
)
from .pdf.numbers import CURRENCY_SYMBOLS
from .pricelists import format_vat_rate

if TYPE_CHECKING:
    from .models import PriceListPage

DATE_FORMAT = "d.m.Y"
# Code, item, unit, net price, VAT rate, gross price; the item takes the rest.
_COLUMNS_MM = (22, None, 20, 26, 13, 24)
_NUMERIC_COLUMNS = (3, 4, 5)


def format_price(value, currency: str = "PLN") -> str:
    """A unit price keeps up to four decimals ("0,6212 zł"); whole grosze print two."""
    return f"{format_number(value, 2, 4)}{NBSP}{CURRENCY_SYMBOLS.get(currency, currency)}"


@cache
def _table_heading_style() -> ParagraphStyle:
    """The table's title never stays alone at the foot of a page."""
    return ParagraphStyle(
        "price_list_table", parent=get_styles().subject, spaceBefore=4, keepWithNext=1
    )


def render_price_list(page: "PriceListPage", company: Company) -> bytes:
    """The version's tables with net and gross prices, numbered pages, headers repeated."""
    with translation.override("pl"):
        return render_document(company, _story(page), title=page.title)


def _date(value) -> str:
    return dateformat.format(value, DATE_FORMAT)


def _story(page: "PriceListPage") -> list[Flowable]:
    styles = get_styles()
    details = [(_("Effective from"), _date(page.effective_from))]
    if page.effective_to:
        details.append((_("Effective to"), _date(page.effective_to)))
    details.append((_("Printed on"), _date(timezone.localdate())))
    story: list[Flowable] = [
        paragraph(page.title, styles.heading),
        label_value_table(details),
        Spacer(0, 4 * mm),
    ]
    if page.intro:
        story.append(paragraph(page.intro))
    heading = _table_heading_style()
    for block in page.tables:
        story += [
            paragraph(block.value.heading, heading),
            _table(block.value["rows"]),
            Spacer(0, 5 * mm),
        ]
    story.append(
        paragraph(
            _(
                "Gross prices are the net prices with VAT at the rate shown, rounded to "
                "the nearest grosz."
            ),
            styles.small,
        )
    )
    return story


def _table(rows) -> Flowable:
    header = [
        _("Code"),
        _("Item"),
        _("Unit"),
        _("Net price"),
        _("VAT"),
        _("Gross price"),
    ]
    data = [
        [
            row["item_code"],
            row["item"],
            row["unit"],
            format_price(row["net_price"]),
            format_vat_rate(row["vat_rate"]),
            format_money(row.gross_price),
        ]
        for row in rows
    ]
    fixed = sum(width for width in _COLUMNS_MM if width) * mm
    widths = [width * mm if width else CONTENT_WIDTH - fixed for width in _COLUMNS_MM]
    table = data_table(header, data, col_widths=widths, numeric_columns=_NUMERIC_COLUMNS)
    # Six columns with amounts: the house padding would leave the item's name too little room.
    table.setStyle(
        TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)])
    )
    return table
