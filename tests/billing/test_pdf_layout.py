"""The invoice's layout: long tables over pages, wrapped cells, nothing lost or overlapping.

Positions are read back from the PDF with pypdf, so these hold for what a reader sees,
whatever draws the page.
"""

import io
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import pgettext
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from billing.pdf import render_invoice
from billing.pdf_canvas import CELL, wrap
from documents.pdf import FONT, issuing_company, register_fonts
from documents.pdf.layout import BODY_BOTTOM, CONTENT_WIDTH, MARGIN_LEFT
from tests.factories import CustomerFactory, InvoiceFactory, ServicePointFactory

# The lines table: No. (8 mm) then the description, then 16+11+19+12+19+17+19 mm of figures.
DESCRIPTION_LEFT = MARGIN_LEFT + 8 * mm
DESCRIPTION_RIGHT = MARGIN_LEFT + CONTENT_WIDTH - 113 * mm
FOOTER_TOP = 20 * mm


def flat(text: str) -> str:
    return " ".join(text.split())


def fragments(pdf: bytes) -> list[list[tuple[float, float, str]]]:
    """Per page, every piece of text as drawn: (x, baseline y, text)."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        found: list[tuple[float, float, str]] = []

        def visit(text, cm, tm, font, size, found=found):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                found.append((x, y, text.strip()))

        page.extract_text(visitor_text=visit)
        pages.append(found)
    return pages


def page_texts(pdf: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def company(home_page):
    return issuing_company()


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Spółdzielnia „Źródło” w Łodzi")


def many_lines(count: int) -> list[tuple]:
    # Every seventh line is long enough to wrap in its column.
    return [
        (
            f"Wiersz{n:03d} — opłata zmienna"
            + (" za dystrybucję energii elektrycznej w taryfie G12" if n % 7 == 0 else ""),
            Decimal("2"),
            "kWh",
            Decimal("0.5"),
            "23",
        )
        for n in range(1, 151)
    ]


def test_many_lines_run_over_pages_each_line_once_totals_on_the_last(company, customer):
    invoice = InvoiceFactory(
        customer=customer,
        net_total=Decimal("150.00"),
        vat_total=Decimal("34.50"),
        gross_total=Decimal("184.50"),
        lines=many_lines(150),
    )
    pdf = render_invoice(invoice, company)
    texts = page_texts(pdf)
    assert len(texts) >= 4
    everything = " ".join(texts)
    for n in range(1, 151):
        assert everything.count(f"Wiersz{n:03d} ") == 1, f"line {n} is not printed exactly once"
    assert "Wiersz150 — opłata zmienna" in everything

    with translation.override("pl"):
        summary = translation.gettext("VAT summary")
        number_label = pgettext("invoice line number", "No.")
        description_label = translation.gettext("Description")
        page_of = translation.gettext("Page %(number)s of %(total)s")
    *earlier, last = texts
    assert summary in last
    assert "184,50 zł" in last
    assert "sto osiemdziesiąt cztery złote, pięćdziesiąt groszy" in last
    assert all(summary not in text and "184,50 zł" not in text for text in earlier)
    for number, text in enumerate(texts, start=1):
        assert page_of % {"number": number, "total": len(texts)} in text
        if "Wiersz" in text:
            assert f"{number_label} {description_label}" in text, f"no header on page {number}"


def test_nothing_is_drawn_over_the_footer(company, customer):
    invoice = InvoiceFactory(customer=customer, lines=many_lines(150))
    pages = fragments(render_invoice(invoice, company))
    for number, page in enumerate(pages, start=1):
        body = [(y, text) for _x, y, text in page if y > FOOTER_TOP]
        lowest = min(y for y, _text in body)
        assert lowest >= BODY_BOTTOM, f"page {number}: text at {lowest:.1f} pt, in the footer"
        footer = [text for _x, y, text in page if y <= FOOTER_TOP]
        assert not any("Wiersz" in text for text in footer)


def test_a_long_unbreakable_description_wraps_within_its_column(company, customer):
    word = "Źdźbło" * 15 + "Końcówka"
    invoice = InvoiceFactory(
        customer=customer,
        lines=[(f"Opis {word}", Decimal("1"), "szt.", Decimal("100"), "23")],
    )
    pdf = render_invoice(invoice, company)
    with translation.override("pl"):
        header = translation.gettext("Description")
    # What starts at the description column's left edge (inside its 3 pt padding).
    pieces = [
        (x, text)
        for page in fragments(pdf)
        for x, _y, text in page
        if abs(x - DESCRIPTION_LEFT - 3) < 0.5 and text != header
    ]
    assert len(pieces) >= 3, "the word should take several lines of the column"
    for x, text in pieces:
        assert x + stringWidth(text, FONT, CELL.size) <= DESCRIPTION_RIGHT
    joined = "".join(text for _x, text in pieces).removeprefix("Opis ")
    assert joined == word
    assert word in "".join(" ".join(page_texts(pdf)).split())


def test_polish_letters_come_back_intact_wherever_they_are(company, customer):
    description = "Zażółć gęślą jaźń — opłata za źródło ciepła " * 4
    point = ServicePointFactory(customer=customer, code="PL0001", name="Kotłownia Żółkiewskiego")
    invoice = InvoiceFactory(
        customer=customer,
        service_point=point,
        lines=[(description.strip(), Decimal("1"), "szt.", Decimal("100"), "23")],
    )
    text = " ".join(page_texts(render_invoice(invoice, company)))
    assert "Spółdzielnia „Źródło” w Łodzi" in text
    assert "Kotłownia Żółkiewskiego" in text
    assert flat(description) in text
    assert "sto dwadzieścia trzy złote, zero groszy" in text


@pytest.mark.parametrize("language", ["pl", "en"])
def test_a_long_invoice_is_polish_in_either_active_language(company, customer, language):
    invoice = InvoiceFactory(customer=customer, lines=many_lines(60))
    with translation.override(language):
        texts = page_texts(render_invoice(invoice, company))
    with translation.override("pl"):
        labels = [
            translation.gettext("Seller"),
            translation.gettext("Buyer"),
            translation.gettext("VAT summary"),
            translation.gettext("Amount due"),
        ]
        page_of = translation.gettext("Page %(number)s of %(total)s")
    everything = " ".join(texts)
    assert all(label in everything for label in labels)
    assert "Sprzedawca" in everything
    assert page_of % {"number": len(texts), "total": len(texts)} in texts[-1]


def test_wrap_breaks_at_spaces_keeps_non_breaking_ones_and_splits_only_overlong_words():
    register_fonts()
    width = 60
    account = "61\u00a01090\u00a01014"
    assert wrap(f"Konto {account}", CELL, width) == ["Konto", account]
    assert wrap("krótki", CELL, width) == ["krótki"]
    assert wrap("pierwsza\ndruga", CELL, 200) == ["pierwsza", "druga"]
    lines = wrap("ab " + "ż" * 40, CELL, width)
    assert lines[0].startswith("ab ż")
    assert "".join(lines).replace(" ", "") == "ab" + "ż" * 40
    assert all(stringWidth(line, CELL.font, CELL.size) <= width for line in lines)
