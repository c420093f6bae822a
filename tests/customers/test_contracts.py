import pytest
from django.urls import reverse

from customers.models import AuditEvent, ContractAcceptance

pytestmark = pytest.mark.django_db


def test_contracts_list_and_download_audited(client, two_customers):
    a = two_customers.a
    client.force_login(a.owner)
    html = client.get(reverse("customer:contracts")).content.decode()
    assert a.contracts[0].number in html and two_customers.b.contracts[0].number not in html
    response = client.get(reverse("customer:contract_document", args=[a.documents[0].public_id]))
    assert b"".join(response.streaming_content) == b"%PDF-1.4 umowa"
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.filter(action="download", customer=a.customer).exists()


def test_owner_accepts_new_terms_once_with_time_user_and_address(client, two_customers):
    a = two_customers.a
    client.force_login(a.owner)
    url = reverse("customer:accept_terms", args=[a.documents[0].public_id])
    client.post(url, REMOTE_ADDR="10.2.3.4")
    client.post(url)
    acceptance = ContractAcceptance.objects.get()
    assert (acceptance.user, acceptance.ip_address) == (a.owner, "10.2.3.4")


def test_billing_user_sees_contracts_but_cannot_accept(client, two_customers):
    a = two_customers.a
    client.force_login(a.billing)
    assert (
        client.get(reverse("customer:contract", args=[a.contracts[0].public_id])).status_code == 200
    )
    response = client.post(reverse("customer:accept_terms", args=[a.documents[0].public_id]))
    assert response.status_code == 403
    assert not ContractAcceptance.objects.exists()


def test_technician_sees_no_contracts(client, two_customers):
    client.force_login(two_customers.a.technician)
    assert client.get(reverse("customer:contracts")).status_code == 403


def test_staff_find_contracts_among_the_snippets(staff_client, two_customers):
    response = staff_client.get("/admin/snippets/customers/contract/", {"q": "UK/A"})
    html = response.content.decode()
    assert "UK/A/0" in html and "UK/B/0" not in html
