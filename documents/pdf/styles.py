"""Paragraph styles shared by every Okienko document, so they all read alike."""

from dataclasses import dataclass
from functools import cache

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle

from .fonts import FONT, FONT_BOLD, register_fonts

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#5f6b7a")
RULE = colors.HexColor("#c5ccd6")
TINT = colors.HexColor("#f1f4f8")


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    subject: ParagraphStyle
    heading: ParagraphStyle
    closing: ParagraphStyle
    place_and_date: ParagraphStyle
    address: ParagraphStyle
    return_line: ParagraphStyle
    table: ParagraphStyle
    table_number: ParagraphStyle
    table_header: ParagraphStyle
    table_header_number: ParagraphStyle
    highlight_label: ParagraphStyle
    highlight_value: ParagraphStyle


@cache
def get_styles() -> Styles:
    """The house styles, built once the Roboto family is registered."""
    register_fonts()
    body = ParagraphStyle(
        "body", fontName=FONT, fontSize=10, leading=14, textColor=INK, spaceAfter=6
    )
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, spaceAfter=0)
    table = ParagraphStyle("table", parent=body, fontSize=9, leading=11, spaceAfter=0)
    table_header = ParagraphStyle("table_header", parent=table, fontName=FONT_BOLD)
    return Styles(
        body=body,
        small=small,
        subject=ParagraphStyle(
            "subject", parent=body, fontName=FONT_BOLD, fontSize=11, leading=15, spaceAfter=10
        ),
        heading=ParagraphStyle(
            "heading", parent=body, fontName=FONT_BOLD, fontSize=13, leading=17, spaceAfter=8
        ),
        closing=ParagraphStyle("closing", parent=body, spaceBefore=12),
        place_and_date=ParagraphStyle("place_and_date", parent=body, alignment=TA_RIGHT),
        address=ParagraphStyle("address", parent=body, leading=13, spaceAfter=0),
        return_line=ParagraphStyle(
            "return_line", parent=small, fontSize=6.5, leading=8, textColor=MUTED
        ),
        table=table,
        table_number=ParagraphStyle("table_number", parent=table, alignment=TA_RIGHT),
        table_header=table_header,
        table_header_number=ParagraphStyle(
            "table_header_number", parent=table_header, alignment=TA_RIGHT
        ),
        highlight_label=ParagraphStyle("highlight_label", parent=small, textColor=MUTED),
        highlight_value=ParagraphStyle(
            "highlight_value",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=18,
            leading=22,
            spaceAfter=0,
        ),
    )
