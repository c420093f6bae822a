"""Daily reminders: invoices due and overdue, contracts ending, appointments tomorrow,
reading windows; each once per subject and period, to the people who may see it."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from billing.models import Allocation, Payment
from billing.tasks import remind_invoices
from customers.models import Contract
from customers.tasks import remind_contracts_ending
from notifications.models import Delivery
from notifications.services import set_preferences
from servicedesk.models import AppointmentSlot, Request
from servicedesk.tasks import remind_appointments_tomorrow
from tests.factories import (
    InvoiceFactory,
    MembershipFactory,
    ServicePointFactory,
    UserFactory,
    complaint_type,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 20)
WARSAW = ZoneInfo("Europe/Warsaw")


def recipients(key_prefix: str) -> list[str]:
    return sorted(
        Delivery.objects.filter(key__startswith=key_prefix, channel="email").values_list(
            "to", flat=True
        )
    )


@pytest.fixture
def customer():
    """An owner, a billing user, a read-only user, a technician; a billing user limited to
    the second service point; a revoked member."""
    owner = MembershipFactory(role="owner", user=UserFactory(email="owner@example.pl"))
    customer = owner.customer
    customer.points = [ServicePointFactory(customer=customer) for _ in range(2)]
    for role in ("billing", "read_only", "technical"):
        MembershipFactory(
            customer=customer, role=role, user=UserFactory(email=f"{role}@example.pl")
        )
    limited = MembershipFactory(
        customer=customer, role="billing", user=UserFactory(email="limited@example.pl")
    )
    limited.service_points.set([customer.points[1]])
    MembershipFactory(
        customer=customer, role="owner", user=UserFactory(email="gone@example.pl"), status="revoked"
    )
    return customer


# Invoices


def test_an_invoice_due_in_three_days_is_announced_once_to_who_sees_invoices(
    customer, mailoutbox, django_capture_on_commit_callbacks
):
    due = InvoiceFactory(customer=customer, number="FV/1", due_date=TODAY + timedelta(days=3))
    InvoiceFactory(customer=customer, number="FV/LATER", due_date=TODAY + timedelta(days=4))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            remind_invoices(TODAY)
    assert recipients("invoice_due:") == [
        "billing@example.pl",
        "limited@example.pl",
        "owner@example.pl",
        "read_only@example.pl",
    ]
    assert len(mailoutbox) == 4
    mail = mailoutbox[0]
    assert "FV/1" in mail.subject and "FV/LATER" not in mail.subject
    assert "123,00\u00a0zł" in mail.body
    assert f"http://testserver/account/billing/invoices/{due.public_id}/" in mail.body
    assert set(Delivery.objects.values_list("category", flat=True)) == {"billing"}


def test_an_invoice_of_a_service_point_goes_to_who_reaches_it(customer):
    InvoiceFactory(
        customer=customer, service_point=customer.points[0], due_date=TODAY + timedelta(days=3)
    )
    remind_invoices(TODAY)
    assert "limited@example.pl" not in recipients("invoice_due:")
    assert "owner@example.pl" in recipients("invoice_due:")


def test_the_open_amount_counts_and_paid_or_proforma_invoices_are_left_alone(customer):
    partly = InvoiceFactory(customer=customer, number="FV/P", due_date=TODAY + timedelta(days=2))
    paid = InvoiceFactory(customer=customer, number="FV/Z", due_date=TODAY + timedelta(days=2))
    InvoiceFactory(
        customer=customer, number="PRO/1", kind="proforma", due_date=TODAY + timedelta(days=2)
    )
    payment = Payment.objects.create(
        customer=customer, kind="transfer", amount=Decimal("223.00"), received_on=TODAY
    )
    Allocation.objects.create(payment=payment, invoice=partly, amount=Decimal("100.00"))
    Allocation.objects.create(payment=payment, invoice=paid, amount=Decimal("123.00"))

    assert remind_invoices(TODAY) == {"due": 4, "overdue": 0}
    subjects = set(Delivery.objects.values_list("subject", flat=True))
    assert len(subjects) == 1 and "FV/P" in subjects.pop()
    assert "23,00\u00a0zł" in Delivery.objects.first().body


def test_an_overdue_invoice_is_announced_the_day_after_once(customer):
    overdue = InvoiceFactory(customer=customer, number="FV/O", due_date=TODAY - timedelta(days=1))
    InvoiceFactory(customer=customer, number="FV/OLD", due_date=TODAY - timedelta(days=30))
    due_today = InvoiceFactory(customer=customer, number="FV/TODAY", due_date=TODAY)
    assert remind_invoices(TODAY) == {"due": 0, "overdue": 4}
    assert remind_invoices(TODAY) == {"due": 0, "overdue": 0}
    assert remind_invoices(TODAY + timedelta(days=1)) == {"due": 0, "overdue": 4}
    assert len(recipients(f"invoice_overdue:{overdue.pk}:")) == 4
    assert len(recipients(f"invoice_overdue:{due_today.pk}:")) == 4
    assert Delivery.objects.count() == 8, "the old one was told when it fell due"


def test_a_reminder_goes_by_sms_to_who_chose_it(customer, recorded_sms):
    owner = customer.memberships.get(role="owner", status="active").user
    owner.mobile_phone = "600100200"
    owner.save()
    set_preferences(
        owner,
        {("billing", "sms"): True, ("outages", "email"): True, ("messages", "email"): True},
    )
    InvoiceFactory(customer=customer, number="FV/S", due_date=TODAY + timedelta(days=3))
    remind_invoices(TODAY)
    sms = Delivery.objects.get(channel="sms")
    assert sms.to == "600100200" and "FV/S" in sms.body and len(sms.body) <= 160


# Contracts


def test_a_contract_ending_in_thirty_days_is_announced_once(customer):
    ending = Contract.objects.create(
        customer=customer,
        number="UK/END",
        kind="sale",
        start_date=date(2025, 1, 1),
        end_date=TODAY + timedelta(days=30),
    )
    Contract.objects.create(
        customer=customer,
        number="UK/LATER",
        kind="sale",
        start_date=date(2025, 1, 1),
        end_date=TODAY + timedelta(days=31),
    )
    Contract.objects.create(
        customer=customer,
        number="UK/OPEN",
        kind="sale",
        start_date=date(2025, 1, 1),
    )
    point_contract = Contract.objects.create(
        customer=customer,
        number="UK/POINT",
        kind="distribution",
        start_date=date(2025, 1, 1),
        end_date=TODAY + timedelta(days=29),
    )
    point_contract.service_points.set([customer.points[0]])

    assert remind_contracts_ending(TODAY) == 4 + 3
    assert remind_contracts_ending(TODAY) == 0
    assert remind_contracts_ending(TODAY + timedelta(days=1)) == 4, "UK/LATER's turn"
    end_notices = Delivery.objects.filter(key__startswith=f"contract-ending:{ending.pk}:")
    assert sorted(end_notices.values_list("to", flat=True)) == [
        "billing@example.pl",
        "limited@example.pl",
        "owner@example.pl",
        "read_only@example.pl",
    ]
    assert "limited@example.pl" not in recipients(f"contract-ending:{point_contract.pk}:")
    assert f"/account/contracts/{ending.public_id}/" in end_notices.first().body


# Appointments


def test_the_filer_is_reminded_of_tomorrows_appointment_once(customer, mailoutbox):
    owner = customer.memberships.get(role="owner", status="active").user
    request = Request.objects.create(
        customer=customer, filed_by=owner, request_type=complaint_type(), subject="Licznik"
    )
    tomorrow = TODAY + timedelta(days=1)
    starts = datetime.combine(tomorrow, time(9, 30), tzinfo=WARSAW)
    slot = AppointmentSlot.objects.create(
        request=request,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        status="confirmed",
        location="ul. Polna 1",
    )
    for other_start, status in [
        (starts, "proposed"),
        (starts + timedelta(days=1), "confirmed"),
        (datetime.combine(TODAY, time(23, 59), tzinfo=WARSAW), "confirmed"),
    ]:
        AppointmentSlot.objects.create(
            request=request,
            starts_at=other_start,
            ends_at=other_start + timedelta(hours=1),
            status=status,
        )
    assert remind_appointments_tomorrow(TODAY) == 1
    assert remind_appointments_tomorrow(TODAY) == 0
    notice = Delivery.objects.get()
    assert notice.key.startswith(f"appointment-tomorrow:{slot.pk}:")
    assert (notice.to, notice.category) == ("owner@example.pl", "requests")
    assert "09:30" in notice.body and "ul. Polna 1" in notice.body
    assert request.reference in notice.subject


def test_no_reminder_to_a_filer_who_lost_access(customer):
    owner = customer.memberships.get(role="owner", status="active")
    request = Request.objects.create(
        customer=customer, filed_by=owner.user, request_type=complaint_type(), subject="X"
    )
    starts = datetime.combine(TODAY + timedelta(days=1), time(10), tzinfo=WARSAW)
    AppointmentSlot.objects.create(
        request=request, starts_at=starts, ends_at=starts, status="confirmed"
    )
    owner.status = "revoked"
    owner.save()
    assert remind_appointments_tomorrow(TODAY) == 0


# Reading windows go through the outbox by the channels chosen for readings


def test_the_reading_window_reminder_respects_the_readings_channels(recorded_sms):
    from django.utils import timezone

    from metering.tasks import remind_reading_windows
    from tests.factories import MeterFactory, ReadingWindowFactory

    today = timezone.localdate()
    owner = MembershipFactory(role="owner", user=UserFactory(mobile_phone="600100200"))
    MeterFactory(service_point=ServicePointFactory(customer=owner.customer))
    ReadingWindowFactory(start_day=today.day, end_day=today.day)
    set_preferences(
        owner.user,
        {
            ("readings", "email"): False,
            ("readings", "sms"): True,
            ("outages", "email"): True,
            ("messages", "email"): True,
        },
    )
    assert remind_reading_windows() == 1
    (notice,) = Delivery.objects.all()
    assert (notice.channel, notice.category) == ("sms", "readings")
    assert notice.key.startswith("reading-window:") and len(notice.body) <= 160
