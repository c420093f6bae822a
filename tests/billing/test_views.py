from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from billing.models import Payment
from billing.services import book_payment
from customers.models import AuditEvent
from tests.factories import InvoiceFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(home_page):
    return MembershipFactory(role="owner")


def make_invoices(customer, count):
    for n in range(count):
        InvoiceFactory(
            customer=customer,
            issue_date=date(2024, 1, 1) + timedelta(days=n),
            due_date=date(2024, 1, 15) + timedelta(days=n),
        )


def queries(client, url):
    client.get(url)  # warm the per-process caches (site root paths, content types)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url_name", ["customer:dashboard", "billing:invoices", "billing:payments"])
def test_query_count_does_not_grow_with_the_history(client, home_page, url_name):
    small, large = MembershipFactory(role="owner"), MembershipFactory(role="owner")
    make_invoices(small.customer, 1)
    make_invoices(large.customer, 300)
    for membership in (small, large):
        book_payment(
            customer=membership.customer,
            amount=Decimal("50.00"),
            received_on=date(2026, 1, 1),
            kind=Payment.Kind.TRANSFER,
        )
    client.force_login(small.user)
    few = queries(client, reverse(url_name))
    client.force_login(large.user)
    many = queries(client, reverse(url_name))
    assert few == many


def test_dashboard_shows_the_balance_and_the_overdue_alert(client, owner):
    InvoiceFactory(
        customer=owner.customer, gross_total=Decimal("1234.56"), due_date=date(2026, 1, 10)
    )
    client.force_login(owner.user)
    html = client.get(reverse("customer:dashboard")).content.decode()
    assert "1\xa0234,56\xa0zł" in html
    assert "Po terminie" in html
    assert "?status=overdue" in html


def test_invoice_list_filters_by_status(client, owner):
    paid = InvoiceFactory(customer=owner.customer, number="FV/PAID", due_date=date(2026, 1, 1))
    InvoiceFactory(customer=owner.customer, number="FV/OPEN", due_date=date(2099, 1, 1))
    book_payment(
        customer=owner.customer,
        amount=paid.gross_total,
        received_on=date(2026, 1, 1),
        kind=Payment.Kind.TRANSFER,
        named_invoice=paid,
    )
    client.force_login(owner.user)
    unpaid = client.get(reverse("billing:invoices"), {"status": "unpaid"}).content.decode()
    assert "FV/OPEN" in unpaid and "FV/PAID" not in unpaid
    done = client.get(reverse("billing:invoices"), {"status": "paid"}).content.decode()
    assert "FV/PAID" in done and "FV/OPEN" not in done


def test_invoice_pdf_is_an_audited_private_attachment(client, owner):
    invoice = InvoiceFactory(customer=owner.customer, number="FV/2026/11/000042")
    client.force_login(owner.user)
    response = client.get(reverse("billing:invoice_pdf", args=[invoice.public_id]))
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    import io

    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "FV/2026/11/000042" in text
    assert "Należność" in text
    assert AuditEvent.objects.filter(action="download", object_repr=invoice.number).exists()


def test_technical_user_sees_no_invoices(client, home_page):
    technician = MembershipFactory(role="technical")
    InvoiceFactory(customer=technician.customer)
    client.force_login(technician.user)
    assert client.get(reverse("billing:invoices")).status_code == 403
    assert "Saldo" not in client.get(reverse("customer:dashboard")).content.decode()


def test_staff_find_invoices_and_see_the_balance_on_the_customer_card(staff_client, owner):
    InvoiceFactory(
        customer=owner.customer,
        number="FV/2026/77",
        gross_total=Decimal("77.70"),
        due_date=date(2026, 1, 1),
    )
    InvoiceFactory(number="FV/2026/88")
    listing = staff_client.get("/admin/snippets/billing/invoice/", {"q": "2026/77"})
    html = listing.content.decode()
    assert "FV/2026/77" in html and "FV/2026/88" not in html
    card = staff_client.get(f"/admin/customers/customer/inspect/{owner.customer.pk}/")
    assert "77,70" in card.content.decode()


def test_advance_schedule_shows_paid_overdue_and_scheduled(client, owner):
    from billing.models import AdvanceInstalment

    for month, amount in ((1, "100.00"), (2, "100.00"), (12, "100.00")):
        AdvanceInstalment.objects.create(
            customer=owner.customer,
            schedule="Prognoza 2026",
            due_date=date(2026 if month != 12 else 2099, month, 10),
            amount=Decimal(amount),
        )
    book_payment(
        customer=owner.customer,
        amount=Decimal("100.00"),
        received_on=date(2026, 1, 10),
        kind=Payment.Kind.TRANSFER,
    )
    client.force_login(owner.user)
    html = client.get(reverse("billing:instalments")).content.decode()
    assert html.count("status--paid") == 1
    assert html.count("status--overdue") == 1
    assert "zaplanowana" in html
