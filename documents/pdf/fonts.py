"""The TTF family every Okienko PDF is set in.

reportlab's built-in Type 1 fonts stop at Latin-1, so "ą ę ł ń ś ź ż" would come out
as black boxes. Roboto ships on PyPI (``font-roboto``) with full Latin Extended, which
keeps the fonts in the lock file instead of depending on what the host has installed.
"""

import threading
from pathlib import Path

import font_roboto
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "Okienko"
FONT_BOLD = "Okienko-Bold"
FONT_ITALIC = "Okienko-Italic"
FONT_BOLD_ITALIC = "Okienko-BoldItalic"

FONT_DIR = Path(font_roboto.__file__).parent / "files"

_FILES = {
    FONT: "Roboto-Regular.ttf",
    FONT_BOLD: "Roboto-Bold.ttf",
    FONT_ITALIC: "Roboto-Italic.ttf",
    FONT_BOLD_ITALIC: "Roboto-BoldItalic.ttf",
}

_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the family once per process; safe to call before every render.

    The family mapping lets ``<b>`` and ``<i>`` in Paragraph markup pick the bold and
    italic faces instead of silently falling back to Helvetica.
    """
    global _registered
    with _lock:
        if _registered:
            return
        for name, filename in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
        pdfmetrics.registerFontFamily(
            FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD_ITALIC
        )
        _registered = True
