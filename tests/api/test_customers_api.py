import pytest
from django.urls import reverse

from customers.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_customers_lists_roles_and_switching_changes_the_active_one(client, two_customers):
    from tests.factories import MembershipFactory

    a, b = two_customers.a, two_customers.b
    MembershipFactory(user=a.owner, customer=b.customer, role="technical")
    client.force_login(a.owner)
    rows = client.get(reverse("api-v1:customer-list")).json()
    assert {r["customer_number"]: r["role"] for r in rows} == {
        a.customer.number: "owner",
        b.customer.number: "technical",
    }
    response = client.post(reverse("api-v1:customer-activate", args=[b.customer.public_id]))
    assert response.status_code == 200 and response.json()["active"] is True
    a.owner.refresh_from_db()
    assert a.owner.active_customer == b.customer
    # Now acting as B's technician: no invoices.
    assert client.get(reverse("api-v1:invoice-list")).status_code == 403


def test_switching_to_someone_elses_customer_is_a_404(client, two_customers):
    client.force_login(two_customers.a.owner)
    url = reverse("api-v1:customer-activate", args=[two_customers.b.customer.public_id])
    response = client.post(url)
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": response.json()["error"]["message"], "fields": {}}
    }


def test_contracts_list_detail_and_pdf(client, two_customers):
    a = two_customers.a
    client.force_login(a.billing)
    listed = client.get(reverse("api-v1:contract-list")).json()["results"]
    assert {c["number"] for c in listed} == {c.number for c in a.contracts}
    detail = client.get(reverse("api-v1:contract-detail", args=[a.contracts[0].public_id])).json()
    assert detail["documents"][0]["id"] == str(a.documents[0].public_id)
    response = client.get(detail["documents"][0]["pdf_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="download", actor=a.billing).exists()


def test_contracts_need_the_ability_and_stay_within_the_customer(client, two_customers):
    a, b = two_customers.a, two_customers.b
    client.force_login(a.technician)
    response = client.get(reverse("api-v1:contract-list"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    client.force_login(a.owner)
    for url in (
        reverse("api-v1:contract-detail", args=[b.contracts[0].public_id]),
        reverse("api-v1:contract-document-pdf", args=[b.documents[0].public_id]),
    ):
        assert client.get(url).status_code == 404


def test_an_anonymous_request_gets_the_error_shape(client, two_customers):
    response = client.get(reverse("api-v1:contract-list"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_wrong_method_gets_the_error_shape(client, two_customers):
    client.force_login(two_customers.a.owner)
    response = client.delete(reverse("api-v1:contract-list"))
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_schema_documents_the_error_format_and_binary_pdfs(client, two_customers):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()
    assert '{"error"' in schema["info"]["description"]
    pdf = schema["paths"]["/api/v1/invoices/{invoice_id}/pdf/"]["get"]["responses"]["200"]
    assert "application/pdf" in pdf["content"]
