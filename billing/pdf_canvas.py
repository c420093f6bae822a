"""Text, tables and pages drawn straight on a reportlab canvas, on the house pages.

An invoice has a fixed shape, so it needs none of platypus: no markup to parse, no
flowables to negotiate sizes. Text is measured with ``stringWidth`` and wrapped only
when it does not fit; the sheet tracks where the next block goes and starts a new
page (letterhead, footer, "page X of Y") when it does not fit.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth

from documents.pdf import FONT, FONT_BOLD, Company, register_fonts
from documents.pdf.layout import (
    BODY_BOTTOM,
    BODY_TOP,
    CONTENT_WIDTH,
    MARGIN_LEFT,
    NumberedCanvas,
    draw_footer,
    draw_letterhead,
    from_top,
)
from documents.pdf.styles import INK, MUTED, RULE, TINT

LEFT, RIGHT = "left", "right"


@dataclass(frozen=True)
class TextStyle:
    """A font, its size, the distance between baselines, a colour and the gap after."""

    font: str
    size: float
    leading: float
    color: Color = INK
    space_after: float = 0


# The house styles (documents.pdf.styles), as plain values.
BODY = TextStyle(FONT, 10, 14, space_after=6)
BODY_BOLD = TextStyle(FONT_BOLD, 10, 14, space_after=6)
HEADING = TextStyle(FONT_BOLD, 13, 17, space_after=8)
SUBJECT = TextStyle(FONT_BOLD, 11, 15, space_after=4)
ADDRESS = TextStyle(FONT, 10, 13)
ADDRESS_BOLD = TextStyle(FONT_BOLD, 10, 13)
LABEL = TextStyle(FONT_BOLD, 8, 10, MUTED, space_after=2)
CELL = TextStyle(FONT, 9, 11)
CELL_BOLD = TextStyle(FONT_BOLD, 9, 11)
HIGHLIGHT_LABEL = TextStyle(FONT, 8, 10, MUTED)
HIGHLIGHT_VALUE = TextStyle(FONT_BOLD, 18, 22)


def wrap(text: str, style: TextStyle, width: float, first_width: float | None = None) -> list[str]:
    """The text's lines within ``width`` (the first within ``first_width``, if given).

    Breaks at ordinary spaces only, so a non-breaking space keeps an amount or an account
    number whole; a word wider than the line is broken between letters rather than run
    over the next column. Line breaks in the text are kept.
    """
    first_width = width if first_width is None else first_width
    font, size = style.font, style.size
    if "\n" not in text and stringWidth(text, font, size) <= first_width:
        return [text]
    space = stringWidth(" ", font, size)
    lines: list[str] = []
    for source_line in text.splitlines() or [""]:
        words: list[str] = []
        used = 0.0
        for word in source_line.split(" "):
            if not word:
                continue
            word_width = stringWidth(word, font, size)
            limit = width if lines else first_width
            if words and used + space + word_width <= limit:
                words.append(word)
                used += space + word_width
                continue
            if word_width > width:
                # As platypus does: the word starts where the line has room and runs on.
                room = limit - used - space if words else limit
                first, *rest = _break_word(word, font, size, room, width, not words)
                if first:
                    words.append(first)
                    used += (space if len(words) > 1 else 0) + stringWidth(first, font, size)
                if rest:
                    lines.append(" ".join(words))
                    lines += rest[:-1]
                    words, used = [rest[-1]], stringWidth(rest[-1], font, size)
                continue
            if words:
                lines.append(" ".join(words))
            words, used = [word], word_width
        lines.append(" ".join(words))
    return lines


def _break_word(
    word: str, font: str, size: float, room: float, width: float, fresh_line: bool
) -> list[str]:
    """A word wider than a line in pieces: the first fills ``room``, the others ``width``.

    The first piece is empty when the line already holds words and not one letter fits
    after them; a piece on a line of its own has at least one letter, however narrow.
    """
    pieces: list[str] = []
    piece, limit = "", room
    for letter in word:
        candidate = piece + letter
        on_own_line = bool(pieces) or fresh_line
        if stringWidth(candidate, font, size) <= limit or (not piece and on_own_line):
            piece = candidate
        else:
            pieces.append(piece)
            piece, limit = letter, width
    pieces.append(piece)
    return pieces


@dataclass(frozen=True)
class Column:
    """A table column: its width, and whether its cells are figures set flush right."""

    width: float
    align: str = LEFT


@dataclass
class Row:
    """A table row wrapped to its columns: each cell's lines, and the row's height."""

    cells: list[list[str]]
    style: TextStyle
    height: float


class Sheet:
    """The pages of one document, and where on the current page the next block goes."""

    def __init__(self, company: Company, title: str):
        register_fonts()
        self.company = company
        self._buffer = BytesIO()
        # The canvas's default font would otherwise land in every page's resources.
        self.canvas = NumberedCanvas(self._buffer, pagesize=A4, initialFontName=FONT)
        self.canvas.setAuthor(company.name)
        self.canvas.setTitle(title)
        self.canvas.setCreator("Okienko")
        self.top = from_top(BODY_TOP)
        self.bottom = BODY_BOTTOM
        self.y = self.top
        self._decorate()

    def _decorate(self) -> None:
        self.canvas.saveState()
        draw_letterhead(self.canvas, self.company)
        draw_footer(self.canvas, self.company)
        self.canvas.restoreState()
        # What draw_lines last set; a new page (or restored state) starts unknown.
        self._font: tuple[str, float] | None = None
        self._color: Color | None = None

    def new_page(self) -> None:
        self.canvas.showPage()
        self._decorate()
        self.y = self.top

    def fill(self, color: Color) -> None:
        """The fill colour for text and shapes, set on the page only when it changes.

        Compared by identity: the house colours are module constants, and a colour's
        own equality test costs more than setting it again.
        """
        if self._color is not color:
            self.canvas.setFillColor(color)
            self._color = color

    @property
    def at_page_top(self) -> bool:
        return self.y >= self.top

    def make_room(self, height: float) -> None:
        """Start a new page unless ``height`` fits above the footer (or the page is fresh)."""
        if self.y - height < self.bottom and not self.at_page_top:
            self.new_page()

    def space(self, height: float) -> None:
        """Vertical space; like platypus, none at the top of a page."""
        if not self.at_page_top:
            self.y = max(self.y - height, self.bottom)

    def draw_lines(
        self,
        lines: Sequence[str],
        style: TextStyle,
        x: float,
        top: float,
        align: str = LEFT,
    ) -> None:
        """Lines from ``top`` down (the first baseline a font size below), left or right of x."""
        canvas = self.canvas
        # Each call writes to the page, so the font is set only when it changes.
        if self._font != (style.font, style.size):
            canvas.setFont(style.font, style.size)
            self._font = (style.font, style.size)
        self.fill(style.color)
        baseline = top - style.size
        draw = canvas.drawRightString if align == RIGHT else canvas.drawString
        for line in lines:
            draw(x, baseline, line)
            baseline -= style.leading

    def paragraph(self, text: str, style: TextStyle, width: float = CONTENT_WIDTH) -> None:
        """Text across the column, wrapped, on the next page if it does not fit here."""
        lines = wrap(text, style, width)
        height = len(lines) * style.leading
        self.make_room(height)
        self.draw_lines(lines, style, MARGIN_LEFT, self.y)
        self.y -= height + style.space_after

    def finish(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self._buffer.getvalue()


class Table:
    """Ruled rows under a tinted header that repeats on every page the table spans.

    Rows never split: a row that does not fit above the footer moves to the next page,
    under a fresh header.
    """

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        x: float = MARGIN_LEFT,
        padding: float = 6,
        vertical_padding: float = 3,
    ):
        self.columns = list(columns)
        self.x = x
        self.width = sum(column.width for column in self.columns)
        self.padding = padding
        self.vertical_padding = vertical_padding

    def row(self, values: Sequence[str], style: TextStyle = CELL) -> Row:
        inner = [column.width - 2 * self.padding for column in self.columns]
        cells = [wrap(value, style, width) for value, width in zip(values, inner, strict=True)]
        lines = max(len(cell) for cell in cells)
        return Row(cells, style, lines * style.leading + 2 * self.vertical_padding)

    def draw(
        self,
        sheet: Sheet,
        header: Row,
        rows: Sequence[Row],
        *,
        total_line_above_last: bool = False,
    ) -> None:
        """The header and the rows, starting a page whenever the next row does not fit."""
        sheet.make_room(header.height + (rows[0].height if rows else 0))
        self._draw_header(sheet, header)
        for number, row in enumerate(rows):
            if sheet.y - row.height < sheet.bottom:
                sheet.new_page()
                self._draw_header(sheet, header)
            self._draw_row(sheet, row)
            canvas = sheet.canvas
            if total_line_above_last and number == len(rows) - 1:
                self._rule(canvas, sheet.y, 0.8, colors.black)
            sheet.y -= row.height
            self._rule(canvas, sheet.y, 0.4, RULE)

    def _draw_header(self, sheet: Sheet, header: Row) -> None:
        sheet.fill(TINT)
        sheet.canvas.rect(
            self.x, sheet.y - header.height, self.width, header.height, stroke=0, fill=1
        )
        self._draw_row(sheet, header)
        sheet.y -= header.height
        self._rule(sheet.canvas, sheet.y, 0.8, colors.black)

    def _draw_row(self, sheet: Sheet, row: Row) -> None:
        top = sheet.y - self.vertical_padding
        left = self.x
        for column, lines in zip(self.columns, row.cells, strict=True):
            inset = column.width - self.padding if column.align == RIGHT else self.padding
            x = left + inset
            if lines and lines != [""]:
                sheet.draw_lines(lines, row.style, x, top, column.align)
            left += column.width

    def _rule(self, canvas, y: float, width: float, color: Color) -> None:
        canvas.setStrokeColor(color)
        canvas.setLineWidth(width)
        canvas.line(self.x, y, self.x + self.width, y)
