"""Letters for window envelopes: activation codes, notices, anything sent by post.

The recipient's address sits in the window of a DL/C5 envelope laid out to DIN 5008
type B (window 20 mm from the left, 45 mm from the top, 85 × 45 mm), the layout Polish
mail rooms and envelope printers take for granted. Many letters go out as one PDF,
one letter from a fresh page, ready for one print job.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Frame,
    FrameBreak,
    KeepInFrame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Spacer,
)

from .company import Company
from .flowables import highlight_box, paragraph
from .layout import (
    MARGIN_RIGHT,
    PAGE_WIDTH,
    CompanyDocTemplate,
    body_frame,
    build_pdf,
    decorate_page,
    from_top,
)
from .styles import RULE, get_styles

WINDOW_LEFT = 20 * mm
WINDOW_TOP = 45 * mm
WINDOW_WIDTH = 85 * mm
WINDOW_HEIGHT = 45 * mm
# DIN 5008: the window's top 17.7 mm are the endorsement zone, which ends with the
# sender's return line; the address proper takes the remaining 27.3 mm.
_ENDORSEMENT_HEIGHT = 17.7 * mm
_RETURN_LINE_HEIGHT = 5 * mm
_WINDOW_PADDING = 5 * mm
# The text starts below the window (DIN 5008 B: 98.46 mm from the top).
_FIRST_PAGE_BODY_TOP = 100 * mm
_INFO_LEFT = 125 * mm
# Fold marks for a DL envelope (thirds) and the punch mark, on the left edge.
_MARKS = (105 * mm, 148.5 * mm, 210 * mm)

FIRST_PAGE = "letter-first"
NEXT_PAGE = "letter-next"


@dataclass(frozen=True)
class Letter:
    """One letter to one recipient. All text is plain: nothing in it is markup.

    ``highlight`` is printed in a framed box in large type, for what the reader must
    copy by hand (an activation code and its expiry, say).
    """

    recipient_name: str
    recipient_lines: Sequence[str]
    place_and_date: str
    subject: str
    paragraphs: Sequence[str]
    highlight: Sequence[tuple[str, str]] = field(default_factory=list)
    closing: str = ""


class _Progress(Flowable):
    """Zero-size mark after each letter: reports how many letters are laid out."""

    def __init__(self, count: int, callback: Callable[[int], None]):
        super().__init__()
        self.count, self.callback = count, callback

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.callback(self.count)


def render_letters(
    company: Company,
    letters: Sequence[Letter],
    on_progress: Callable[[int], None] | None = None,
) -> bytes:
    """One PDF with every letter starting on a page of its own.

    ``on_progress`` is called with the number of letters laid out so far, so a long
    batch can show how far it is.
    """
    if not letters:
        raise ValueError("render_letters needs at least one letter")
    story: list[Flowable] = []
    for number, letter in enumerate(letters):
        if number:
            story += [NextPageTemplate(FIRST_PAGE), PageBreak()]
        story += _letter_story(company, letter)
        if on_progress is not None:
            story.append(_Progress(number + 1, on_progress))
    title = letters[0].subject if len(letters) == 1 else company.name
    return build_pdf(company, story, page_templates=_page_templates(), numbered=False, title=title)


def _letter_story(company: Company, letter: Letter) -> list[Flowable]:
    """Return line, address, place and date, then the body, frame by frame."""
    styles = get_styles()
    address = [paragraph(letter.recipient_name, styles.address)]
    address += [paragraph(line, styles.address) for line in letter.recipient_lines]
    window_width = WINDOW_WIDTH - 2 * _WINDOW_PADDING
    story: list[Flowable] = [
        # A letter running over onto another page continues without the window.
        NextPageTemplate(NEXT_PAGE),
        KeepInFrame(
            window_width,
            _RETURN_LINE_HEIGHT,
            [paragraph(f"{company.name}, {company.postal_address}", styles.return_line)],
            mode="shrink",
        ),
        FrameBreak(),
        # Shrunk rather than spilt: an address cut off by the window edge does not arrive.
        KeepInFrame(window_width, WINDOW_HEIGHT - _ENDORSEMENT_HEIGHT, address, mode="shrink"),
        FrameBreak(),
        paragraph(letter.place_and_date, styles.place_and_date),
        FrameBreak(),
        paragraph(letter.subject, styles.subject),
    ]
    story += [paragraph(text) for text in letter.paragraphs]
    if letter.highlight:
        story += [Spacer(0, 4 * mm), KeepTogether(highlight_box(letter.highlight))]
        story += [Spacer(0, 4 * mm)]
    if letter.closing:
        story.append(paragraph(letter.closing, styles.closing))
    return story


def _page_templates() -> list[PageTemplate]:
    window_frame = {
        "leftPadding": _WINDOW_PADDING,
        "rightPadding": _WINDOW_PADDING,
        "topPadding": 0,
        "bottomPadding": 0,
    }
    return_line = Frame(
        WINDOW_LEFT,
        from_top(WINDOW_TOP + _ENDORSEMENT_HEIGHT),
        WINDOW_WIDTH,
        _RETURN_LINE_HEIGHT,
        id="return-line",
        **window_frame,
    )
    address = Frame(
        WINDOW_LEFT,
        from_top(WINDOW_TOP + WINDOW_HEIGHT),
        WINDOW_WIDTH,
        WINDOW_HEIGHT - _ENDORSEMENT_HEIGHT,
        id="address",
        **window_frame,
    )
    info = Frame(
        _INFO_LEFT,
        from_top(WINDOW_TOP + WINDOW_HEIGHT),
        PAGE_WIDTH - MARGIN_RIGHT - _INFO_LEFT,
        WINDOW_HEIGHT,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="info",
    )
    return [
        PageTemplate(
            id=FIRST_PAGE,
            frames=[return_line, address, info, body_frame(_FIRST_PAGE_BODY_TOP)],
            onPage=_decorate_first_page,
        ),
        PageTemplate(id=NEXT_PAGE, frames=[body_frame()], onPage=decorate_page),
    ]


def _decorate_first_page(canvas: Canvas, doc: CompanyDocTemplate) -> None:
    decorate_page(canvas, doc)
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    for y in _MARKS:
        canvas.line(5 * mm, from_top(y), 10 * mm, from_top(y))
    canvas.restoreState()
