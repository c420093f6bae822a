"""A provider's payment notification replayed: the same signed notification ten times in a
row, or twice at the same moment, books one payment, settles the invoice once, leaves the
balance right, tells the payer once (one outbox row), and every reply is a 200: a provider
repeats a notification until it gets one.

PayU and Przelewy24, each through the notification view, signed as they sign; Przelewy24's
verify call goes to a local stand-in of its server. The simultaneous pairs run in two
threads, each with its own PostgreSQL connection and transaction.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from billing.balance import balance_for
from billing.models import Allocation, OnlinePayment, Payment
from notifications.models import Delivery
from tests.billing import test_payu as payu
from tests.billing import test_przelewy24 as p24
from tests.billing.provider_stub import running_stub
from tests.factories import InvoiceFactory, MembershipFactory

PROVIDERS = ["payu", "przelewy24"]
AMOUNT = Decimal("123.45")  # what both notifications say: 12345 grosze
REPLAYS = 10
PAIRS = 5


@pytest.fixture
def provider_server(settings, monkeypatch):
    """Both providers configured; Przelewy24's server (verify) answers on 127.0.0.1."""
    settings.PAYMENT_PROVIDERS = PROVIDERS
    settings.PAYU_POS_ID = payu.POS_ID
    settings.PAYU_CLIENT_ID = payu.CLIENT_ID
    settings.PAYU_CLIENT_SECRET = payu.CLIENT_SECRET
    settings.PAYU_SECOND_KEY = payu.SECOND_KEY
    settings.PAYU_SIGNATURE_ALGORITHM = "MD5"
    settings.P24_MERCHANT_ID = p24.MERCHANT_ID
    settings.P24_POS_ID = p24.POS_ID
    settings.P24_API_KEY = p24.API_KEY
    settings.P24_CRC = p24.CRC
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with running_stub() as stub:
        settings.P24_BASE_URL = stub.base_url
        stub.answer("PUT", p24.VERIFY_PATH, 200, {"data": {"status": "success"}, "responseCode": 0})
        yield stub


class Bill:
    """A customer's unpaid invoice, an online payment started for it, and the provider's
    signed notification that it was paid."""

    def __init__(self, provider: str, order_id: str | None = None):
        self.provider = provider
        self.membership = MembershipFactory(role="owner")
        self.customer = self.membership.customer
        self.invoice = InvoiceFactory(customer=self.customer, gross_total=AMOUNT)
        self.online = OnlinePayment.objects.create(
            customer=self.customer,
            created_by=self.membership.user,
            provider=provider,
            amount=AMOUNT,
        )
        self.online.invoices.set([self.invoice])
        if provider == "payu":
            self.online.provider_order_id = order_id or payu.PAYU_ORDER_ID
            self.body = payu.notification_body(order_id=self.online.provider_order_id)
            self.headers = payu.signed(self.body)
        else:
            self.online.provider_order_id = str(self.online.public_id)
            self.body = p24.notification_body(self.online.provider_order_id)
            self.headers = {}
        self.online.save(update_fields=["provider_order_id"])
        self.owed_before = balance_for(self.membership).amount_due

    def notify(self, client: Client):
        return client.post(
            reverse("payment_notification", args=[self.provider]),
            self.body,
            content_type="application/json",
            headers=self.headers,
        )

    def assert_booked_once(self) -> None:
        payment = Payment.objects.get(customer=self.customer)
        assert payment.amount == AMOUNT
        assert payment.external_id == f"{self.provider}:{self.online.provider_order_id}"
        self.online.refresh_from_db()
        assert self.online.status == OnlinePayment.Status.PAID
        assert self.online.payment == payment
        allocations = Allocation.objects.filter(invoice=self.invoice)
        assert [(a.payment_id, a.amount) for a in allocations] == [(payment.pk, AMOUNT)]
        assert self.invoice.status() == "paid"
        assert self.owed_before == AMOUNT
        assert balance_for(self.membership).amount_due == 0
        notices = Delivery.objects.filter(
            user=self.membership.user, key__startswith="payment_received:"
        )
        assert [(n.channel, n.to) for n in notices] == [("email", self.membership.user.email)]
        assert "123,45" in notices[0].subject


@pytest.mark.django_db
@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_same_notification_ten_times_books_one_payment(provider_server, client, provider):
    bill = Bill(provider)

    replies = [bill.notify(client) for _ in range(REPLAYS)]

    assert [r.status_code for r in replies] == [200] * REPLAYS
    assert [r.content for r in replies] == [b"booked"] + [b"already done"] * (REPLAYS - 1)
    bill.assert_booked_once()
    verified = len(provider_server.calls_to("PUT", p24.VERIFY_PATH))
    print(
        f"\n{provider}: {REPLAYS} notifications in a row, "
        f"{Payment.objects.count()} payment, {Delivery.objects.count()} outbox row, "
        f"{verified} verify calls"
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two transactions at once on one row need PostgreSQL (SQLite runs one at a time)",
)
def test_two_notifications_at_the_same_moment_book_one_payment(provider_server):
    """Both providers in one test: a transactional test empties every table afterwards."""
    bills = [
        Bill(provider, order_id=f"{payu.PAYU_ORDER_ID}{n}")
        for provider in PROVIDERS
        for n in range(PAIRS)
    ]
    for bill in bills:
        replies, barrier = [None, None], threading.Barrier(2)

        def deliver(slot: int, bill=bill, replies=replies, barrier=barrier) -> None:
            try:
                barrier.wait(timeout=10)
                replies[slot] = bill.notify(Client())
            finally:
                connection.close()

        threads = [threading.Thread(target=deliver, args=(slot,)) for slot in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert [r.status_code for r in replies] == [200, 200], bill.provider
        assert sorted(r.content for r in replies) == [b"already done", b"booked"], bill.provider
        bill.assert_booked_once()
    for provider in PROVIDERS:
        payments = Payment.objects.filter(external_id__startswith=f"{provider}:").count()
        notices = Delivery.objects.filter(
            user__memberships__customer__online_payments__provider=provider
        ).count()
        print(
            f"\n{provider}: {PAIRS} pairs at once ({2 * PAIRS} notifications), "
            f"{payments} payments, {notices} outbox rows"
        )
        assert payments == notices == PAIRS
