"""The statement of account as files: a Polish PDF on the house pages, and a CSV."""

import csv
import io
from decimal import Decimal

from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, TableStyle

from documents.pdf import (
    CONTENT_WIDTH,
    Company,
    data_table,
    get_styles,
    highlight_box,
    label_value_table,
    paragraph,
    render_document,
)

from .pdf import DATE_FORMAT, format_money, format_number
from .statement import Statement

# Date, document, description, debit, credit, balance; the description takes the rest.
_COLUMNS_MM = (19, 30, None, 23, 23, 25)
_NUMERIC_COLUMNS = (3, 4, 5)
# A spreadsheet runs a cell starting with these as a formula; a payer writes the title.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def column_headers() -> list[str]:
    return [
        _("Date"),
        _("Document"),
        pgettext("statement column", "Description"),
        _("Debit"),
        _("Credit"),
        _("Balance"),
    ]


def render_statement_pdf(statement: Statement, customer, company: Company) -> bytes:
    """The statement in Polish, whatever the reader's language, its header on every page."""
    with translation.override("pl"):
        title = _("Statement of account")
        return render_document(company, _story(statement, customer, title), title=title)


def _story(statement: Statement, customer, title: str) -> list[Flowable]:
    styles = get_styles()
    details = [
        (_("Customer"), customer.name),
        (_("Customer number"), customer.number),
        (_("Period"), f"{_date(statement.start)} – {_date(statement.end)}"),
        (_("Issue date"), _date(timezone.localdate())),
    ]
    rows = [["", "", _("Opening balance"), "", "", format_number(statement.opening_balance)]]
    rows += [
        [
            _date(row.date),
            row.document,
            str(row.description),
            _amount(row.debit),
            _amount(row.credit),
            format_number(row.balance),
        ]
        for row in statement.rows
    ]
    rows.append(
        [
            "",
            "",
            _("Closing balance"),
            format_number(statement.total_debit),
            format_number(statement.total_credit),
            format_number(statement.closing_balance),
        ]
    )
    fixed = sum(width for width in _COLUMNS_MM if width) * mm
    widths = [width * mm if width else CONTENT_WIDTH - fixed for width in _COLUMNS_MM]
    table = data_table(column_headers(), rows, col_widths=widths, numeric_columns=_NUMERIC_COLUMNS)
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
        highlight_box([(_("Closing balance"), format_money(statement.closing_balance))]),
        Spacer(0, 2 * mm),
        paragraph(
            _("A positive balance is what you owe; a negative balance is an overpayment."),
            styles.small,
        ),
    ]


def _date(value) -> str:
    return dateformat.format(value, DATE_FORMAT)


def _amount(value: Decimal) -> str:
    return format_number(value) if value else ""


def statement_csv(statement: Statement) -> bytes:
    """UTF-8 with a BOM, semicolons and decimal commas, as a Polish spreadsheet opens it.

    Opening balance first, closing balance last; amounts without thousands separators
    so that they read as numbers; text cells never start a formula.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(column_headers())
    writer.writerow(
        [
            statement.start.isoformat(),
            "",
            _("Opening balance"),
            "",
            "",
            _csv_number(statement.opening_balance),
        ]
    )
    for row in statement.rows:
        writer.writerow(
            [
                row.date.isoformat(),
                _csv_text(row.document),
                _csv_text(str(row.description)),
                _csv_number(row.debit) if row.debit else "",
                _csv_number(row.credit) if row.credit else "",
                _csv_number(row.balance),
            ]
        )
    writer.writerow(
        [
            statement.end.isoformat(),
            "",
            _("Closing balance"),
            _csv_number(statement.total_debit),
            _csv_number(statement.total_credit),
            _csv_number(statement.closing_balance),
        ]
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_number(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _csv_text(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text
