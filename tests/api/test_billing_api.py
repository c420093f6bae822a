from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditEvent, PersonalAccessToken

pytestmark = pytest.mark.django_db


def token_for(user):
    _, raw = PersonalAccessToken.issue(
        user=user, name="t", scope="read", expires_at=timezone.now() + timedelta(days=1)
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_invoices_for_owner_billing_and_not_the_technician(client, two_customers):
    a = two_customers.a
    for user in (a.owner, a.billing):
        rows = client.get(reverse("api-v1:invoice-list"), **token_for(user)).json()["results"]
        assert {r["number"] for r in rows} == {i.number for i in a.invoices}
    response = client.get(reverse("api-v1:invoice-list"), **token_for(a.technician))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_invoice_filters(client, two_customers):
    a = two_customers.a
    auth = token_for(a.owner)
    url = reverse("api-v1:invoice-list")
    point = a.invoices[1].service_point.public_id
    rows = client.get(url, {"service_point": point}, **auth).json()["results"]
    assert [r["number"] for r in rows] == [a.invoices[1].number]
    assert client.get(url, {"status": "paid"}, **auth).json()["count"] == 0
    assert client.get(url, {"status": "unpaid"}, **auth).json()["count"] == len(a.invoices)
    day = a.invoices[0].issue_date
    assert client.get(url, {"issued_from": day + timedelta(days=1)}, **auth).json()["count"] == 0
    response = client.get(url, {"status": "nope", "issued_to": "x"}, **auth)
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"status", "issued_to"}
    assert response.json()["error"]["code"] == "invalid"


def test_invoice_detail_lines_and_pdf(client, two_customers, home_page):
    a = two_customers.a
    auth = token_for(a.billing)
    invoice = a.invoices[0]
    detail = client.get(reverse("api-v1:invoice-detail", args=[invoice.public_id]), **auth).json()
    assert detail["lines"][0]["description"] == invoice.lines.get().description
    assert detail["status"] in ("unpaid", "overdue")
    response = client.get(reverse("api-v1:invoice-pdf", args=[invoice.public_id]), **auth)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="download", object_repr=invoice.number).exists()


def test_a_token_of_customer_a_never_reaches_b(client, two_customers):
    a, b = two_customers.a, two_customers.b
    auth = token_for(a.owner)
    for name in ("api-v1:invoice-detail", "api-v1:invoice-pdf"):
        response = client.get(reverse(name, args=[b.invoices[0].public_id]), **auth)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    response = client.get(
        reverse("api-v1:contract-detail", args=[b.contracts[0].public_id]), **auth
    )
    assert response.status_code == 404


def test_payments_balance_and_statement(client, two_customers, home_page):
    a = two_customers.a
    auth = token_for(a.owner)
    assert client.get(reverse("api-v1:payment-list"), **auth).json()["count"] == 0
    balance = client.get(reverse("api-v1:account-balance"), **auth).json()
    assert balance["amount_due"] == str(sum(i.gross_total for i in a.invoices))
    url = reverse("api-v1:account-statement")
    statement = client.get(url, {"from": "2026-01-01", "to": "2026-12-31"}, **auth).json()
    assert len(statement["rows"]) == len(a.invoices)
    assert statement["closing_balance"] == balance["amount_due"]
    for file_format, content_type in (("csv", "text/csv"), ("pdf", "application/pdf")):
        response = client.get(url, {"format": file_format}, **auth)
        assert response.status_code == 200
        assert response["Content-Type"].startswith(content_type)
        assert response["Content-Disposition"].endswith(f'.{file_format}"')
    bad = client.get(url, {"from": "2026-12-31", "to": "2026-01-01", "format": "pdf"}, **auth)
    assert bad.status_code == 400 and "from" in bad.json()["error"]["fields"]
    assert client.get(url, **token_for(a.technician)).status_code == 403
