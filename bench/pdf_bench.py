"""Invoice PDFs per second through the portal's code, against a bare reportlab loop.

    DATABASE_URL=… .venv/bin/python bench/pdf_bench.py [--seconds 10] [--json FILE]

Ours: what the download view does per request — fetch the invoice through the gate's
queryset with its lines, and render it with billing.pdf (platypus layout, house pages,
amount in words). The floor: the same invoice's text (parties, dates, every line, the
totals) drawn with reportlab's canvas at fixed places, in the same embedded fonts, and
saved — no layout engine, no database. Both outputs are read back with pypdf.
"""

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from pypdf import PdfReader  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from billing.models import Invoice  # noqa: E402
from billing.pdf import render_invoice  # noqa: E402
from customers.models import Membership  # noqa: E402
from documents.pdf import FONT, FONT_BOLD, format_money, issuing_company  # noqa: E402
from documents.pdf.fonts import register_fonts  # noqa: E402


def sample(count: int) -> list[tuple[Membership, str]]:
    """(membership, invoice id) pairs of different customers, invoices with lines."""
    pairs = []
    memberships = Membership.objects.active().select_related("customer", "user")[: count * 3]
    for membership in memberships:
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
    invoice = (
        Invoice.objects.for_membership(membership)
        .select_related("customer", "service_point", "corrected_invoice")
        .prefetch_related("lines")
        .get(public_id=public_id)
    )
    return render_invoice(invoice, company)


def bare(invoice: Invoice, lines: list, company) -> bytes:
    """The same words on the same A4 page, placed by hand."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    width, height = A4
    y = height - 20 * mm
    canvas.setFont(FONT_BOLD, 16)
    canvas.drawString(20 * mm, y, f"Faktura VAT {invoice.number}")
    canvas.setFont(FONT, 9)
    for label, value in (
        ("Data wystawienia", invoice.issue_date),
        ("Data sprzedaży", invoice.sale_date),
        ("Termin płatności", invoice.due_date),
    ):
        y -= 5 * mm
        canvas.drawString(20 * mm, y, f"{label}: {value:%d.%m.%Y}")
    y -= 10 * mm
    customer = invoice.customer
    for left, right in (
        (company.name, customer.name),
        (company.street, customer.billing_street),
        (
            f"{company.postal_code} {company.city}",
            f"{customer.billing_postal_code} {customer.billing_city}",
        ),
    ):
        canvas.drawString(20 * mm, y, str(left))
        canvas.drawString(110 * mm, y, str(right))
        y -= 5 * mm
    y -= 5 * mm
    for line in lines:
        canvas.drawString(20 * mm, y, str(line.position))
        canvas.drawString(28 * mm, y, line.description[:60])
        canvas.drawRightString(140 * mm, y, str(line.quantity))
        canvas.drawRightString(160 * mm, y, format_money(line.net))
        canvas.drawRightString(190 * mm, y, format_money(line.gross))
        y -= 5 * mm
    canvas.setFont(FONT_BOLD, 10)
    canvas.drawRightString(190 * mm, y - 5 * mm, f"Do zapłaty: {format_money(invoice.gross_total)}")
    canvas.drawString(20 * mm, 15 * mm, f"{company.name} · strona 1 z 1")
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
    fetched = [
        Invoice.objects.select_related("customer").prefetch_related("lines").get(public_id=p)
        for _m, p in pairs
    ]
    prepared = [(invoice, list(invoice.lines.all())) for invoice in fetched]
    for pdf, invoice in (
        (ours(*pairs[0], company), fetched[0]),
        (bare(*prepared[0], company), fetched[0]),
    ):
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        assert invoice.number in text, "the PDF does not read back with its number"
    results = {}
    # Alternate, so drift (other load on the machine) falls on both sides.
    for _round in range(2):
        for name, make in (
            ("ours", lambda i: ours(*pairs[i % len(pairs)], company)),
            ("bare", lambda i: bare(*prepared[i % len(prepared)], company)),
        ):
            per_second, count = rate(make, options.seconds / 2)
            results.setdefault(name, []).append(per_second)
    figures = {name: sum(values) / len(values) for name, values in results.items()}
    figures["ratio"] = figures["ours"] / figures["bare"]
    lines = sum(len(lines) for _i, lines in prepared) / len(prepared)
    print(
        f"invoice PDFs/s: ours {figures['ours']:.1f}, bare reportlab {figures['bare']:.1f}, "
        f"ratio {figures['ratio']:.0%} (target 80 %); {len(pairs)} invoices, "
        f"{lines:.1f} lines on average"
    )
    if options.json:
        Path(options.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
