"""Staff CSV exports: Polish spreadsheet format, formula-safe, a date range, a permission."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from billing.models import Payment
from tests.conftest import verify_with_second_factor
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def download(client, kind, start="2026-03-01", end="2026-03-31"):
    response = client.get(reverse("integrations_export", args=[kind]), {"start": start, "end": end})
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


def parse(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def payment(customer, received_on, amount="1234.50", title="Opłata"):
    return Payment.objects.create(
        customer=customer,
        kind="transfer",
        amount=Decimal(amount),
        received_on=received_on,
        title=title,
    )


def test_payments_export_is_streamed_in_polish_csv_within_the_range(staff_client):
    customer = CustomerFactory(number="70001")
    payment(customer, date(2026, 3, 1), "1234.50", '=HYPERLINK("http://zly.example")')
    payment(customer, date(2026, 3, 31), "10.00", "+48 zapłata")
    payment(customer, date(2026, 2, 28), "99.00")
    payment(customer, date(2026, 4, 1), "99.00")

    response, content = download(staff_client, "payments")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "payments-2026-03-01-2026-03-31.csv" in response["Content-Disposition"]
    header, *rows = parse(content)
    assert len(header) == 9
    assert [row[0] for row in rows] == ["2026-03-01", "2026-03-31"]
    assert rows[0][1] == "70001"
    assert rows[0][4] == "1234,50"
    assert rows[0][6] == '\'=HYPERLINK("http://zly.example")'
    assert rows[1][6] == "'+48 zapłata"
    assert b"\r\n" in content


def test_invoices_export_has_its_columns(staff_client):
    invoice = InvoiceFactory(number="FV/1/2026", issue_date=date(2026, 3, 5))
    InvoiceFactory(number="FV/2/2026", issue_date=date(2026, 5, 5))
    _response, content = download(staff_client, "invoices")
    header, *rows = parse(content)
    assert len(header) == 12
    (row,) = rows
    assert row[0] == "FV/1/2026"
    assert row[4] == "2026-03-05"
    assert row[9] == f"{invoice.gross_total:.2f}".replace(".", ",")


@pytest.mark.parametrize("kind", ["readings", "requests"])
def test_readings_and_requests_export(staff_client, kind, two_customers):
    response, content = download(staff_client, kind, "2000-01-01", "2100-12-31")
    assert response.status_code == 200
    header, *rows = parse(content)
    assert rows and all(len(row) == len(header) for row in rows)


def test_a_reversed_range_is_refused_with_a_message_under_the_field(staff_client):
    response, _content = download(staff_client, "payments", "2026-03-31", "2026-03-01")
    assert response.status_code == 400
    assert b'data-field="end"' in response.content


def test_an_unknown_export_is_404(staff_client):
    response, _content = download(staff_client, "passwords")
    assert response.status_code == 404


def test_each_export_needs_its_models_view_permission(client, django_user_model):
    clerk = django_user_model.objects.create_user(email="k@example.pl", password="x")
    clerk.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_payment"),
    )
    verify_with_second_factor(client, clerk)
    payment(CustomerFactory(), date(2026, 3, 2))
    response, _content = download(client, "payments")
    assert response.status_code == 200
    response, content = download(client, "invoices")
    assert response.status_code in (302, 403)
    assert b"FV/" not in content
    index = client.get(reverse("integrations_exports"))
    assert index.status_code == 200
    assert [kind for kind, _export in index.context["exports"]] == ["payments"]


def test_the_export_query_count_does_not_grow_with_the_rows(
    staff_client, django_assert_max_num_queries
):
    customer = CustomerFactory()
    for day in range(1, 21):
        payment(customer, date(2026, 3, day))
    with django_assert_max_num_queries(12):
        _response, content = download(staff_client, "payments")
    assert len(parse(content)) == 21
