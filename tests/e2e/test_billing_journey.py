"""A customer sees what they owe, downloads an invoice and pays two invoices online."""

from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from tests.factories import InvoiceFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def test_balance_invoice_pdf_and_paying_two_invoices(live_server, home_page, page, screenshot):
    owner = MembershipFactory(role="owner", user=UserFactory(email="jan@example.pl"))
    first = InvoiceFactory(
        customer=owner.customer,
        number="FV/2026/09/000101",
        gross_total=Decimal("150.00"),
        due_date=date(2026, 9, 15),
    )
    second = InvoiceFactory(
        customer=owner.customer,
        number="FV/2026/10/000102",
        gross_total=Decimal("80.25"),
        due_date=date(2026, 10, 15),
    )
    InvoiceFactory(
        customer=owner.customer,
        number="FV/2099/01/000103",
        gross_total=Decimal("40.00"),
        due_date=date(2099, 1, 15),
    )

    page.goto(live_server.url + "/account/login/")
    page.fill("input[name=auth-username]", "jan@example.pl")
    page.fill("input[name=auth-password]", PASSWORD)
    page.get_by_role("button", name="Dalej").click()
    page.wait_for_url(live_server.url + "/account/")
    assert page.locator("[data-balance]").inner_text() == "270,25\xa0zł"
    screenshot(page, "billing-1-dashboard")

    page.get_by_role("link", name=first.number).first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz PDF").click()
    text = PdfReader(download.value.path()).pages[0].extract_text()
    assert first.number in text and "Należność" in text

    page.goto(live_server.url + "/account/")
    page.get_by_role("link", name="Zapłać teraz").click()  # preselects everything overdue
    assert page.locator(f"input[value='{first.public_id}']").is_checked()
    assert page.locator(f"input[value='{second.public_id}']").is_checked()
    screenshot(page, "billing-2-choose")
    page.get_by_role("button", name="Przejdź do płatności").click()
    assert page.get_by_text("230,25").first.is_visible()
    screenshot(page, "billing-3-sandbox")
    page.get_by_role("button", name="Zapłać", exact=True).click()
    assert page.get_by_text("Dziękujemy").is_visible()

    page.goto(live_server.url + "/account/")
    assert page.locator("[data-balance]").inner_text() == "40,00\xa0zł"
    page.goto(live_server.url + "/account/billing/invoices/?status=paid")
    assert page.get_by_text(first.number).is_visible()
    assert page.get_by_text(second.number).is_visible()
    screenshot(page, "billing-4-paid")
