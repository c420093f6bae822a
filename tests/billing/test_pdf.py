"""The invoice PDF: data, amounts and words come out intact, on as many pages as it takes.

Labels are not asserted in Polish (their translations land separately); where a
label matters, the test asks gettext for it under the same language as the renderer.
"""

import io
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import pgettext
from pypdf import PdfReader

from billing.pdf import format_money, format_number, render_invoice
from documents.pdf import issuing_company
from tests.factories import CustomerFactory, InvoiceFactory, ServicePointFactory

POLISH_LINE = "Opłata dystrybucyjna zmienna — Łódź, gęśl"
BUYER_NIP = "7740001454"
BUYER_ACCOUNT = "PL27114020040000300201355387"


def read(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def flat(text: str) -> str:
    """Whitespace as single spaces: wrapped lines and non-breaking spaces read as one."""
    return " ".join(text.split())


def page_texts(pdf: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in read(pdf).pages]


@pytest.fixture
def company(home_page):
    return issuing_company()


@pytest.fixture
def customer(db):
    return CustomerFactory(
        name="Zakład Usług Wodnych „Żuraw”", nip=BUYER_NIP, bank_account=BUYER_ACCOUNT
    )


@pytest.fixture
def invoice(customer):
    # 10 037,13 net at 23%: 2 308,54 VAT, 12 345,67 gross.
    return InvoiceFactory(
        customer=customer,
        service_point=ServicePointFactory(customer=customer, code="PL0037999888777666"),
        ksef_number="5260250274-20261001-ABCDEF123456-7A",
        split_payment=True,
        lines=[(POLISH_LINE, Decimal("1"), "szt.", Decimal("10037.13"), "23")],
    )


@pytest.fixture
def text(invoice, company):
    return " ".join(page_texts(render_invoice(invoice, company)))


def test_numbers_are_formatted_polish_style():
    assert format_number(Decimal("1234.56")) == "1\u00a0234,56"
    assert format_number(Decimal("-1234567.5")) == "-1\u00a0234\u00a0567,50"
    assert format_number(Decimal("1.000"), 0, 3) == "1"
    assert format_number(Decimal("2.500"), 0, 3) == "2,5"
    assert format_number(Decimal("0.5432"), 2, 4) == "0,5432"
    assert format_number(Decimal("100.0000"), 2, 4) == "100,00"
    assert format_money(Decimal("123")) == "123,00\u00a0zł"
    assert format_money(Decimal("5"), "EUR") == "5,00\u00a0EUR"


def test_the_invoice_carries_its_number_parties_and_dates(invoice, text):
    assert invoice.number in text
    assert "526-025-02-74" in text  # seller
    assert "774-000-14-54" in text  # buyer
    assert "Zakład Usług Wodnych „Żuraw”" in text
    assert invoice.customer.number in text
    assert "PL0037999888777666" in text
    assert "5260250274-20261001-ABCDEF123456-7A" in text
    assert "01.10.2026" in text
    assert "15.10.2026" in text


def test_polish_letters_survive(text):
    assert POLISH_LINE in text


def test_amounts_are_polish_and_spelled_out(invoice, text):
    assert invoice.gross_total == Decimal("12345.67")
    assert "10 037,13" in text
    assert "2 308,54" in text
    assert "12 345,67 zł" in text
    words = "dwanaście tysięcy trzysta czterdzieści pięć złotych, sześćdziesiąt siedem groszy"
    assert words in text


def test_payment_goes_to_the_customers_own_account(invoice, text):
    assert "27 1140 2004 0000 3002 0135 5387" in text
    # The seller's account is in the seller block and footer, not as the account to pay.
    assert text.count("61 1090 1014 0000 0712 1981 2874") == 2


def test_without_an_own_account_payment_goes_to_the_company(company):
    invoice = InvoiceFactory(customer=CustomerFactory(bank_account=""))
    text = " ".join(page_texts(render_invoice(invoice, company)))
    assert text.count("61 1090 1014 0000 0712 1981 2874") == 3


def test_the_transfer_title_is_the_invoice_number(invoice, text):
    assert text.count(invoice.number) >= 2


def test_split_payment_and_pro_forma_notes(company, customer):
    with translation.override("pl"):
        split = translation.gettext("Split payment mechanism")
        not_vat = translation.gettext("This pro-forma invoice is not a VAT invoice.")
    plain = " ".join(page_texts(render_invoice(InvoiceFactory(customer=customer), company)))
    assert split not in plain
    assert not_vat not in plain
    pro_forma = InvoiceFactory(customer=customer, kind="proforma", split_payment=True)
    text = " ".join(page_texts(render_invoice(pro_forma, company)))
    assert split in text
    assert not_vat in text


def test_markup_in_descriptions_prints_literally(company, customer):
    invoice = InvoiceFactory(
        customer=customer,
        lines=[("Usługa <b>pogrubiona</b> & spółka </para>", Decimal("2"), "h", "10", "8")],
    )
    text = " ".join(page_texts(render_invoice(invoice, company)))
    assert "Usługa <b>pogrubiona</b> & spółka </para>" in text


def test_a_long_invoice_runs_over_pages_with_the_header_on_each(company, customer):
    lines = [
        (f"Pozycja {n} — {POLISH_LINE}", Decimal("1.5"), "kWh", Decimal("0.6123"), "23")
        for n in range(1, 121)
    ]
    invoice = InvoiceFactory(customer=customer, lines=lines)
    texts = page_texts(render_invoice(invoice, company))
    assert len(texts) >= 3
    with translation.override("pl"):
        number_label = pgettext("invoice line number", "No.")
        gross_label = translation.gettext("Gross")
        page_of = translation.gettext("Page %(number)s of %(total)s")
    pages_with_lines = [text for text in texts if "Pozycja " in text]
    assert len(pages_with_lines) >= 3
    for number, text in enumerate(texts, start=1):
        assert page_of % {"number": number, "total": len(texts)} in text
        if text in pages_with_lines:
            header = f"{number_label} " in text and gross_label in text
            assert header, f"page {number} lacks the table header"
    every_line = " ".join(texts)
    assert all(f"Pozycja {n} — {POLISH_LINE}" in every_line for n in range(1, 121))


def test_a_corrective_invoice_names_the_corrected_one_and_may_be_negative(company, customer):
    original = InvoiceFactory(customer=customer, number="FV/2026/000777")
    correction = InvoiceFactory(
        customer=customer,
        kind="corrective",
        number="FK/2026/000001",
        corrected_invoice=original,
        lines=[("Korekta ceny energii", Decimal("-1"), "szt.", Decimal("100.00"), "23")],
    )
    text = " ".join(page_texts(render_invoice(correction, company)))
    assert "FK/2026/000001" in text
    assert "FV/2026/000777" in text
    assert "-123,00 zł" in text
    assert "minus sto dwadzieścia trzy złote, zero groszy" in text
    # Nothing to transfer: the customer's account is not printed as one to pay into.
    assert "27 1140 2004 0000 3002 0135 5387" not in text


def test_the_invoice_is_polish_whatever_the_active_language(invoice, company):
    with translation.override("en"):
        english = " ".join(page_texts(render_invoice(invoice, company)))
    with translation.override("pl"):
        polish = " ".join(page_texts(render_invoice(invoice, company)))
    assert english == polish
    assert "Rachunek bankowy" in polish  # the footer's label, translated already


def test_only_the_embedded_roboto_family_is_used(invoice, company):
    reader = read(render_invoice(invoice, company))
    names = {
        font.get_object()["/BaseFont"].removeprefix("/").split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert names == {"Roboto-Regular", "Roboto-Bold"}
