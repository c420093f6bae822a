"""The scale data the benchmarks load: the right shape, valid for the app, re-runnable."""

from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Sum
from django.urls import reverse

from billing.models import Allocation, Invoice, InvoiceLine, Payment
from customers.models import Customer, InboxMessage, Membership, ServicePoint, User
from integrations.management.commands.seed_scale import (
    SCALE_EMAIL_DOMAIN,
    SCALE_PREFIX,
)
from metering.models import Meter, Reading, Register
from servicedesk.models import Event, Request
from tests.factories import CustomerFactory, complaint_type

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="seed_scale loads with PostgreSQL's COPY"
    ),
    pytest.mark.django_db,
]


def seed(tmp_path, *extra):
    logins = tmp_path / "logins.txt"
    call_command("seed_scale", "--customers", "20", "--batch", "7", "--logins", logins, *extra)
    return logins.read_text().split()


@pytest.fixture
def seeded(home_page, tmp_path):
    complaint_type()
    return seed(tmp_path)


def test_every_customer_has_the_shape_of_a_utility_account(seeded):
    customers = Customer.objects.filter(external_id__startswith=SCALE_PREFIX)
    assert customers.count() == 20
    assert len(seeded) == 20 and all(e.endswith(f"@{SCALE_EMAIL_DOMAIN}") for e in seeded)
    for customer in customers:
        points = ServicePoint.objects.filter(customer=customer)
        assert 1 <= points.count() <= 3
        assert Invoice.objects.filter(customer=customer).count() == 24
        assert Membership.objects.filter(customer=customer, role="owner").count() == 1
        assert 1 <= InboxMessage.objects.for_customer(customer).count() <= 3
        assert Request.objects.filter(customer=customer).count() <= 3
        for meter in Meter.objects.filter(service_point__in=points):
            for register in Register.objects.filter(meter=meter):
                values = list(
                    Reading.objects.filter(register=register)
                    .order_by("read_on")
                    .values_list("value", flat=True)
                )
                assert len(values) == 37  # 36 months of use, from a starting value
                assert all(a < b for a, b in zip(values, values[1:], strict=False))
    lines = Counter(InvoiceLine.objects.values_list("invoice_id", flat=True))
    assert all(3 <= n <= 8 for n in lines.values())
    assert len(lines) == 20 * 24
    assert Request.objects.exists() and Event.objects.filter(kind="created").exists()


def test_invoices_add_up_and_payments_are_allocated(seeded):
    assert not InvoiceLine.objects.exclude(gross=F("net") + F("vat")).exists()
    totals = Invoice.objects.annotate(
        net=Sum("lines__net"), vat=Sum("lines__vat"), gross=Sum("lines__gross")
    )
    for invoice in totals:
        assert (invoice.net, invoice.vat, invoice.gross) == (
            invoice.net_total,
            invoice.vat_total,
            invoice.gross_total,
        )
        assert invoice.net_total + invoice.vat_total == invoice.gross_total
    for payment in Payment.objects.annotate(allocated=Sum("allocations__amount")):
        assert payment.allocated == payment.amount
    assert not Allocation.objects.filter(amount__gt=F("invoice__gross_total")).exists()
    paid = Invoice.objects.with_paid()
    assert paid.filter(paid=F("gross_total")).count() > paid.count() // 2
    assert Invoice.objects.overdue().exists()


def test_a_scale_user_signs_in_and_sees_their_invoices(seeded, client):
    user = User.objects.get(email=seeded[0])
    assert user.check_password("Okienko-bench-2026")
    client.force_login(user)
    assert client.get(reverse("customer:dashboard")).status_code == 200
    listing = client.get(reverse("billing:invoices"))
    assert listing.status_code == 200
    invoice = Invoice.objects.visible_to(user).first()
    assert invoice.number in listing.content.decode()
    pdf = client.get(reverse("billing:invoice_pdf", args=[invoice.public_id]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"


def test_running_again_refuses_and_replace_starts_over(seeded, tmp_path):
    other = CustomerFactory()
    with pytest.raises(CommandError, match="--replace"):
        seed(tmp_path)
    before = Customer.objects.filter(external_id__startswith=SCALE_PREFIX)
    old = set(before.values_list("public_id", flat=True))
    counts = Invoice.objects.aggregate(n=Count("pk"))["n"]
    seed(tmp_path, "--replace", "--seed", "7")
    after = Customer.objects.filter(external_id__startswith=SCALE_PREFIX)
    assert after.count() == 20
    assert not old & set(after.values_list("public_id", flat=True))
    assert Invoice.objects.count() == counts
    assert Customer.objects.filter(pk=other.pk).exists()
    assert User.objects.filter(email__endswith=SCALE_EMAIL_DOMAIN).count() == 20
    assert Decimal(0) < Invoice.objects.aggregate(s=Sum("gross_total"))["s"]
