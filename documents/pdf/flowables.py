"""Small building blocks for a document's story: escaped text, tables, a highlight box."""

from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table, TableStyle

from .fonts import FONT
from .styles import RULE, TINT, get_styles


def escape_text(text: str) -> str:
    """Plain text as Paragraph markup: data such as ``<b>`` or ``&`` prints literally.

    Line breaks in the text are kept, so an address or a closing can span lines.
    """
    return "<br/>".join(escape(line) for line in str(text).splitlines())


def paragraph(text: str, style: ParagraphStyle | None = None) -> Paragraph:
    """A Paragraph of plain text (never markup) in a house style, ``body`` by default."""
    return Paragraph(escape_text(text), style or get_styles().body)


def priced_line_headings() -> list[str]:
    """The nine column headings of a table of priced lines (an invoice, a cost estimate),
    in the active language."""
    return [
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


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    col_widths: Sequence[float] | None = None,
    numeric_columns: Sequence[int] = (),
) -> Table:
    """A ruled table with the header repeated on every page it spans.

    Cells are plain text wrapped in Paragraphs, so long names wrap instead of running
    over the next column; ``numeric_columns`` (indexes) are right-aligned for amounts.
    """
    styles = get_styles()

    def row_of(values: Sequence[str], text_style, number_style) -> list[Paragraph]:
        return [
            paragraph(value, number_style if column in numeric_columns else text_style)
            for column, value in enumerate(values)
        ]

    data = [row_of(header, styles.table_header, styles.table_header_number)]
    data += [row_of(row, styles.table, styles.table_number) for row in rows]
    table = Table(data, colWidths=col_widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                # Cells are Paragraphs, but the cell's own font (Helvetica) still lands
                # in the PDF's resources unless it is set.
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), TINT),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def highlight_box(pairs: Sequence[tuple[str, str]], width: float = 110 * mm) -> Table:
    """Label and value pairs in a framed box, the value large and bold.

    Meant for what the reader must copy by hand, such as an activation code; Roboto's
    figures are tabular, so digits line up like a monospace font.
    """
    styles = get_styles()
    data = [
        [paragraph(label, styles.highlight_label), paragraph(value, styles.highlight_value)]
        for label, value in pairs
    ]
    table = Table(data, colWidths=[width * 0.4, width * 0.6], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("BOX", (0, 0), (-1, -1), 1, colors.black),
                ("BACKGROUND", (0, 0), (-1, -1), TINT),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return table


def label_value_table(pairs: Sequence[tuple[str, str]], label_width: float = 40 * mm) -> Table:
    """Label and value side by side, unruled: dates, parties, payment details."""
    from .layout import CONTENT_WIDTH

    styles = get_styles()
    table = Table(
        [
            [paragraph(label, styles.table_header), paragraph(value, styles.table)]
            for label, value in pairs
        ],
        colWidths=[label_width, CONTENT_WIDTH - label_width],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table
