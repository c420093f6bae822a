"""Invoice PDFs per second through the portal's code, against a bare reportlab loop.

    DATABASE_URL=… .venv/bin/python bench/pdf_bench.py [--seconds 10] [--json FILE]

Ours: what the download view does per request — fetch the invoice through the gate's
queryset (the membership loaded as the gate loads it), and render it with billing.pdf
(lines fetched, text measured and wrapped, tables paginated, amount in words, house
pages). The floor: the very same page replayed on a plain reportlab canvas — every
string, font, colour, rule and page break that one render of ours drew, recorded once
outside the timed loop and drawn again call by call, then saved — no database, no
formatting, no measuring, no layout. Both outputs are read back with pypdf and must
carry the same text.
"""

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from pypdf import PdfReader  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from billing import pdf_canvas  # noqa: E402
from billing.models import Invoice, InvoiceLine  # noqa: E402
from billing.pdf import render_invoice  # noqa: E402
from customers.gate import memberships_of  # noqa: E402
from customers.models import Membership  # noqa: E402
from documents.pdf import FONT, issuing_company  # noqa: E402
from documents.pdf.fonts import register_fonts  # noqa: E402
from documents.pdf.layout import NumberedCanvas  # noqa: E402

# The canvas calls a page is made of; anything else the renderer does is its own work.
DRAWING_CALLS = (
    "setAuthor",
    "setTitle",
    "setCreator",
    "saveState",
    "restoreState",
    "setFont",
    "setFillColor",
    "setStrokeColor",
    "setLineWidth",
    "drawString",
    "drawRightString",
    "line",
    "rect",
    "drawImage",
)


class RecordingCanvas(NumberedCanvas):
    """The renderer's canvas, noting every drawing call page by page (page numbers too,
    which the numbered canvas draws on each held page at the end)."""

    def __init__(self, *args, **kwargs):
        self.pages: list[list] = [[]]
        self._calls = self.pages[0]
        super().__init__(*args, **kwargs)
        RecordingCanvas.last = self

    def showPage(self):
        super().showPage()
        self._calls = []
        self.pages.append(self._calls)


def _recorder(name):
    def record(self, *args, **kwargs):
        self._calls.append((name, args, kwargs))
        return getattr(NumberedCanvas, name)(self, *args, **kwargs)

    return record


for _name in DRAWING_CALLS:
    setattr(RecordingCanvas, _name, _recorder(_name))


def sample(count: int) -> list[tuple[Membership, str]]:
    """(membership, invoice id) pairs of different customers, invoices with lines."""
    pairs = []
    owners = Membership.objects.active().select_related("user")[: count * 3]
    for owner in owners:
        # As the gate loads it: with `limited_to_points`, so the fetch costs what it costs
        # in the view.
        membership = next(m for m in memberships_of(owner.user) if m.pk == owner.pk)
        invoice = (
            Invoice.objects.for_membership(membership)
            .filter(lines__isnull=False)
            .values_list("public_id", flat=True)
            .first()
        )
        if invoice:
            pairs.append((membership, invoice))
        if len(pairs) == count:
            break
    if not pairs:
        raise SystemExit("No invoices with lines: seed data first (seed_scale or seed_demo).")
    return pairs


def ours(membership, public_id, company) -> bytes:
    """The download view's fetch and render (the lines are fetched by the renderer)."""
    invoice = (
        Invoice.objects.for_membership(membership)
        .select_related("customer", "service_point", "corrected_invoice")
        .get(public_id=public_id)
    )
    return render_invoice(invoice, company)


def record_page(membership, public_id, company) -> list[list]:
    """The canvas calls of each page of the invoice, as one render of ours made them."""
    with mock.patch.object(pdf_canvas, "NumberedCanvas", RecordingCanvas):
        ours(membership, public_id, company)
    return [calls for calls in RecordingCanvas.last.pages if calls]


def bare(pages: list[list]) -> bytes:
    """The same page drawn by replaying its canvas calls on a plain canvas."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, initialFontName=FONT)
    for calls in pages:
        for name, args, kwargs in calls:
            getattr(canvas, name)(*args, **kwargs)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def rate(make, seconds: float) -> tuple[float, int]:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        make(done)
        done += 1
    return done / (time.perf_counter() - started), done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--invoices", type=int, default=50)
    parser.add_argument("--json", help="write the figures to this file")
    options = parser.parse_args()
    register_fonts()
    company = issuing_company()
    pairs = sample(options.invoices)
    recorded = [record_page(membership, public_id, company) for membership, public_id in pairs]
    for pair, pages in zip(pairs[:5], recorded, strict=False):
        ours_text = [
            page.extract_text() for page in PdfReader(io.BytesIO(ours(*pair, company))).pages
        ]
        bare_text = [page.extract_text() for page in PdfReader(io.BytesIO(bare(pages))).pages]
        assert ours_text == bare_text, "the floor does not draw the page ours draws"
        number = Invoice.objects.values_list("number", flat=True).get(public_id=pair[1])
        assert number in ours_text[0], "the PDF does not read back with its number"
    results = {}
    # Alternate, so drift (other load on the machine) falls on both sides.
    for _round in range(2):
        for name, make in (
            ("ours", lambda i: ours(*pairs[i % len(pairs)], company)),
            ("bare", lambda i: bare(recorded[i % len(recorded)])),
        ):
            per_second, count = rate(make, options.seconds / 2)
            results.setdefault(name, []).append(per_second)
    figures = {name: sum(values) / len(values) for name, values in results.items()}
    figures["ratio"] = figures["ours"] / figures["bare"]
    public_ids = [public_id for _m, public_id in pairs]
    lines = InvoiceLine.objects.filter(invoice__public_id__in=public_ids).count() / len(pairs)
    pages = sum(len(pages) for pages in recorded) / len(recorded)
    print(
        f"invoice PDFs/s: ours {figures['ours']:.1f}, bare reportlab {figures['bare']:.1f}, "
        f"ratio {figures['ratio']:.0%} (target 80 %); {len(pairs)} invoices, "
        f"{lines:.1f} lines and {pages:.1f} pages on average"
    )
    if options.json:
        Path(options.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
