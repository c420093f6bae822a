"""The PDF kit: one look for invoices, statements, price lists and letters.

Set in Roboto (Polish letters need a TTF), on A4 with the company's letterhead and a
footer naming the issuer, its NIP and bank account.
"""

from .company import Company, issuing_company
from .flowables import (
    data_table,
    escape_text,
    highlight_box,
    label_value_table,
    paragraph,
    priced_line_headings,
)
from .fonts import FONT, FONT_BOLD, FONT_BOLD_ITALIC, FONT_ITALIC, register_fonts
from .layout import CONTENT_WIDTH, build_pdf, render_document
from .letters import Letter, render_letters
from .numbers import NBSP, format_money, format_number
from .styles import get_styles

__all__ = [
    "CONTENT_WIDTH",
    "FONT",
    "FONT_BOLD",
    "FONT_BOLD_ITALIC",
    "FONT_ITALIC",
    "NBSP",
    "Company",
    "Letter",
    "build_pdf",
    "data_table",
    "escape_text",
    "format_money",
    "format_number",
    "get_styles",
    "highlight_box",
    "issuing_company",
    "label_value_table",
    "paragraph",
    "priced_line_headings",
    "register_fonts",
    "render_document",
    "render_letters",
]
