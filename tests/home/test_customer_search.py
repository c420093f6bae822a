import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from customers.area import SEARCH_RESULTS_PER_KIND
from customers.models import InboxMessage
from tests.factories import InvoiceFactory, StandardPageFactory

pytestmark = pytest.mark.django_db


def search(client, query):
    response = client.get(reverse("search"), {"q": query})
    assert response.status_code == 200
    return response


def titles(response) -> list[str]:
    return [item.title for item in response.context["customer_results"]]


def test_a_customer_finds_their_invoice_and_never_another_customers(
    client, home_page, two_customers
):
    a, b = two_customers.a, two_customers.b
    client.force_login(a.owner)
    response = search(client, "FV/")
    html = response.content.decode()
    invoice = a.invoices[0]
    assert any(invoice.number in title for title in titles(response))
    assert reverse("billing:invoice", kwargs={"invoice_id": invoice.public_id}) in html
    for other in b.invoices:
        assert other.number not in html
        assert str(other.public_id) not in html
    assert titles(search(client, b.invoices[0].number)) == []


def test_contracts_by_number_and_document_title(client, home_page, two_customers):
    a, b = two_customers.a, two_customers.b
    client.force_login(a.owner)
    html = search(client, "UK/").content.decode()
    assert reverse("customer:contract", kwargs={"contract_id": a.contracts[0].public_id}) in html
    assert b.contracts[0].number not in html
    # every contract's document is titled "Umowa": A's contracts are found, B's never
    by_title = titles(search(client, "Umowa"))
    assert len(by_title) == len(a.contracts)
    assert all("UK/A/" in title for title in by_title)


def test_the_role_decides_what_is_searched(client, home_page, two_customers):
    client.force_login(two_customers.a.technician)
    assert titles(search(client, "FV/A")) == []  # no VIEW_BILLING
    assert titles(search(client, "UK/A")) == []  # no VIEW_CONTRACTS


def test_messages_to_the_customer_only(client, home_page, two_customers):
    a, b = two_customers.a, two_customers.b
    now = timezone.now()
    mine = InboxMessage.objects.create(
        subject="Planowana przerwa w dostawie", body="<p>Ulica Polna</p>", published_at=now
    )
    mine.customers.set([a.customer])
    mine.save()
    theirs = InboxMessage.objects.create(
        subject="Przerwa w dostawie u klienta B", body="<p>Tylko B</p>", published_at=now
    )
    theirs.customers.set([b.customer])
    theirs.save()
    InboxMessage.objects.create(subject="Szkic przerwa", body="<p>x</p>", audience="everyone")
    client.force_login(a.owner)
    found = titles(search(client, "przerwa dostawie"))
    assert "Przerwa w dostawie u klienta B" not in found
    assert "Szkic przerwa" not in found  # a draft is nobody's yet
    try:
        reverse("customer:message", kwargs={"message_id": mine.public_id})
    except NoReverseMatch:
        assert found == []  # the inbox pages are not there to link to
    else:
        assert found == ["Planowana przerwa w dostawie"]


def test_results_per_kind_are_capped(client, home_page, two_customers):
    a = two_customers.a
    for n in range(SEARCH_RESULTS_PER_KIND + 3):
        InvoiceFactory(customer=a.customer, number=f"FV/LIMIT/{n}")
    client.force_login(a.owner)
    assert len(titles(search(client, "FV/LIMIT"))) == SEARCH_RESULTS_PER_KIND


def test_public_pages_for_everyone_and_no_customer_section_for_visitors(
    client, home_page, two_customers
):
    StandardPageFactory(parent=home_page, title="Faktura elektroniczna", slug="e-faktura")
    response = search(client, "Faktura")
    assert "Faktura elektroniczna" in response.content.decode()
    assert response.context["customer_results"] == []
    assert 'id="search-mine"' not in response.content.decode()
    client.force_login(two_customers.a.owner)
    response = search(client, "FV/A")
    html = response.content.decode()
    assert 'id="search-mine"' in html
    assert len(titles(response)) == len(two_customers.a.invoices)
    for invoice in two_customers.a.invoices:
        assert any(invoice.number in title for title in titles(response))
