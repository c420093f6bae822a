import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from billing.models import Invoice, OnlinePayment, Payment
from billing.online import handle_notification
from billing.providers.sandbox import SIGNATURE_HEADER, notification_body, sign
from tests.factories import InvoiceFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(home_page):
    return MembershipFactory(role="owner")


def start(client, items, **extra):
    return client.post(reverse("billing:pay"), {"item": [str(i.public_id) for i in items], **extra})


def notify(client, payment, *, paid=True, amount=None, signature=None):
    body = notification_body(payment.provider_order_id, paid, amount or payment.amount, "PLN")
    return client.post(
        reverse("payment_notification", args=["sandbox"]),
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: signature if signature is not None else sign(body)},
    )


def test_paying_two_invoices_through_the_sandbox(client, owner):
    first = InvoiceFactory(customer=owner.customer, gross_total=Decimal("100.00"))
    second = InvoiceFactory(customer=owner.customer, gross_total=Decimal("23.45"))
    InvoiceFactory(customer=owner.customer, gross_total=Decimal("9.99"))  # not chosen
    client.force_login(owner.user)
    response = start(client, [first, second])
    payment = OnlinePayment.objects.get()
    assert payment.amount == Decimal("123.45")
    assert response["Location"] == reverse("sandbox_payment_page", args=[payment.public_id])
    back = client.post(response["Location"], {"decision": "pay"})
    assert back["Location"] == reverse("billing:online_payment", args=[payment.public_id])
    assert "123,45" in client.get(back["Location"]).content.decode()
    statuses = {i.number: i.status() for i in Invoice.objects.filter(customer=owner.customer)}
    assert statuses[first.number] == statuses[second.number] == "paid"
    assert sorted(statuses.values()).count("paid") == 2


def test_the_same_notification_ten_times_books_one_payment(client, owner):
    invoice = InvoiceFactory(customer=owner.customer)
    client.force_login(owner.user)
    start(client, [invoice])
    payment = OnlinePayment.objects.get()
    outcomes = [notify(client, payment).content.decode() for _ in range(10)]
    assert outcomes == ["booked"] + ["already done"] * 9
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("tamper", ["signature", "amount"])
def test_a_bad_signature_or_amount_gets_400_and_books_nothing(client, owner, tamper):
    invoice = InvoiceFactory(customer=owner.customer)
    client.force_login(owner.user)
    start(client, [invoice])
    payment = OnlinePayment.objects.get()
    if tamper == "signature":
        response = notify(client, payment, signature="0" * 64)
    else:
        response = notify(client, payment, amount=Decimal("1.00"))
    assert response.status_code == 400
    assert not Payment.objects.exists()
    payment.refresh_from_db()
    assert payment.status == "created"


def test_a_failed_payment_books_nothing_and_can_be_retried(client, owner):
    invoice = InvoiceFactory(customer=owner.customer)
    client.force_login(owner.user)
    response = start(client, [invoice])
    client.post(response["Location"], {"decision": "fail"})
    assert OnlinePayment.objects.get().status == "failed"
    assert not Payment.objects.exists()
    assert invoice.status() != "paid"


def test_partial_amount_and_bad_choices_are_explained(client, owner, two_customers):
    invoice = InvoiceFactory(customer=owner.customer, gross_total=Decimal("100.00"))
    client.force_login(owner.user)
    too_much = start(client, [invoice], amount="100,01")
    assert too_much.status_code == 200 and "Kwota" in too_much.content.decode()
    foreign = start(client, [two_customers.b.invoices[0]])
    assert foreign.status_code == 200
    assert not OnlinePayment.objects.filter(customer=owner.customer).exists()
    start(client, [invoice], amount="40,50")
    assert OnlinePayment.objects.get(customer=owner.customer).amount == Decimal("40.50")


def test_read_only_users_cannot_pay(client, home_page):
    reader = MembershipFactory(role="read_only")
    client.force_login(reader.user)
    assert client.get(reverse("billing:pay")).status_code == 403


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks (PostgreSQL)")
def test_two_notifications_at_once_book_one_payment(home_page):
    owner = MembershipFactory(role="owner")
    invoice = InvoiceFactory(customer=owner.customer)
    payment = OnlinePayment.objects.create(
        customer=owner.customer,
        provider="sandbox",
        amount=invoice.gross_total,
        provider_order_id="SANDBOX-RACE",
    )
    body = notification_body("SANDBOX-RACE", True, payment.amount, "PLN")
    outcomes, barrier = [], threading.Barrier(2)

    def deliver():
        barrier.wait()
        outcomes.append(handle_notification("sandbox", {SIGNATURE_HEADER: sign(body)}, body))
        connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already done", "booked"]
    assert Payment.objects.count() == 1


def test_only_the_customers_own_users_reach_the_sandbox_page(client, owner, two_customers):
    invoice = InvoiceFactory(customer=owner.customer)
    client.force_login(owner.user)
    page = start(client, [invoice])["Location"]
    client.force_login(two_customers.a.owner)
    assert client.post(page, {"decision": "pay"}).status_code == 404
    client.logout()
    assert client.post(page, {"decision": "pay"}).status_code == 302
    assert not Payment.objects.filter(customer=owner.customer).exists()
