"""The page every Okienko document is printed on: A4, letterhead, footer.

Invoices, statements, price lists and letters share this frame so a customer sees one
company on paper. A document supplies only its story (the flowables) and, when its
first page differs (a letter's address window), its own page templates.
"""

from collections.abc import Sequence
from io import BytesIO

from django.utils.translation import gettext
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from .company import Company
from .fonts import FONT, FONT_BOLD, register_fonts
from .styles import INK, MUTED, RULE

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT = 25 * mm
MARGIN_RIGHT = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
# The letterhead fills the top 45 mm (DIN 5008's header zone); the footer the bottom 25.
BODY_TOP = 45 * mm
BODY_BOTTOM = 25 * mm

_LETTERHEAD_TOP = 12 * mm
_LETTERHEAD_RULE = 38 * mm
_LOGO_MAX_HEIGHT = 18 * mm
_LOGO_MAX_WIDTH = 60 * mm
_FOOTER_RULE = 20 * mm
_FOOTER_LINE_1 = 15 * mm
_FOOTER_LINE_2 = 11 * mm
_FOOTER_SIZE = 7


def from_top(distance: float) -> float:
    """reportlab measures y from the bottom edge; layouts are specified from the top."""
    return PAGE_HEIGHT - distance


def body_frame(top: float = BODY_TOP, frame_id: str = "body") -> Frame:
    """The text column between the letterhead (or ``top``) and the footer."""
    return Frame(
        MARGIN_LEFT,
        BODY_BOTTOM,
        CONTENT_WIDTH,
        from_top(top) - BODY_BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id=frame_id,
    )


class CompanyDocTemplate(BaseDocTemplate):
    """A4 document that knows its issuer, for the page decorations to read."""

    def __init__(self, filename, company: Company, **kwargs):
        register_fonts()
        self.company = company
        kwargs.setdefault("author", company.name)
        super().__init__(
            filename,
            pagesize=A4,
            leftMargin=MARGIN_LEFT,
            rightMargin=MARGIN_RIGHT,
            topMargin=BODY_TOP,
            bottomMargin=BODY_BOTTOM,
            creator="Okienko",
            # Else every page references Helvetica, the canvas's default before any text.
            initialFontName=FONT,
            **kwargs,
        )


def decorate_page(canvas: Canvas, doc: CompanyDocTemplate) -> None:
    """onPage callback: the letterhead and the footer, the same on every page."""
    canvas.saveState()
    draw_letterhead(canvas, doc.company)
    draw_footer(canvas, doc.company)
    canvas.restoreState()


def draw_letterhead(canvas: Canvas, company: Company) -> None:
    """Logo (or the name set large) on the left; name, address and contact on the right."""
    top = from_top(_LETTERHEAD_TOP)
    right = PAGE_WIDTH - MARGIN_RIGHT
    if company.logo_path:
        logo = ImageReader(str(company.logo_path))
        width, height = logo.getSize()
        scale = min(_LOGO_MAX_HEIGHT / height, _LOGO_MAX_WIDTH / width)
        canvas.drawImage(
            logo,
            MARGIN_LEFT,
            top - height * scale,
            width * scale,
            height * scale,
            mask="auto",
        )
    else:
        canvas.setFillColor(INK)
        canvas.setFont(FONT_BOLD, 14)
        for number, line in enumerate(simpleSplit(company.name, FONT_BOLD, 14, 95 * mm)[:2]):
            canvas.drawString(MARGIN_LEFT, top - 12 - number * 17, line)

    lines = [
        (FONT_BOLD, company.name if company.logo_path else ""),
        (FONT, company.street),
        (FONT, f"{company.postal_code} {company.city}"),
        (FONT, " · ".join(filter(None, [company.phone, company.email]))),
    ]
    canvas.setFillColor(MUTED)
    y = top - 8
    for font, text in lines:
        if text:
            canvas.setFont(font, 8)
            canvas.drawRightString(right, y, text)
            y -= 10
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN_LEFT, from_top(_LETTERHEAD_RULE), right, from_top(_LETTERHEAD_RULE))


def draw_footer(canvas: Canvas, company: Company) -> None:
    """Who issued the paper and where to pay, as Polish business documents print it."""
    right = PAGE_WIDTH - MARGIN_RIGHT
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN_LEFT, _FOOTER_RULE, right, _FOOTER_RULE)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, _FOOTER_SIZE)
    canvas.drawString(MARGIN_LEFT, _FOOTER_LINE_1, f"{company.name} · {company.postal_address}")
    registration = [
        (gettext("NIP"), company.nip),
        (gettext("REGON"), company.regon),
        (gettext("Bank account"), company.bank_account),
    ]
    canvas.drawString(
        MARGIN_LEFT,
        _FOOTER_LINE_2,
        " · ".join(f"{label}: {value}" for label, value in registration if value),
    )


class NumberedCanvas(Canvas):
    """Holds pages back until the end, so each can print "page X of Y".

    The total is unknown while platypus lays out page X; this is reportlab's usual
    answer, cheaper than building the document twice.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._held_pages: list[dict] = []

    def showPage(self):
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._held_pages)
        for number, state in enumerate(self._held_pages, start=1):
            self.__dict__.update(state)
            self.setFillColor(MUTED)
            self.setFont(FONT, _FOOTER_SIZE)
            self.drawRightString(
                PAGE_WIDTH - MARGIN_RIGHT,
                _FOOTER_LINE_1,
                gettext("Page %(number)s of %(total)s") % {"number": number, "total": total},
            )
            super().showPage()
        super().save()


def build_pdf(
    company: Company,
    story: Sequence[Flowable],
    *,
    page_templates: Sequence[PageTemplate] | None = None,
    numbered: bool = True,
    title: str = "",
) -> bytes:
    """Lay the story out on the company's pages and return the PDF.

    Without ``page_templates`` every page has the letterhead, one text column and the
    footer; ``numbered`` adds "page X of Y" for documents read as one (an invoice),
    and is off for batches where the count would run across unrelated recipients.
    """
    buffer = BytesIO()
    doc = CompanyDocTemplate(buffer, company, title=title)
    doc.addPageTemplates(
        list(
            page_templates or [PageTemplate(id="page", frames=[body_frame()], onPage=decorate_page)]
        )
    )
    doc.build(list(story), canvasmaker=NumberedCanvas if numbered else Canvas)
    return buffer.getvalue()


def render_document(company: Company, story: Sequence[Flowable], *, title: str = "") -> bytes:
    """A document (invoice, statement, price list) on the house pages, numbered."""
    return build_pdf(company, story, title=title)
